#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In-VM check of the runtime-stack images: boot one microVM per stack from
# build/bench/*.img, run the hello, prime and fill functions in each.
#   tests/vm/run-vm --timeout 900 bench/guest/smoke.sh
. "$VMT_REPO/tests/vm/lib.sh"
img=$VMT_REPO/build/bench
for s in python3 node perl; do
	[ -r "$img/$s.img" ] || die "$img/$s.img missing (bench/guest/mkimages)"
	t0=$SECONDS
	microvm_start 1 --mem 192 --rootfs "$img/$s.img" --name "$s-" || { fail "boot-$s" "did not boot"; continue; }
	i=$((MV_COUNT - 1))
	log "$s: booted in $((SECONDS - t0)) s"
	t0=$SECONDS
	out=$(microvm_cmd "$i" "/fn/fn warm 5000" 300) && grep -Eq '"primes": ?669' <<<"$out" &&
		pass "prime-$s" || fail "prime-$s" "$out"
	log "$s: warm (start + hello + prime 5000) in $((SECONDS - t0)) s: $out"
	out=$(microvm_cmd "$i" "/fn/fn call '/hello?name=x'" 60) && grep -q 'hello x' <<<"$out" &&
		pass "hello-$s" || fail "hello-$s" "$out"
	t0=$SECONDS
	out=$(microvm_cmd "$i" "/fn/fn data 16" 300) && grep -Eq 'heap_mb": ?16' <<<"$out" &&
		pass "fill-$s" || fail "fill-$s" "$out"
	log "$s: fill 16 MiB in $((SECONDS - t0)) s; VMM RSS $(awk '/VmRSS/ {print $2}' /proc/${MV_PID[$i]}/status) kB"
	microvm_cmd "$i" "free; cat /proc/loadavg" 30 >&2
done
