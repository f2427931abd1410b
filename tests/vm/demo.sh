#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM demo (run by scripts/demo, not by scripts/check): vmmerge's main
# job as an operator runs it, on real runtime-stack microVMs.
#
#   vmmerged ── /tmp/demo/vmmerged.conf: rules on the VMM's command line
#      │        (-name py-N / node-N / perl-N) -> stack and domain
#      │ proc connector, /proc/PID/cmdline and maps
#      ▼ genl
#   vmmerge.ko   domain faas ─┬─ stack python3 ── py-0, py-1
#                             └─ stack node    ── node-0, node-1
#                domain vault (isolated) ── stack perl ── perl-0
#      │ enrols guest RAM (ksm_madvise), estimates, reports
#      ▼
#   ksmd  <── pages_to_scan, sleep_millisecs, run: the agent's tuner
#
# The microVMs are the benchmark's (bench/guest/mkimages: python3, node
# and perl images with a function server), 192 MiB each, started as the
# benchmark starts them (QEMU -M microvm,mem-merge=off, nested KVM), so
# nothing merges unless vmmerge enrols it.  Nine steps, a progress line
# "[demo N/9]" each: module, config, agent, microVMs, the live view
# (vmmergectl top every 10 s beside the agent's log), one function call
# per VM while it runs (their writes break merged pages: new work for the
# agent), the watch until the agent stops ksmd again, one scrape of
# /metrics, the checks (and the samples for the plot).
#
# A failed step fails the run, and so `make demo`: the module does not
# load, the agent does not come up or dies, a microVM does not start or
# its function fails, a VM is not registered where the rules say, no VM
# is enrolled, nothing merges, or the isolated VM merges.
#
# Output for the host (the test VM cannot write there): lines
# `DEMOFILE NAME` and `DEMOOUT NAME: LINE` (saving.csv: seconds since the
# agent started, MiB saved in all and per stack, ksmd's scan rate;
# steps.csv: when the steps began), which scripts/demo turns into
# build/demo/saving.csv and saving.png.
# DEMO_ROUNDS (default 12) and DEMO_MIN_ROUNDS (2): the 10 s rounds of the
# watch after the function calls, at most and at least; it ends before the
# most once the agent has stopped ksmd (nothing left to merge).
. "$(dirname "$0")/lib.sh"

D=/tmp/demo
CONF=$D/vmmerged.conf
ALOG=$D/vmmerged.log
CSV=$D/saving.csv
STEPS_CSV=$D/steps.csv
AGENT=$VMT_REPO/agent/vmmerged
CTL=$VMT_REPO/agent/vmmergectl
IMG=$VMT_REPO/build/bench
KSMD=/sys/kernel/mm/ksm
URL=http://127.0.0.1:9873/metrics
MEM=192
MAX_ROUNDS=${DEMO_ROUNDS:-12}
MIN_ROUNDS=${DEMO_MIN_ROUNDS:-2}
STEPS=9
STEP=0
AGENT_PID=
SAMPLER_PID=
TOP_PID=
T0=
LOG_TAIL_PID=
BG_PIDS=()
declare -A STACK_OF WARM_OK

# step TITLE [LABEL]: the progress line; LABEL marks the step's start in
# the plot (steps.csv: seconds since the agent started, label).
step() {
	STEP=$((STEP + 1))
	printf '\n[demo %d/%d] %s\n' "$STEP" "$STEPS" "$1"
	[ -z "$2" ] || [ -z "$T0" ] || echo "$(($(date +%s) - T0)),$2" >>"$STEPS_CSV"
}
# show CMD...: print the command as an operator would type it, run it.
show() { printf '$ %s\n' "$*"; "$@"; }
# put FILE VALUE: the operator's `echo VALUE > FILE`, shown.
put() { printf '$ echo %s > %s\n' "$2" "$1"; echo "$2" >"$1"; }
indent() { sed 's/^/    /'; }

# At exit: the agent stops (its last lines, "ksm: put back ...", still
# reach the console: the tail on its log ends with it), then the rest.
cleanup() {
	local p
	agent_kill
	[ -z "$LOG_TAIL_PID" ] || wait_until 5 eval '! kill -0 "$LOG_TAIL_PID" 2>/dev/null'
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
}
on_exit cleanup

# ---------------------------------------------------------------- steps

