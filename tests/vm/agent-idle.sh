#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test: [ksm] stop_when_idle (issue 11, "ksmd works only when there
# is work").  vmmerged with tune = yes, stop_when_idle = yes, idle_after =
# AI_IDLE s, and real QEMU microVMs (AI_VMM=microvm, the default: nested
# KVM, mem-merge=off, AI_MEM MiB each, the tests' guest initramfs, all
# alike) or badvmm VMMs of one content pool (AI_VMM=badvmm, --seed 7: the
# same cases in a third of the time, for work on the tuner):
#
# 1. b0, b1 enrolled and merged: the agent writes run=0 ("stopping ksmd"),
#    vmmerged_ksm_stopped is 1, no "not running" warning about the ksmd it
#    stopped, and the merged pages stay merged while ksmd is stopped
# 2. b2 arrives: run=1 again ("starting ksmd ... newly enrolled, not
#    scanned by ksmd yet"), b2 merges, run=0 again
# 3. half of b0's merged pages COW-broken (their own content written back
#    through /proc/PID/mem): the estimate of what is left grows, run=1,
#    then 0 once they are merged again
# 4. reload with merge_within = AI_WITHIN s: b3 arrives, the agent logs
#    "holding ksmd stopped", b4 arrives meanwhile; ksmd stays stopped until
#    the work is due (AI_WITHIN less the burst's length), then one start
#    serves both: b3 and b4 merge, and no second start came before they did
# 5. reload with stop_when_idle = no: run put back to 1 ("put back run=1
#    (stop_when_idle switched off)"), then never written: a watcher of run
#    sees no change for AI_WATCH s, and run=0 written by hand stays 0
# 6. reload with stop_when_idle = yes: stopped again; SIGTERM puts back
#    run=1 ("put back run=1 (stopping)")
# A watcher logs every value of run with its time, shown at the end.
#
# "Merged" is a third of the VM's pages merged: of its AI_MEM MiB for
# badvmm, which touches all of them; of the pages the module counts
# resident for a microVM, whose guest touches a part of its RAM.
# Parameters: AI_VMM (microvm), AI_MEM MiB per VM (128 for microvm, 32
# for badvmm), AI_IDLE s (5), AI_WATCH s (20), AI_WITHIN s (40 for
# microvm, 24 for badvmm).
. "$(dirname "$0")/lib.sh"

AI_VMM=${AI_VMM:-microvm}
# A microVM arrival (VMM start, registration, sampling) is slower than a
# badvmm's: merge_within leaves b4 more time to arrive inside b3's hold.
case "$AI_VMM" in
microvm) AI_MEM=${AI_MEM:-128} AI_WITHIN=${AI_WITHIN:-40} ;;
badvmm) AI_MEM=${AI_MEM:-32} AI_WITHIN=${AI_WITHIN:-24} ;;
*) die "AI_VMM is microvm or badvmm, not $AI_VMM" ;;
esac
AI_IDLE=${AI_IDLE:-5}
AI_WATCH=${AI_WATCH:-20}

AGENT=$VMT_REPO/agent/vmmerged
CTL=$VMT_REPO/agent/vmmergectl
BADVMM=$VMT_REPO/tests/tools/badvmm
CONF=/tmp/vmmerged-idle.conf
ALOG=/tmp/vmmerged-idle.log
RUNLOG=$VMT_STATE/run-values
PORT=9876
AGENT_PID=
WATCH_PID=
declare -A BV_PID BV_START BV_LEN

# write_config yes|no [S]: stop_when_idle, merge_within (0).
write_config() {
	local vmm=badvmm match='exe = /badvmm$'
	if [ "$AI_VMM" = microvm ]; then
		vmm='qemu-system-*'
		match='cmdline = -name idle-[a-z0-9-]+'
	fi
	cat >"$CONF" <<EOF
[agent]
listen = 127.0.0.1:$PORT
vmm = $vmm
sources = proc
default_stack = s
rescan_interval = 1
min_guest_mib = 16

[rule s]
$match
stack = s
mem_mib = $AI_MEM

[ksm]
tune = yes
pages_to_scan_min = 100
pages_to_scan_max = 4000
sleep_ms_min = 10
sleep_ms_max = 200
stop_when_idle = $1
idle_after = $AI_IDLE
merge_within = ${2:-0}
EOF
}

