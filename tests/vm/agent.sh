#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of the agent (vmmerged) and the CLI (vmmergectl) against the
# real module, with real nested microVMs started after the agent.
#
#   vmmerged ──(proc connector: exec of qemu-system-*)──┐
#      │        /proc/PID/cmdline -> rules -> stack      │ /proc/PID/maps
#      ▼ genl                                            ▼ -> guest RAM
#   vmmerge.ko   domain tenant-a ── group python3.11 ── python-0, python-1
#                                └─ group node20     ── node-0,   node-1
#
# 1. discovery through the proc connector + maps only (no /proc rescan):
#    all four VMs registered, each in the group its -name marker selects
# 2. killing a VMM removes its VM within 2 s
# 3. /metrics passes `promtool check metrics`; per-stack savings equal
#    /proc/vmmerge/groups
# 4. SIGKILL and restart the agent: same VMs, none lost or duplicated
# 5. rmmod + insmod: the agent re-feeds the module (same VMs and groups)
# 6. vmmergectl: status/vms/stacks/groups/domains/hints --json (VM ids as
#    strings), remove/add, bad input; estimates (YIELD) and placement
#    hints in the CLI and metrics
# 7. KSM tuning: slow while idle, fast when VMs arrive, slower once merged
. "$(dirname "$0")/lib.sh"

AGENT=$VMT_REPO/agent/vmmerged
CTL=$VMT_REPO/agent/vmmergectl
CONF=/tmp/vmmerged.conf
ALOG=/tmp/vmmerged.log
PORT=9873
URL=http://127.0.0.1:$PORT/metrics
MEM=256
AGENT_PID=

# "ID PID" of every registered VM, sorted (vm_rows is in lib.sh).
vm_ids() { awk 'NR > 1 { print $1, $3 }' /proc/vmmerge/vms | sort; }

# expected_rows: what vm_rows must show for the live microVMs.
expected_rows() {
	local i g
	for ((i = 0; i < MV_COUNT; i++)); do
		[ -n "${MV_PID[$i]}" ] || continue
		case "${MV_NAME[$i]}" in
		python-*) g=python3.11 ;;
		node-*) g=node20 ;;
		*) g=unclassified ;;
		esac
		echo "${MV_PID[$i]} $g tenant-a"
	done | sort
}

agent_start() {
	log "starting $AGENT -c $CONF"
	"$AGENT" -c "$CONF" >>"$ALOG" 2>&1 &
	AGENT_PID=$!
	wait_until 10 curl -sf -o /dev/null "$URL"
}

# metric NAME{LABELS}: the value of one sample of the last scrape.
metric() { awk -v n="$1" '$1 == n { print $2 }' /tmp/metrics.txt; }
scrape() { curl -sf -o /tmp/metrics.txt "$URL"; }

write_config() {
	cat >"$CONF" <<EOF
[agent]
listen = 127.0.0.1:$PORT
vmm = qemu-system-*
sources = proc
default_stack = unclassified
default_domain = tenant-a
# no periodic /proc rescan: new VMMs must come from the proc connector
rescan_interval = 3600

[domain tenant-a]
isolated = no

[domain tenant-secret]
isolated = yes

[rule python]
exe = /qemu-system-x86_64\$
cmdline = -name python-[0-9]+
stack = python3.11
mem_mib = $MEM

[rule node]
cmdline = -name node-[0-9]+
stack = node20

[ksm]
tune = yes
pages_to_scan_min = 100
pages_to_scan_max = 2000
sleep_ms_min = 20
sleep_ms_max = 500
EOF
	log "config: $(tr '\n' '|' <"$CONF")"
}

on_exit 'agent_kill; log "agent log:"; sed "s/^/  vmmerged| /" "$ALOG" >&2'

[ -x "$AGENT" ] && [ -x "$CTL" ] || die "agent not built (make -C agent)"
command -v promtool >/dev/null || die "promtool missing (scripts/setup)"
# The test VM's init leaves the loopback interface down.
ip link set lo up || die "cannot bring up lo"
: >"$ALOG"
write_config
check config-valid "$AGENT" -c "$CONF" --check-config
module_load || die "module did not load"
echo 500 >/sys/kernel/vmmerge/stats_interval_ms
ksm_start 1000 20
agent_start || die "vmmerged did not come up"
pass agent-up
ksm_rate() { echo "$(ksm_get pages_to_scan) $(ksm_get sleep_millisecs)"; }
if wait_until 10 eval '[ "$(ksm_rate)" = "100 500" ]'; then pass ksm-slow-when-idle; else
	fail ksm-slow-when-idle "pages_to_scan/sleep_millisecs $(ksm_rate)"
