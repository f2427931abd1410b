#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Copyright (C) 2026 The vmmerge developers.
#
# The placement simulator's accounting (bench/placement/sim.py): every
# policy on a small seeded fleet (12 hosts of 512 MiB, 3000 arrivals, two
# isolated tenants), with Fleet.check() after every 25 arrivals and at the
# end: no host over capacity, memory recomputed from scratch equals the
# running figure, only the domain holding a host merges there, isolated
# domains never merge.  Direct cases: departures give the memory back (the
# fleet empty again uses 0), a second VM of the same template adds only its
# private pages, a VM of another domain adds its whole size, the owner
# passes to the next domain when the owner's last VM leaves, place() refuses
# a VM that does not fit, the segment tree finds first fits.
# The learning policy (Bandit): at every arrival of a seeded stream its
# choice is checked against every host by brute force: it fits, and it is
# another domain's host (no merging) only when no host of the VM's own
# domain and no empty host could take the VM; the same seed gives the same
# placements and weights, the model learns that added memory costs reward,
# exploration stays rare, the frozen control stops learning at half, the
# known-weights control never changes its weights.
# Prints `ok NAME` / `FAIL NAME: why`; exits 1 if any failed.

import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'bench', 'placement'))
import fingerprints  # noqa: E402
import sim  # noqa: E402

failed = 0


def check(name, good, why=''):
    global failed
    if good:
        print(f'ok {name}')
    else:
        failed += 1
        print(f'FAIL {name}: {why}')


class Args:
    hosts = 12
    arrivals = 3000
    population = 300
    capacity_mib = 512
    base_mib = 0
    host_mib = 128
    cpus = 8
    tenants = 5
    isolated = 2


def policies(model):
    ev = sim.stream(model, Args.arrivals, Args.population, Args.tenants, 7,
                    'shift')
    for pol in sim.POLICIES:
        bad = []

        def checker(fl):
            bad.extend(fl.check())
        r = sim.run(model, ev, pol, Args, (0.5, 1.0), 3, (25, checker))
        check(f'invariants-{pol}', not bad and r['violations'] == 0,
              '; '.join(bad[:3]))
        # A fleet this small must turn VMs away sometimes, or the capacity
        # check was never exercised.
        check(f'rejects-{pol}', r['rejected'] > 0 and
              r['arrivals'] == Args.arrivals, f"{r['rejected']} rejected")


