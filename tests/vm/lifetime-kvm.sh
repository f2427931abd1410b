#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM lifetime test with real KVM microVMs: VMMs registered as soon as
# their guest RAM is mapped and killed at a random moment after that,
# booted or not, so that the module's exit path runs during KVM's own
# teardown (issue 9, defect 1: use after free on VMM exit). Run it on one
# vCPU with `slub_debug=FZPU init_on_free=1 panic_on_taint=0x20`: a VM
# freed while its exit work is still queued then oopses the kernel (the
# run fails without its `done`) instead of reading freed memory silently.
#
#   domain life ── group g ── LIFE_KVM microVMs, LIFE_KVM_PAR at a time
#
# Each round: start LIFE_KVM_PAR microVMs without waiting for their boot,
# register each, kill each (SIGKILL, or SIGTERM one time in four) after a
# random 0..LIFE_KVM_MAX_MS ms; the VMs must be gone from the registry
# within 20 s and the kernel log stay clean. At the end: nr_vms 0 and a
# clean rmmod.
# Parameters: LIFE_KVM VMs in all (default 20; the acceptance run uses
# 200), LIFE_KVM_PAR (2), LIFE_KVM_MAX_MS (12000, about a boot), LIFE_KVM_MEM
# MiB (128).
. "$(dirname "$0")/lib.sh"

LIFE_KVM=${LIFE_KVM:-20}
LIFE_KVM_PAR=${LIFE_KVM_PAR:-2}
LIFE_KVM_MAX_MS=${LIFE_KVM_MAX_MS:-12000}
LIFE_KVM_MEM=${LIFE_KVM_MEM:-128}

no_vms() { [ "$(cat "$SYS/nr_vms")" = 0 ]; }

# kill_later I MS SIG: kill VM I's VMM after MS ms (in the background).
kill_later() {
	local pid=${MV_PID[$1]}
	(sleep "$(($2 / 1000)).$(printf %03d $(($2 % 1000)))"; kill -"$3" "$pid" 2>/dev/null) &
}

# round: LIFE_KVM_PAR VMs registered and killed; returns 1 to stop.
round() {
	local first=$MV_COUNT i ms sig killers=() booted=0
	microvm_start "$LIFE_KVM_PAR" --mem "$LIFE_KVM_MEM" --no-wait || true
	for ((i = first; i < MV_COUNT; i++)); do
		[ -n "${MV_RAM_START[$i]}" ] || { fail "kvm-vm$i-ram" "guest RAM not found"; continue; }
		if ! nl --quiet add-vm "vm{" id=$((i + 1)) name="${MV_NAME[$i]}" pid="${MV_PID[$i]}" \
			group=g "regions{" "region{" start="${MV_RAM_START[$i]}" \
			length="${MV_RAM_LEN[$i]}" "}" "}" "}"; then
			fail "kvm-vm$i-add" "add-vm failed"
			continue
		fi
		REGISTERED=$((REGISTERED + 1))
		ms=$((RANDOM * 32768 + RANDOM))
		ms=$((ms % (LIFE_KVM_MAX_MS + 1)))
		sig=KILL
		[ $((RANDOM % 4)) != 0 ] || sig=TERM
		log "vm$i: pid ${MV_PID[$i]} registered, $sig in $ms ms"
		kill_later "$i" "$ms" "$sig"
		killers+=($!)
	done
	for i in "${killers[@]}"; do wait "$i"; done
	for ((i = first; i < MV_COUNT; i++)); do
		grep -q 'vmmerge-guest: ready' "${MV_LOG[$i]}" 2>/dev/null && booted=$((booted + 1))
		microvm_kill "$i"
	done
	BOOTED=$((BOOTED + booted))
	if ! wait_until 20 no_vms; then
		fail "kvm-round-$ROUND-vms-gone" "nr_vms $(cat "$SYS/nr_vms") 20 s after the kills"
		cat /proc/vmmerge/vms >&2
		return 1
	fi
	klog_check "kvm-round-$ROUND-kernel-log" || return 1
}

log "LIFE_KVM=$LIFE_KVM LIFE_KVM_PAR=$LIFE_KVM_PAR LIFE_KVM_MAX_MS=$LIFE_KVM_MAX_MS nproc=$(nproc) cmdline: $(cat /proc/cmdline)"
grep -q 'init_on_free=1' /proc/cmdline || log "note: no init_on_free=1: a use after free may go unseen"
module_load || die "module did not load"
ksm_start 1000 20
knob stats_interval_ms 100
check registry-setup eval 'nl --quiet new-domain "domain{" name=life "}" &&
	nl --quiet new-group "group{" name=g domain=life "}"'
klog_mark
REGISTERED=0
BOOTED=0
t0=$SECONDS
for ((ROUND = 1; REGISTERED < LIFE_KVM; ROUND++)); do
	round || break
	[ "$ROUND" -lt $((LIFE_KVM * 2)) ] || { fail kvm-rounds "too many rounds for $REGISTERED VMs"; break; }
done
log "$REGISTERED microVMs registered and killed ($BOOTED had booted) in $((SECONDS - t0)) s"
[ "$REGISTERED" -ge "$LIFE_KVM" ] && pass "kvm-register-kill-$LIFE_KVM" ||
	fail "kvm-register-kill-$LIFE_KVM" "only $REGISTERED VMs went through"
check kvm-final-no-vms no_vms
# Every VM's object freed (the domain and group are still there).
check kvm-slab-vms-freed slab_expect vmmerge_vm 0
check kvm-final-unload module_unload
check kvm-slab-caches-gone eval '[ ! -e /sys/kernel/slab/vmmerge_vm ]'
