# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What bench/density and bench/churn share inside the test VM: the result
# files' way to the host, KSM's rate, and the baselines' tuners (Kata's
# throttler model, Debian's ksmtuned) started and stopped as their units
# would. Source it after tests/vm/lib.sh, with OUT (the results
# directory), KSMD (/sys/kernel/mm/ksm), KATA (bench/baselines/
# kata-throttler), KSMTUNED (/usr/sbin/ksmtuned) and progress() defined.
# A start leaves the tuner running, not yet kicked: each benchmark sends
# SIGUSR1 (KATA_PID, KSMTUNED_PID) when VMs arrive.

# bench_emit FILE: copy FILE to the console for bench/run (a later copy of
# the same file replaces the earlier one).
bench_emit() {
	local f=$1 name
	name=$(basename "$f")
	echo "BENCHFILE $name"
	sed "s|^|BENCHOUT $name: |" "$f"
	# (a file without a final newline would glue the next line to its last)
	[ -z "$(tail -c 1 "$f")" ] || echo
}

ksm_rate() { echo "$1" >$KSMD/pages_to_scan; echo "$2" >$KSMD/sleep_millisecs; }

# The baselines' tuners. Their pid files live in $OUT/run (not emitted);
# their logs in $OUT (emitted with the results).
KATA_PID=
# kata_start: KSM as the kernel boots it (what the throttler finds and
# restores on a stock host), the throttler started.
kata_start() {
	local n=0
	mkdir -p "$OUT/run"
	ksm_rate 100 20
	echo 0 >$KSMD/run
	rm -f "$OUT/run/kata.pid"
	/usr/bin/python3 "$KATA" --log "$OUT/kata-throttler.log" --pidfile "$OUT/run/kata.pid" &
	KATA_PID=$!
	while [ ! -s "$OUT/run/kata.pid" ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
	[ -s "$OUT/run/kata.pid" ] || die "kata-throttler did not start (see $OUT/kata-throttler.log)"
}
# kata_stop: SIGTERM, on which it writes back the settings it found.
kata_stop() {
	[ -n "$KATA_PID" ] || return 0
	kill "$KATA_PID" 2>/dev/null || :
	wait "$KATA_PID" || log "kata-throttler exited with status $?"
	KATA_PID=
	progress "kata: throttler stopped, ksm $(cat $KSMD/pages_to_scan)/$(cat $KSMD/sleep_millisecs) ms run=$(cat $KSMD/run)"
}
KSMTUNED_PID=
# ksmtuned_start: what ksm.service and ksmtuned.service run, in their order,
# with the debug log (its conf's DEBUG/LOGFILE, commented out there, from
# the environment: the package's /var/log is read-only here) and its pid
# file on the test VM's /run tmpfs. ksmtuned forks its loop and exits; the
# loop traps SIGUSR1 before it starts its first sleep, so the signal waits
# until a sleep child runs.
ksmtuned_start() {
	local n=0
	mkdir -p "$OUT/run"
	ksm_rate 100 20
	/usr/sbin/ksmctl start || die "ksmctl start failed"
	rm -f "$OUT/run/ksmtune.pid"
	DEBUG=1 LOGFILE=$OUT/ksmtuned.log PIDFILE=$OUT/run/ksmtune.pid "$KSMTUNED" ||
		die "ksmtuned failed to start"
	while [ $n -lt 300 ]; do
		KSMTUNED_PID=$(cat "$OUT/run/ksmtune.pid" 2>/dev/null || :)
		[ -z "$KSMTUNED_PID" ] || ! pgrep -P "$KSMTUNED_PID" -x sleep >/dev/null || break
		sleep 0.1
		n=$((n + 1))
	done
	[ -n "$KSMTUNED_PID" ] && pgrep -P "$KSMTUNED_PID" -x sleep >/dev/null ||
		die "ksmtuned's loop did not start (see $OUT/ksmtuned.log)"
}
# ksmtuned_stop: the loop and its sleep (ksmtuned restores nothing).
ksmtuned_stop() {
	[ -n "$KSMTUNED_PID" ] || return 0
	# shellcheck disable=SC2046 # one word per child
	kill "$KSMTUNED_PID" $(pgrep -P "$KSMTUNED_PID") 2>/dev/null || :
	KSMTUNED_PID=
	progress "ksmtuned: stopped, ksm $(cat $KSMD/pages_to_scan)/$(cat $KSMD/sleep_millisecs) ms run=$(cat $KSMD/run)"
}

