#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test, run only by scripts/check: crash the test VM's kernel.
# The `done` line never comes, so the harness must report a failure.
. "$(dirname "$0")/lib.sh"

log "crashing the kernel on purpose (harness self-test)"
sync
echo 1 >/proc/sys/kernel/sysrq
echo c >/proc/sysrq-trigger
sleep 60
