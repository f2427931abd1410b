#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of the trust policy against VMMs that do not behave, with
# fake VMMs (tests/vm/fakevmm.py: anonymous "guest RAM", no guest), so it
# runs as well on two vCPUs:
#
#   domain ta ── group ga ── f0 (remaps its RAM to shared memory)
#   domain iso (isolated) ── group gi ── f1 (marks its RAM and heap mergeable)
#   domain pb (isolated, then not) ── group gb ── f2   ┐ one merge scope
#   domain pa ── group gpa ── f3 (enrolled, then pa isolated)┘
#   domain d1 ── group gx ── f4, gx then moves to domain d2
#
# 1. walk-vma: after f0 maps shared memory over its guest RAM, the statistics
#    walk finds nothing resident there (it walks anonymous private VMAs only)
# 2. self-merge: f1 marked its memory mergeable itself; in an isolated domain
#    every mergeable VMA of it is un-merged, again after it re-marks it
# 3. unmerge-first: when pa becomes isolated and pb may take the scope, f3
#    is un-merged (isolated event) before f2 is enrolled (enrolled event)
# 4. nr-vms: a group moving to another domain takes its VMs' count along
# 5. big-sketch: two fakes sharing 4096 distinct pages give a sketch of
#    sketch_k=1024 entries (8 KiB), more than a one-page reply holds
. "$(dirname "$0")/lib.sh"

FAKE=$VMT_REPO/tests/vm/fakevmm.py
declare -a F_PID F_START F_LEN

# fake_start I [fakevmm options]: start fake VMM I, wait for its range.
fake_start() {
	local i=$1 out=$VMT_STATE/fake$1
	shift
	rm -f "$out"
	python3 "$FAKE" "$out" "$@" &
	wait_until 120 test -s "$out" || die "fake VMM $i did not start"
	read -r F_PID[$i] F_START[$i] F_LEN[$i] <"$out"
	on_exit kill "${F_PID[$i]}"
	log "fake$i: pid ${F_PID[$i]} ram ${F_START[$i]} +${F_LEN[$i]} ($*)"
}

fake_add() { # fake_add I GROUP: register fake I as VM id 100+I
	nl add-vm "vm{" id=$((100 + $1)) name="fake$1" pid="${F_PID[$1]}" group="$2" \
		"regions{" "region{" start="${F_START[$1]}" length="${F_LEN[$1]}" "}" "}" "}"
}

resident() { awk -v id="$1" '$1 == id { print $8 }' /proc/vmmerge/vms; }
resident_is() { [ "$(resident "$1")" = "$2" ]; }
resident_over() { [ "$(resident "$1")" -gt "$2" ]; }
mergeable_vmas() { grep -c '^VmFlags:.* mg' "/proc/$1/smaps" || true; }
none_mergeable() { [ "$(mergeable_vmas "$1")" = 0 ]; }
domain_vms() { awk -v d="$1" '$1 == d { print $4 }' /proc/vmmerge/domains; }

[ -x "$NL" ] || die "$NL not built (make -C tests/tools)"
module_load || die "module did not load"
ksm_start 2000 10
knob stats_interval_ms 200

# ---- 1. a VMM that maps shared memory over its guest RAM
nl new-domain "domain{" name=ta "}" && nl new-group "group{" name=ga domain=ta "}" ||
	die "setup failed"
fake_start 0 --mib 4
check walk-register fake_add 0 ga
check walk-resident wait_until 10 resident_over 100 1000
kill -USR1 "${F_PID[0]}"
check walk-vma-shared-not-walked wait_until 10 resident_is 100 0
check walk-del nl del-vm "vm{" id=100 "}"

# ---- 2. a VMM that marks its memory mergeable itself, in an isolated domain
nl new-domain "domain{" name=iso flags=1 "}" && nl new-group "group{" name=gi domain=iso "}" ||
	die "setup failed"
