#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Copyright (C) 2026 The vmmerge developers.
#
# Fleet placement simulator: a seeded stream of function-VM arrivals and
# departures (several stacks, several tenants = trust domains) placed on a
# fleet of hosts by each policy in turn, with each host's memory after
# merging predicted from fingerprint sketches (fingerprints.py: the model).
#
#   sim.py [--fingerprints FILE] [--hosts 1000] [--arrivals 100000]
#          [--population 20000] [--capacity-mib 4096] [--tenants 20]
#          [--isolated 1] [--policies LIST] [--scenario stationary|shift]
#          [--gamma G1,G2 ...] [--seed 1] [--out DIR] [--plot]
#   sim.py --replot DIR
#
# Policies: random, least-loaded, first-fit, stack-affinity (hosts already
# running the stack, by label only: the most VMs of it that fits), hint-greedy (the
# host where the VM adds the least memory after merging, as vmmerge's hints
# predict it, trust policy included; ties to the lowest host), bandit (an
# epsilon-greedy contextual bandit with a discounted ridge-regression
# reward model over candidate hosts' features).  Every policy must place a
# VM where it fits: its added memory after merging <= the host's free
# memory; a VM no host takes is rejected (counted).
# Reward of a placement: -(g1 * L + g2 * R), L = cold + load (cold 1 if the
# host runs no VM of the stack, load = VMs already there / host CPUs),
# R = (memory the VM adds after merging + the host's base memory if the VM
# opens an empty host) / the VM's unmerged size.
# Scenario "shift": from half of the stream on, the last stack's share of
# arrivals triples (stack popularity changes).
# Writes DIR/results.json, DIR/*.dat and, with --plot, DIR/plot.gp and PNGs
# (gnuplot): hosts-SC.png, mem-SC.png, reward-SC-gG1_G2.png (every policy's
# reward at that gamma) per scenario SC.  Prints one line per policy.

import argparse
import heapq
import json
import math
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fingerprints  # noqa: E402

MIB_PAGES = 256                     # 4 KiB pages per MiB


class MaxTree:
    """Segment tree of per-host free memory: first host with free >= x."""

    def __init__(self, n, value):
        self.size = 1
        while self.size < n:
            self.size *= 2
        self.t = [-math.inf] * (2 * self.size)
        for i in range(n):
            self.t[self.size + i] = value
        for i in range(self.size - 1, 0, -1):
            self.t[i] = max(self.t[2 * i], self.t[2 * i + 1])

    def set(self, i, v):
        i += self.size
        self.t[i] = v
        i //= 2
        while i:
            m = max(self.t[2 * i], self.t[2 * i + 1])
            if self.t[i] == m:
                break
            self.t[i] = m
            i //= 2

    def first_at_least(self, x, lo=0):
        """Lowest index >= lo whose value >= x, or -1."""
        t, size = self.t, self.size
        if lo >= size:
            return -1
        # Walk up from lo, then down the first subtree that qualifies.
        i = lo + size
        if t[i] >= x:
            return lo
        while True:
            while i & 1:            # right child: climb until a left child
                i //= 2
                if i <= 1:
                    return -1
            i += 1                  # its right sibling
            if t[i] >= x:
                break
        while i < size:
            i = 2 * i if t[2 * i] >= x else 2 * i + 1
        return i - size

    def argmax(self):
        return self.first_at_least(self.t[1]) if self.t[1] > -math.inf else -1


class Host:
    __slots__ = ('idx', 'cap', 'vms', 'owner', 'counts', 'stacks', 'used',
                 'foreign')

    def __init__(self, idx, cap):
        self.idx = idx
        self.cap = cap
        self.vms = {}          # vm id -> (domain, template idx), arrival order
        self.owner = None      # domain whose VMs merge here
        self.counts = {}       # owner's VMs: template idx -> count
        self.stacks = {}       # every VM: stack -> count (labels)
        self.used = 0.0        # pages after merging
        self.foreign = 0.0     # pages of VMs that do not merge


