#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Copyright (C) 2026 The vmmerge developers.
#
# `--version` of the built agent/vmmerged and agent/vmmergectl: each exits
# 0 with exactly one line "PROGRAM VERSION" on stdout and nothing on
# stderr, without the module, a config file or root (vmmerged is given a
# config path that does not exist); both print the same VERSION, the one
# the build wrote into agent/lib/version.c from scripts/version, in the
# form scripts/version gives (git describe, or dkms.conf's version).
# Needs `make tools` first: a missing binary is a FAIL, not a skip.
# Prints one `ok NAME` or `FAIL NAME: why` per case; exits 1 if any failed.

import os
import re
import subprocess
import sys

from agent_report import report, status

HERE = os.path.dirname(os.path.abspath(__file__))
AGENT = os.path.join(HERE, '..', '..', 'agent')
FORM = re.compile(r'^[0-9A-Za-z][0-9A-Za-z.+~_-]*$')


def built_version():
    path = os.path.join(AGENT, 'lib', 'version.c')
    with open(path) as f:
        m = re.search(r'vmmerge_version\[\] = "([^"]*)";', f.read())
    return m.group(1) if m else None


def version_of(prog, args):
    """The VERSION PROG prints, or raise with the reason it does not."""
    path = os.path.join(AGENT, prog)
    if not os.access(path, os.X_OK):
        raise RuntimeError('%s not built (make tools)' % path)
    env = dict(os.environ, VMMERGED_DEBUG='')
    r = subprocess.run([path] + args, capture_output=True, text=True,
                       timeout=10, env=env)
    if r.returncode != 0:
        raise RuntimeError('exit status %d, stderr %r' % (r.returncode, r.stderr))
    if r.stderr:
        raise RuntimeError('wrote to stderr: %r' % r.stderr)
    lines = r.stdout.splitlines()
    if len(lines) != 1 or not lines[0].startswith(prog + ' '):
        raise RuntimeError('output %r is not one line "%s VERSION"' % (r.stdout, prog))
    v = lines[0][len(prog) + 1:]
    if not FORM.match(v):
        raise RuntimeError('version %r is not a version' % v)
    return v


def main():
    seen = {}
    for prog, args in (('vmmerged', ['-c', '/nonexistent/vmmerged.conf', '--version']),
                       ('vmmergectl', ['--version'])):
        try:
            seen[prog] = version_of(prog, args)
            report('%s-version' % prog, None)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            report('%s-version' % prog, str(e))
    if len(seen) == 2:
        same = seen['vmmerged'] == seen['vmmergectl']
        report('versions-agree', None if same else 'vmmerged %(vmmerged)s, '
               'vmmergectl %(vmmergectl)s' % seen)
        try:
            want = built_version()
        except OSError as e:
            want = None
            report('version-from-build', 'no agent/lib/version.c: %s' % e)
        else:
            report('version-from-build', None if want == seen['vmmergectl'] else
                   'binaries say %s, agent/lib/version.c %s' % (seen['vmmergectl'], want))
    return status()


if __name__ == '__main__':
    sys.exit(main())