fake_start 1 --mib 4 --self-merge --heap-merge
log "fake1 mergeable VMAs before registration: $(mergeable_vmas "${F_PID[1]}")"
[ "$(mergeable_vmas "${F_PID[1]}")" = 2 ] || fail self-merge-precondition "$(mergeable_vmas "${F_PID[1]}") mergeable VMAs, want 2"
check self-merge-register fake_add 1 gi
[ "$(vm_state 101)" = isolated ] && pass self-merge-isolated || fail self-merge-isolated "state $(vm_state 101)"
check self-merge-unmerged wait_until 5 none_mergeable "${F_PID[1]}"
kill -USR2 "${F_PID[1]}"
sleep 0.2
log "fake1 mergeable VMAs after re-marking: $(mergeable_vmas "${F_PID[1]}")"
check self-merge-again-unmerged wait_until 5 none_mergeable "${F_PID[1]}"
check self-merge-del nl del-vm "vm{" id=101 "}"

# ---- 3. a scope changes hands: un-merge first, enrol after
nl new-domain "domain{" name=pb flags=1 "}" && nl new-group "group{" name=gb domain=pb "}" &&
	nl new-domain "domain{" name=pa "}" && nl new-group "group{" name=gpa domain=pa "}" ||
	die "setup failed"
fake_start 2 --mib 2
fake_start 3 --mib 2
check order-register-f2 fake_add 2 gb
check order-register-f3 fake_add 3 gpa
check order-set-pb nl set-domain "domain{" name=pb flags=0 "}"
[ "$(vm_state 102)" = refused ] && [ "$(vm_state 103)" = enrolled ] && pass order-before ||
	fail order-before "f2 $(vm_state 102), f3 $(vm_state 103)"
"$NL" --listen 20 --count 2 >"$VMT_STATE/order.log" 2>&1 &
lpid=$!
wait_until 10 grep -q listening "$VMT_STATE/order.log"
check order-isolate-pa nl set-domain "domain{" name=pa flags=1 "}"
wait "$lpid" || true
cat "$VMT_STATE/order.log" >&2
first=$(grep -m1 '^vm-state' "$VMT_STATE/order.log")
second=$(grep '^vm-state' "$VMT_STATE/order.log" | sed -n 2p)
if [[ "$first" = *vm.id=103* && "$first" = *vm.state=2* && "$second" = *vm.id=102* && "$second" = *vm.state=1* ]]; then
	pass order-unmerge-before-enrol
else
	fail order-unmerge-before-enrol "events: $first / $second"
fi
[ "$(vm_state 102)" = enrolled ] && [ "$(vm_state 103)" = isolated ] && pass order-after ||
	fail order-after "f2 $(vm_state 102), f3 $(vm_state 103)"
check order-del nl del-vm "vm{" id=102 "}" && check order-del-3 nl del-vm "vm{" id=103 "}"

# ---- 4. a group changes domain with its VMs
nl new-domain "domain{" name=d1 "}" && nl new-domain "domain{" name=d2 "}" &&
	nl new-group "group{" name=gx domain=d1 "}" || die "setup failed"
fake_start 4 --mib 1
check nr-vms-register fake_add 4 gx
check nr-vms-move nl set-group "group{" name=gx domain=d2 "}"
[ "$(domain_vms d1)" = 0 ] && [ "$(domain_vms d2)" = 1 ] && pass nr-vms-follow-group ||
	fail nr-vms-follow-group "d1 $(domain_vms d1) VMs, d2 $(domain_vms d2)"
check nr-vms-del nl del-vm "vm{" id=104 "}"
[ "$(domain_vms d2)" = 0 ] && pass nr-vms-after-del || fail nr-vms-after-del "d2 $(domain_vms d2)"

# ---- 5. a sketch larger than one page
nl new-group "group{" name=gs domain=d2 "}" || die "setup failed"
fake_start 5 --mib 16 --patterns 4096
fake_start 6 --mib 16 --patterns 4096
check big-sketch-register fake_add 5 gs && check big-sketch-register-6 fake_add 6 gs
knob sketch_k 1024
sketch_entries() {
	local out
	out=$("$NL" get-sketch "hint{" group=gs "}" 2>&1) || { log "get-sketch: $out"; return 1; }
	out=$(tr ' ' '\n' <<<"$out" | sed -n 's/^hint\.sketch:bin=//p')
	log "sketch of gs: $((${#out} / 16)) entries"
	[ $((${#out} / 16)) = 1024 ]
}
check big-sketch wait_until 30 sketch_entries
knob sketch_k 512
check big-sketch-del nl del-vm "vm{" id=105 "}" && check big-sketch-del-6 nl del-vm "vm{" id=106 "}"

check unload module_unload
