#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM lifetime test with fake VMMs (tests/tools/badvmm): VMMs that exit
# right after (or before) their registration, and module unloads while
# netlink dumps, sysfs writes, /proc reads, events and registrations are
# in flight. Run it with `slub_debug=FZPU init_on_free=1` so that a use
# after free of a VM (issue 9, defect 1) oopses instead of reading freed
# memory silently. The real-KVM half is lifetime-kvm.sh.
#
# 1. LIFE_FAKE cycles: a badvmm prints its RAM and exits after a random
#    1..LIFE_EXIT_MS ms; it is registered at once. ADD_VM either succeeds
#    (the VM must then go away by itself) or fails cleanly with ESRCH,
#    ENOENT or EINVAL; never anything else, never a hang. Two such loops
#    run at once, with dumps, /proc reads and an event listener going.
#    At the end no VM is left and the kernel log is clean. Every other
#    VMM (LIFE_FAKE_KVM=1) also creates a KVM VM on its RAM (no vCPU), so
#    that KVM's mmu notifier runs at its exit beside the module's, as
#    with a real VMM. Neither kind oopsed on the module before the fix of
#    defect 1 (its window is between the module's ->release and the
#    unlinking of the notifiers, which a booted guest's KVM teardown
#    widens): lifetime-kvm.sh is the test that catches that one.
# 2. LIFE_UNLOADS times: load, register a few sleeping badvmms, start
#    dumps, sysfs writes, /proc reads, a listener and a register/exit loop,
#    then rmmod after a random 0..2 s. Each rmmod succeeds (retried on
#    EBUSY), the kernel log stays clean, the VMMs survive.
# 3. Final load and unload: nr_vms 0, clean rmmod.
# Parameters: LIFE_FAKE (300; the acceptance run uses 1000), LIFE_EXIT_MS
# (default: 3 times the time a VMM start + ADD_VM takes here, measured
# first, so that about half the VMMs exit before their ADD_VM is done),
# LIFE_UNLOADS (10; acceptance 50). On a loaded 2-core host 1000 cycles
# took 400 s and one unload round 12-15 s.
# shellcheck disable=SC2046
. "$(dirname "$0")/lib.sh"

LIFE_FAKE=${LIFE_FAKE:-300}
LIFE_EXIT_MS=${LIFE_EXIT_MS:-}
LIFE_UNLOADS=${LIFE_UNLOADS:-10}
LIFE_FAKE_KVM=${LIFE_FAKE_KVM:-1}
BADVMM=$VMT_REPO/tests/tools/badvmm
BG_PIDS=()
SLEEPERS=()

bg() { "$@" & BG_PIDS+=($!); }

bg_stop() {
	local p
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	BG_PIDS=()
}

sleepers_stop() {
	local p
	for p in "${SLEEPERS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${SLEEPERS[@]}"; do wait "$p" 2>/dev/null; done
	SLEEPERS=()
}
on_exit bg_stop
on_exit sleepers_stop

# add_bad ID LINE: register the badvmm whose line ("PID START LEN") is LINE.
add_bad() {
	local id=$1 pid start len
	read -r pid start len <<<"$2"
	"$NL" --quiet --timeout 20 add-vm "vm{" id="$id" name="f$id" pid="$pid" group=g \
		"regions{" "region{" start="$start" length="$len" "}" "}" "}"
}

# cycles FIRST N TALLY: N register/exit cycles with VM ids from FIRST;
# writes "ok N errors N bad N" to TALLY; bad lists unexpected answers.
cycles() {
	local first=$1 n=$2 tally=$3 i line rc ok=0 err=0 bad=0 fifo=$VMT_STATE/fifo.$1 kvm
	rm -f "$fifo"
	mkfifo "$fifo"
	for ((i = first; i < first + n; i++)); do
		kvm=
		[ "$LIFE_FAKE_KVM" = 0 ] || [ $((i % 2)) = 0 ] || kvm=--kvm
		"$BADVMM" --mem 1 --early --zero 50 $kvm --exit-after $((1 + RANDOM % LIFE_EXIT_MS)) >"$fifo" &
		read -r line <"$fifo" || line=
		rc=0
		add_bad "$i" "$line" 2>/dev/null || rc=$?
		case $rc in
		0) ok=$((ok + 1)) ;;
		2 | 3 | 22) err=$((err + 1)) ;; # ENOENT ESRCH EINVAL: the VMM went first
		*) bad=$((bad + 1)); echo "cycle $i: add-vm status $rc (line '$line')" >&2 ;;
		esac
		# Not waited for: it exits by itself (the next cycles overlap it).
		[ $(((i - first + 1) % 100)) != 0 ] ||
			log "cycles from $first: $((i - first + 1)) done (ok $ok errors $err bad $bad)"
	done
	rm -f "$fifo"
	echo "ok $ok errors $err bad $bad" >"$tally"
}

