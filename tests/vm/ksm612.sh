#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of what 6.12's KSM offers beside the module, with fake VMMs
# (tests/vm/fakevmm.py: anonymous "guest RAM", no guest): VMMs that called
# prctl(PR_SET_MEMORY_MERGE) (6.4), and the per-process and host-wide KSM
# counters (/proc/PID/ksm_stat with ksm_zero_pages, 6.6;
# /sys/kernel/mm/ksm/ksm_zero_pages) that the module's figures must agree
# with. It runs in the ksm612 suite, on the 6.12 test kernel only; on a
# kernel without those it fails its precondition.
#
#   domain iso (isolated) ── group gi ── a0 (prctl merge-any from the start,
#                                            then maps new memory)
#                                    └── b0 (calls prctl once registered)
#   domain ten ── group gt ── c0, c1 (guest RAM only, 25% zero pages)
#              └── group gp ── p0 (prctl merge-any, maps "heap" memory)
#
# 1. merge-any: a0 merges by itself before it is registered (the
#    precondition: KSM merges a merge-any process unaided); registered in
#    iso it is reported with merge-any=1 (netlink and /proc/vmmerge/vms),
#    its reason says it is un-merged each pass, and it is un-merged: no
#    mergeable VMA, ksm_merging_pages 0, no KSM page by PFN (ksmpfn). b0
#    starts with merge-any=0 and shows 1 within a pass of its prctl().
# 2. new-memory: with no policy pass due (stats and estimate intervals at
#    600 s), a0 maps 4 MiB of repeating content: it is mergeable from birth
#    and ksmd merges it (the window between two passes); the next pass
#    un-merges it: no mergeable VMA, ksm_merging_pages 0, no KSM page in
#    guest RAM or the new mapping, and none for 5 s after.
# 3. cross-check: c0, c1 enrolled, use_zero_pages=1. Once ksmd has merged
#    them and done two more full scans it is stopped (run=0 keeps merged
#    pages and freezes its counters) and the module refreshes twice; then
#    per VM MERGED = ksm_merging_pages and ZERO = ksm_zero_pages exactly,
#    and RESIDENT - ZERO <= ksm_rmap_items <= RESIDENT; host-wide the VMs'
#    ZERO sum to /sys/kernel/mm/ksm/ksm_zero_pages and their MERGED to
#    pages_shared + pages_sharing, exactly.
# 4. enrolled merge-any: p0 in ten is enrolled, merge-any=1, its reason
#    says more than guest RAM merges, and once it mapped 4 MiB of "heap"
#    its ksm_merging_pages exceeds the module's MERGED by that heap.
. "$(dirname "$0")/lib.sh"

FAKE=$VMT_REPO/tests/vm/fakevmm.py
KSMPFN=$VMT_REPO/tests/tools/ksmpfn
declare -A F_PID F_START F_LEN

# fake_start NAME [fakevmm options]: start fake VMM NAME, wait for its range.
fake_start() {
	local n=$1 out=$VMT_STATE/$1
	shift
	rm -f "$out" "$out.new"
	python3 "$FAKE" "$out" "$@" &
	wait_until 20 test -s "$out" || die "fake VMM $n did not start ($*)"
	read -r "F_PID[$n]" "F_START[$n]" "F_LEN[$n]" <"$out"
	on_exit kill "${F_PID[$n]}"
	log "$n: pid ${F_PID[$n]} ram ${F_START[$n]} +${F_LEN[$n]} ($*)"
}

fake_add() { # fake_add NAME ID GROUP
	nl add-vm "vm{" id="$2" name="$1" pid="${F_PID[$1]}" group="$3" \
		"regions{" "region{" start="${F_START[$1]}" length="${F_LEN[$1]}" "}" "}" "}"
}

fake_stop() { # fake_stop NAME ID: unregister and end fake NAME
	nl del-vm "vm{" id="$2" "}"
	kill "${F_PID[$1]}" 2>/dev/null
	wait "${F_PID[$1]}" 2>/dev/null || true
}