fi

# ---- 1. discovery of VMMs started after the agent, proc connector only
microvm_start 2 --name python- --mem "$MEM" || die "python microVMs did not start"
microvm_start 2 --name node- --mem "$MEM" || die "node microVMs did not start"
if wait_until 20 rows_as_expected; then
	pass discover-all-four
else
	fail discover-all-four "module has [$(vm_rows | tr '\n' ';')] want [$(expected_rows | tr '\n' ';')]"
fi
cat /proc/vmmerge/vms /proc/vmmerge/groups >&2
# Regions must be exactly the guest RAM microvm_start found.
ok=1
for ((i = 0; i < 4; i++)); do
	got=$("$CTL" vms --json | python3 -c '
import json, sys
pid = int(sys.argv[1])
for vm in json.load(sys.stdin):
    if vm["pid"] == pid:
        print(" ".join("%#x %d" % (r["start"], r["length"]) for r in vm["regions"]))
' "${MV_PID[$i]}")
	want="${MV_RAM_START[$i]} ${MV_RAM_LEN[$i]}"
	[ "$got" = "$want" ] || { ok=0; log "vm$i region [$got] want [$want]"; }
done
[ "$ok" = 1 ] && pass regions-exact || fail regions-exact "see the log"

# ---- 2. a VMM that dies leaves the registry within 2 s
victim=${MV_PID[3]}
t0=$(date +%s%N)
microvm_kill 3
if wait_until 2 eval "! awk -v p=$victim '\$3 == p' /proc/vmmerge/vms | grep -q ."; then
	pass exit-removed-2s
	log "vm3 gone after $((($(date +%s%N) - t0) / 1000000)) ms"
else
	fail exit-removed-2s "pid $victim still registered"
fi
rows_as_expected && pass three-left || fail three-left "$(vm_rows | tr '\n' ';')"

# ---- 3. metrics
wait_until 60 eval '[ "$(awk "NR > 1 && \$9 > 0" /proc/vmmerge/groups | wc -l)" -ge 2 ]' ||
	log "not every group saves memory yet"
if scrape; then
	pass metrics-scrape
	if promtool check metrics </tmp/metrics.txt >/tmp/promtool.out 2>&1; then
		pass metrics-promtool
	else
		fail metrics-promtool "$(head -n 5 /tmp/promtool.out)"
	fi
else
	fail metrics-scrape "curl $URL failed"
fi
# Savings per stack as /proc/vmmerge/groups shows them; the two reads may
# straddle a statistics refresh, so allow a few attempts.
page=$(getconf PAGESIZE)
savings_match() {
	local before after s name pages m
	before=$(awk 'NR > 1 { print $1, $7 }' /proc/vmmerge/groups)
	scrape || return 1
	after=$(awk 'NR > 1 { print $1, $7 }' /proc/vmmerge/groups)
	[ "$before" = "$after" ] || return 1
	while read -r name pages; do
		m=$(metric "vmmerge_stack_saved_bytes{stack=\"$name\",domain=\"tenant-a\"}")
		log "stack $name: /proc $pages pages = $((pages * page)) B, metrics $m B"
		[ "$m" = "$((pages * page))" ] || return 1
	done <<<"$before"
}
# While ksmd merges, the figures move at every refresh: freeze them (a
# knob change refreshes at once, then not again for 10 minutes).
echo 600000 >/sys/kernel/vmmerge/stats_interval_ms
sleep 1
if wait_until 20 savings_match; then pass metrics-stack-savings; else
	fail metrics-stack-savings "metrics and /proc/vmmerge/groups disagree"
fi
echo 1000 >/sys/kernel/vmmerge/stats_interval_ms
[ "$(metric vmmerge_vms)" = 3 ] && pass metrics-vms || fail metrics-vms "vmmerge_vms $(metric vmmerge_vms)"
[ "$(metric vmmerge_up)" = 1 ] && pass metrics-up || fail metrics-up "vmmerge_up $(metric vmmerge_up)"
reg=$(metric vmmerged_vm_registered_total)
[ "$reg" = 4 ] && pass metrics-registered || fail metrics-registered "registered $reg, want 4"

# ---- 4. agent killed and restarted
before=$(vm_ids)
agent_kill KILL
sleep 1
[ "$(vm_ids)" = "$before" ] && pass agent-death-keeps-vms || fail agent-death-keeps-vms "$(vm_ids | tr '\n' ';')"
# A rate of its own for the restarted agent to find and to put back on stop.
echo 1234 >/sys/kernel/mm/ksm/pages_to_scan
echo 37 >/sys/kernel/mm/ksm/sleep_millisecs
agent_start || fail agent-restart "vmmerged did not come up again"
sleep 3
after=$(vm_ids)
if [ "$after" = "$before" ] && [ "$(nr_vms)" = 3 ]; then pass agent-restart-no-loss-no-dup; else
	fail agent-restart-no-loss-no-dup "before [$(tr '\n' ';' <<<"$before")] after [$(tr '\n' ';' <<<"$after")]"
fi
scrape
log "after restart: adopted $(metric vmmerged_vm_adopted_total) registered $(metric vmmerged_vm_registered_total)"
[ "$(metric vmmerged_vm_adopted_total)" = 3 ] && [ "$(metric vmmerged_vm_registered_total)" = 0 ] &&
	pass agent-restart-adopts || fail agent-restart-adopts "adopted $(metric vmmerged_vm_adopted_total) registered $(metric vmmerged_vm_registered_total)"

# ---- 5. module reloaded: the agent re-feeds it
module_unload || die "rmmod failed"
sleep 1
module_load || die "insmod failed"
echo 500 >/sys/kernel/vmmerge/stats_interval_ms
t0=$SECONDS
if wait_until 15 rows_as_expected; then
	pass module-reload-refed
	log "re-fed after $((SECONDS - t0)) s"
else
	fail module-reload-refed "module has [$(vm_rows | tr '\n' ';')]"
fi
grep -q '^tenant-secret  *yes' /proc/vmmerge/domains && pass module-reload-domains ||
	fail module-reload-domains "$(tr '\n' ';' </proc/vmmerge/domains)"

# ---- 6. vmmergectl against the module
for c in status vms stacks groups domains; do
	if "$CTL" "$c" --json | python3 -m json.tool >/dev/null; then pass "ctl-$c-json"; else
		fail "ctl-$c-json" "vmmergectl $c --json is not JSON"
	fi
	check "ctl-$c" "$CTL" "$c"
done
n=$("$CTL" vms --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
[ "$n" = 3 ] && pass ctl-vms-count || fail ctl-vms-count "$n VMs"
# VM ids are JSON strings (jq rounds numbers past 2^53), the module's ids.
json_ids=$("$CTL" vms --json | python3 -c '
import json, sys
print(" ".join(sorted(v["id"] if isinstance(v["id"], str) and v["id"].isdigit()
                      else "not-a-string:%r" % v["id"] for v in json.load(sys.stdin))))')
proc_ids=$(awk 'NR > 1 { print $1 }' /proc/vmmerge/vms | LC_ALL=C sort | tr '\n' ' ')
[ -n "$json_ids" ] && [ "$json_ids " = "$proc_ids" ] && pass ctl-vms-json-id-string ||
	fail ctl-vms-json-id-string "json [$json_ids] /proc/vmmerge/vms [$proc_ids]"
name=$("$CTL" vms --json | python3 -c '
import json, sys
print([v["name"] for v in json.load(sys.stdin) if v["pid"] == int(sys.argv[1])][0])' "${MV_PID[2]}")
check ctl-remove "$CTL" remove "$name"
awk -v p="${MV_PID[2]}" 'NR > 1 && $3 == p' /proc/vmmerge/vms | grep -q . &&
	fail ctl-remove-gone "still registered" || pass ctl-remove-gone
check ctl-add "$CTL" add --pid "${MV_PID[2]}" --stack node20 --domain tenant-a --mem "$MEM"
rows_as_expected && pass ctl-add-back || fail ctl-add-back "$(vm_rows | tr '\n' ';')"

# Bad input: exit status 1 and exactly one line on stderr.
one_line_error() { # NAME PATTERN CMD...
	local name=$1 pat=$2 err rc=0
	shift 2
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	log "$* -> $rc: $err"
	if [ "$rc" = 0 ]; then fail "$name" "succeeded"; return; fi
	if [ "$(wc -l <<<"$err")" != 1 ]; then fail "$name" "not one line: $err"; return; fi
	grep -qiE -- "$pat" <<<"$err" && pass "$name" || fail "$name" "message '$err' lacks /$pat/"
}
one_line_error ctl-bad-pid 'No such process|not found|No such' "$CTL" add --pid 4000000 --stack x
one_line_error ctl-bad-stack 'invalid|name' "$CTL" add --pid "${MV_PID[0]}" --stack 'bad name' --mem "$MEM"
one_line_error ctl-dup-vm 'exists' "$CTL" add --pid "${MV_PID[0]}" --stack python3.11 --domain tenant-a --mem "$MEM"
one_line_error ctl-remove-unknown 'No VM' "$CTL" remove no-such-vm
one_line_error ctl-bad-region 'region|mapping|Invalid' "$CTL" add --pid $$ --id 777 --name bad-region --stack y --region 0x1000:0x1000
one_line_error ctl-hints-unknown 'No such|group|stack' "$CTL" hints --stack no-such-stack
err=$("$CTL" frobnicate 2>&1 >/dev/null) && fail ctl-bad-subcommand "succeeded" ||
	{ head -n 1 <<<"$err" | grep -q 'Invalid subcommand' && pass ctl-bad-subcommand ||
		fail ctl-bad-subcommand "$err"; }
one_line_error ctl-bad-flag 'Usage' "$CTL" vms --jsn

# ---- estimates and hints
"$CTL" vms | head -n 1 | grep -qw YIELD && pass ctl-vms-yield || fail ctl-vms-yield "no YIELD column"
"$CTL" groups | head -n 1 | grep -qw YIELD && pass ctl-groups-yield || fail ctl-groups-yield "no YIELD column"
check ctl-hints "$CTL" hints
check ctl-hints-stack "$CTL" hints --stack python3.11
# After the reload and the remove/add, VMs are sampled afresh: wait for it.
hints_json() {
	"$CTL" hints --json | python3 -c '
import json, sys
h = json.load(sys.stdin)
print(" ".join(sorted("%s:%d" % (x["stack"], len(x["scopes"])) for x in h)))'
}
both_hinted() { hj=$(hints_json); grep -q 'node20:[1-9]' <<<"$hj" && grep -q 'python3.11:[1-9]' <<<"$hj"; }
min_samples() {
	"$CTL" vms --json | python3 -c '
import json, sys
print(min(v["estimate"]["samples"] for v in json.load(sys.stdin)))'
}
wait_until 60 both_hinted && pass ctl-hints-json || fail ctl-hints-json "hints $hj"
log "hints: $hj"
wait_until 60 eval '[ "$(min_samples)" -gt 0 ]' && pass ctl-vms-estimate ||
	fail ctl-vms-estimate "min samples $(min_samples)"
"$CTL" vms >&2
"$CTL" hints >&2
scrape
grep -c '^vmmerge_vm_yield_ratio{' /tmp/metrics.txt | grep -qx 3 && pass metrics-vm-yield ||
	fail metrics-vm-yield "$(grep -c '^vmmerge_vm_yield_ratio{' /tmp/metrics.txt) samples"
hs=$(metric 'vmmerge_hint_share_ratio{stack="python3.11",domain="tenant-a",scope="host"}')
log "python3.11 host share $hs"
[ -n "$hs" ] && pass metrics-hints || fail metrics-hints "no python3.11 host hint"
promtool check metrics </tmp/metrics.txt >/tmp/promtool.out 2>&1 && pass metrics-promtool-final ||
	fail metrics-promtool-final "$(head -n 5 /tmp/promtool.out)"

# ---- 7. KSM tuning: every change logged with its reason
grep 'ksm:' "$ALOG" >&2
grep -q 'ksm: pages_to_scan [0-9]* -> 2000, sleep_millisecs [0-9]* -> 20: fast' "$ALOG" &&
	pass ksm-fast-on-arrival || fail ksm-fast-on-arrival "no change to the fast rate logged"
settled() { [ "$(ksm_get pages_to_scan)" -lt 2000 ]; }
if wait_until 120 settled; then pass ksm-settles; else
	fail ksm-settles "still $(ksm_rate) after 120 s: $(grep 'ksm:' "$ALOG" | tail -n 1)"
fi
log "ksm rate now $(ksm_rate); remaining $(scrape && metric vmmerged_ksm_remaining_bytes) B"
ksm_report

tuned_rate=$(ksm_rate)
agent_kill TERM
if [ "$tuned_rate" = "1234 37" ]; then
	fail ksm-put-back "precondition: the agent never changed the rate it found"
elif [ "$(ksm_rate)" = "1234 37" ] && grep -q 'ksm: put back pages_to_scan=1234 sleep_millisecs=37' "$ALOG"; then
	pass ksm-put-back
else
	fail ksm-put-back "rate $(ksm_rate) after stop (tuned $tuned_rate, found 1234 37)"
fi
grep -E 'Unable|error' "$ALOG" >&2 || true
