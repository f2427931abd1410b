#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM script run last in every suite of scripts/check-debug: unloads the
# module if a script left it loaded, waits until every object allocated
# during the suite is older than kmemleak's minimum age (5 s), scans twice
# and fails case `kmemleak` with the report if any object leaked since
# tests/vm/debug-begin.sh cleared the list. Objects whose allocation trace
# names vmmerge are counted separately in the message.
. "$(dirname "$0")/lib.sh"

KMEMLEAK=/sys/kernel/debug/kmemleak

[ -w "$KMEMLEAK" ] || die "$KMEMLEAK missing: not the debug kernel, or kmemleak is off"
if module_loaded; then
	log "vmmerge still loaded at the end of the suite: rmmod"
	module_unload || true
fi
sleep 6
echo scan >"$KMEMLEAK"
sleep 1
echo scan >"$KMEMLEAK"
report=$(cat "$KMEMLEAK")
if [ -z "$report" ]; then
	pass kmemleak
	exit 0
fi
n=$(grep -c '^unreferenced object' <<<"$report") || true
# Objects whose backtrace has a vmmerge frame.
ours=$(awk '/^unreferenced object/ { if (o) m++; o = 0 } /\[vmmerge\]/ { o = 1 }
	END { if (o) m++; print m + 0 }' <<<"$report")
log "kmemleak report:"
echo "$report"
fail kmemleak "$n objects leaked during the suite ($ours allocated from vmmerge): $(grep -m1 '^unreferenced object' <<<"$report")"
