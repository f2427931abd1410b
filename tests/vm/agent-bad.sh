#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of the agent (vmmerged) on bad input, with real nested
# microVMs: each case gives one clear message and the agent keeps running
# with what it had (issue 5, "Bad input").
#
# 1. module not loaded at start: one line naming the fix, retries with
#    growing spacing (debug log); microVMs started meanwhile are fed as soon
#    as the module is inserted, without restarting the agent
# 2. malformed config: --check-config and SIGHUP refuse it with file:line
#    and reason; the running config stays (VMs stay, a new VM is still
#    classified by the old rules)
# 3. unknown or conflicting stack/domain names: in the config (a stack in
#    two domains is refused, an undeclared domain is warned about) and
#    through vmmergectl add --stack/--domain
# 4. pids that vanish between discovery and registration: fake VMMs that
#    die at once; at most one message each, nothing left registered
# 5. a full registry (max_vms below the number of VMs): one message per
#    refused VM, no flood, registered once max_vms is raised
# 6. the metrics port in use: one message, discovery and feeding still
#    work; a reload after the port is free serves metrics
. "$(dirname "$0")/lib.sh"

AGENT=$VMT_REPO/agent/vmmerged
CTL=$VMT_REPO/agent/vmmergectl
CONF=/tmp/vmmerged-bad.conf
BAD=/tmp/vmmerged-bad-input.conf
ALOG=/tmp/vmmerged-bad.log
PORT=9875
URL=http://127.0.0.1:$PORT/metrics
MEM=128
FAKE_DIR=/tmp/vmmfake
FAKE=$FAKE_DIR/qemu-system-x86_64
AGENT_PID=
BLOCKER=

registered() { awk -v p="$1" 'NR > 1 && $3 == p' /proc/vmmerge/vms 2>/dev/null | grep -q .; }
expected_rows() {
	local i
	for ((i = 0; i < MV_COUNT; i++)); do
		[ -z "${MV_PID[$i]}" ] || echo "${MV_PID[$i]} python3.11 tenant-a"
	done | sort
}

# Every agent line gets the time it was written (seconds, microseconds),
# through a FIFO (the chroot has no /dev/fd for process substitution).
stamp() { while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done; }

agent_start() {
	log "starting $AGENT -c $CONF (debug log)"
	rm -f /tmp/vmmerged-bad.fifo
	mkfifo /tmp/vmmerged-bad.fifo
	stamp </tmp/vmmerged-bad.fifo >>"$ALOG" &
	VMMERGED_DEBUG=1 "$AGENT" -c "$CONF" >/tmp/vmmerged-bad.fifo 2>&1 &
	AGENT_PID=$!
}