load_module() {
	step "loading the module; KSM on at the kernel's default rate"
	module_load || die "the module did not load"
	echo "vmmerge $(cat $SYS/version) loaded"
	# Enrol a VM only once its estimated yield says merging pays.
	put $SYS/min_yield 20
	# Firecracker never asks for transparent huge pages; QEMU does. As
	# in the benchmark, guest RAM is in small pages.
	put /sys/kernel/mm/transparent_hugepage/enabled never
	put $KSMD/run 1
	echo "ksmd: pages_to_scan $(cat $KSMD/pages_to_scan), sleep_millisecs $(cat $KSMD/sleep_millisecs) (the kernel's defaults)"
}

write_config() {
	step "writing the agent's config $CONF"
	mkdir -p $D
	cat >"$CONF" <<EOF
# Which processes are VMMs, and the stack and trust domain of each VM.
[agent]
listen = 127.0.0.1:9873
vmm = qemu-system-*
sources = proc
default_stack = unclassified
default_domain = faas

[domain faas]
isolated = no

# A tenant whose VMs never share a page with anyone.
[domain vault]
isolated = yes

[rule python3]
cmdline = -name py-[0-9]+
stack = python3
mem_mib = $MEM

[rule node]
cmdline = -name node-[0-9]+
stack = node
mem_mib = $MEM

[rule perl]
cmdline = -name perl-[0-9]+
stack = perl
domain = vault
mem_mib = $MEM

# The agent drives ksmd: fast while VMs arrive or much is left to merge,
# slow when little is, stopped (run=0) after 20 s with nothing left.
[ksm]
tune = yes
pages_to_scan_min = 100
pages_to_scan_max = 2000
sleep_ms_min = 20
sleep_ms_max = 200
stop_when_idle = yes
idle_after = 20
EOF
	indent <"$CONF"
	show "$AGENT" --check-config -c "$CONF" || die "vmmerged refused its config"
}

# sample_once T: one line of saving.csv from the module's stack table
# (SAVED is in pages) and ksmd's sysfs.
sample_once() {
	local run pages sleep_ms rate=0
	run=$(cat $KSMD/run) pages=$(cat $KSMD/pages_to_scan) sleep_ms=$(cat $KSMD/sleep_millisecs)
	[ "$run" != 1 ] || rate=$((pages * 1000 / sleep_ms))
	awk -v t="$1" -v rate="$rate" -v page="$(getconf PAGESIZE)" \
		-v sharing="$(cat $KSMD/pages_sharing)" '
		NR > 1 { s[$1] = $7 * page / 1048576; total += s[$1] }
		END { printf "%d,%.1f,%.1f,%.1f,%.1f,%d,%d\n", t, total,
			s["python3"], s["node"], s["perl"], rate, sharing }' /proc/vmmerge/groups
}

# sampler: saving.csv, every 5 s from the agent's start (T0) on.
sampler() {
	echo "t_s,saved_mib,python3_mib,node_mib,perl_mib,ksmd_pages_per_s,pages_sharing"
	while :; do
		sample_once $(($(date +%s) - T0))
		sleep 5
	done
}

start_agent() {
	step "starting vmmerged (its decisions follow as 'agent|' lines)"
	: >"$ALOG"
	printf '$ %s -c %s\n' "$AGENT" "$CONF"
	"$AGENT" -c "$CONF" >>"$ALOG" 2>&1 &
	AGENT_PID=$!
	T0=$(date +%s)
	# (A pipeline: the test VM's chroot has no /dev/fd for >(...).)
	tail -n +1 -F --pid="$AGENT_PID" "$ALOG" 2>/dev/null | sed -u 's/^vmmerged: /  agent| /' &
	LOG_TAIL_PID=$!
	BG_PIDS+=("$LOG_TAIL_PID")
	wait_until 30 curl -sf -o /dev/null "$URL" || die "vmmerged did not come up (no $URL)"
	sampler >"$CSV" &
	SAMPLER_PID=$!
	BG_PIDS+=("$SAMPLER_PID")
}

agent_alive() {
	kill -0 "$AGENT_PID" 2>/dev/null || die "vmmerged died: $(tail -n 3 "$ALOG" | tr '\n' ' ')"
}

# boot STACK COUNT PREFIX: COUNT microVMs of STACK's image, named PREFIXN.
boot() {
	local first=$MV_COUNT i
	microvm_start "$2" --mem "$MEM" --rootfs "$IMG/$1.img" --name "$3" \
		2>>$D/microvm.log || {
		tail -n 20 $D/microvm.log
		die "$1 microVMs did not start"
	}
	for ((i = first; i < MV_COUNT; i++)); do STACK_OF[$i]=$1; done
}

