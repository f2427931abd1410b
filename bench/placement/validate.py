#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Copyright (C) 2026 The vmmerge developers.
#
# validate.py SET: the model's predicted saving (pages) for each mix of the
# set's validation records against what KSM saved on the test bed for that
# mix (pages_sharing, plus ksm_zero_pages where use_zero_pages is on), and
# the error in percent.  A synthetic set has no KSM record: then it says so.
# Also the per-stack saving the model predicts for the 13/11/8-VM mix of
# bench/results/2026-11-26-32vm-vmmerge (for a synthetic set that is the mix
# it was calibrated on: a calibration residual, not a validation), and
# for the whole 32-VM mix on one host, in MiB: the figure to hold against
# what a density run's KSM phases saved (its results.txt, saved_MiB).

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fingerprints  # noqa: E402

BENCH_32VM = {'python3': (11, 2, 40.8), 'node': (9, 2, 49.8),
              'perl': (8, 0, 64.4)}


def main(path):
    fs = fingerprints.load(path)
    m = fingerprints.Model(fs)
    print(f"set {path}: {fs.get('source')}, {len(m.templates)} VMs, "
          f"one sampled hash = {m.w:.1f} pages")
    for v in fs.get('validation', []):
        pred = m.predict_saved(v['mix'])
        got = v['ksm_saved_pages']
        err = 100.0 * (pred - got) / got if got else float('nan')
        print(f"validation: {len(v['mix'])} VMs, resident "
              f"{v['resident_pages']} pages: predicted saving {pred:.0f}, "
              f"KSM saved {got}, error {err:+.1f}%")
    if not fs.get('validation'):
        print('validation: none (this set has no KSM measurement)')
    kind = ('calibration residual' if fs.get('source') == 'synthetic'
            else 'comparison')
    mix = []
    for s, (nw, nd, pct) in BENCH_32VM.items():
        ts = m.by_stack.get(s, [])
        w = [t for t in ts if t.role != 'data'] or ts
        d = [t for t in ts if t.role == 'data'] or w
        if not w:
            continue
        names = [w[i % len(w)].name for i in range(nw)] + \
                [d[i % len(d)].name for i in range(nd)]
        mix += names
        full = sum(t.full for n in names for t in m.templates if t.name == n)
        pred = 100.0 * m.predict_saved(names) / full
        print(f"32-VM bench mix, {s} ({nw}+{nd} VMs): predicted saved "
              f"{pred:.1f}% of resident, bench measured {pct}% ({kind})")
    if mix:
        pred = m.predict_saved(mix) * 4096 / 2**20
        print(f"32-VM bench mix, one host ({len(mix)} VMs): predicted saved "
              f"{pred:.0f} MiB")
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