agent_start() {
	"$AGENT" -c "$CONF" >>"$ALOG" 2>&1 &
	AGENT_PID=$!
	wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$PORT/metrics"
}

# vmm_start NAME [--no-wait]: start VMM NAME (AI_VMM), its pid and guest
# RAM into BV_PID, BV_START, BV_LEN. A microVM is waited for until its
# guest is up, unless --no-wait.
vmm_start() {
	local i=$MV_COUNT
	[ "$AI_VMM" = microvm ] || { bv_start "$1"; return; }
	microvm_start 1 --name "idle-$1-" --mem "$AI_MEM" $2 || return 1
	BV_PID[$1]=${MV_PID[$i]}
	BV_START[$1]=$((MV_RAM_START[$i]))
	BV_LEN[$1]=${MV_RAM_LEN[$i]}
	log "$1: microVM ${MV_NAME[$i]}, pid ${BV_PID[$1]} ram ${BV_START[$1]} ${BV_LEN[$1]}"
}

bv_start() {
	local name=$1 out=$VMT_STATE/bv-$1.out
	# A file left by an earlier script of the suite would pass test -s
	# before the new badvmm truncates it.
	rm -f "$out"
	"$BADVMM" --mem "$AI_MEM" --seed 7 --zero 5 --unique 5 >"$out" 2>&1 &
	wait_until 60 test -s "$out" || return 1
	read -r BV_PID[$name] BV_START[$name] BV_LEN[$name] <"$out"
	log "$name: pid ${BV_PID[$name]} ram ${BV_START[$name]} ${BV_LEN[$name]}"
}

run_is() { [ "$(ksm_get run)" = "$1" ]; }
metric() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
nlog() { grep -c "$1" "$ALOG"; }

# The VMs named enrolled, once each.
enrolled() {
	local n rows
	for n in "$@"; do
		rows=$(awk -v p="${BV_PID[$n]}" 'NR > 1 && $3 == p && $7 == "enrolled"' \
			/proc/vmmerge/vms | wc -l)
		[ "$rows" = 1 ] || return 1
	done
}

# The VMs named have at least a third of their pages merged (see the
# header: resident pages for a microVM).
merged() {
	local n want=$((AI_MEM * 256 / 3)) res
	for n in "$@"; do
		if [ "$AI_VMM" = microvm ]; then
			res=$(awk -v p="${BV_PID[$n]}" 'NR > 1 && $3 == p { print $8 }' /proc/vmmerge/vms)
			[ -n "$res" ] || return 1
			want=$((res / 3))
		fi
		[ "$(ksm_merging_pages "${BV_PID[$n]}")" -ge "$want" ] || return 1
	done
}

# watcher: every value run takes, with its time, into $RUNLOG.
watch_run() {
	local last= now
	while :; do
		now=$(cat "$VMT_KSM/run")
		[ "$now" = "$last" ] || { echo "$(date +%T.%N | cut -c1-12) run=$now" >>"$RUNLOG"; last=$now; }
		sleep 0.1
	done
}

# cow_break NAME PAGES: write the first PAGES pages of NAME's guest RAM
# back with their own content, which breaks their KSM sharing (COW).
cow_break() {
	local pid=${BV_PID[$1]} first=$((${BV_START[$1]} / 4096))
	dd if="/proc/$pid/mem" of="$VMT_STATE/cow.img" bs=4096 skip="$first" \
		count="$2" status=none || return 1
	dd if="$VMT_STATE/cow.img" of="/proc/$pid/mem" bs=4096 seek="$first" \
		count="$2" conv=notrunc status=none
}

STOP='ksm: stopping ksmd (run=0)'
START='ksm: starting ksmd (run=1)'
# stop_seen N: run is 0 and the agent logged more than N stops.
stop_seen() { run_is 0 && [ "$(nlog "$STOP")" -gt "$1" ]; }
# start_seen N: the agent logged more than N starts.
start_seen() { [ "$(nlog "$START")" -gt "$1" ]; }