class Fleet:
    """Hosts, VMs and the accounting; policies only read it."""

    def __init__(self, model, hosts, cap_pages, isolated=(), cpus=32,
                 base_pages=256 * MIB_PAGES):
        self.m = model
        self.T = model.templates
        self.hosts = [Host(i, cap_pages) for i in range(hosts)]
        self.cap = cap_pages
        self.isolated = set(isolated)
        self.cpus = cpus
        self.base = base_pages
        self.free = MaxTree(hosts, float(cap_pages))
        self.freev = [float(cap_pages)] * hosts   # the same, as a list
        self.empty = list(range(hosts))      # heap; lazily cleaned
        self.by_owner = {}                   # domain -> set of hosts
        self.by_stack = {}                   # stack -> set of hosts
        self.active = 0
        self.where = {}                      # vm id -> host idx

    # ---- what a placement would cost
    def merges(self, h, dom):
        return dom not in self.isolated and (h.owner is None or h.owner == dom)

    def cost(self, h, dom, t):
        """Pages VM (dom, template t) adds to host h."""
        tp = self.T[t]
        if not self.merges(h, dom):
            return float(tp.full)
        if h.owner is None:
            return tp.solo
        c = h.counts
        before = h.used - h.foreign         # merged_pages(c), kept up to date
        c[t] = c.get(t, 0) + 1
        after = self.m.merged_pages(c)
        c[t] -= 1
        if not c[t]:
            del c[t]
        return after - before

    def hfree(self, h):
        return h.cap - h.used

    def first_empty(self):
        e = self.empty
        while e and self.hosts[e[0]].vms:
            heapq.heappop(e)
        return e[0] if e else -1

    # ---- accounting
    def _recompute(self, h):
        """used, foreign and counts of h from its VMs (owner fixed)."""
        counts, foreign = {}, 0.0
        for dom, t in h.vms.values():
            if h.owner is not None and dom == h.owner:
                counts[t] = counts.get(t, 0) + 1
            else:
                foreign += self.T[t].full
        h.counts = counts
        h.foreign = foreign
        h.used = foreign + (self.m.merged_pages(counts) if counts else 0.0)

    def _set_owner(self, h, dom):
        if h.owner is not None:
            self.by_owner[h.owner].discard(h.idx)
        h.owner = dom
        if dom is not None:
            self.by_owner.setdefault(dom, set()).add(h.idx)

    def _publish(self, h):
        self.free.set(h.idx, h.cap - h.used)
        self.freev[h.idx] = h.cap - h.used

    def place(self, vm, dom, t, hi):
        h = self.hosts[hi]
        add = self.cost(h, dom, t)
        if add > h.cap - h.used + 1e-6:
            raise AssertionError(f'host {hi} cannot take vm {vm}')
        was_empty = not h.vms
        h.vms[vm] = (dom, t)
        s = self.T[t].stack
        h.stacks[s] = h.stacks.get(s, 0) + 1
        self.by_stack.setdefault(s, set()).add(hi)
        if h.owner is None and dom not in self.isolated:
            self._set_owner(h, dom)
            self._recompute(h)
        elif h.owner == dom:
            h.counts[t] = h.counts.get(t, 0) + 1
            h.used = h.foreign + self.m.merged_pages(h.counts)
        else:
            h.foreign += self.T[t].full
            h.used += self.T[t].full
        if was_empty:
            self.active += 1
        self.where[vm] = hi
        self._publish(h)
        return add, was_empty

    def depart(self, vm):
        hi = self.where.pop(vm)
        h = self.hosts[hi]
        dom, t = h.vms.pop(vm)
        s = self.T[t].stack
        h.stacks[s] -= 1
        if not h.stacks[s]:
            del h.stacks[s]
            self.by_stack[s].discard(hi)
        if dom == h.owner and not any(d == dom for d, _ in h.vms.values()):
            # The module's owner: the first enrolled VM left, by arrival.
            nxt = next((d for d, _ in h.vms.values()
                        if d not in self.isolated), None)
            self._set_owner(h, nxt)
            self._recompute(h)
        elif dom == h.owner:
            h.counts[t] -= 1
            if not h.counts[t]:
                del h.counts[t]
            h.used = h.foreign + self.m.merged_pages(h.counts)
        else:
            h.foreign -= self.T[t].full
            h.used = h.foreign + (self.m.merged_pages(h.counts)
                                  if h.counts else 0.0)
        if not h.vms:
            self.active -= 1
            h.used, h.foreign, h.counts = 0.0, 0.0, {}
            heapq.heappush(self.empty, hi)
        self._publish(h)

    def check(self):
        """Invariants; returns a list of what is broken (empty: fine)."""
        bad = []
        for h in self.hosts:
            if h.used > h.cap + 1e-6:
                bad.append(f'host {h.idx} over capacity: {h.used} > {h.cap}')
            doms = {d for d, _ in h.vms.values()}
            if h.owner is not None and h.owner in self.isolated:
                bad.append(f'host {h.idx}: isolated domain {h.owner} merges')
            if h.owner is not None and h.owner not in doms:
                bad.append(f'host {h.idx}: owner {h.owner} has no VM there')
            if h.owner is None and doms - self.isolated:
                bad.append(f'host {h.idx}: mergeable VMs but no owner')
            merged = sum(h.counts.values())
            mine = sum(1 for d, _ in h.vms.values() if d == h.owner)
            if merged != mine:
                bad.append(f'host {h.idx}: {merged} VMs merge, owner has {mine}')
            # Memory as if recomputed from scratch: only the owner's VMs merge.
            counts, foreign = {}, 0.0
            for d, t in h.vms.values():
                if d == h.owner:
                    counts[t] = counts.get(t, 0) + 1
                else:
                    foreign += self.T[t].full
            want = foreign + (self.m.merged_pages(counts) if counts else 0.0)
            if abs(want - h.used) > 1e-3 * max(1.0, want):
                bad.append(f'host {h.idx}: used {h.used} != {want}')
            if not h.vms and h.used:
                bad.append(f'host {h.idx}: empty but uses {h.used}')
        return bad


