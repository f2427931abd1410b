#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM demo (run by scripts/demo, not by scripts/check): load vmmerge.ko,
# start three nested microVMs, run KSM and show what the host sees: VMM
# pids, guest-RAM ranges, per-VMM and global KSM counters, and the module's
# /proc/vmmerge tables and /sys/kernel/vmmerge knobs when they exist.
. "$(dirname "$0")/lib.sh"

NVM=${DEMO_VMS:-3}
ROUNDS=${DEMO_ROUNDS:-6}

say() { printf '\n### %s\n' "$*" >&2; }

show_module() {
	local f
	for f in /proc/vmmerge/*; do
		[ -e "$f" ] || continue
		echo "--- $f"
		cat "$f"
	done
	if [ -d /sys/kernel/vmmerge ]; then
		echo "--- /sys/kernel/vmmerge"
		grep -r . /sys/kernel/vmmerge 2>/dev/null | sed 's|^/sys/kernel/vmmerge/||' | head -n 40
	fi
}

show_vms() {
	local i
	printf '%-4s %-7s %-31s %8s %10s %8s\n' VM PID "GUEST RAM" MiB "RSS(kB)" MERGED
	for ((i = 0; i < MV_COUNT; i++)); do
		[ -n "${MV_PID[$i]}" ] || continue
		printf '%-4s %-7s %-31s %8s %10s %8s\n' "vm$i" "${MV_PID[$i]}" \
			"${MV_RAM_START[$i]}-${MV_RAM_END[$i]}" "${MV_MEM[$i]}" \
			"$(awk '/^VmRSS/ {print $2}' "/proc/${MV_PID[$i]}/status")" \
			"$(ksm_merging_pages "${MV_PID[$i]}")"
	done
}

say "loading the module"
module_load && log "vmmerge $(cat /sys/module/vmmerge/version 2>/dev/null) loaded"
show_module

say "starting $NVM nested microVMs (about 10 s each)"
microvm_start "$NVM" || log "not all microVMs came up"
show_vms

say "each guest fills 16 MiB of tmpfs with the same pattern"
for ((i = 0; i < MV_COUNT; i++)); do
	microvm_cmd "$i" "fill pattern 16 demo" 120 >&2
done

say "KSM on (1000 pages / 20 ms); nothing is enrolled unless the module does it"
ksm_start 1000 20
for ((r = 1; r <= ROUNDS; r++)); do
	sleep 5
	say "after $((r * 5)) s"
	show_vms >&2
	ksm_report
	show_module >&2
done
pass demo-ran
