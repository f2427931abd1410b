#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of the nested microVM helper and of the KSM baseline:
# two microVMs boot, their guest RAM is found as one anonymous private VMA of
# exactly the requested size and is NOT mergeable (mem-merge=off); with ksmd
# running fast for 15 s and nothing enrolled, KSM merges none of their pages,
# while a control process that does madvise(MADV_MERGEABLE) gets merged
# (so the zero is KSM not being asked, not KSM not working). Finally each
# guest console still answers commands.
. "$(dirname "$0")/lib.sh"

MEM=256

# ram_is_vma I: the recorded range is a whole anonymous rw-p VMA of MEM MiB
# without KSM's `mg` flag.
ram_is_vma() {
	local i=$1 pid=${MV_PID[$1]} s=${MV_RAM_START[$1]#0x} e=${MV_RAM_END[$1]#0x} flags
	grep -Eq "^$s-$e rw-p 00000000 00:00 0 *\$" "/proc/$pid/maps" || { log "no VMA $s-$e"; return 1; }
	[ $((0x$e - 0x$s)) = $((MEM * 1048576)) ] || { log "size $((0x$e - 0x$s))"; return 1; }
	flags=$(awk -v r="$s-$e" '$1 == r { f = 1 } f && /^VmFlags:/ { print; exit }' "/proc/$pid/smaps")
	log "vm$i VMA $s-$e $flags"
	[ -n "$flags" ] && ! grep -qw mg <<<"$flags"
}

zero_merged() {
	local i v
	for i in 0 1; do
		v=$(ksm_merging_pages "${MV_PID[$i]}")
		log "vm$i (pid ${MV_PID[$i]}): ksm_merging_pages=$v"
		[ "$v" = 0 ] || return 1
	done
	[ "$(ksm_get pages_shared)" = 0 ] && [ "$(ksm_get pages_sharing)" = 0 ]
}

# A process with 2048 identical pages marked MADV_MERGEABLE; prints its
# ksm_merging_pages once KSM merged them (or 0 after 20 s).
ksm_control() {
	python3 - <<'PY'
import mmap, os, time
n = 2048
m = mmap.mmap(-1, n * 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
m.write(b"vmmerge-control!" * (n * 256))
m.madvise(mmap.MADV_MERGEABLE)
merged = 0
for _ in range(200):
    time.sleep(0.1)
    with open(f"/proc/{os.getpid()}/ksm_merging_pages") as f:
        merged = int(f.read())
    if merged > n // 2:
        break
print(merged)
PY
}

ksm_stop 2
microvm_start 2 --mem "$MEM" || die "microVMs did not start"
pass boot-2-microvms

for i in 0 1; do
	check "ram-vma-$i" ram_is_vma "$i"
done
[ "${MV_RAM_START[0]}" != "${MV_RAM_START[1]}" ] || [ "${MV_PID[0]}" != "${MV_PID[1]}" ] ||
	fail ram-distinct "both VMs report the same VMM and range"

ksm_start 1000 20
sleep 15
ksm_report
check ksm-nothing-merged zero_merged

merged=$(ksm_control)
ksm_report
if [ "${merged:-0}" -gt 0 ]; then
	pass ksm-control-merged
else
	fail ksm-control-merged "a MADV_MERGEABLE control process got no page merged"
fi
check ksm-vms-still-unmerged zero_merged

for i in 0 1; do
	out=$(microvm_cmd "$i" "echo hello from \$(cat /proc/sys/kernel/hostname) vm$i" 30)
	rc=$?
	log "vm$i replied: $out"
	if [ "$rc" = 0 ] && grep -q "hello from .* vm$i" <<<"$out"; then
		pass "console-$i"
	else
		fail "console-$i" "status $rc, output '$out'"
	fi
done
out=$(microvm_cmd 1 "fill pattern 4 7 && ls -l /tmp/fill-pattern-7 && false" 60)
rc=$?
log "$out"
if [ "$rc" = 1 ] && grep -q 4194304 <<<"$out"; then
	pass console-status
else
	fail console-status "expected status 1 and a 4 MiB file, got $rc: $out"
fi

# microvm_kill stops one VMM; the other guest keeps answering.
pid0=${MV_PID[0]}
microvm_kill 0
if kill -0 "$pid0" 2>/dev/null; then
	fail kill-one "VMM $pid0 still alive after microvm_kill"
else
	pass kill-one
fi
if out=$(microvm_cmd 1 "echo still-here" 30) && grep -q still-here <<<"$out"; then
	pass other-survives
else
	fail other-survives "vm1 no longer answers: $out"
fi
