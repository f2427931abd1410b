# SPDX-License-Identifier: GPL-2.0
#
# Copyright (C) 2026 The vmmerge developers.
#
# The results of the agent's script tests (dist_check.py, version_check.py):
# one line per case, `ok NAME` or `FAIL NAME: why`, and the exit status.
# Imported, not run: its name does not end in _check.py.

failed = 0


def report(name, why):
    """Case NAME passed if WHY is empty, else failed for WHY."""
    global failed
    if why:
        failed += 1
        print('FAIL %s: %s' % (name, why))
    else:
        print('ok %s' % name)


def status():
    return 1 if failed else 0
