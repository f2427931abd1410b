#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of placement hints, on a test VM with two NUMA nodes
# (run-vm --numa 2) and KSM merging per node (merge_across_nodes=0).
#
#   node 0: vm0, vm1  stack A (group a: the same sequence of distinct pages)
#   node 1: vm2       stack B (group b: another sequence)
#   all in domain t; domain u exists, empty, for the policy checks
#
# A query for stack A must rank node 0 above node 1, one for B node 1 above
# node 0; A's sketch exported and sent back in must give the same answer as
# the query by name; malformed sketches are refused with their errno.
. "$(dirname "$0")/lib.sh"

MEM=128

fully_sampled() {
	local id s p
	for id in 1 2 3; do
		s=$(vm_field "$id" estimate.samples)
		p=$(vm_field "$id" estimate.pages)
		[ -n "$s" ] && [ "$s" -ge "$p" ] || return 1
	done
}
nodes_known() {
	[ "$(vm_field 1 node)" = 0 ] && [ "$(vm_field 2 node)" = 0 ] &&
		[ "$(vm_field 3 node)" = 1 ]
}

# ranking OUTPUT: "node:permille:allowed ..." in the order of the reply.
ranking() {
	tr ' ' '\n' <<<"$1" | awk -F= '
		/^hint\.scopes\.[0-9]+\.node=/ { split($1, p, "."); n[p[3]] = $2 == 4294967295 ? "host" : $2 }
		/^hint\.scopes\.[0-9]+\.permille=/ { split($1, p, "."); m[p[3]] = $2 }
		/^hint\.scopes\.[0-9]+\.allowed=/ { split($1, p, "."); a[p[3]] = $2; if (p[3] > max) max = p[3] }
		END { for (i = 0; i <= max; i++) printf "%s:%s:%s ", n[i], m[i], a[i]; print "" }'
}

# node_permille RANKING NODE
node_permille() { tr ' ' '\n' <<<"$1" | awk -F: -v n="$2" '$1 == n { print $2 }'; }

[ -d /sys/devices/system/node/node1 ] || die "this test needs two NUMA nodes (run-vm --numa 2)"
[ -x "$NL" ] || die "$NL not built"
echo 2 >/sys/kernel/mm/ksm/run
echo 0 >/sys/kernel/mm/ksm/merge_across_nodes
on_exit 'echo 2 >/sys/kernel/mm/ksm/run; echo 1 >/sys/kernel/mm/ksm/merge_across_nodes'
module_load || die "module did not load"
ksm_start 1000 20
microvm_start 2 --mem "$MEM" --node 0 || die "microVMs on node 0 did not start"
microvm_start 1 --mem "$MEM" --node 1 || die "microVM on node 1 did not start"
microvm_cmd 0 "fill pages 40 11" 120 >/dev/null
microvm_cmd 1 "fill pages 40 11" 120 >/dev/null
microvm_cmd 2 "fill pages 40 23" 120 >/dev/null

knob estimate_interval_ms 500
# Under TCG a sample costs ~100x what it does on hardware: lift the CPU
# budget (tested on its own below) so that coverage takes seconds.
knob scan_cpu_permille 1000
knob stats_interval_ms 500
nl new-domain "domain{" name=t "}"
nl new-domain "domain{" name=u "}"
nl new-group "group{" name=a domain=t "}"
nl new-group "group{" name=b domain=t "}"
vmm_add 0 a && vmm_add 1 a && vmm_add 2 b || die "registration failed"
check nodes-known wait_until 30 nodes_known
check full-coverage wait_until 300 fully_sampled
sleep 2
# Freeze the index (no new estimation for 10 min): the queries below must
# all see the same one to be comparable.
knob estimate_interval_ms 600000
cat /proc/vmmerge/vms /proc/vmmerge/hints >&2

# ---- ranking by stack name
out_a=$("$NL" get-hint "hint{" group=a "}")
rank_a=$(ranking "$out_a")
out_b=$("$NL" get-hint "hint{" group=b "}")
rank_b=$(ranking "$out_b")
log "stack a: $rank_a"
log "stack b: $rank_b"
a0=$(node_permille "$rank_a" 0)
a1=$(node_permille "$rank_a" 1)
b0=$(node_permille "$rank_b" 0)
b1=$(node_permille "$rank_b" 1)
[ "$a0" -gt "$a1" ] && [ "$(cut -d: -f1 <<<"${rank_a%% *}")" = 0 ] &&
	pass hint-a-prefers-node0 || fail hint-a-prefers-node0 "$rank_a"
