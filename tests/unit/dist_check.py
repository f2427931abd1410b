#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Copyright (C) 2026 The vmmerge developers.
#
# agent/dist: the man pages and the unit as installed.
#   - vmmerged(8), vmmergectl(8) and vmmerged.conf(5) have NAME, SYNOPSIS or
#     DESCRIPTION, FILES and EXIT STATUS sections, and groff -ww finds
#     nothing to warn about;
#   - vmmerged(8) names every metric agent/daemon/metrics.c can serve
#     (its literal names, and the vmmerge_SCOPE_%s_bytes patterns expanded
#     over its figures table), and no metric the code does not have;
#   - `make -C agent install DESTDIR=TMP PREFIX=/opt/vmmtest` installs the
#     programs, the three pages, the example config and a unit whose
#     ExecStart/ExecStartPre run /opt/vmmtest/sbin/vmmerged, with no @VAR@
#     left (needs `make tools` first).
# Prints one `ok NAME` or `FAIL NAME: why` per case; exits 1 if any failed.

import os
import re
import shutil
import subprocess
import sys

from agent_report import report, status
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
AGENT = os.path.normpath(os.path.join(HERE, '..', '..', 'agent'))
DIST = os.path.join(AGENT, 'dist')
PAGES = ('vmmerged.8', 'vmmergectl.8', 'vmmerged.conf.5')


def read(path):
    with open(path) as f:
        return f.read()


def code_metrics():
    """Every metric name agent/daemon/metrics.c can print."""
    src = read(os.path.join(AGENT, 'daemon', 'metrics.c'))
    table = re.search(r'figures\[\] = \{(.*?)\n\};', src, re.S).group(1)
    figures = re.findall(r'\{ "([a-z]+)",', table)
    names = set(re.findall(r'"(vmmerged?_[a-z_]+)"', src))
    for pat in re.findall(r'"(vmmerge_[a-z]+_)%s(_bytes)"', src):
        names.update(pat[0] + f + pat[1] for f in figures)
    return names, figures


def test_sections():
    for page in PAGES:
        text = read(os.path.join(DIST, page))
        have = set(re.findall(r'^\.SH "?([A-Z ]+?)"?\s*$', text, re.M))
        missing = {'NAME', 'FILES', 'EXIT STATUS'} - have
        if not have & {'SYNOPSIS', 'DESCRIPTION'}:
            missing.add('SYNOPSIS or DESCRIPTION')
        report('sections-' + page, 'no ' + ', '.join(sorted(missing))
               if missing else None)


def test_groff():
    if not shutil.which('groff'):
        report('groff-clean', 'groff not installed (apt-get install groff-base)')
        return
    for page in PAGES:
        r = subprocess.run(['groff', '-man', '-ww', '-z', os.path.join(DIST, page)],
                           capture_output=True, text=True)
        report('groff-clean-' + page, r.stderr.strip() or
               (None if r.returncode == 0 else 'exit %d' % r.returncode))


def test_metrics_listed():
    names, figures = code_metrics()
    page = read(os.path.join(DIST, 'vmmerged.8'))
    listed = set(re.findall(r'\b(vmmerged?_[a-z_]+[a-z])\b', page))
    if len(names) < 40 or len(figures) != 4:
        report('metrics-from-code', 'found only %d names, %d figures in '
               'metrics.c: the parser no longer fits the code' %
               (len(names), len(figures)))
        return
    report('metrics-from-code', None)
    missing = sorted(names - listed)
    report('metrics-all-in-man', 'vmmerged(8) lacks ' + ', '.join(missing)
           if missing else None)
    stale = sorted(listed - names)
    report('metrics-none-stale', 'vmmerged(8) names ' + ', '.join(stale) +
           ', which metrics.c does not serve' if stale else None)


def test_install():
    tmp = tempfile.mkdtemp(prefix='vmmerge-dist-')
    try:
        r = subprocess.run(['make', '-s', '-C', AGENT, 'install', 'DESTDIR=' + tmp,
                            'PREFIX=/opt/vmmtest', 'UNITDIR=/lib/systemd/system'],
                           capture_output=True, text=True)
        if r.returncode:
            report('install', 'make install failed: ' + r.stderr.strip()[-300:])
            return
        want = ['opt/vmmtest/sbin/vmmerged', 'opt/vmmtest/sbin/vmmergectl',
                'opt/vmmtest/share/man/man8/vmmerged.8',
                'opt/vmmtest/share/man/man8/vmmergectl.8',
                'opt/vmmtest/share/man/man5/vmmerged.conf.5',
                'etc/vmmerge/vmmerged.conf', 'lib/systemd/system/vmmerged.service']
        missing = [w for w in want if not os.path.isfile(os.path.join(tmp, w))]
        report('install-files', 'missing ' + ', '.join(missing) if missing else None)
        unit = os.path.join(tmp, 'lib/systemd/system/vmmerged.service')
        if not os.path.isfile(unit):
            return
        text = read(unit)
        execs = re.findall(r'^(ExecStart(?:Pre)?)=(\S+)', text, re.M)
        bad = [e for e in execs if e[1] != '/opt/vmmtest/sbin/vmmerged']
        report('unit-paths-from-prefix', 'no ExecStart' if len(execs) != 2 else
               ('%s=%s' % bad[0] if bad else None))
        left = re.findall(r'@[A-Z_]+@', text)
        report('unit-no-placeholders', 'left: ' + ' '.join(left) if left else None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    test_sections()
    test_groff()
    test_metrics_listed()
    test_install()
    return status()


if __name__ == '__main__':
    sys.exit(main())
