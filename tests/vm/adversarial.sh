#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test with hostile VMMs (tests/tools/badvmm) while the scanner, the
# statistics walk and ksmd run fast and other threads read, dump and tune
# the module; isolation is checked page by page (tests/tools/ksmpfn).
#
#   domain tenantA           ── group ga ── c0 c1 c2 (--chaos), q0 (quiet)
#   domain tenantB (refused) ── group gb ── c3 (--chaos), q1, mb (--self-merge)
#   domain secret (isolated) ── group gs ── c4 (--chaos), ms (--self-merge)
#
# 1. the quiet and chaos VMs registered; tenantA's merge
# 2. ms and mb marked their own RAM MADV_MERGEABLE (QEMU's mem-merge=on)
#    and ksmd merged it before they were registered: once registered in an
#    isolated / refused domain they must end at 0 KSM pages (ksmpfn and
#    ksm_merging_pages) within ADV_UNMERGE_SECS while tenantA merges
#    (issue 9, defect 3); on one vCPU the same with a QEMU microVM run
#    with mem-merge=on (mm, isolated domain)
# 3. ADV_SECS of chaos (munmap/MAP_FIXED/mremap/mprotect/shared/file maps
#    over guest RAM) with /proc/vmmerge readers, netlink dumps, sysfs knob
#    writes, VMs moved between the refused and isolated domain, and
#    ksmpfn --watch over every VM
# 4. no kernel warning, the module answers, every VM accounted in its
#    state, no cross-domain or isolated KSM page, the chaos VMMs ran to the
#    end without a failed syscall, all VMs gone after the VMMs exit, clean
#    rmmod
# Parameters (environment, run-vm --env): ADV_SECS (default 120; the
# acceptance run uses 600), ADV_MEM MiB per VM (16), ADV_RATE chaos steps
# per second per VMM (100), ADV_UNMERGE_SECS (60), ADV_MICROVM (1 on one
# vCPU, else 0).
# shellcheck disable=SC2046 # pfn_args: one word per VM on purpose
. "$(dirname "$0")/lib.sh"

ADV_SECS=${ADV_SECS:-120}
ADV_MEM=${ADV_MEM:-16}
ADV_RATE=${ADV_RATE:-100}
ADV_UNMERGE_SECS=${ADV_UNMERGE_SECS:-60}
ADV_MICROVM=${ADV_MICROVM:-$([ "$(nproc)" = 1 ] && echo 1 || echo 0)}
BADVMM=$VMT_REPO/tests/tools/badvmm
KSMPFN=$VMT_REPO/tests/tools/ksmpfn
declare -A BV_PID BV_START BV_LEN BV_ID BV_DOM
BV_NEXT_ID=1
BG_PIDS=()

# bv_start NAME DOMAIN ARGS...: start a badvmm, read its line.
bv_start() {
	local name=$1 dom=$2 out=$VMT_STATE/bv-$1.out
	shift 2
	"$BADVMM" --mem "$ADV_MEM" --rate "$ADV_RATE" "$@" >"$out" 2>"$VMT_STATE/bv-$name.err" &
	wait_until 60 test -s "$out" || { fail "start-$name" "no line from badvmm"; return 1; }
	read -r BV_PID[$name] BV_START[$name] BV_LEN[$name] <"$out"
	BV_DOM[$name]=$dom
	log "$name: pid ${BV_PID[$name]} ram ${BV_START[$name]} ${BV_LEN[$name]} ($*)"
}

# bv_add NAME GROUP: register it as the next VM id.
bv_add() {
	local name=$1
	BV_ID[$name]=$BV_NEXT_ID
	BV_NEXT_ID=$((BV_NEXT_ID + 1))
	nl add-vm "vm{" id="${BV_ID[$name]}" name="$name" pid="${BV_PID[$name]}" group="$2" \
		"regions{" "region{" start="${BV_START[$name]}" length="${BV_LEN[$name]}" "}" "}" "}"
}

# ksmpfn arguments for the named VMs.
pfn_args() {
	local n
	for n in "$@"; do echo "${BV_DOM[$n]}:${BV_PID[$n]}:${BV_START[$n]}:${BV_LEN[$n]}"; done
}

ALL=(c0 c1 c2 q0 c3 q1 mb c4 ms)
CHAOS=(c0 c1 c2 c3 c4)

setup_registry() {
	nl new-domain "domain{" name=tenantA "}" &&
		nl new-domain "domain{" name=tenantB "}" &&
		nl new-domain "domain{" name=secret flags=1 "}" &&
		nl new-group "group{" name=ga domain=tenantA "}" &&
		nl new-group "group{" name=gb domain=tenantB "}" &&
		nl new-group "group{" name=gs domain=secret "}"
}

merged() { ksm_merging_pages "${BV_PID[$1]}"; }
is_merging() { [ "$(merged "$1")" -gt 0 ]; }
unmerged() { [ "$(merged "$1")" = 0 ] && "$KSMPFN" $(pfn_args "$1") >/dev/null; }
state_of() { vm_state "${BV_ID[$1]}"; }

