#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of merge scopes per NUMA node (run-vm --numa 2, KSM with
# merge_across_nodes=0), with fake VMMs (tests/vm/fakevmm.py):
#
#   node 0: fa (domain na, all pages)      fb (domain nb, 30% of its pages)
#   node 1:                                fb (domain nb, 70% of its pages)
#
# KSM merges a page with pages of its own node, so fb is in the scope of
# both nodes. fa holds node 0; fb must be refused there, though most of its
# pages are on node 1 (a majority vote would put it on free node 1 alone).
# Once fa is gone, fb is enrolled, and holds node 0 against na in turn.
. "$(dirname "$0")/lib.sh"

FAKE=$VMT_REPO/tests/vm/fakevmm.py

fake_start() { # fake_start NAME [options]: start a fake VMM, read its range
	local out=$VMT_STATE/$1
	shift
	rm -f "$out"
	python3 "$FAKE" "$out" "$@" &
	wait_until 20 test -s "$out" || die "fake VMM did not start"
	on_exit kill "$(cut -d' ' -f1 "$out")"
}

fake_add() { # fake_add NAME ID GROUP
	local pid start len
	read -r pid start len <"$VMT_STATE/$1"
	nl add-vm "vm{" id="$2" name="$1" pid="$pid" group="$3" \
		"regions{" "region{" start="$start" length="$len" "}" "}" "}"
}

state_is() { [ "$(vm_state "$1")" = "$2" ]; }
reason() { awk -v id="$1" '$1 == id { for (i = 16; i <= NF; i++) printf "%s ", $i }' /proc/vmmerge/vms; }

[ "$(ls -d /sys/devices/system/node/node* | wc -l)" = 2 ] || die "needs two NUMA nodes (run-vm --numa 2)"
[ -x "$NL" ] || die "$NL not built (make -C tests/tools)"
echo 2 >/sys/kernel/mm/ksm/run
echo 0 >/sys/kernel/mm/ksm/merge_across_nodes || die "cannot set merge_across_nodes=0"
on_exit 'echo 2 >/sys/kernel/mm/ksm/run; echo 1 >/sys/kernel/mm/ksm/merge_across_nodes'
module_load || die "module did not load"
knob stats_interval_ms 200
ksm_start 2000 10

nl new-domain "domain{" name=na "}" && nl new-group "group{" name=ga domain=na "}" &&
	nl new-domain "domain{" name=nb "}" && nl new-group "group{" name=gb domain=nb "}" ||
	die "setup failed"
fake_start fa --mib 4 --nodes 0,0 --split 100
fake_start fb --mib 8 --nodes 0,1 --split 30
check numa-add-fa fake_add fa 1 ga
check numa-fa-enrolled wait_until 5 state_is 1 enrolled
check numa-add-fb fake_add fb 2 gb
# The walk has seen where fb's pages are (first refresh after registration).
sleep 1
log "fb: node $(awk '$1 == 2 { print $6 }' /proc/vmmerge/vms), state $(vm_state 2), reason $(reason 2)"
check numa-spanning-vm-refused state_is 2 refused
[[ "$(reason 2)" = *"node 0 is held by domain na"* ]] && pass numa-refused-reason ||
	fail numa-refused-reason "$(reason 2)"
check numa-del-fa nl del-vm "vm{" id=1 "}"
check numa-fb-enrolled-after wait_until 5 state_is 2 enrolled
# fb's pages on node 0 make node 0 nb's now.
check numa-add-fa-again fake_add fa 3 ga
check numa-fa-refused-per-node wait_until 5 state_is 3 refused
check numa-del-all nl del-vm "vm{" id=3 "}"
check numa-del-fb nl del-vm "vm{" id=2 "}"
check unload module_unload
