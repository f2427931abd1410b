#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Copyright (C) 2026 The vmmerge developers.
#
# tools/vmmerge-place's ranking of four hosts for a python3 VM of domain
# "tenant-a", from the series a fake Prometheus serves:
#   h-share   600M shareable on node0, allowed; 2G free
#   h-big     900M shareable but vmmerge_hint_allowed 0 (held by tenant-b;
#             then by nobody: the trust policy is the reason)
#   h-iso     800M shareable, allowed, but tenant-a isolated there
#   h-full    1G shareable, allowed, but only 100M free (does not fit)
#   h-empty   nothing of the stack; 8G free
# Expected order: h-share (credit), then h-big/h-iso/h-empty by free memory
# with no credit, h-full last; the blocked hosts' reasons name the policy.
# Prints `ok NAME` or `FAIL NAME: why` per check; exits 1 if any failed.

import importlib.machinery
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, '..', '..', 'tools', 'vmmerge-place')
M = 1 << 20
G = 1 << 30


def load_tool():
    loader = importlib.machinery.SourceFileLoader('vmmerge_place', TOOL)
    spec = importlib.util.spec_from_loader('vmmerge_place', loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


class FakeProm:
    """Answers Prometheus.query() from tables, by metric name."""

    def __init__(self, series):
        self.series = series
        self.queries = []

    def query(self, q, labels):
        self.queries.append(q)
        name = q.split('{')[0]
        return [tuple(m[l] for l in labels) + (v,)
                for m, v in self.series.get(name, [])]


def hint(host, scope, shareable, allowed):
    return [('vmmerge_hint_shareable_bytes', host, scope, shareable),
            ('vmmerge_hint_share_ratio', host, scope, shareable / G),
            ('vmmerge_hint_allowed', host, scope, allowed)]


def build():
    rows = (hint('h-share', 'node0', 600 * M, 1) +
            hint('h-share', 'host', 500 * M, 1) +
            hint('h-big', 'host', 900 * M, 0) +
            hint('h-iso', 'host', 800 * M, 1) +
            hint('h-full', 'host', 1 * G, 1))
    series = {}
    for name, host, scope, v in rows:
        series.setdefault(name, []).append(
            ({'instance': host, 'scope': scope}, v))
    hosts = ('h-share', 'h-big', 'h-iso', 'h-full', 'h-empty')
    series['vmmerge_up'] = [({'instance': h}, 1) for h in hosts]
    resident = {'h-share': 14 * G, 'h-big': 10 * G, 'h-iso': 12 * G,
                'h-full': 16 * G - 100 * M, 'h-empty': 8 * G}
    series['vmmerge_host_resident_bytes'] = [
        ({'instance': h}, v) for h, v in resident.items()]
    series['vmmerge_host_saved_bytes'] = [({'instance': h}, 0) for h in hosts]
    series['vmmerge_domain_isolated'] = [({'instance': 'h-iso'}, 1),
                                         ({'instance': 'h-share'}, 0)]
    series['vmmerge_vm_state'] = [
        ({'instance': 'h-big', 'domain': 'tenant-b'}, 1),
        ({'instance': 'h-share', 'domain': 'tenant-a'}, 1)]
    return FakeProm(series)


def main():
    tool = load_tool()
    prom = build()
    hosts = tool.gather(prom, 'python3', 'tenant-a', 'instance')
    rows = tool.rank(hosts, 'tenant-a', 2 * G, 16 * G)
    by = {r['host']: r for r in rows}
    checks = [
        ('order', [r['host'] for r in rows] ==
         ['h-share', 'h-empty', 'h-big', 'h-iso', 'h-full']),
        ('best-scope', by['h-share']['scope'] == 'node0' and
         by['h-share']['shareable_bytes'] == 600 * M),
        ('held-no-credit', by['h-big']['shareable_bytes'] == 0 and
         not by['h-big']['allowed'] and
         by['h-big']['reason'] == 'held by domain tenant-b'),
        ('isolated-no-credit', by['h-iso']['shareable_bytes'] == 0 and
         'isolated' in by['h-iso']['reason']),
        ('does-not-fit', by['h-full']['fits'] is False and
         by['h-full']['score'] == 0),
        ('free', by['h-empty']['free_bytes'] == 8 * G and
         by['h-share']['free_bytes'] == 2 * G),
        ('need', by['h-share']['need_bytes'] == 2 * G - 600 * M),
        ('score', by['h-share']['score'] == 100 and
         by['h-empty']['score'] == 0),
        ('query-escaped', any('domain="tenant-a"' in q and
                              'stack="python3"' in q for q in prom.queries)),
        ('promql-escape', tool.promql_str('a"b\\c') == '"a\\"b\\\\c"'),
        ('size', tool.parse_size('1.5G') == 3 * G // 2 and
         tool.parse_size('512MiB') == 512 * M),
        ('capacity-map', tool.parse_capacity(['a=1G', '*=2G']) ==
         {'a': G, '*': 2 * G}),
    ]
    # A host held by another domain with no hint series at all.
    prom.series['vmmerge_vm_state'].append(
        ({'instance': 'h-empty', 'domain': 'tenant-b'}, 1))
    rows = tool.rank(tool.gather(prom, 'python3', 'tenant-a', 'instance'),
                     'tenant-a', 2 * G, 16 * G)
    by = {r['host']: r for r in rows}
    checks.append(('held-reason', by['h-empty']['reason'] ==
                   'held by domain tenant-b'))
    # h-big's hint not allowed with no other domain's VM there: the trust
    # policy itself is the reason.
    prom.series['vmmerge_vm_state'] = [
        s for s in prom.series['vmmerge_vm_state'] if s[0]['instance'] != 'h-big']
    rows = tool.rank(tool.gather(prom, 'python3', 'tenant-a', 'instance'),
                     'tenant-a', 2 * G, 16 * G)
    by = {r['host']: r for r in rows}
    checks.append(('policy-reason', by['h-big']['shareable_bytes'] == 0 and
                   by['h-big']['reason'] == 'host not allowed by the trust policy'))
    table = tool.table(rows)
    checks.append(('table', table.splitlines()[0].startswith('RANK') and
                   len(table.splitlines()) == 6))
    failed = 0
    for name, good in checks:
        print(f'ok {name}' if good else f'FAIL {name}: {rows}')
        failed += not good
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
