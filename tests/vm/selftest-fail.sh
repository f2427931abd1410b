#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test, run only by scripts/check: one case passes and one
# fails on purpose; the harness must report the failure and exit non-zero.
. "$(dirname "$0")/lib.sh"

pass selftest-pass
fail selftest-deliberate "this case fails on purpose (harness self-test)"