agent_alive() { [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; }

# The log since mark_log, without the timestamps.
mark_log() { LOG_MARK=$(wc -l <"$ALOG"); }
new_log() { tail -n +"$((${LOG_MARK:-0} + 1))" "$ALOG" | cut -d' ' -f2-; }
# count_new PATTERN: lines since mark_log matching the ERE PATTERN.
count_new() { new_log | grep -cE -- "$1"; }

metric() { curl -sf "$URL" | awk -v n="$1" '$1 == n { print $2 }'; }

# one_message NAME PATTERN: exactly one new line matches; log it.
one_message() {
	local name=$1 pat=$2 n
	n=$(count_new "$pat")
	log "$name: $(new_log | grep -E -- "$pat" | head -n 3)"
	if [ "$n" = 1 ]; then pass "$name"; else fail "$name" "$n lines match /$pat/"; fi
}

# one_line_error NAME PATTERN CMD...: CMD fails with one line on stderr.
one_line_error() {
	local name=$1 pat=$2 err rc=0
	shift 2
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	log "$name: $* -> $rc: $err"
	if [ "$rc" = 0 ]; then fail "$name" "succeeded"; return; fi
	if [ "$(wc -l <<<"$err")" != 1 ]; then fail "$name" "not one line: $err"; return; fi
	grep -qiE -- "$pat" <<<"$err" && pass "$name" || fail "$name" "message '$err' lacks /$pat/"
}

write_config() {
	cat >"$CONF" <<EOF
[agent]
listen = 127.0.0.1:$PORT
vmm = qemu-system-*
sources = proc
default_stack = unclassified
default_domain = tenant-a
rescan_interval = 3600

[domain tenant-a]
isolated = no

[domain tenant-b]
isolated = yes

[rule python]
exe = /qemu-system-x86_64\$
cmdline = -name python-[0-9]+
stack = python3.11
mem_mib = $MEM
EOF
}

on_exit 'agent_kill; [ -z "$BLOCKER" ] || kill "$BLOCKER"; log "agent log:"; sed "s/^/  vmmerged| /" "$ALOG" >&2'

[ -x "$AGENT" ] && [ -x "$CTL" ] || die "agent not built (make -C agent)"
klog_mark
ip link set lo up || die "cannot bring up lo"
: >"$ALOG"
write_config
module_loaded && die "vmmerge is loaded already; this test starts without it"
mkdir -p "$FAKE_DIR"
cp -L "$(command -v python3)" "$FAKE" || die "cannot make the fake VMM"

# ---- 1. the module is not loaded when the agent starts
mark_log
agent_start
wait_until 5 eval '[ "$(count_new "Unable to reach the vmmerge module")" -ge 1 ]'
# Two microVMs start while the module is missing: they must be fed later.
microvm_start 2 --name python- --mem "$MEM" || die "microVMs did not start"
wait_until 40 eval '[ "$(count_new "still unreachable")" -ge 4 ]'
agent_alive && pass nomod-agent-running || fail nomod-agent-running "vmmerged exited"
one_message nomod-one-message 'Unable to reach the vmmerge module.*(modprobe|insmod) vmmerge'
# Retry lines: "... after N attempts; next attempt in MS ms". The delays
# the agent announces must grow (1 s, 2 s, 4 s, ...), and no attempt may
# come much earlier than announced. Later is fine: under TCG a loaded test
# VM can delay any timer by seconds, so wall-clock spacing has no upper
# bound worth asserting.
tries=$(tail -n +"$((LOG_MARK + 1))" "$ALOG" |
	grep -E 'Unable to reach the vmmerge module|still unreachable' | cut -d' ' -f1)
# shellcheck disable=SC2206 # one time stamp a word
tries=($tries)
announced=$(tail -n +"$((LOG_MARK + 1))" "$ALOG" |
	sed -n 's/.*still unreachable.*next attempt in \([0-9]*\) ms.*/\1/p' | tr '\n' ' ')
log "attempts at: ${tries[*]}; announced delays (ms): $announced"
gaps=$(python3 -c '
import sys
t = [float(x) for x in sys.argv[1:]]
print(" ".join("%.1f" % (b - a) for a, b in zip(t, t[1:])))' "${tries[@]}")
log "spacing between attempts (s): $gaps"
if python3 -c '
import sys
g = [float(x) for x in sys.argv[1].split()]
d = [int(x) / 1000 for x in sys.argv[2].split()]
grows = len(d) >= 3 and all(b > a * 1.3 for a, b in zip(d, d[1:]))
# gap i+1 follows the attempt that announced d[i]
kept = all(gap >= 0.7 * want for gap, want in zip(g[1:], d))
sys.exit(not (grows and kept))' "$gaps" "$announced"; then
	pass nomod-backoff-grows
else
	fail nomod-backoff-grows "spacing $gaps, announced $announced"
fi
new_log | grep -E 'still unreachable' | head -n 5 >&2
mark_log
module_load || die "module did not load"
t0=$SECONDS
if wait_until 15 rows_as_expected; then
	pass nomod-fed-after-insmod
	log "fed $((SECONDS - t0)) s after insmod: $(vm_rows | tr '\n' ';')"
else
	fail nomod-fed-after-insmod "module has [$(vm_rows | tr '\n' ';')] want [$(expected_rows | tr '\n' ';')]"
fi
one_message nomod-connected-line 'connected to the vmmerge module: 0 VMs'
wait_until 10 curl -sf -o /dev/null "$URL" || fail nomod-metrics "no metrics at $URL"

# ---- 2. a malformed config: --check-config and SIGHUP refuse it
sed -e 's/^stack = python3.11$/stack = node20/' "$CONF" >"$BAD"
echo 'mem_mib = lots' >>"$BAD"
badline=$(wc -l <"$BAD")
err=$("$AGENT" -c "$BAD" --check-config 2>&1) && rc=0 || rc=$?
log "check-config: rc $rc: $err"
if [ "$rc" = 1 ] && [ "$(wc -l <<<"$err")" = 1 ] &&
	grep -qF "$BAD:$badline: mem_mib: expected a number of MiB, got 'lots'" <<<"$err"; then
	pass badconf-check-config
else
	fail badconf-check-config "rc $rc: $err"
fi
before=$(vm_rows)
cp "$CONF" "$CONF.good"
cp "$BAD" "$CONF"
mark_log
kill -HUP "$AGENT_PID"
wait_until 5 eval '[ "$(count_new "reload")" -ge 1 ]'
one_message badconf-sighup-refused "Unable to reload the configuration: $CONF:$badline: mem_mib: expected a number of MiB, got 'lots'; keeping the running one"
[ "$(count_new 'reloaded ')" = 0 ] && pass badconf-not-applied || fail badconf-not-applied "$(new_log | grep 'reloaded ')"
agent_alive && pass badconf-agent-running || fail badconf-agent-running "vmmerged exited"
[ "$(vm_rows)" = "$before" ] && pass badconf-vms-stay || fail badconf-vms-stay "$(vm_rows | tr '\n' ';')"
[ "$(metric vmmerged_config_ok)" = 0 ] && [ "$(metric vmmerged_reload_errors_total)" = 1 ] &&
	pass badconf-metrics || fail badconf-metrics "config_ok $(metric vmmerged_config_ok) reload_errors $(metric vmmerged_reload_errors_total)"
# A new VM is still classified by the old rules (python3.11, not node20).
microvm_start 1 --name python-2 --mem "$MEM" || fail badconf-new-vm "microVM did not start"
if wait_until 15 rows_as_expected; then pass badconf-old-rules-classify; else
	fail badconf-old-rules-classify "module has [$(vm_rows | tr '\n' ';')] want [$(expected_rows | tr '\n' ';')]"
fi
cp "$CONF.good" "$CONF"

# ---- 3. unknown or conflicting stack and domain names
# A rule naming a domain with no [domain] section: valid, one warning.
cat "$CONF.good" >"$BAD"
printf '\n[rule typo]\ncmdline = -name typo\nstack = typo-stack\ndomain = tenant-bb\n' >>"$BAD"
typoline=$(wc -l <"$BAD")
out=$("$AGENT" -c "$BAD" --check-config 2>&1) && rc=0 || rc=$?
log "undeclared domain: rc $rc: $out"
if [ "$rc" = 0 ] && [ "$(grep -c warning <<<"$out")" = 1 ] &&
	grep -qF "$BAD:$typoline: [rule typo] domain 'tenant-bb' has no [domain tenant-bb] section" <<<"$out"; then
	pass names-undeclared-domain-warned
else
	fail names-undeclared-domain-warned "rc $rc: $out"
fi
# The same stack in two domains: refused, also on SIGHUP.
cat "$CONF.good" >"$BAD"
printf '\n[rule secret]\nenv = ^SECRET=1$\nstack = python3.11\ndomain = tenant-b\n' >>"$BAD"
conflict=$(wc -l <"$BAD")
err=$("$AGENT" -c "$BAD" --check-config 2>&1) && rc=0 || rc=$?
log "stack in two domains: rc $rc: $err"
[ "$rc" = 1 ] && [ "$(wc -l <<<"$err")" = 1 ] &&
	grep -qF "$BAD:$conflict: [rule secret] puts stack python3.11 in domain tenant-b, but [rule python]" <<<"$err" &&
	pass names-stack-two-domains-refused || fail names-stack-two-domains-refused "rc $rc: $err"
cp "$BAD" "$CONF"
before=$(vm_rows)
mark_log
kill -HUP "$AGENT_PID"
wait_until 5 eval '[ "$(count_new "reload")" -ge 1 ]'
one_message names-sighup-refused "Unable to reload the configuration: $CONF:$conflict: \\[rule secret\\] puts stack python3.11 in domain tenant-b"
[ "$(vm_rows)" = "$before" ] && agent_alive && pass names-vms-stay || fail names-vms-stay "$(vm_rows | tr '\n' ';')"
cp "$CONF.good" "$CONF"
# vmmergectl add: a stack that lives in another domain, bad names.
one_line_error names-ctl-stack-other-domain 'stack python3.11 is in domain tenant-a, not tenant-b' \
	"$CTL" add --pid "${MV_PID[0]}" --stack python3.11 --domain tenant-b --mem "$MEM"
one_line_error names-ctl-bad-domain 'name must be printable' \
	"$CTL" add --pid "${MV_PID[0]}" --stack other --domain 'bad domain' --mem "$MEM"
one_line_error names-ctl-bad-stack 'invalid|printable' \
	"$CTL" add --pid "${MV_PID[0]}" --stack 'bad stack' --mem "$MEM"
one_line_error names-ctl-hints-unknown-stack 'No such|group|stack' "$CTL" hints --stack no-such-stack
one_line_error names-ctl-group-unknown-domain 'no such domain' "$CTL" group add orphan domain no-such-domain
rows_as_expected && pass names-registry-unchanged || fail names-registry-unchanged "$(vm_rows | tr '\n' ';')"
"$CTL" domains >&2

# ---- 4. pids that vanish between discovery and registration
# Fake VMMs (python3 copied as qemu-system-x86_64, 64 MiB of private
# anonymous memory) that live 0 to 1.2 s, and a real QEMU that fails at
# once: some die before the agent looks, some between its look and the
# module's, some get registered and leave again.
mark_log
before=$(vm_rows)
fakes=()
for d in 0 0 0.05 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 1.0 1.2; do
	"$FAKE" -c 'import mmap, sys, time
m = mmap.mmap(-1, 64 << 20, flags=mmap.MAP_PRIVATE)
m[0:1] = b"x"
time.sleep(float(sys.argv[1]))' "$d" &
	fakes+=($!)
	[ "$d" != 0 ] || kill -KILL $! 2>/dev/null
done
qemu-system-x86_64 -M microvm -m "$MEM" -kernel /nonexistent -nographic -nodefaults \
	>/dev/null 2>&1 &
fakes+=($!)
for p in "${fakes[@]}"; do wait "$p" 2>/dev/null; done
sleep 2
agent_alive && pass vanish-agent-running || fail vanish-agent-running "vmmerged exited"
left=
for p in "${fakes[@]}"; do registered "$p" && left+=" $p"; done
[ -z "$left" ] && pass vanish-nothing-left || fail vanish-nothing-left "still registered:$left"
[ "$(vm_rows)" = "$before" ] && pass vanish-vms-stay || fail vanish-vms-stay "$(vm_rows | tr '\n' ';')"
worst=0
for p in "${fakes[@]}"; do
	n=$(new_log | grep -E "pid $p\\b" | grep -cE 'Unable|exited before|gave up|error')
	[ "$n" -le "$worst" ] || worst=$n
done
log "fake VMMs: $(new_log | grep -cE 'added VM') registered and gone, $(new_log | grep -cE 'exited before') 'exited before' lines; at most $worst message(s) per pid"
new_log | grep -E 'added VM|exited before|Unable|gave up|lost' >&2
[ "$worst" -le 1 ] && pass vanish-at-most-one-message || fail vanish-at-most-one-message "$worst messages for one pid"
[ "$(count_new 'lost the vmmerge module')" = 0 ] && pass vanish-module-kept ||
	fail vanish-module-kept "the agent dropped the module: $(new_log | grep 'lost the' | head -n 1)"
[ "$(metric vmmerged_vm_pending)" = 0 ] && pass vanish-none-pending ||
	fail vanish-none-pending "vmmerged_vm_pending $(metric vmmerged_vm_pending)"

# ---- 5. a full registry
# Take two VMs out, make room for one VM only, and have the agent rescan
# (a reload does): both are refused, once each, and wait.
for i in 1 2; do
	name=$("$CTL" vms --json | python3 -c '
import json, sys
print([v["name"] for v in json.load(sys.stdin) if v["pid"] == int(sys.argv[1])][0])' "${MV_PID[$i]}")
	"$CTL" remove "$name" || fail full-setup "remove $name"
done
echo 1 >/sys/kernel/vmmerge/max_vms
mark_log
kill -HUP "$AGENT_PID"
wait_until 10 eval '[ "$(count_new "registry is full")" -ge 2 ]'
sleep 8	# backoff retries meanwhile: 1, 2, 4 s
n=$(count_new 'registry is full')
log "full: $(new_log | grep 'registry is full')"
[ "$n" = 2 ] && pass full-one-message-per-vm || fail full-one-message-per-vm "$n messages for 2 refused VMs"
[ "$(count_new 'Unable|error')" = "$n" ] && pass full-no-flood ||
	fail full-no-flood "$(new_log | grep -E 'Unable|error' | tr '\n' ';')"
grep -q 'too many VMs (see max_vms)' <<<"$(new_log)" && pass full-names-knob || fail full-names-knob "no max_vms in the message"
[ "$(nr_vms)" = 1 ] && agent_alive && pass full-agent-keeps-running || fail full-agent-keeps-running "$(nr_vms) VMs"
[ "$(metric vmmerged_vm_pending)" = 2 ] && pass full-waiting || fail full-waiting "pending $(metric vmmerged_vm_pending)"
echo 16 >/sys/kernel/vmmerge/max_vms
t0=$SECONDS
if wait_until 40 rows_as_expected; then
	pass full-registered-after-raise
	log "registered $((SECONDS - t0)) s after max_vms was raised"
else
	fail full-registered-after-raise "module has [$(vm_rows | tr '\n' ';')]"
fi
new_log | grep -E 'room|added VM' >&2

# ---- 6. the metrics port already in use
agent_kill TERM
python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
time.sleep(600)' "$PORT" &
BLOCKER=$!
wait_until 5 eval "ss -ltn | grep -q ':$PORT '"
# One VM out of the module: the restarted agent must put it back.
name=$("$CTL" vms --json | python3 -c '
import json, sys
print([v["name"] for v in json.load(sys.stdin) if v["pid"] == int(sys.argv[1])][0])' "${MV_PID[1]}")
"$CTL" remove "$name"
mark_log
agent_start
wait_until 15 rows_as_expected && pass port-feeding-works || fail port-feeding-works "$(vm_rows | tr '\n' ';')"
one_message port-one-message "Unable to serve metrics on 127.0.0.1:$PORT: Address already in use"
agent_alive && pass port-agent-running || fail port-agent-running "vmmerged exited"
# Discovery through the proc connector: a (fake) VMM started now.
"$FAKE" -c 'import mmap, time
m = mmap.mmap(-1, 64 << 20, flags=mmap.MAP_PRIVATE)
m[0:1] = b"x"
time.sleep(30)' &
fake=$!
if wait_until 10 registered "$fake"; then pass port-discovery-works; else fail port-discovery-works "pid $fake not registered"; fi
kill "$fake"
wait "$fake" 2>/dev/null
wait_until 3 eval "! registered $fake" || fail port-fake-gone "pid $fake still registered"
# The port freed and a reload: metrics are served.
kill "$BLOCKER"
wait "$BLOCKER" 2>/dev/null
BLOCKER=
kill -HUP "$AGENT_PID"
if wait_until 5 curl -sf -o /dev/null "$URL"; then pass port-served-after-reload; else
	fail port-served-after-reload "no metrics after the reload"
fi
[ "$(count_new 'Unable to serve metrics')" = 1 ] && pass port-no-repeat ||
	fail port-no-repeat "$(count_new 'Unable to serve metrics') lines"

agent_kill TERM
klog_check agent-bad-klog && pass agent-bad-klog