# ---------------------------------------------------------------- policies

def fits(fl, h, dom, t):
    return fl.cost(h, dom, t) <= fl.hfree(h) + 1e-6


def lower_bound(fl, dom, t):
    """The least memory VM (dom, t) can add anywhere (less: cannot fit)."""
    return (0.9 * fl.T[t].private_pages if dom not in fl.isolated
            else fl.T[t].full) - 1e-6


def scan_fit(fl, tree, dom, t, lo=0):
    """First host >= lo in @tree whose free memory takes the VM, or -1."""
    lb = lower_bound(fl, dom, t)
    while True:
        hi = tree.first_at_least(lb, lo)
        if hi < 0 or fits(fl, fl.hosts[hi], dom, t):
            return hi
        lo = hi + 1


def p_first_fit(fl, dom, t, rng):
    return scan_fit(fl, fl.free, dom, t)


def p_least_loaded(fl, dom, t, rng):
    hi = fl.free.argmax()
    return hi if hi >= 0 and fits(fl, fl.hosts[hi], dom, t) else -1


def p_random(fl, dom, t, rng):
    n = len(fl.hosts)
    for _ in range(64):
        hi = rng.randrange(n)
        if fits(fl, fl.hosts[hi], dom, t):
            return hi
    ok = [h.idx for h in fl.hosts if fits(fl, h, dom, t)]
    return rng.choice(ok) if ok else -1


def p_stack_affinity(fl, dom, t, rng):
    """Most VMs of the stack (by label, any domain) that fits; else first fit.

    Like a Kubernetes preferred pod affinity on a stack label, whose score
    grows with the matching pods on the node: sharing-blind otherwise.
    """
    s = fl.T[t].stack
    lb, fv = lower_bound(fl, dom, t), fl.freev
    cands = [hi for hi in fl.by_stack.get(s, ()) if fv[hi] >= lb]
    cands.sort(key=lambda hi: (-fl.hosts[hi].stacks[s], hi))
    for hi in cands:
        if fits(fl, fl.hosts[hi], dom, t):
            return hi
    return scan_fit(fl, fl.free, dom, t)


def owner_scan(fl, dom, t, want_warm=False):
    """Over the hosts @dom holds: (least-cost host, its cost, least loaded
    host already running the stack); -1 where none fits."""
    best, bcost, warm, wl = -1, math.inf, -1, math.inf
    lb, fv, s = lower_bound(fl, dom, t), fl.freev, fl.T[t].stack
    for hi in fl.by_owner.get(dom, ()):
        if fv[hi] < lb:
            continue
        h = fl.hosts[hi]
        c = fl.cost(h, dom, t)
        if c > h.cap - h.used + 1e-6:
            continue
        if c < bcost - 1e-9 or (c < bcost + 1e-9 and hi < best):
            best, bcost = hi, c
        if want_warm and s in h.stacks and len(h.vms) < wl:
            warm, wl = hi, len(h.vms)
    return best, bcost, warm