ksm_stat() { awk -v f="$2" '$1 == f { print $2 }' "/proc/$1/ksm_stat"; }
col() { awk -v id="$1" -v c="$2" '$1 == id { print $c }' /proc/vmmerge/vms; }
reason() { awk -v id="$1" '$1 == id { for (i = 16; i <= NF; i++) printf "%s ", $i }' /proc/vmmerge/vms; }
mergeable_vmas() { grep -c '^VmFlags:.* mg' "/proc/$1/smaps" || true; }
none_mergeable() { [ "$(mergeable_vmas "$1")" = 0 ]; }
not_merging() { [ "$(ksm_stat "$1" ksm_merging_pages)" = 0 ]; }
merging() { [ "$(ksm_stat "$1" ksm_merging_pages)" -gt "$2" ]; }
refreshes() { cat "$SYS/stats_refreshes"; }
# refreshed N: wait until N more statistics refreshes (each ends with a
# policy pass) have run since now.
refreshed() {
	local want=$(($(refreshes) + $1))
	wait_until 30 eval '[ "$(refreshes)" -ge '"$want"' ]'
}
merge_any_is() { [ "$(vm_field "$1" merge-any)" = "$2" ] && [ "$(col "$1" 15)" = "$3" ]; }
full_scans_past() { [ "$(ksm_get full_scans)" -ge "$1" ]; }

# vma_mergeable PID START: the VMA at START has VM_MERGEABLE ("mg").
vma_mergeable() {
	awk -v s="${2#0x}" '
		/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); here = (r[1] == s); next }
		here && /^VmFlags:/ { found = / mg/; exit }
		END { exit !found }' "/proc/$1/smaps"
}

[ -x "$NL" ] || die "$NL not built (make -C tests/tools)"
[ -r /proc/self/ksm_stat ] && grep -q '^ksm_zero_pages' /proc/self/ksm_stat &&
	[ -r "$VMT_KSM/ksm_zero_pages" ] ||
	die "kernel $(uname -r) has no ksm_stat with ksm_zero_pages or no $VMT_KSM/ksm_zero_pages (6.6+; this is the 6.12 suite)"
module_load || die "module did not load"
zp_saved=$(ksm_get use_zero_pages)
on_exit "echo $zp_saved >$VMT_KSM/use_zero_pages"
echo 1 >"$VMT_KSM/use_zero_pages"
ksm_start 2000 10
knob stats_interval_ms 200

nl new-domain "domain{" name=iso flags=1 "}" && nl new-group "group{" name=gi domain=iso "}" &&
	nl new-domain "domain{" name=ten "}" && nl new-group "group{" name=gt domain=ten "}" &&
	nl new-group "group{" name=gp domain=ten "}" || die "setup failed"

# ---- 1. a merge-any VMM in an isolated domain
fake_start a0 --mib 4 --prctl-merge
a=${F_PID[a0]}
check merge-any-merges-unaided wait_until 60 merging "$a" 0
log "a0 before registration: ksm_stat $(tr '\n' ' ' <"/proc/$a/ksm_stat") mergeable VMAs $(mergeable_vmas "$a")"
a_ram="!iso:$a:${F_START[a0]}:${F_LEN[a0]}"
# ksmpfn must see them, or its "no KSM page" below would prove nothing.
rc=0
out=$("$KSMPFN" "$a_ram" 2>&1) || rc=$?
echo "$out" >&2
[ "$rc" = 1 ] && grep -q 'VIOLATION isolated' <<<"$out" && pass merge-any-ksmpfn-sees-merged ||
	fail merge-any-ksmpfn-sees-merged "ksmpfn exited $rc before registration: $(tail -n 1 <<<"$out")"
check merge-any-register fake_add a0 1 gi
merge_any_is 1 1 yes && pass merge-any-reported ||
	fail merge-any-reported "netlink merge-any=$(vm_field 1 merge-any), /proc column $(col 1 15)"
[ "$(vm_state 1)" = isolated ] && [[ "$(reason 1)" = *"un-merged each pass"* ]] &&
	pass merge-any-reason || fail merge-any-reason "state $(vm_state 1), reason $(reason 1)"
