#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM script run first in every suite of scripts/check-debug (the debug
# kernel of scripts/debug-kernel): checks that the debuggers the suite is
# meant to run under are really on, that the boot itself left nothing
# suspicious in the kernel log, and then starts the suite from a clean
# slate: kmemleak forgets what it found so far (`clear`) and the kernel log
# is emptied, so that tests/vm/debug-end.sh and the runner's kernel-log
# check see only what happened during the suite. (The boot log always holds
# kmemleak's own "memory leak detector initialized", which the runner's
# pattern would flag.)
. "$(dirname "$0")/lib.sh"

KMEMLEAK=/sys/kernel/debug/kmemleak

# The boot log minus the debuggers' own banners.
boot_suspicious() {
	dmesg | grep -E "$VMT_KLOG_BAD" |
		grep -vE 'kmemleak: Kernel memory leak detector initialized|kmemleak: Automatic memory scanning thread'
}

# (The boot log may have wrapped: ask kallsyms.)
has_symbol() { grep -qE " $1\$" /proc/kallsyms; }

check debug-kmemleak-on test -w "$KMEMLEAK"
check debug-kasan-on has_symbol kasan_report
check debug-kfence-on test -d /sys/module/kfence
check debug-lockdep-on test -e /proc/lockdep
check debug-atomic-sleep-on has_symbol __might_sleep
check debug-kvm test -c /dev/kvm

bad=$(boot_suspicious) || true
if [ -n "$bad" ]; then
	log "boot log:"
	echo "$bad"
	fail debug-boot-log "$(head -n 1 <<<"$bad")"
else
	pass debug-boot-log
fi

# A leak the boot itself left is the kernel's, not the module's.
if [ -w "$KMEMLEAK" ]; then
	echo scan >"$KMEMLEAK"
	n=$(grep -c '^unreferenced object' "$KMEMLEAK") || true
	log "kmemleak: $n objects unreferenced after boot (cleared)"
	echo clear >"$KMEMLEAK"
fi
dmesg -C
klog_mark
