#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test, run only by scripts/check with a short --timeout: never
# finishes, so the harness must kill the VM and report the timeout.
. "$(dirname "$0")/lib.sh"

log "sleeping forever on purpose (harness self-test)"
while :; do sleep 3600; done