cleanup() {
	[ -z "$WATCH_PID" ] || kill "$WATCH_PID" 2>/dev/null
	agent_kill TERM
	for n in b0 b1 b2 b3 b4; do [ -z "${BV_PID[$n]}" ] || kill "${BV_PID[$n]}" 2>/dev/null; done
	log "run values seen:"
	sed 's/^/  /' "$RUNLOG" >&2
	log "agent log (ksm lines):"
	grep 'ksm' "$ALOG" | sed 's/^/  vmmerged| /' >&2
}
on_exit cleanup

[ -x "$AGENT" ] || die "agent not built (make -C agent)"
[ "$AI_VMM" = microvm ] || [ -x "$BADVMM" ] || die "$BADVMM not built (make tools)"
ip link set lo up || die "cannot bring up lo"
: >"$ALOG"
: >"$RUNLOG"
module_load || die "module did not load"
echo 500 >"$SYS/stats_interval_ms"
echo 0 >"$SYS/min_yield" 2>/dev/null || :
ksm_start 1000 20
watch_run &
WATCH_PID=$!
klog_mark

# ---- 1. two VMs merged: ksmd stopped
vmm_start b0 && vmm_start b1 || die "$AI_VMM b0, b1 did not start"
write_config yes
agent_start || die "vmmerged did not come up"
check enrolled-2 wait_until 120 enrolled b0 b1
t0=$SECONDS
if wait_until 300 eval 'merged b0 b1 && stop_seen 0'; then
	pass stopped-after-merge
	log "stopped $((SECONDS - t0)) s after both were enrolled"
else
	fail stopped-after-merge "run=$(ksm_get run), merged b0 $(ksm_merging_pages "${BV_PID[b0]}") b1 $(ksm_merging_pages "${BV_PID[b1]}") pages; $(grep 'ksm:' "$ALOG" | tail -n 1)"
fi
check stopped-metric eval '[ "$(metric vmmerged_ksm_stopped)" = 1 ] && [ "$(metric vmmerged_ksm_stops_total)" = "$(nlog "$STOP")" ]'
check stop-logged-why grep -q 'stopping ksmd (run=0): nothing left to merge for [0-9]* s (slow: .*); merged pages stay merged' "$ALOG"
before=$(ksm_merging_pages "${BV_PID[b0]}")
sleep 6
after=$(ksm_merging_pages "${BV_PID[b0]}")
check merged-stay-merged eval '[ "$after" -ge "$before" ] && [ "$after" -gt 0 ] && run_is 0'
log "b0 merged pages with run=0: $before, 6 s later $after"
check no-warning-own-stop eval '! grep -q "ksm: not running" "$ALOG"'
# The operator sees it in `vmmergectl status` (text and JSON) too.
check status-says-stopped eval '"$CTL" status | grep -q "^ksmd: stopped (run=0)"'
check status-json-run-0 eval '[ "$("$CTL" status --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"ksmd\"][\"run\"])")" = 0 ]'

# ---- 2. an arrival starts it, and it stops again once merged
starts=$(nlog "$START")
stops=$(nlog "$STOP")
vmm_start b2 || die "$AI_VMM b2 did not start"
check started-on-arrival wait_until 120 start_seen "$starts"
check status-says-running eval '"$CTL" status | grep -q "^ksmd: running, [0-9]* pages every [0-9]* ms"'
check arrival-reason eval 'grep "$START" "$ALOG" | tail -n 1 | grep -q "at pages_to_scan=4000 sleep_millisecs=10: fast: 1 VM newly enrolled, not scanned by ksmd yet"'
check arrival-enrolled wait_until 120 enrolled b2
check arrival-merged wait_until 300 merged b2
check stopped-again wait_until 120 stop_seen "$stops"
check start-metric eval '[ "$(metric vmmerged_ksm_starts_total)" = "$(nlog "$START")" ]'

# ---- 3. merged pages COW-broken: started again
starts=$(nlog "$START")
stops=$(nlog "$STOP")
before=$(ksm_merging_pages "${BV_PID[b0]}")
if cow_break b0 $((AI_MEM * 256 / 2)); then
	# /proc/PID/ksm_merging_pages moves only when ksmd next scans b0;
	# the module's page walk sees the broken pages at once.
	log "b0: $before pages merged before the COW break of $((AI_MEM * 256 / 2))"
	check started-on-cow-break wait_until 60 start_seen "$starts"
	check cow-reason eval 'grep "$START" "$ALOG" | tail -n 1 | grep -q "left to merge"'
	check stopped-after-cow wait_until 300 stop_seen "$stops"