check merge-any-no-mergeable-vma wait_until 10 none_mergeable "$a"
check merge-any-not-merging wait_until 10 not_merging "$a"
check merge-any-no-ksm-page "$KSMPFN" "$a_ram"

fake_start b0 --mib 1
check merge-any-late-register fake_add b0 2 gi
merge_any_is 2 0 no && pass merge-any-off-reported ||
	fail merge-any-off-reported "netlink merge-any=$(vm_field 2 merge-any), /proc column $(col 2 15)"
kill -WINCH "${F_PID[b0]}"
check merge-any-late-reported wait_until 10 merge_any_is 2 1 yes
# What an operator sees: vmmergectl's JSON and the agent's library parse it.
ctl_any=$("$VMT_REPO/agent/vmmergectl" vms --json | python3 -c '
import json, sys
print(" ".join("%s=%s" % (v["id"], v["merge_any"]) for v in sorted(json.load(sys.stdin), key=lambda v: int(v["id"]))))')
[ "$ctl_any" = "1=True 2=True" ] && pass merge-any-in-vmmergectl ||
	fail merge-any-in-vmmergectl "vmmergectl vms --json: $ctl_any"
check merge-any-late-unmerged wait_until 10 none_mergeable "${F_PID[b0]}"
fake_stop b0 2

# ---- 2. new memory of a merge-any VMM, between passes and after
# The interval change itself runs one refresh (vmm_stats_kick), then none.
before=$(refreshes)
knob estimate_interval_ms 600000
knob stats_interval_ms 600000
check new-memory-passes-held wait_until 30 eval '[ "$(refreshes)" -gt '"$before"' ]'
before=$(refreshes)
kill -HUP "$a"
wait_until 20 test -s "$VMT_STATE/a0.new" || die "a0 did not map new memory"
read -r new_start new_len <"$VMT_STATE/a0.new"
log "a0 new mapping $new_start +$new_len; smaps: $(mergeable_vmas "$a") mergeable VMAs"
vma_mergeable "$a" "$new_start" && pass new-memory-mergeable-at-birth ||
	fail new-memory-mergeable-at-birth "the new VMA of a merge-any VMM is not VM_MERGEABLE"
check new-memory-merged-between-passes wait_until 60 merging "$a" 0
[ "$(refreshes)" = "$before" ] || log "warning: $(( $(refreshes) - before )) refreshes ran meanwhile"
knob estimate_interval_ms 1000
knob stats_interval_ms 200
check new-memory-pass refreshed 2
check new-memory-no-mergeable-vma wait_until 10 none_mergeable "$a"
check new-memory-not-merging wait_until 10 not_merging "$a"
new_ram="!iso:$a:$new_start:$new_len"
check new-memory-no-ksm-page "$KSMPFN" "$a_ram" "$new_ram"
check new-memory-stays-unmerged "$KSMPFN" --watch 5 "$a_ram" "$new_ram"
fake_stop a0 1

# ---- 3. the module's figures against KSM's own counters
# Small pages only: on 6.12 splitting a huge page maps its zero-filled
# small pages to the zero page without KSM (ZERO counts them, KSM does not:
# 379 of 525 zero pages of a THP-backed fake in a first run).
fake_start c0 --mib 8 --zero 25 --no-thp
fake_start c1 --mib 8 --zero 25 --no-thp
check xcheck-register fake_add c0 3 gt && check xcheck-register-1 fake_add c1 4 gt
[ "$(vm_state 3)" = enrolled ] && [ "$(vm_state 4)" = enrolled ] && [ "$(col 3 15)" = no ] &&
	pass xcheck-enrolled || fail xcheck-enrolled "c0 $(vm_state 3) merge-any $(col 3 15), c1 $(vm_state 4)"
# Of 2048 pages each: 512 zero, 1536 of 16 patterns that KSM merges.
settled() {
	local p
	for p in "${F_PID[c0]}" "${F_PID[c1]}"; do
		[ "$(ksm_stat "$p" ksm_merging_pages)" -ge 1500 ] &&
			[ "$(ksm_stat "$p" ksm_zero_pages)" -ge 500 ] || return 1
	done
}
check xcheck-ksm-merged wait_until 180 settled
scans=$(($(ksm_get full_scans) + 2))
check xcheck-two-more-scans wait_until 120 full_scans_past "$scans"
echo 0 >"$VMT_KSM/run"
check xcheck-refreshed refreshed 2
cat /proc/vmmerge/vms >&2
ksm_report
log "host ksm_zero_pages=$(ksm_get ksm_zero_pages)"
sum_merged=0
sum_zero=0
for n in c0 c1; do
	id=$([ $n = c0 ] && echo 3 || echo 4)
	p=${F_PID[$n]}
	resident=$(col $id 8) merged=$(col $id 9) zero=$(col $id 11)
	k_merging=$(ksm_stat "$p" ksm_merging_pages) k_zero=$(ksm_stat "$p" ksm_zero_pages)
	k_rmap=$(ksm_stat "$p" ksm_rmap_items)
	log "$n: module resident $resident merged $merged zero $zero; ksm_stat merging $k_merging zero $k_zero rmap_items $k_rmap"
	[ "$merged" -ge 1000 ] && [ "$zero" -ge 256 ] && pass "xcheck-$n-figures" ||
		fail "xcheck-$n-figures" "merged $merged, zero $zero: too few to compare"
	[ "$merged" = "$k_merging" ] && pass "xcheck-$n-merged" ||
		fail "xcheck-$n-merged" "module MERGED $merged, ksm_merging_pages $k_merging"
	[ "$zero" = "$k_zero" ] && pass "xcheck-$n-zero" ||
		fail "xcheck-$n-zero" "module ZERO $zero, ksm_zero_pages $k_zero"
	[ $((resident - zero)) -le "$k_rmap" ] && [ "$k_rmap" -le "$resident" ] &&
		pass "xcheck-$n-rmap-items" ||
		fail "xcheck-$n-rmap-items" "ksm_rmap_items $k_rmap outside [RESIDENT - ZERO, RESIDENT] = [$((resident - zero)), $resident]"
	sum_merged=$((sum_merged + merged))
	sum_zero=$((sum_zero + zero))
done
[ "$sum_zero" = "$(ksm_get ksm_zero_pages)" ] && pass xcheck-host-zero ||
	fail xcheck-host-zero "VMs' ZERO sum to $sum_zero, $VMT_KSM/ksm_zero_pages is $(ksm_get ksm_zero_pages)"
k_mapped=$(($(ksm_get pages_shared) + $(ksm_get pages_sharing)))
[ "$sum_merged" = "$k_mapped" ] && pass xcheck-host-merged ||
	fail xcheck-host-merged "VMs' MERGED sum to $sum_merged, pages_shared + pages_sharing is $k_mapped"
fake_stop c0 3
fake_stop c1 4

# ---- 4. an enrolled merge-any VMM: more than guest RAM merges
ksm_start 2000 10
fake_start p0 --mib 4 --prctl-merge
check any-enrolled-register fake_add p0 5 gp
[ "$(vm_state 5)" = enrolled ] && [[ "$(reason 5)" = *"more than guest RAM"* ]] &&
	merge_any_is 5 1 yes && pass any-enrolled-reported ||
	fail any-enrolled-reported "state $(vm_state 5), merge-any $(col 5 15), reason $(reason 5)"
# Guest RAM first: 1024 pages of 16 patterns, all of which merge; MERGED
# cannot grow after, so what ksm_merging_pages has beyond it is not guest RAM.
check any-enrolled-ram-merged wait_until 120 eval '[ "$(col 5 9)" -ge 1024 ]'
kill -HUP "${F_PID[p0]}"
wait_until 20 test -s "$VMT_STATE/p0.new" || die "p0 did not map new memory"
# The 4 MiB "heap" is 1024 pages of 16 patterns too.
heap_merged() {
	local k m
	k=$(ksm_stat "${F_PID[p0]}" ksm_merging_pages)
	m=$(col 5 9)
	log "p0: ksm_merging_pages $k, module MERGED $m"
	[ $((k - m)) -ge 1000 ]
}
check any-enrolled-heap-merged wait_until 120 heap_merged
fake_stop p0 5

check unload module_unload