def hint_best(fl, dom, t, scan=None):
    """(host, cost) adding the least memory after merging, lowest index."""
    if dom not in fl.isolated:
        best, bcost, _ = scan or owner_scan(fl, dom, t)
        if best >= 0:
            return best, bcost
        e = fl.first_empty()
        # Hosts without an owner (empty, or isolated VMs only) merge alone.
        if e >= 0 and fits(fl, fl.hosts[e], dom, t):
            return e, fl.T[t].solo
    hi = scan_fit(fl, fl.free, dom, t)
    return hi, (fl.cost(fl.hosts[hi], dom, t) if hi >= 0 else math.inf)


def p_hint_greedy(fl, dom, t, rng):
    return hint_best(fl, dom, t)[0]


def latency(fl, h, t):
    cold = 0.0 if fl.T[t].stack in h.stacks else 1.0
    return cold + len(h.vms) / fl.cpus


def resource(fl, h, t, add):
    return (add + (fl.base if not h.vms else 0.0)) / fl.T[t].full


class Bandit:
    """Epsilon-greedy contextual bandit, linear reward model, discounted.

    Arms: a few candidate hosts per arrival (the hint-greedy, first-fit,
    least-loaded and first empty hosts, the least loaded warm host of the
    domain); exploration (probability @eps) picks among those in use.  Features of a candidate: 1, expected sharing
    (1 - added / unmerged size), free fraction after placing, load, warm,
    opens an empty host.  The model is ridge regression on the observed
    rewards with forgetting factor @decay (so that it follows a shift),
    refit every @refit placements.  Observed latency carries noise (a cold
    start's cost varies), which is what makes it a learning problem.
    """

    D = 6

    def __init__(self, g1, g2, rng, eps=0.03, decay=0.9995, refit=64,
                 noise=0.3, ridge=1.0):
        self.g1, self.g2, self.rng = g1, g2, rng
        self.eps, self.decay, self.refit, self.noise = eps, decay, refit, noise
        d = self.D
        self.A = [[ridge if i == j else 0.0 for j in range(d)] for i in range(d)]
        self.b = [0.0] * d
        self.ridge = ridge
        self.theta = [0.0] * d
        self.n = 0

    def features(self, fl, h, dom, t):
        tp = fl.T[t]
        add = fl.cost(h, dom, t)
        return [1.0, 1.0 - add / tp.full, (h.cap - h.used - add) / h.cap,
                len(h.vms) / fl.cpus, 1.0 if tp.stack in h.stacks else 0.0,
                0.0 if h.vms else 1.0], add

    def candidates(self, fl, dom, t):
        scan = (owner_scan(fl, dom, t, True) if dom not in fl.isolated
                else (-1, math.inf, -1))
        c = []
        for hi in (hint_best(fl, dom, t, scan)[0], scan_fit(fl, fl.free, dom, t),
                   p_least_loaded(fl, dom, t, self.rng), fl.first_empty(),
                   scan[2]):
            if hi >= 0 and hi not in c:
                c.append(hi)
        return [hi for hi in c if fits(fl, fl.hosts[hi], dom, t)]

    def choose(self, fl, dom, t):
        cands = self.candidates(fl, dom, t)
        if not cands:
            return -1, None
        feats = [self.features(fl, fl.hosts[hi], dom, t)[0] for hi in cands]
        # Explore among the hosts already in use: an exploring VM opening
        # an empty host would keep that host in use for its lifetime.
        used = [i for i, x in enumerate(feats) if x[5] == 0.0]
        if used and self.rng.random() < self.eps:
            k = self.rng.choice(used)
        else:
            k = max(range(len(cands)), key=lambda i: sum(
                a * b for a, b in zip(self.theta, feats[i])))
        return cands[k], feats[k]

    def learn(self, x, L, R):
        L_obs = L + self.noise * self.rng.gauss(0.0, 1.0) * (x[4] == 0.0)
        r = -(self.g1 * L_obs + self.g2 * R)
        d, A, b, g = self.D, self.A, self.b, self.decay
        for i in range(d):
            xi = x[i]
            Ai = A[i]
            for j in range(d):
                Ai[j] = g * Ai[j] + xi * x[j] + ((1 - g) * self.ridge
                                                 if i == j else 0.0)
            b[i] = g * b[i] + r * xi
        self.n += 1
        if self.n % self.refit == 0:
            self.theta = solve(A, b)


