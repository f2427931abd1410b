#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test: vmmerge.ko loads and unloads cleanly, twice in a row, with no
# warning in the kernel log. (Test scripts do not use set -e: a failed case
# must not stop the others.)
. "$(dirname "$0")/lib.sh"

not_loaded() { ! module_loaded; }
in_proc_modules() { grep -q '^vmmerge ' /proc/modules; }

module_loaded && die "vmmerge is already loaded before the test"
for round in 1 2; do
	module_load && pass "load-$round"
	check "loaded-$round" in_proc_modules
	modinfo -F version "$VMT_MODULE" | sed "s/^/[$VMT_SCRIPT] version: /"
	module_unload && pass "unload-$round"
	check "unloaded-$round" not_loaded
done