# ---- background load for the chaos phase
bg() { "$@" & BG_PIDS+=($!); }

loop_proc() {
	while :; do cat /proc/vmmerge/vms /proc/vmmerge/groups /proc/vmmerge/domains \
		/proc/vmmerge/hints >/dev/null 2>&1; done
}

loop_dump() {
	while :; do
		for c in get-vm get-group get-domain; do "$NL" --quiet --dump "$c" || :; done
		"$NL" --quiet get-host || :
		"$NL" --quiet get-vm "vm{" id="${BV_ID[c0]}" "}" || :
	done 2>/dev/null
}

loop_knobs() {
	local i=0
	while :; do
		i=$((i + 1))
		echo $((i % 2 ? 100 : 700)) >"$SYS/stats_interval_ms"
		echo $((i % 3 ? 4096 : 64)) >"$SYS/scan_batch"
		echo $((i % 2 ? 1048576 : 20000)) >"$SYS/scan_pages_per_sec"
		echo $((i % 4 ? 100 : 2000)) >"$SYS/estimate_interval_ms"
		echo $((i % 5 ? 0 : 30)) >"$SYS/min_yield"
		echo $((i % 2 ? 1024 : 65536)) >"$SYS/max_fingerprints"
		echo $((i % 7 ? 1 : 0)) >"$SYS/enrol"
		cat "$SYS"/* >/dev/null 2>&1
		sleep 0.2
	done 2>/dev/null
}

# c3 goes back and forth between the refused and the isolated domain.
loop_move() {
	local g=gs
	while :; do
		"$NL" --quiet set-vm "vm{" id="${BV_ID[c3]}" group=$g "}" 2>/dev/null || :
		if [ $g = gs ]; then g=gb; else g=gs; fi
		sleep 0.5
	done
}

bg_stop() {
	local p
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	BG_PIDS=()
}

bv_stop_all() {
	local n
	for n in "${!BV_PID[@]}"; do [ "$n" = mm ] || kill "${BV_PID[$n]}" 2>/dev/null; done
	wait 2>/dev/null
}
on_exit bg_stop
on_exit bv_stop_all

[ -x "$BADVMM" ] || die "$BADVMM not built (make tools)"
[ -x "$NL" ] || die "$NL not built (make tools)"
log "ADV_SECS=$ADV_SECS ADV_MEM=$ADV_MEM ADV_RATE=$ADV_RATE ADV_UNMERGE_SECS=$ADV_UNMERGE_SECS nproc=$(nproc)"
module_load || die "module did not load"
knob stats_interval_ms 100
knob estimate_interval_ms 100
knob scan_pages_per_sec 1048576
knob scan_batch 4096
knob scan_cpu_permille 500
ksm_start 2000 10
check registry-setup setup_registry

# ---- 1. quiet and chaos VMs (chaos held until registered)
for n in c0 c1 c2; do bv_start $n tenantA --chaos --hold; done
bv_start q0 tenantA
bv_start c3 tenantB --chaos --hold
bv_start q1 tenantB
bv_start c4 '!secret' --chaos --hold
for n in c0 c1 c2 q0; do check "add-$n" bv_add $n ga; done
for n in c3 q1; do check "add-$n" bv_add $n gb; done
check add-c4 bv_add c4 gs
check tenantA-merges wait_until 120 is_merging q0

# ---- 2. VMMs that merged their own RAM, then registered (defect 3)
bv_start ms '!secret' --self-merge
bv_start mb tenantB --self-merge
check self-merge-merged-before wait_until 120 eval 'is_merging ms && is_merging mb'
log "before registration: ms $(merged ms) mb $(merged mb) merged pages"
check add-ms bv_add ms gs
check add-mb bv_add mb gb
[ "$(state_of ms)" = isolated ] && pass state-ms-isolated || fail state-ms-isolated "$(state_of ms)"
[ "$(state_of mb)" = refused ] && pass state-mb-refused || fail state-mb-refused "$(state_of mb)"
t0=$SECONDS
if wait_until "$ADV_UNMERGE_SECS" unmerged ms; then
	pass self-merged-isolated-unmerged
	log "ms unmerged after $((SECONDS - t0)) s"
else
	fail self-merged-isolated-unmerged "ms (isolated, marked itself mergeable) still has $(merged ms) KSM pages after $ADV_UNMERGE_SECS s; $("$KSMPFN" --max-report 2 $(pfn_args ms q0 c0 mb) | tr '\n' ' ')"
fi
if wait_until 5 unmerged mb; then
	pass self-merged-refused-unmerged
else
	fail self-merged-refused-unmerged "mb (refused, marked itself mergeable) still has $(merged mb) KSM pages; $("$KSMPFN" --max-report 2 $(pfn_args mb q0 c0) | tr '\n' ' ')"
fi
check others-keep-merging is_merging q0

# The same with a real VMM: QEMU with its default mem-merge=on (nested
# KVM, so one vCPU only: nested guests livelock under SMP TCG).
if [ "$ADV_MICROVM" = 1 ]; then
	if microvm_start 1 --mem 128 --mem-merge on --name mm; then
		BV_PID[mm]=${MV_PID[0]} BV_START[mm]=${MV_RAM_START[0]} BV_LEN[mm]=${MV_RAM_LEN[0]}
		BV_DOM[mm]='!secret'
		ALL+=(mm)
		check qemu-mem-merge-merged-before wait_until 120 is_merging mm
		log "before registration: mm $(merged mm) merged pages"
		check add-mm bv_add mm gs
		wait_until "$ADV_UNMERGE_SECS" unmerged mm && pass qemu-mem-merge-isolated-unmerged ||
			fail qemu-mem-merge-isolated-unmerged "QEMU mem-merge=on in an isolated domain still has $(merged mm) KSM pages after $ADV_UNMERGE_SECS s; $("$KSMPFN" --max-report 2 $(pfn_args mm q0 c0) | tr '\n' ' ')"
	fi
else
	log "no QEMU mem-merge=on case on $(nproc) vCPUs (nested KVM needs one)"
fi

# ---- 3. chaos
klog_mark
for n in "${CHAOS[@]}"; do kill -USR1 "${BV_PID[$n]}"; done
"$KSMPFN" --watch "$ADV_SECS" --interval 2 --max-report 5 --ignore-gone $(pfn_args "${ALL[@]}") \
	>"$VMT_STATE/ksmpfn-watch.log" 2>&1 &
watch_pid=$!
bg loop_proc
bg loop_dump
bg loop_knobs
bg loop_move
log "chaos for $ADV_SECS s"
for ((t = 0; t < ADV_SECS; t += 30)); do
	sleep $((ADV_SECS - t < 30 ? ADV_SECS - t : 30))
	log "t=$((t + 30)) s: nr_vms=$(cat "$SYS/nr_vms") merged_pages=$(cat "$SYS/merged_pages") scan_pages=$(cat "$SYS/scan_pages") refreshes=$(cat "$SYS/stats_refreshes")"
	ksm_report
done
bg_stop
rc=0
wait "$watch_pid" || rc=$?
tail -n 12 "$VMT_STATE/ksmpfn-watch.log" >&2
[ "$rc" = 0 ] && pass pfn-isolation-during-chaos ||
	fail pfn-isolation-during-chaos "ksmpfn --watch exited $rc: $(grep -m 3 -e VIOLATION -e ksmpfn: "$VMT_STATE/ksmpfn-watch.log" | tr '\n' ' ')"

# ---- 4. after the storm
knob enrol 1
knob min_yield 0
knob stats_interval_ms 500
nl --quiet set-vm "vm{" id="${BV_ID[c3]}" group=gb "}" || :
klog_check no-kernel-warning && pass no-kernel-warning
check module-answers nl get-host
[ "$(cat "$SYS/nr_vms")" = ${#ALL[@]} ] && pass all-vms-registered ||
	fail all-vms-registered "nr_vms $(cat "$SYS/nr_vms"), want ${#ALL[@]}"
cat /proc/vmmerge/vms >&2
for n in "${ALL[@]}"; do
	case ${BV_DOM[$n]} in tenantA) want=enrolled ;; tenantB) want=refused ;; *) want=isolated ;; esac
	got=$(state_of $n)
	grep -qw "${BV_PID[$n]}" /proc/vmmerge/vms && [ "$got" = $want ] && pass "state-$n" ||
		fail "state-$n" "pid ${BV_PID[$n]} state '$got', want $want"
done
check pfn-isolation-after "$KSMPFN" --max-report 5 $(pfn_args "${ALL[@]}")
for n in "${CHAOS[@]}"; do
	kill -0 "${BV_PID[$n]}" 2>/dev/null && pass "chaos-alive-$n" ||
		fail "chaos-alive-$n" "$(cat "$VMT_STATE/bv-$n.err")"
done
microvm_stop_all
for n in "${ALL[@]}"; do kill "${BV_PID[$n]}" 2>/dev/null; done
for n in "${ALL[@]}"; do
	[ "$n" != mm ] || continue
	st=0
	wait "${BV_PID[$n]}" || st=$?
	[ "$st" = 0 ] && pass "vmm-exit-$n" || fail "vmm-exit-$n" "status $st: $(cat "$VMT_STATE/bv-$n.err")"
done
grep -h badvmm "$VMT_STATE"/bv-c*.err >&2 || :
check all-vms-gone wait_until 30 eval '[ "$(cat "$SYS/nr_vms")" = 0 ]'
klog_check no-kernel-warning-exit && pass no-kernel-warning-exit
check final-unload module_unload
