#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test, run only by scripts/check: freeze the test VM for real.
# reboot(2) with LINUX_REBOOT_CMD_HALT stops every CPU with interrupts off
# (stop_this_cpu: hlt in a loop, IF=0), and -no-reboot does not turn a halt
# into a QEMU exit: QEMU stays up with no vCPU running, its CPU time stops
# growing, and run-vm's freeze detector must report `FAIL vm: frozen` with
# the halted vCPU's RIP in the kernel and IF=0.
. "$(dirname "$0")/lib.sh"

log "halting every CPU on purpose (harness self-test)"
sync
python3 -c 'import ctypes; ctypes.CDLL(None, use_errno=True).reboot(0xCDEF0123)'
sleep 60