def solve(A, b):
    """Gaussian elimination with partial pivoting (small dense systems)."""
    n = len(b)
    M = [row[:] + [b[i]] for i, row in enumerate(A)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c]))
        if abs(M[p][c]) < 1e-12:
            continue
        M[c], M[p] = M[p], M[c]
        for r in range(n):
            if r != c and M[r][c]:
                f = M[r][c] / M[c][c]
                M[r] = [x - f * y for x, y in zip(M[r], M[c])]
    return [M[i][n] / M[i][i] if abs(M[i][i]) > 1e-12 else 0.0
            for i in range(n)]


POLICIES = {
    'random': p_random, 'least-loaded': p_least_loaded,
    'first-fit': p_first_fit, 'stack-affinity': p_stack_affinity,
    'hint-greedy': p_hint_greedy, 'bandit': None,
}


# ------------------------------------------------------------------ stream

def stream(model, arrivals, population, tenants, seed, scenario):
    """[(time, 'a', vm, domain, template) | (time, 'd', vm)], seeded."""
    rng = random.Random(seed)
    stacks = model.stacks
    base = {s: w for s, w in zip(stacks, (0.45, 0.35, 0.20, 0.1, 0.1, 0.1))}
    shifted = dict(base)
    shifted[stacks[-1]] *= 3
    tw = [1.0 / (i + 1) for i in range(tenants)]          # Zipf tenants
    ev = []
    t = 0.0
    for vm in range(arrivals):
        t += rng.expovariate(1.0)
        mix = shifted if scenario == 'shift' and vm >= arrivals // 2 else base
        s = rng.choices(stacks, [mix[x] for x in stacks])[0]
        tpl = rng.choice(model.by_stack[s]).idx
        dom = f't{rng.choices(range(tenants), tw)[0]}'
        ev.append((t, 0, vm, dom, tpl))
        ev.append((t + rng.expovariate(1.0 / population), 1, vm, None, None))
    ev.sort()
    return [e for e in ev if e[0] <= t]     # drop departures past the end


