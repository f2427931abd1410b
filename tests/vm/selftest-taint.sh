#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test, run only by scripts/check: taint the kernel with
# TAINT_USER (U, "user requested", harmless and not in panic_on_taint); the
# runner must report `FAIL kernel-taint` naming U.
. "$(dirname "$0")/lib.sh"

log "tainting the kernel with U on purpose (harness self-test)"
echo 64 >/proc/sys/kernel/tainted
