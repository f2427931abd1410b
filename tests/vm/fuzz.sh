#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM netlink fuzzing of the module with tests/tools/nlfuzz, which builds
# its requests from the family's own policies (CTRL_CMD_GETPOLICY): typed
# values at and beyond their limits, nested trees, names and ids learnt
# from replies, real pids and regions of helper "VMM" processes it forks
# (and kills, registered or not), malformed headers and attributes.
#
#   fuzz-root      FUZZ_COUNT requests (default 20000) as root: every reply
#                  well framed and typed, GET_HOST still answers at the end
#   fuzz-root-coverage  the requests got past validation: at least
#                  FUZZ_MIN_CMDS (default 12) of the 15 commands succeeded
#                  at least once, ADD_VM included (helper VMMs registered)
#   fuzz-unpriv    FUZZ_UNPRIV_COUNT (default FUZZ_COUNT) as uid 65534 with
#                  no capabilities: every command but GET_HOST is refused
#                  with EPERM and no data (reads of VMs, domains, groups,
#                  hints and sketches included)
#   each followed by a kernel-log and taint check; then rmmod works with
#   whatever the fuzzer left registered, the fuzzer sees the family gone
#   (exit 2), and a reloaded module answers.
# FUZZ_JOBS fuzzers run at once (default: one per CPU, so that the two-vCPU
# mode races them against each other), sharing the count; job i of the
# root run uses seed FUZZ_SEED + i, of the unprivileged run FUZZ_SEED +
# 100 + i.  FUZZ_SEED defaults to the clock and is logged.
# Speed in the TCG test VM (one vCPU): ~3.4k requests/s as root, ~4-5k
# unprivileged; 2 x 20000 take ~36 s with boot, 2 x 100000 ~85 s; with
# slub_debug=FZPU init_on_free=1 on a loaded machine ~0.7-1.2k/s, 2 x
# 100000 in ~6 min.
. "$(dirname "$0")/lib.sh"

FUZZ=$VMT_REPO/tests/tools/nlfuzz
COUNT=${FUZZ_COUNT:-20000}
UNPRIV_COUNT=${FUZZ_UNPRIV_COUNT:-$COUNT}
SEED=${FUZZ_SEED:-$(date +%s)}
JOBS=${FUZZ_JOBS:-$(nproc)}
MIN_CMDS=${FUZZ_MIN_CMDS:-12}
# Taints a module under test may bring: O (out of tree), E (unsigned).
TAINT_OK=$(((1 << 12) | (1 << 13)))

taint() { cat /proc/sys/kernel/tainted; }

# taint_check NAME: fail NAME if the kernel got a taint since taint_mark.
taint_mark() { VMT_TAINT=$(taint); }

taint_check() {
	local now new
	now=$(taint)
	new=$((now & ~VMT_TAINT & ~TAINT_OK))
	taint_mark
	if [ "$new" != 0 ]; then
		fail "$1" "kernel tainted: $VMT_TAINT -> $now (new bits $new)"
		return 1
	fi
}

# fuzz_case NAME ARGS...: run nlfuzz, its output to a log, then the console.
fuzz_case() {
	local name=$1 rc=0 log=$VMT_STATE/$1.log
	shift
	log "\$ nlfuzz $*"
	klog_mark
	taint_mark
	"$FUZZ" "$@" 2>"$log" || rc=$?
	cat "$log" >&2
	if [ "$rc" = 0 ]; then
		pass "$name"
	else
		fail "$name" "nlfuzz exited with status $rc: $(grep -h -e 'violations:' -e 'not refused' -e FAILS "$log" | sort -u | tr '\n' ' ')$(grep -m 1 -e VIOLATION -e 'nlfuzz: cannot' -e 'not found' "$log")"
	fi
	log "$name: $(grep -o '[0-9]* messages/s' "$log" | tr '\n' ' ' || echo 'no rate')"
	klog_check "$name-klog" && taint_check "$name-klog" && pass "$name-klog"
}

# coverage LOG: "CMDS ADD_VM" - commands that succeeded at least once, and
# ADD_VM's successes, summed over the jobs' "per command (sent/ok)" lines.
coverage() {
	grep 'per command (sent/ok):' "$1" | tr ' ' '\n' | grep -E '^[0-9]+:[0-9]+/[0-9]+$' |
		awk -F'[:/]' '{ ok[$1] += $3 } END { n = 0; for (c in ok) if (ok[c] > 0) n++; print n, ok[10] + 0 }'
}

coverage_case() {
	local r cmds add
	r=$(coverage "$VMT_STATE/fuzz-root.log")
	cmds=${r% *}
	add=${r#* }
	log "commands that succeeded: $cmds, ADD_VM successes: $add"
	if [ "${cmds:-0}" -ge "$MIN_CMDS" ] && [ "${add:-0}" -ge 1 ]; then
		pass fuzz-root-coverage
	else
		fail fuzz-root-coverage "only ${cmds:-0} commands ever succeeded (want $MIN_CMDS), ADD_VM ${add:-0} times"
	fi
}

[ -x "$FUZZ" ] || die "$FUZZ not built (make tools)"
module_load || die "cannot load the module"

log "$JOBS fuzzer(s) at once, seed $SEED"
fuzz_case fuzz-root --jobs "$JOBS" --count $((COUNT / JOBS)) --seed "$SEED" --print-model
coverage_case
log "after the root run: $("$NL" get-host 2>&1)"
fuzz_case fuzz-unpriv --unpriv --jobs "$JOBS" --count $((UNPRIV_COUNT / JOBS)) \
	--seed $((SEED + 100))

if module_unload; then
	pass module-unload
	rc=0
	"$FUZZ" --count 1 2>/dev/null || rc=$?
	if [ "$rc" = 2 ]; then pass fuzz-no-family; else fail fuzz-no-family "nlfuzz without the module exited $rc, not 2"; fi
	module_load && check module-reload "$NL" get-host
fi
