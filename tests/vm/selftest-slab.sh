#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test, run only by scripts/check (which builds the module
# with tests/vm/slab-selftest/build first): load a module that frees a slab
# object twice. SLUB's debugging (run-vm's default slub_debug=FZPU) reports
# it, the report taints the kernel with TAINT_BAD_PAGE and
# panic_on_taint=0x20 panics it: no `done`, the run must fail, and the
# console must hold the slab report.
. "$(dirname "$0")/lib.sh"

ko=$VMT_REPO/build/slab-selftest/vmt_slab_selftest.ko
[ -f "$ko" ] || die "$ko not built (tests/vm/slab-selftest/build)"
grep -q 'slub_debug=' /proc/cmdline || die "the test VM runs without slub_debug"
log "sanity checks of kmalloc-64: $(cat /sys/kernel/slab/kmalloc-64/sanity_checks)," \
	"poison: $(cat /sys/kernel/slab/kmalloc-64/poison), panic_on_taint in cmdline"
log "double free on purpose (harness self-test)"
sync
insmod "$ko"
sleep 5
fail selftest-slab "a slab double free did not stop the kernel"