[ "$b1" -gt "$b0" ] && [ "$(cut -d: -f1 <<<"${rank_b%% *}")" = 1 ] &&
	pass hint-b-prefers-node1 || fail hint-b-prefers-node1 "$rank_b"
[ "$a0" -ge 500 ] && pass hint-a-share-high || fail hint-a-share-high "node0 ${a0}‰"

# ---- the exported sketch answers the same
sk=$("$NL" get-sketch "hint{" group=a "}")
hex=$(tr ' ' '\n' <<<"$sk" | sed -n 's/^hint\.sketch:bin=//p')
pages=$(tr ' ' '\n' <<<"$sk" | sed -n 's/^hint\.pages=//p')
zero=$(tr ' ' '\n' <<<"$sk" | sed -n 's/^hint\.zero-pages=//p')
log "sketch of a: $((${#hex} / 16)) entries, pages $pages zero $zero"
[ $((${#hex} / 16)) = "$(cat $SYS/sketch_k)" ] && pass sketch-size ||
	fail sketch-size "$((${#hex} / 16)) entries, sketch_k $(cat $SYS/sketch_k)"
out_s=$("$NL" get-hint "hint{" sketch="$hex" domain=t pages="$pages" zero-pages="$zero" "}")
rank_s=$(ranking "$out_s")
log "sketch a: $rank_s"
[ "$rank_s" = "$rank_a" ] && pass sketch-same-answer || fail sketch-same-answer "$rank_s vs $rank_a"
pages_a=$(tr ' ' '\n' <<<"$out_a" | sed -n 's/^hint\.scopes\.0\.pages=//p')
pages_s=$(tr ' ' '\n' <<<"$out_s" | sed -n 's/^hint\.scopes\.0\.pages=//p')
[ "$pages_a" = "$pages_s" ] && [ "$pages_a" -gt 0 ] && pass sketch-same-pages ||
	fail sketch-same-pages "$pages_s vs $pages_a"


# ---- the trust policy in answers: domain u on nodes held by t
out_u=$("$NL" get-hint "hint{" group=a domain=u "}")
log "stack a for domain u: $(ranking "$out_u")"
grep -q 'allowed=1' <<<"$out_u" && fail hint-policy-other-domain "allowed somewhere: $out_u" ||
	pass hint-policy-other-domain

# A domain created after the last estimation has no pages in the index.
nl new-domain "domain{" name=late "}"
out_l=$("$NL" get-hint "hint{" group=a domain=late "}")
log "stack a for domain late: $(ranking "$out_l")"
grep -q 'matched=[1-9]' <<<"$out_l" && fail hint-new-domain-empty "$out_l" ||
	pass hint-new-domain-empty

# ---- bad input
expect_fail hint-bad-size EINVAL "$NL" get-hint "hint{" sketch=01020304050607 domain=t "}"
expect_fail hint-bad-empty EINVAL "$NL" get-hint "hint{" sketch= domain=t "}"
expect_fail hint-bad-unsorted EINVAL "$NL" get-hint "hint{" \
	sketch=00000000000000f00000000000000010 domain=t "}"
expect_fail hint-bad-duplicate EINVAL "$NL" get-hint "hint{" \
	sketch=00000000000000f000000000000000f0 domain=t "}"
expect_fail hint-bad-stack ENOENT "$NL" get-hint "hint{" group=nope "}"
expect_fail hint-bad-domain ENOENT "$NL" get-hint "hint{" group=a domain=nope "}"
expect_fail hint-missing-domain EINVAL "$NL" get-hint "hint{" sketch="$hex" "}"
expect_fail hint-missing-all EINVAL "$NL" get-hint "hint{" domain=t "}"
big=$(printf '%016x' $(seq 16 4112) | head -c $((4097 * 16)))
expect_fail hint-too-long - "$NL" get-hint "hint{" sketch="$big" domain=t "}"
expect_fail sketch-unknown-group ENOENT "$NL" get-sketch "hint{" group=nope "}"
for v in 8 5000 x; do
	old=$(cat $SYS/sketch_k)
	if echo "$v" >$SYS/sketch_k 2>/dev/null || [ "$(cat $SYS/sketch_k)" != "$old" ]; then
		fail "bad-knob-sketch_k=$v" "accepted"
	else
		pass "bad-knob-sketch_k=$v"
	fi
done
check unload module_unload