start_vms() {
	local i
	step "starting 5 microVMs (python3 x2, node x2, perl), $MEM MiB each: QEMU -M microvm,mem-merge=off, KVM" \
		"microVMs boot"
	for i in python3 node perl; do
		[ -r "$IMG/$i.img" ] || die "$IMG/$i.img missing (bench/guest/mkimages)"
	done
	: >$D/microvm.log
	boot python3 2 py-
	boot node 2 node-
	boot perl 1 perl-
	echo "the first one's command line:"
	sed -n 's/^.*vm0 (py-0): \(qemu-system-x86_64 .*\)$/\1/p' $D/microvm.log | fold -w 100 | indent
	for ((i = 0; i < MV_COUNT; i++)); do
		printf '  %-7s %-8s pid %-5s guest RAM %s-%s (the agent names it qemu-system-x86-%s)\n' \
			"${MV_NAME[$i]}" "${STACK_OF[$i]}" "${MV_PID[$i]}" "${MV_RAM_START[$i]}" \
			"${MV_RAM_END[$i]}" "${MV_PID[$i]}"
	done
	agent_alive
}

# The live view: vmmergectl top every 10 s, into a file that a tail copies
# to the console (on the console itself, a terminal, top would clear the
# screen between frames).  It runs through the next two steps.
start_live_view() {
	step "live view: vmmergectl top every 10 s, beside the agent's decisions"
	printf '$ %s top --interval 10\n' "$CTL"
	"$CTL" top --interval 10 >$D/top.out 2>&1 &
	TOP_PID=$!
	BG_PIDS+=("$TOP_PID")
	tail -n +1 -F --pid="$TOP_PID" $D/top.out 2>/dev/null &
	BG_PIDS+=($!)
	sleep 1
}

live_view_alive() {
	agent_alive
	kill -0 "$TOP_PID" 2>/dev/null || die "vmmergectl top exited: $(tail -n 1 $D/top.out)"
}

# Each guest's function server starts and serves one hello and one
# prime-counting call: the runtime's code and heap land in guest RAM, and
# its writes break merged pages, which the agent sees as new work.
invoke_functions() {
	local i out
	step "invoking each microVM's function once (hello + count primes below 3000)" \
		"functions run"
	for ((i = 0; i < MV_COUNT; i++)); do
		if out=$(microvm_cmd "$i" "/fn/fn warm 3000" 600 2>/dev/null); then
			WARM_OK[$i]=1
			printf '  %-7s %s\n' "${MV_NAME[$i]}" "$(tr -d '\r' <<<"$out" | tr '\n' ' ')"
		else
			printf '  %-7s function failed: %s\n' "${MV_NAME[$i]}" "$(tr -d '\r' <<<"$out" | tail -n 2 | tr '\n' ' ')"
		fi
	done
	live_view_alive
}

ksmd_stopped_by_agent() { grep -q 'ksm: stopping ksmd' "$ALOG"; }
# ksmd_idle: ksmd is stopped, and the agent's last word on run was a stop.
ksmd_idle() {
	[ "$(cat $KSMD/run)" = 0 ] &&
		grep -E 'ksm: (stopping|starting) ksmd' "$ALOG" | tail -n 1 | grep -q stopping
}

# Two rounds at least, so that the figures after the calls show; then until
# the agent has stopped ksmd (nothing left to merge), MAX_ROUNDS at most.
settle() {
	local r
	step "watching until the agent stops ksmd again (at most $MAX_ROUNDS rounds of 10 s)" \
		"settling"
	for ((r = 1; r <= MAX_ROUNDS; r++)); do
		sleep 10
		live_view_alive
		[ "$r" -lt "$MIN_ROUNDS" ] || ! ksmd_idle || break
	done
	sleep 1
	kill "$TOP_PID" 2>/dev/null
	wait "$TOP_PID" 2>/dev/null
	sleep 1	# the tail's last frame
	if ksmd_idle; then echo "  ksmd stopped by the agent: nothing left to merge"; else
		echo "  ksmd still running after $MAX_ROUNDS rounds: $(grep 'ksm: ' "$ALOG" | tail -n 1 | sed 's/^vmmerged: //')"
	fi
}

