#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test: the agent's KSM tuner and the kernel's KSM advisor (6.8+,
# /sys/kernel/mm/ksm/advisor_mode).  Runs on every kernel of the matrix and
# checks what that kernel has:
#
# - with an advisor (6.12): advisor_mode=scan-time refuses pages_to_scan
#   writes (EINVAL); vmmerged with tune = yes switches it off
#   (advisor_mode=none), sets its own rate (pages_to_scan_min: nothing is
#   enrolled), logs that it did, and on SIGTERM puts back the rate and then
#   advisor_mode=scan-time; with tune = no it leaves the advisor on
# - without (6.1): the tuner sets its rate and writes no advisor_mode
. "$(dirname "$0")/lib.sh"

AGENT=$VMT_REPO/agent/vmmerged
CONF=/tmp/vmmerged-adv.conf
ALOG=/tmp/vmmerged-adv.log
PORT=9875
AGENT_PID=
ADV=$VMT_KSM/advisor_mode

write_config() {
	cat >"$CONF" <<EOF
[agent]
listen = 127.0.0.1:$PORT
vmm = qemu-system-*
sources = proc

[ksm]
tune = $1
pages_to_scan_min = 123
pages_to_scan_max = 2000
sleep_ms_min = 20
sleep_ms_max = 321
EOF
}

agent_start() {
	"$AGENT" -c "$CONF" >>"$ALOG" 2>&1 &
	AGENT_PID=$!
	wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$PORT/metrics"
}

advisor() { sed -n 's/.*\[\(.*\)\].*/\1/p' "$ADV"; }
rate_is() { [ "$(ksm_get pages_to_scan) $(ksm_get sleep_millisecs)" = "$1" ]; }

on_exit 'agent_kill; [ ! -e "$ADV" ] || echo none >"$ADV"; sed "s/^/  vmmerged| /" "$ALOG" >&2'

[ -x "$AGENT" ] || die "agent not built (make -C agent)"
ip link set lo up || die "cannot bring up lo"
: >"$ALOG"
module_load || die "module did not load"
ksm_start 100 20

if [ -e "$ADV" ]; then
	log "kernel $(uname -r) has the KSM advisor"
	echo scan-time >"$ADV" || die "cannot switch the advisor on"
	check advisor-on eval '[ "$(advisor)" = scan-time ]'
	expect_fail advisor-refuses-rate EINVAL bash -c "echo 500 >$VMT_KSM/pages_to_scan"

	write_config no
	agent_start || die "vmmerged did not come up"
	sleep 5
	check untuned-advisor-kept eval '[ "$(advisor)" = scan-time ]'
	agent_kill TERM

	write_config yes
	agent_start || die "vmmerged did not come up"
	check tuner-takes-over wait_until 20 eval '[ "$(advisor)" = none ] && rate_is "123 321"'
	check tuner-says-so grep -q "advisor (advisor_mode=scan-time) is switched off" "$ALOG"
	agent_kill TERM
	check advisor-put-back eval '[ "$(advisor)" = scan-time ]'
	check put-back-logged grep -q "put back pages_to_scan=.* advisor_mode=scan-time" "$ALOG"
else
	log "kernel $(uname -r) has no KSM advisor"
	write_config yes
	agent_start || die "vmmerged did not come up"
	check tuner-sets-rate wait_until 20 rate_is "123 321"
	agent_kill TERM
	check rate-put-back rate_is "100 20"
	check no-advisor-written eval '[ ! -e "$ADV" ]'
fi
klog_check kernel-log && pass kernel-log
[ ! -e "$ADV" ] || echo none >"$ADV"
ksm_stop 0
check module-unload module_unload
