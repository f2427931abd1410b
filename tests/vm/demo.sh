#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM demo (run by scripts/demo, not by scripts/check).
#
#   domain tenantA ── group python ── vm0, vm1   (same content filled in)
#                  └─ group node   ── vm2        (other content)
#                  └─ group batch  ── vm3        (random data: low yield)
#   domain secret (isolated) ── group vault ── vm4
#
# KSM runs from the start, but nothing merges until vmmerge enrols guest
# RAM: the demo shows the baseline, then registers the VMs with min_yield
# set, and prints the module's tables as the scanner estimates, the policy
# enrols, and ksmd merges; then the placement hints.
. "$(dirname "$0")/lib.sh"

NVM=5
ROUNDS=${DEMO_ROUNDS:-6}

say() { printf '\n### %s\n' "$*" >&2; }
nl() { printf '$ nlcall %s\n' "$*" >&2; "$NL" "$@" >&2; }

show_vmms() {
	local i
	printf '%-4s %-7s %-31s %10s %12s\n' VM PID "GUEST RAM" "RSS(kB)" "KSM MERGED" >&2
	for ((i = 0; i < MV_COUNT; i++)); do
		[ -n "${MV_PID[$i]}" ] || continue
		printf '%-4s %-7s %-31s %10s %12s\n' "vm$i" "${MV_PID[$i]}" \
			"${MV_RAM_START[$i]}-${MV_RAM_END[$i]}" \
			"$(awk '/^VmRSS/ {print $2}' "/proc/${MV_PID[$i]}/status")" \
			"$(ksm_merging_pages "${MV_PID[$i]}")" >&2
	done
}

show_tables() {
	local f
	for f in vms groups domains; do
		echo "--- /proc/vmmerge/$f" >&2
		cat "/proc/vmmerge/$f" >&2
	done
}

say "loading the module"
module_load || die "module did not load"
log "vmmerge $(cat $SYS/version) loaded; knobs:"
grep -H . $SYS/* | sed "s|^$SYS/||" | column -t -s: >&2

say "starting $NVM nested microVMs (QEMU -M microvm,mem-merge=off, KVM)"
microvm_start "$NVM" --mem 128 || die "microVMs did not start"
microvm_cmd 0 "fill pattern 32 py" 120 >/dev/null
microvm_cmd 1 "fill pattern 32 py" 120 >/dev/null
microvm_cmd 2 "fill pages 32 node" 120 >/dev/null
microvm_cmd 3 "fill random 80" 120 >/dev/null
microvm_cmd 4 "fill pattern 32 py" 120 >/dev/null

say "KSM on (1000 pages / 20 ms) for 10 s, nothing enrolled: the baseline"
ksm_start 1000 20
sleep 10
show_vmms
ksm_report

say "registering the VMs: domains, groups, min_yield=30%"
echo 30 >$SYS/min_yield
echo 1000 >$SYS/scan_cpu_permille  # TCG is ~100x slower than hardware
nl new-domain "domain{" name=tenantA "}"
nl new-domain "domain{" name=secret flags=1 "}"
nl new-group "group{" name=python domain=tenantA "}"
nl new-group "group{" name=node domain=tenantA "}"
nl new-group "group{" name=batch domain=tenantA "}"
nl new-group "group{" name=vault domain=secret "}"
vmm_add 0 python
vmm_add 1 python
vmm_add 2 node
vmm_add 3 batch
vmm_add 4 vault
show_tables

for ((r = 1; r <= ROUNDS; r++)); do
	sleep 10
	say "after $((r * 10)) s"
	show_vmms
	ksm_report
	show_tables
done

say "placement hints: where would a new VM of each stack share most?"
cat /proc/vmmerge/hints >&2
nl get-hint "hint{" group=python "}"
nl get-host
pass demo-ran