scrape() {
	step "scraping the Prometheus endpoint once: curl -s $URL"
	curl -sf "$URL" >$D/metrics.txt || { fail metrics-scrape "curl $URL failed"; return; }
	echo "  $(wc -l <$D/metrics.txt) lines, $(grep -c '^# TYPE' $D/metrics.txt) metrics; some of them:"
	grep -E '^(vmmerge_host_saved_bytes|vmmerge_stack_saved_bytes|vmmerge_stack_yield_ratio|vmmerge_vms|vmmerge_vms_enrolled|vmmerged_ksm_(pages_to_scan|sleep_seconds|stopped|rate_changes_total)) |^vmmerge_vm_state\{.*\} 1$' \
		$D/metrics.txt | head -n 24 | indent
	pass metrics-scrape
}

# expected_rows: "PID STACK DOMAIN" of every microVM, as the rules say.
expected_rows() {
	local i
	for ((i = 0; i < MV_COUNT; i++)); do
		case "${STACK_OF[$i]}" in
		perl) echo "${MV_PID[$i]} perl vault" ;;
		*) echo "${MV_PID[$i]} ${STACK_OF[$i]} faas" ;;
		esac
	done | sort
}

check_outcome() {
	local i n saved perl_pid state
	step "checking the outcome; the samples go to the host for the plot"
	if kill -0 "$AGENT_PID" 2>/dev/null; then pass agent-alive; else fail agent-alive "vmmerged died"; fi
	for ((i = n = 0; i < MV_COUNT; i++)); do [ -z "${WARM_OK[$i]}" ] || n=$((n + 1)); done
	if [ "$n" = "$MV_COUNT" ]; then pass functions-ran; else
		fail functions-ran "$n of $MV_COUNT function calls succeeded"
	fi
	if rows_as_expected; then pass vms-classified; else
		fail vms-classified "registered: $(vm_rows | tr '\n' ';') expected: $(expected_rows | tr '\n' ';')"
	fi
	n=$(cat $SYS/nr_enrolled)
	if [ "$n" -ge 1 ]; then pass vm-enrolled; else fail vm-enrolled "no VM enrolled"; fi
	saved=$(awk 'NR > 1 { s += $7 } END { print s + 0 }' /proc/vmmerge/groups)
	if [ "$saved" -gt 0 ]; then pass merging-seen; else
		fail merging-seen "nothing saved (pages_sharing $(cat $KSMD/pages_sharing))"
	fi
	for ((i = 0; i < MV_COUNT; i++)); do [ "${STACK_OF[$i]}" != perl ] || perl_pid=${MV_PID[$i]}; done
	state=$(awk -v p="$perl_pid" 'NR > 1 && $3 == p { print $7 }' /proc/vmmerge/vms)
	n=$(ksm_merging_pages "$perl_pid")
	if [ "$state" = isolated ] && [ "$n" = 0 ]; then pass isolated-unmerged; else
		fail isolated-unmerged "perl VM: state '$state', $n pages merged"
	fi
	echo "  enrolled $(cat $SYS/nr_enrolled) of $(nr_vms) VMs, saved $((saved * $(getconf PAGESIZE) / 1048576)) MiB;" \
		"ksmd $(if ksmd_stopped_by_agent; then echo "stopped by the agent"; else echo "not stopped"; fi)," \
		"$(grep -c 'ksm: pages_to_scan' "$ALOG") rate changes"
}

# emit FILE: FILE as DEMOFILE/DEMOOUT lines, which scripts/demo collects.
emit() {
	local name
	name=$(basename "$1")
	echo "DEMOFILE $name"
	sed "s|^|DEMOOUT $name: |" "$1"
}

send_samples() {
	kill "$SAMPLER_PID" 2>/dev/null
	wait "$SAMPLER_PID" 2>/dev/null
	echo "  $(($(wc -l <"$CSV") - 1)) samples, 5 s apart; the last: $(tail -n 1 "$CSV")"
	emit "$CSV"
	emit "$STEPS_CSV"
}

# ---------------------------------------------------------------- main

[ -x "$AGENT" ] && [ -x "$CTL" ] || die "agent not built (make tools)"
# Only critical kernel messages on the console, which carries the demo (the
# nested guests' "Unhandled WRMSR" errors are noise there); the runner
# checks the kernel log for warnings at the end all the same.
echo 3 >/proc/sys/kernel/printk
ip link set lo up
load_module
write_config
start_agent
start_vms
start_live_view
invoke_functions
settle
scrape
check_outcome
send_samples
log "all $STEP steps ran"
