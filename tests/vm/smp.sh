#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of the module on two vCPUs (run-vm --smp 2: round-robin TCG)
# with real QEMU VMMs that are not nested KVM guests (those livelock
# there): microVMs under TCG inside the test VM (microvm_start --accel
# tcg), registered while they boot (a full boot takes minutes there).
#
#   domain smp ── group g ── vm0, vm1 (TCG microVMs, booting)
#
# 1. the test VM has two CPUs (the precondition: fails, never skips)
# 2. registered and enrolled with ksmd running: both merge (QEMU loaded the
#    same kernel and initramfs into both guests' RAM), the module's figures
#    agree with /proc/PID/ksm_merging_pages, only guest RAM is mergeable
# 3. vm1's VMM killed while dumps and /proc reads run: its VM goes, vm0
#    keeps merging
# 4. rmmod with vm0 enrolled and ksmd running; vm0's VMM survives it
. "$(dirname "$0")/lib.sh"

MEM=${SMP_MEM:-128}

all_merging() {
	local i
	for i in "$@"; do
		[ "$(ksm_merging_pages "${MV_PID[$i]}")" -gt 0 ] || return 1
	done
}

# The module's merged count for VM I matches ksm_merging_pages (within
# what ksmd merges in one statistics interval).
figures_agree() {
	local i=$1 mod proc diff
	mod=$(vm_field $((i + 1)) stats.merged)
	proc=$(ksm_merging_pages "${MV_PID[$i]}")
	diff=$((mod > proc ? mod - proc : proc - mod))
	log "vm$i: module merged=$mod, ksm_merging_pages=$proc"
	[ -n "$mod" ] && [ "$diff" -le $((proc / 20 + 64)) ]
}

# Only the guest-RAM VMA of VMM I carries KSM's "mg" flag.
only_ram_mergeable() {
	local i=$1 mg
	mg=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { r = $1 } /^VmFlags:/ && / mg/ { print r }' \
		"/proc/${MV_PID[$i]}/smaps")
	[ "$mg" = "${MV_RAM_START[$i]#0x}-${MV_RAM_END[$i]#0x}" ]
}

# readers: dumps and /proc reads in a loop, until killed.
readers() {
	while :; do
		"$NL" --dump get-vm >/dev/null 2>&1
		cat /proc/vmmerge/vms /proc/vmmerge/groups >/dev/null 2>&1
	done
}

[ "$(nproc)" = 2 ] || die "needs two CPUs (run-vm --smp 2), has $(nproc)"
pass smp-two-cpus
[ -x "$NL" ] || die "$NL not built (make -C tests/tools)"
module_load || die "module did not load"
ksm_start 1000 20
microvm_start 2 --mem "$MEM" --accel tcg --no-wait || die "TCG microVMs did not start"
knob stats_interval_ms 500
knob enrol 1

check registry-setup eval 'nl new-domain "domain{" name=smp "}" &&
	nl new-group "group{" name=g domain=smp "}" && vmm_add 0 g && vmm_add 1 g'
check enrolled-merge wait_until 180 all_merging 0 1
for i in 0 1; do
	check "figures-agree-$i" wait_until 20 figures_agree "$i"
	check "only-guest-ram-mergeable-$i" only_ram_mergeable "$i"
done

readers &
readers_pid=$!
on_exit kill "$readers_pid"
microvm_kill 1
check killed-vm-gone wait_until 20 eval "! grep -q '^2 ' /proc/vmmerge/vms"
check other-still-merging all_merging 0
kill "$readers_pid"
wait "$readers_pid" 2>/dev/null || true

klog_mark
check rmmod-enrolled module_unload
check vmm-survives-rmmod kill -0 "${MV_PID[0]}"
klog_check smp-kernel-log && pass smp-kernel-log