def direct(model):
    T = model.templates
    t0 = model.by_stack[model.stacks[0]][0].idx
    t1 = model.by_stack[model.stacks[1]][0].idx
    cap = 4096 * sim.MIB_PAGES
    fl = sim.Fleet(model, 4, cap, isolated=['iso'])
    a1, _ = fl.place(1, 'a', t0, 0)
    check('solo-cost', abs(a1 - T[t0].solo) < 1e-6, f'{a1} vs {T[t0].solo}')
    a2, _ = fl.place(2, 'a', t0, 0)
    want = model.merged_pages({t0: 2}) - model.merged_pages({t0: 1})
    check('same-template-private', abs(a2 - want) < 1e-6 and
          a2 < 0.8 * a1 and abs(a2 - T[t0].private_pages) < 0.05 * a1,
          f'{a2} vs {want}, private {T[t0].private_pages}')
    a3, _ = fl.place(3, 'b', t1, 0)
    check('foreign-full', a3 == T[t1].full, f'{a3} vs {T[t1].full}')
    a4, _ = fl.place(4, 'iso', t0, 1)
    check('isolated-full', a4 == T[t0].full and fl.hosts[1].owner is None,
          f'{a4}, owner {fl.hosts[1].owner}')
    check('owner-first', fl.hosts[0].owner == 'a', fl.hosts[0].owner)
    fl.depart(1)
    fl.depart(2)
    h = fl.hosts[0]
    check('owner-passes', h.owner == 'b' and
          abs(h.used - T[t1].solo) < 1e-6, f'owner {h.owner} used {h.used}')
    check('check-clean', not fl.check(), fl.check())
    fl.depart(3)
    fl.depart(4)
    check('departures-free', all(x.used == 0 for x in fl.hosts) and
          fl.active == 0 and fl.free.t[1] == cap,
          [x.used for x in fl.hosts])
    small = sim.Fleet(model, 1, T[t0].full // 2)
    try:
        small.place(9, 'a', t0, 0)
        check('refuse-overfull', False, 'placed a VM larger than the host')
    except AssertionError:
        check('refuse-overfull', small.hosts[0].used == 0)
    # Policies never return a host that does not fit.
    rng = random.Random(1)
    fl = sim.Fleet(model, 3, T[t0].full * 3)
    vm, bad = 0, []
    for _ in range(50):
        for name, pol in sim.POLICIES.items():
            if pol is None:
                continue
            hi = pol(fl, f't{rng.randrange(3)}', t0, rng)
            if hi >= 0 and not sim.fits(fl, fl.hosts[hi], 't0', t0) and \
                    fl.cost(fl.hosts[hi], 't0', t0) > fl.hfree(fl.hosts[hi]):
                bad.append(name)
        hi = sim.p_first_fit(fl, 't0', t0, rng)
        if hi >= 0:
            vm += 1
            fl.place(vm, 't0', t0, hi)
    check('policies-fit', not bad and not fl.check(), bad)


def tree():
    rng = random.Random(5)
    vals = [rng.randrange(100) for _ in range(37)]
    t = sim.MaxTree(len(vals), 0)
    for i, v in enumerate(vals):
        t.set(i, v)
    bad = []
    for x in range(0, 101, 7):
        for lo in range(0, 40, 3):
            want = next((i for i in range(lo, len(vals)) if vals[i] >= x), -1)
            if t.first_at_least(x, lo) != want:
                bad.append((x, lo, want, t.first_at_least(x, lo)))
    check('tree-first-fit', not bad, bad[:3])
    check('tree-argmax', vals[t.argmax()] == max(vals) and
          t.argmax() == vals.index(max(vals)))


def model_checks(model):
    T = model.templates
    names = [T[0].name, T[0].name, T[1].name]
    full = 2 * T[0].full + T[1].full
    saved = model.predict_saved(names)
    check('predict-saved-range', 0 < saved < full, f'{saved} of {full}')
    u = model.union_pages(1 << T[0].idx | 1 << T[1].idx)
    check('union-bounds', max(len(T[0].common), len(T[1].common)) * model.w
          <= u <= (len(T[0].common) + len(T[1].common)) * model.w)


def brute_allowed(fl, dom, t):
    """Hosts the VM fits on, split into own-domain-or-empty and others."""
    own, other = [], []
    for h in fl.hosts:
        if fl.cost(h, dom, t) > h.cap - h.used + 1e-6:
            continue
        if dom not in fl.isolated and (not h.vms or h.owner == dom):
            own.append(h.idx)
        else:
            other.append(h.idx)
    return own, other


def learner(model):
    ev = sim.stream(model, Args.arrivals, Args.population, Args.tenants, 11,
                    'shift')
    isolated = [f't{Args.tenants - 1 - i}' for i in range(Args.isolated)]
    rng = random.Random(4)
    fl = sim.Fleet(model, Args.hosts, Args.capacity_mib * sim.MIB_PAGES,
                   isolated, cpus=Args.cpus, host_pages=Args.host_mib * 256)
    b = sim.Bandit(0.5, 1.0, rng, eps0=0.2, eps_half=200, refit=16)
    bad, placed, n, rejected = [], set(), 0, 0
    for e in ev:
        if e[1] == 1:
            if e[2] in placed:
                placed.discard(e[2])
                fl.depart(e[2])
            continue
        _, _, vm, dom, t = e
        own, other = brute_allowed(fl, dom, t)
        hi, x = b.choose(fl, dom, t)
        if hi < 0:
            rejected += 1
            if own or other:
                bad.append(f'vm {vm}: rejected, fits on {(own + other)[:3]}')
            continue
        if hi not in own and hi not in other:
            bad.append(f'vm {vm}: host {hi} does not fit')
        elif hi in other and own:
            bad.append(f'vm {vm} ({dom}): host {hi} held by '
                       f'{fl.hosts[hi].owner} although {own[:3]} fit')
        h = fl.hosts[hi]
        L = sim.latency(fl, h, t)
        R = sim.resource(fl, h, t, fl.cost(h, dom, t))
        fl.place(vm, dom, t, hi)
        b.learn(x, L, R)
        placed.add(vm)
        n += 1
        if n % 50 == 0:
            bad.extend(fl.check())
    bad.extend(fl.check())
    check('learner-feasible-trust', not bad and n > 0, '; '.join(bad[:3]))
    check('learner-rejects-only-when-full', rejected > 0, f'{rejected}')
    check('learner-explores-rarely', 0 < b.explored < 0.1 * n,
          f'{b.explored} of {n}')
    check('learner-learns-memory-cost', b.theta[1] < 0, b.theta)

    def one(pol, seed, g=(0.2, 1.0)):
        return sim.run(model, ev, pol, Args, g, seed)
    r1, r2, r3 = one('bandit', 5), one('bandit', 5), one('bandit', 6)
    check('learner-deterministic', r1['series'] == r2['series'] and
          r1['theta'] == r2['theta'] and r1['explored'] == r2['explored'],
          f"{r1['theta']} vs {r2['theta']}")
    check('learner-seed-matters', r1['theta'] != r3['theta'] and
          r3['violations'] == 0, r3['theta'])
    # The frozen control keeps the weights it had at half the stream.
    rng = random.Random(5)
    bf = sim.Bandit(0.2, 1.0, rng, refit=4, freeze_at=10)
    x = [1.0, 0.5, 0.1, 1.0, 0.2, 0.3]
    for i in range(40):
        bf.learn(x, 1.0, 0.5)
    th = list(bf.theta)
    bf.learn([1.0, 0.9, 0.9, 0.0, 0.9, 0.1], 5.0, 5.0)
    check('learner-frozen', bf.n == 10 and bf.theta == th and any(th),
          f'n {bf.n} theta {bf.theta}')
    bk = sim.Bandit(0.2, 1.0, random.Random(5), known=True)
    for i in range(40):
        bk.learn(x, 1.0, 0.5)
    check('learner-known-fixed', bk.theta == [0.0, -1.0, -1.0, -0.2, -0.2, 0.0]
          and bk.eps0 == 0, bk.theta)


def main():
    model = fingerprints.Model(fingerprints.synthetic(per_stack=2, k=256))
    tree()
    model_checks(model)
    direct(model)
    policies(model)
    learner(model)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