loop_dump() {
	while :; do
		for c in get-vm get-group get-domain; do "$NL" --quiet --dump "$c"; done
		"$NL" --quiet get-host
		sleep 0.1
	done >/dev/null 2>&1
}

loop_proc() {
	while :; do cat /proc/vmmerge/* "$SYS"/* >/dev/null 2>&1; sleep 0.1; done
}

loop_knobs() {
	local i=0
	while :; do
		i=$((i + 1))
		echo $((i % 2 ? 100 : 300)) >"$SYS/stats_interval_ms"
		echo $((i % 3 ? 1 : 0)) >"$SYS/enrol"
		echo $((i % 2 ? 4096 : 256)) >"$SYS/scan_batch"
		sleep 0.05
	done 2>/dev/null
}

# The listener comes back after each unload (the family goes with it).
loop_listen() {
	while :; do "$NL" --listen 5 >>"$VMT_STATE/events.log" 2>&1 || sleep 0.2; done
}

loop_churn() {
	local i=$1 line fifo=$VMT_STATE/churn.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	while :; do
		"$BADVMM" --mem 1 --early --exit-after $((1 + RANDOM % 200)) >"$fifo" &
		read -r line <"$fifo"
		i=$((i + 1))
		add_bad "$i" "$line"
		wait $!
	done >/dev/null 2>&1
}

setup_registry() {
	nl --quiet new-domain "domain{" name=life "}" &&
		nl --quiet new-group "group{" name=g domain=life "}"
}

no_vms() { [ "$(cat "$SYS/nr_vms")" = 0 ]; }

ms_now() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# calibrate: LIFE_EXIT_MS = three times the time of start + ADD_VM of a
# badvmm, the mean of five.
calibrate() {
	local i t0 line total=0 fifo=$VMT_STATE/cal.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	for i in 1 2 3 4 5; do
		t0=$(ms_now)
		"$BADVMM" --mem 1 --early >"$fifo" &
		read -r line <"$fifo"
		add_bad $((700000 + i)) "$line" || return 1
		total=$((total + $(ms_now) - t0))
		kill $!
		wait $!
		"$NL" --quiet del-vm "vm{" id=$((700000 + i)) "}" 2>/dev/null || :
	done
	LIFE_EXIT_MS=$((3 * total / 5))
	log "start + add-vm takes $((total / 5)) ms: VMMs exit 1..$LIFE_EXIT_MS ms after their line"
}

start_sleepers() {
	local i line
	for i in 1 2 3; do
		"$BADVMM" --mem 4 --early >"$VMT_STATE/sleeper$i" &
		SLEEPERS+=($!)
	done
	for i in 1 2 3; do
		wait_until 20 test -s "$VMT_STATE/sleeper$i" || return 1
		line=$(cat "$VMT_STATE/sleeper$i")
		add_bad $((90000 + i)) "$line" || return 1
	done
}

[ -x "$BADVMM" ] || die "$BADVMM not built (make tools)"
[ "$LIFE_FAKE_KVM" = 0 ] || _mv_kvm_ready || die "/dev/kvm not available (LIFE_FAKE_KVM=0 runs without)"
log "LIFE_FAKE=$LIFE_FAKE LIFE_EXIT_MS=${LIFE_EXIT_MS:-auto} LIFE_UNLOADS=$LIFE_UNLOADS nproc=$(nproc)"
module_load || die "module did not load"
ksm_start 1000 20
knob stats_interval_ms 100
check registry-setup setup_registry
[ -n "$LIFE_EXIT_MS" ] || check calibrate calibrate || LIFE_EXIT_MS=200

# ---- 1. register/exit cycles
klog_mark
bg loop_dump
bg loop_proc
bg loop_listen
t0=$SECONDS
half=$((LIFE_FAKE / 2))
cycles 1000 "$half" "$VMT_STATE/tally.a" &
ca=$!
cycles 500000 $((LIFE_FAKE - half)) "$VMT_STATE/tally.b"
wait "$ca"
bg_stop
log "$LIFE_FAKE cycles in $((SECONDS - t0)) s: $(cat "$VMT_STATE/tally.a") / $(cat "$VMT_STATE/tally.b")"
log "events: $(grep -c vm-exited "$VMT_STATE/events.log" 2>/dev/null) vm-exited"
read -r _ oka _ erra _ bada <"$VMT_STATE/tally.a"
read -r _ okb _ errb _ badb <"$VMT_STATE/tally.b"
[ $((oka + okb + erra + errb)) = "$LIFE_FAKE" ] && [ $((bada + badb)) = 0 ] &&
	pass fake-cycles-clean-answers ||
	fail fake-cycles-clean-answers "$((bada + badb)) unexpected add-vm answers (see the console)"
[ $((oka + okb)) -gt 0 ] && pass fake-cycles-some-registered ||
	fail fake-cycles-some-registered "no registration succeeded: the exit race was never run"
check fake-cycles-vms-gone wait_until 30 no_vms
# Every VM freed, the one domain and group still there (kmemleak, in the
# debug kernel, would find a lost object; this finds one still listed).
check slab-vms-freed slab_expect vmmerge_vm 0
check slab-group-domain-kept eval 'slab_expect vmmerge_group 1 && slab_expect vmmerge_domain 1'
klog_check fake-cycles-kernel-log && pass fake-cycles-kernel-log
check module-answers nl --quiet get-host

# ---- 2. unload with everything in flight
check unload-enrolled-first module_unload
bg loop_dump
bg loop_proc
bg loop_listen
for ((u = 1; u <= LIFE_UNLOADS; u++)); do
	module_load || break
	setup_registry || { fail "unload-$u-setup" "registry setup failed"; break; }
	start_sleepers || fail "unload-$u-sleepers" "sleeping VMMs not registered"
	bg loop_knobs
	kpid=$!
	bg loop_churn $((u * 10000))
	cpid=$!
	sleep "$((RANDOM % 3)).$((RANDOM % 10))"
	rc=1
	for ((try = 0; try < 50 && rc != 0; try++)); do
		rmmod vmmerge 2>"$VMT_STATE/rmmod.err" && rc=0 || sleep 0.1
	done
	kill "$kpid" "$cpid" 2>/dev/null
	wait "$kpid" "$cpid" 2>/dev/null
	VMT_MODULE_LOADED_HERE=
	[ "$rc" = 0 ] || { fail "unload-$u" "rmmod: $(cat "$VMT_STATE/rmmod.err")"; break; }
	klog_check "unload-$u-kernel-log" || break
	# kmem_cache_destroy() WARNs (panic_on_warn) on a cache with objects
	# left; gone from sysfs means it was destroyed.
	for c in vmmerge_vm vmmerge_group vmmerge_domain; do
		[ ! -e "/sys/kernel/slab/$c" ] || fail "unload-$u-slab" "cache $c still there after rmmod"
	done
	alive=0
	for p in "${SLEEPERS[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	[ "$alive" = 3 ] || fail "unload-$u-vmms-alive" "$alive of 3 sleeping VMMs alive"
	sleepers_stop
done
bg_stop
[ "$u" -gt "$LIFE_UNLOADS" ] && pass "unloads-in-flight-$LIFE_UNLOADS"

# ---- 3. final state
module_load || die "module did not load at the end"
[ "$(cat "$SYS/nr_vms")" = 0 ] && pass final-no-vms || fail final-no-vms "nr_vms $(cat "$SYS/nr_vms")"
check final-unload module_unload