else
	fail started-on-cow-break "could not rewrite b0's pages through /proc/${BV_PID[b0]}/mem"
fi

# ---- 4. merge_within: arrivals held for one burst
HOLD='ksm: holding ksmd stopped for up to'
write_config yes "$AI_WITHIN"
kill -HUP "$AGENT_PID"
check within-stopped wait_until 120 run_is 0
starts=$(nlog "$START")
holds=$(nlog "$HOLD")
# --no-wait: the hold comes when b3 is enrolled, which for a microVM is
# before its guest is up; t_hold below must be the hold's own time.
vmm_start b3 --no-wait || die "$AI_VMM b3 did not start"
if wait_until 60 eval '[ "$(nlog "$HOLD")" -gt "$holds" ]'; then
	pass within-hold-logged
	t_hold=$SECONDS
	log "$(grep "$HOLD" "$ALOG" | tail -n 1)"
	# Still held two ticks later (ticks are 2 s apart); checked before
	# b4 starts, whose VMM can take many seconds to map its RAM on a
	# loaded test VM.
	sleep 4
	check within-held eval 'run_is 0 && [ "$(nlog "$START")" = "$starts" ]'
	vmm_start b4 --no-wait || die "$AI_VMM b4 did not start"
	# The start is due AI_WITHIN less the burst (about 1 s here) after the
	# work came, the hold's tick. b4, enrolled before it or while ksmd
	# runs for b3, needs no start of its own.
	if wait_until $((AI_WITHIN + 60)) start_seen "$starts"; then
		held=$((SECONDS - t_hold))
		log "ksmd started $held s after the hold"
		check within-start-when-due eval '[ "$held" -ge $((AI_WITHIN - 6)) ] && [ "$held" -le $((AI_WITHIN + 6)) ]'
	else
		fail within-start-when-due "no start within $((AI_WITHIN + 60)) s of the hold"
	fi
	check within-one-burst-merges-both wait_until 300 merged b3 b4
	check within-one-start eval '[ "$(nlog "$START")" = $((starts + 1)) ]'
	check within-holds-metric eval '[ "$(metric vmmerged_ksm_holds_total)" = "$(nlog "$HOLD")" ]'
else
	fail within-hold-logged "no hold logged: $(grep 'ksm:' "$ALOG" | tail -n 2)"
fi
check within-stopped-after wait_until 120 run_is 0
write_config yes
kill -HUP "$AGENT_PID"

# ---- 5. stop_when_idle = no: put back, then never written
write_config no
kill -HUP "$AGENT_PID"
check put-back-on-reload wait_until 20 eval 'run_is 1 && grep -q "put back run=1 (stop_when_idle switched off)" "$ALOG"'
sleep 1		# the watcher's last value in
changes=$(wc -l <"$RUNLOG")
stops=$(nlog 'stopping ksmd')
sleep "$AI_WATCH"
check run-never-written eval '[ "$(wc -l <"$RUNLOG")" = "$changes" ] && [ "$(nlog "stopping ksmd")" = "$stops" ] && run_is 1'
check unstopped-metric eval '[ "$(metric vmmerged_ksm_stopped)" = 0 ]'
echo 0 >"$VMT_KSM/run"
sleep 10
check operator-stop-left-alone run_is 0
check operator-stop-warned grep -q 'ksm: not running' "$ALOG"
echo 1 >"$VMT_KSM/run"

# ---- 6. allowed again: stopped; the agent's stop puts run back
stops=$(nlog "$STOP")
write_config yes
kill -HUP "$AGENT_PID"
check stopped-after-reload wait_until 60 stop_seen "$stops"
agent_kill TERM
check put-back-on-stop eval 'run_is 1 && grep -q "put back run=1 (stopping)" "$ALOG"'

kill "$WATCH_PID" 2>/dev/null
WATCH_PID=
klog_check kernel-log && pass kernel-log
for n in b0 b1 b2 b3 b4; do kill "${BV_PID[$n]}" 2>/dev/null; wait "${BV_PID[$n]}" 2>/dev/null; BV_PID[$n]=; done
ksm_stop 2
check module-unload module_unload