def run(model, events, policy, args, gamma, seed, checker=None):
    """One policy on one stream; returns figures and time series."""
    rng = random.Random(seed)
    cap = args.capacity_mib * MIB_PAGES
    isolated = [f't{args.tenants - 1 - i}' for i in range(args.isolated)]
    fl = Fleet(model, args.hosts, cap, isolated, cpus=args.cpus,
               base_pages=args.base_mib * MIB_PAGES)
    bandit = Bandit(gamma[0], gamma[1], rng) if policy == 'bandit' else None
    choose = POLICIES[policy]
    every = max(1, args.arrivals // 400)
    placed, rejected, n_arr = set(), 0, 0
    sumL = sumR = 0.0
    winL = winR = 0.0
    win = 0
    series = []
    for e in events:
        if e[1] == 1:
            if e[2] in placed:
                placed.discard(e[2])
                fl.depart(e[2])
        else:
            _, _, vm, dom, t = e
            n_arr += 1
            if bandit:
                hi, x = bandit.choose(fl, dom, t)
            else:
                hi = choose(fl, dom, t, rng)
            if hi < 0:
                rejected += 1
            else:
                h = fl.hosts[hi]
                L = latency(fl, h, t)
                add, opened = fl.place(vm, dom, t, hi)
                R = (add + (fl.base if opened else 0.0)) / fl.T[t].full
                placed.add(vm)
                sumL += L
                sumR += R
                winL += L
                winR += R
                win += 1
                if bandit:
                    bandit.learn(x, L, R)
            if n_arr % every == 0:
                used = sum(h.used for h in fl.hosts)
                series.append((n_arr, fl.active, len(placed), used / MIB_PAGES,
                               winL / max(win, 1), winR / max(win, 1)))
                winL = winR = 0.0
                win = 0
            if checker and n_arr % checker[0] == 0:
                checker[1](fl)
    n = max(n_arr - rejected, 1)
    half = series[len(series) // 2:]
    return {
        'policy': policy, 'gamma': list(gamma) if bandit else None,
        'arrivals': n_arr, 'rejected': rejected,
        'hosts_mean_2nd_half': sum(s[1] for s in half) / max(len(half), 1),
        'hosts_max': max((s[1] for s in series), default=0),
        'mem_used_mib_mean_2nd_half': sum(s[3] for s in half) / max(len(half), 1),
        'vms_mean_2nd_half': sum(s[2] for s in half) / max(len(half), 1),
        'L_mean': sumL / n, 'R_mean': sumR / n,
        'violations': len(fl.check()),
        'series': series,
    }


def reward(r, g):
    return -(g[0] * r['L_mean'] + g[1] * r['R_mean'])


def write_plots(out, results, scenarios, gammas):
    with open(os.path.join(out, 'plot.gp'), 'w') as f:
        f.write('set terminal pngcairo noenhanced size 900,500\nset grid\n'
                'set key outside right\nset xlabel "arrivals"\n')
        for sc in scenarios:
            rs = [r for r in results if r['scenario'] == sc]
            f.write(f"set output 'hosts-{sc}.png'\nset ylabel 'hosts in use'\n"
                    f"set title 'hosts in use, {sc} mix'\n")
            f.write('plot ' + ', '.join(
                f"'{r['dat']}' using 1:2 with lines lw 2 title '{r['label']}'"
                for r in rs) + '\n')
            f.write(f"set output 'mem-{sc}.png'\nset ylabel 'GiB used after merging'\n"
                    f"set title 'fleet memory in use, {sc} mix'\n")
            f.write('plot ' + ', '.join(
                f"'{r['dat']}' using 1:($4/1024) with lines lw 2 title '{r['label']}'"
                for r in rs) + '\n')
            for g in gammas:
                tag = f'{g[0]:g}_{g[1]:g}'
                f.write(f"set output 'reward-{sc}-g{tag}.png'\nset ylabel "
                        f"'-({g[0]:g} L + {g[1]:g} R), window mean'\n"
                        f"set title 'reward per placement at g = {g[0]:g},{g[1]:g}, "
                        f"{sc} mix'\n")
                f.write('plot ' + ', '.join(
                    f"'{r['dat']}' using 1:(-({g[0]}*$5+{g[1]}*$6)) "
                    f"with lines lw 2 title '{r['label']}'" for r in rs) + '\n')
    try:
        subprocess.run(['gnuplot', 'plot.gp'], cwd=out, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f'sim: gnuplot failed: {e}', file=sys.stderr)


def summary(doc):
    """results.md: one table per scenario, rewards at every gamma."""
    rs = doc['results']
    gs = list(rs[0]['reward']) if rs else []
    out = [f"fingerprints: {doc['fingerprints']['source']} "
           f"({doc['fingerprints']['templates']} templates); "
           f"{doc['args']['hosts']} hosts of {doc['args']['capacity_mib']} MiB, "
           f"{doc['args']['arrivals']} arrivals, population "
           f"{doc['args']['population']}, {doc['args']['tenants']} tenants "
           f"({doc['args']['isolated']} isolated), seed {doc['args']['seed']}", '']
    for sc in sorted({r['scenario'] for r in rs}, reverse=True):
        out.append(f'{sc}:')
        out.append('')
        out.append('| policy | hosts (mean, 2nd half) | max | GiB used | rejected | L | R | '
                   + ' | '.join(f'reward g={g}' for g in gs) + ' | violations | s |')
        out.append('|' + '---|' * (9 + len(gs)))
        for r in rs:
            if r['scenario'] != sc:
                continue
            out.append(f"| {r['label']} | {r['hosts_mean_2nd_half']:.1f} | {r['hosts_max']} | "
                       f"{r['mem_used_mib_mean_2nd_half'] / 1024:.0f} | {r['rejected']} | "
                       f"{r['L_mean']:.3f} | {r['R_mean']:.3f} | "
                       + ' | '.join(f"{r['reward'][g]:.3f}" for g in gs)
                       + f" | {r['violations']} | {r['seconds']} |")
        out.append('')
    return '\n'.join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--fingerprints', help='a set (default: synthetic)')
    p.add_argument('--hosts', type=int, default=1000)
    p.add_argument('--arrivals', type=int, default=100000)
    p.add_argument('--population', type=int, default=20000,
                   help='mean VMs alive at once (mean lifetime in arrivals)')
    p.add_argument('--capacity-mib', type=int, default=4096)
    p.add_argument('--base-mib', type=int, default=0,
                   help='host base memory charged to the VM opening a host')
    p.add_argument('--cpus', type=int, default=32)
    p.add_argument('--tenants', type=int, default=20)
    p.add_argument('--isolated', type=int, default=1)
    p.add_argument('--policies', default=','.join(POLICIES))
    p.add_argument('--scenario', action='append',
                   choices=('stationary', 'shift'))
    p.add_argument('--gamma', action='append', default=None,
                   help='G1,G2 for the bandit (repeatable; first one is the '
                   'reference for the other policies\' reward)')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--out', default='build/bench/placement')
    p.add_argument('--plot', action='store_true')
    p.add_argument('--replot', metavar='DIR',
                   help='only write the plots of an earlier run in DIR')
    a = p.parse_args(argv)
    if a.replot:
        with open(os.path.join(a.replot, 'results.json')) as f:
            doc = json.load(f)
        rs = doc['results']
        gammas = [tuple(float(x) for x in k.split(',')) for k in rs[0]['reward']]
        write_plots(a.replot, rs, sorted({r['scenario'] for r in rs},
                                         reverse=True), gammas)
        with open(os.path.join(a.replot, 'results.md'), 'w') as f:
            f.write(summary(doc) + '\n')
        return 0
    gammas = [tuple(float(x) for x in g.split(',')) for g in
              (a.gamma or ['1,1'])]
    scenarios = a.scenario or ['stationary', 'shift']
    fs = (fingerprints.load(a.fingerprints) if a.fingerprints
          else fingerprints.synthetic())
    model = fingerprints.Model(fs)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    results = []
    for sc in scenarios:
        ev = stream(model, a.arrivals, a.population, a.tenants, a.seed, sc)
        for pol in a.policies.split(','):
            for g in (gammas if pol == 'bandit' else [gammas[0]]):
                t1 = time.time()
                r = run(model, ev, pol, a, g, a.seed)
                r['scenario'] = sc
                r['seconds'] = round(time.time() - t1, 1)
                r['label'] = pol if pol != 'bandit' else f'bandit g={g[0]:g},{g[1]:g}'
                r['g'] = list(g)
                r['reward'] = {f'{x[0]:g},{x[1]:g}': reward(r, x) for x in gammas}
                r['dat'] = f"series-{sc}-{r['label'].replace(' ', '_').replace('=', '').replace(',', '_')}.dat"
                with open(os.path.join(a.out, r['dat']), 'w') as f:
                    f.write('# arrivals hosts vms mem_mib L R\n')
                    for s in r.pop('series'):
                        f.write(' '.join(f'{x:.4g}' if isinstance(x, float)
                                         else str(x) for x in s) + '\n')
                results.append(r)
                print(f"{sc:10s} {r['label']:22s} hosts {r['hosts_mean_2nd_half']:7.1f}"
                      f" (max {r['hosts_max']:4d}) mem {r['mem_used_mib_mean_2nd_half']/1024:7.1f} GiB"
                      f" rejected {r['rejected']:5d} L {r['L_mean']:.3f} R {r['R_mean']:.3f}"
                      f" reward({gammas[0][0]:g},{gammas[0][1]:g}) {reward(r, gammas[0]):.3f}"
                      f" violations {r['violations']} {r['seconds']}s", flush=True)
    doc = {'fingerprints': {'source': fs.get('source'), 'how': fs.get('how'),
                            'templates': len(model.templates),
                            'tau_weight_pages': model.w},
           'args': {k: v for k, v in vars(a).items()},
           'seconds': round(time.time() - t0, 1), 'results': results}
    with open(os.path.join(a.out, 'results.json'), 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    with open(os.path.join(a.out, 'results.md'), 'w') as f:
        f.write(summary(doc) + '\n')
    if a.plot:
        write_plots(a.out, results, scenarios, gammas)
    print(f'sim: {doc["seconds"]} s, results in {a.out}/results.json',
          file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
