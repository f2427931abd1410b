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
#          [--gamma G1,G2 ...] [--host-mib 128] [--base-mib 0] [--seed 1]
#          [--out DIR] [--plot]
#   sim.py --replot DIR
#
# Policies: random, least-loaded, first-fit, stack-affinity (hosts already
# running the stack, by label only: the most VMs of it that fits), hint-greedy (the
# host where the VM adds the least memory after merging, as vmmerge's hints
# predict it, trust policy included; ties to the lowest host), bandit (a
# contextual bandit: a discounted ridge-regression model of the reward over
# the features of the feasible, trust-policy-aware hosts, epsilon-greedy
# with decaying exploration; class Bandit), bandit-frozen (the same, learning
# stopped at half the stream: the control for the shift).  Every policy must
# place a VM where it fits: its added memory after merging <= the host's
# free memory; a VM no host takes is rejected (counted).
# Reward of a placement: -(g1 * L + g2 * R), L = cold + load (cold 1 if the
# host runs no VM of the stack, load = VMs already there / host CPUs),
# R = (memory the VM adds after merging + the host's base memory if the VM
# opens an empty host + HOST_MIB / (VMs on the host + 1), the host-count
# term) / the VM's unmerged size.
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
                 base_pages=0, host_pages=0):
        self.m = model
        self.T = model.templates
        self.hosts = [Host(i, cap_pages) for i in range(hosts)]
        self.cap = cap_pages
        self.isolated = set(isolated)
        self.cpus = cpus
        self.base = base_pages
        self.host_pages = host_pages         # R's host-count term (resource())
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
    """R of placing VM template t on h, before placing it: the memory it
    adds after merging (@add), plus the host's base memory if it opens h,
    plus its share of keeping h powered, host_pages / (VMs on h + 1), all
    over the VM's unmerged size."""
    n = len(h.vms)
    return (add + (fl.base if not n else 0.0)
            + fl.host_pages / (n + 1)) / fl.T[t].full


def allowed(fl, dom, t):
    """[(host, cost)] a trust-policy-aware scheduler considers for VM (dom, t):
    the hosts @dom holds where it fits (it merges there) and the first empty
    host; only when none of these fits, the first host it fits on at all
    (it will not merge there: another domain holds it, or @dom is isolated),
    and for an isolated domain that and the first empty host."""
    out = []
    if dom not in fl.isolated:
        lb, fv, hosts = lower_bound(fl, dom, t), fl.freev, fl.hosts
        for hi in sorted(fl.by_owner.get(dom, ())):
            if fv[hi] < lb:
                continue
            h = hosts[hi]
            c = fl.cost(h, dom, t)
            if c <= h.cap - h.used + 1e-6:
                out.append((hi, c))
    e = fl.first_empty()
    if e >= 0 and fits(fl, fl.hosts[e], dom, t):
        out.append((e, fl.cost(fl.hosts[e], dom, t)))
    if not out or dom in fl.isolated:
        hi = scan_fit(fl, fl.free, dom, t)
        if hi >= 0 and hi != e:
            out.insert(0, (hi, fl.cost(fl.hosts[hi], dom, t)))
    return out


class Bandit:
    """Contextual bandit with a linear reward model (discounted ridge
    regression), epsilon-greedy with decaying exploration.

    Arms: the hosts allowed() returns (feasible, trust-policy aware: the
    VM's own domain's hosts and the first empty one; another domain's host
    only as the last resort), at most @topk of them by expected sharing
    plus the @topk with the most VMs and the @topk least loaded.  Features
    of an arm: 1, m = memory added after merging / VM size (the hint),
    o = host_pages / (VMs there + 1) / VM size (the host-count term: its
    share of keeping that host powered, 1/(n+1) being how much a VM on a
    host of n prolongs its busy time), cold (no VM of the stack there),
    load (VMs there / CPUs), free fraction after placing.  The learner
    observes r = -(g1 L + g2 R) with the cold start's latency noisy (sd
    @noise), regresses r on the features with forgetting factor @decay
    (so that it follows a changing mix) and picks the arm of the highest
    predicted r; with probability eps0 / (1 + n / eps_half) it explores a
    random arm that does not open a host.  Before the first refit (theta =
    0) it takes the first arm in hint-greedy's order: the warm start.
    freeze_at: stop learning after that many placements (a control).
    known: no learning, no exploration, theta = the reward's own weights
    (R = m + o, L = cold + load): the control that knows the reward.
    """

    D = 6

    def __init__(self, g1, g2, rng, eps0=0.05, eps_half=2000, decay=0.9995,
                 refit=64, noise=0.3, ridge=1.0, topk=8, freeze_at=None,
                 known=False):
        self.g1, self.g2, self.rng = g1, g2, rng
        self.eps0, self.eps_half = eps0, eps_half
        self.decay, self.refit, self.noise = decay, refit, noise
        self.topk, self.freeze_at = topk, freeze_at
        d = self.D
        self.A = [[ridge if i == j else 0.0 for j in range(d)] for i in range(d)]
        self.b = [0.0] * d
        self.ridge = ridge
        self.theta = [0.0] * d
        self.n = 0
        self.explored = 0
        self.known = known
        if known:
            self.theta = [0.0, -g2, -g2, -g1, -g1, 0.0]
            self.eps0 = 0.0

    def features(self, fl, h, dom, t, add):
        full = fl.T[t].full
        n = len(h.vms)
        return [1.0, (add + (fl.base if not n else 0.0)) / full,
                fl.host_pages / (n + 1) / full,
                0.0 if fl.T[t].stack in h.stacks else 1.0,
                n / fl.cpus, (h.cap - h.used - add) / h.cap]

    def arms(self, fl, dom, t):
        al = allowed(fl, dom, t)
        k = self.topk
        if len(al) <= 3 * k:
            return al
        hosts = fl.hosts
        # hint order: least cost, lowest index; then the fullest, the emptiest
        by_cost = sorted(al, key=lambda x: (x[1], x[0]))
        by_n = sorted(al, key=lambda x: (-len(hosts[x[0]].vms), x[0]))
        pick, seen = [], set()
        for lst in (by_cost[:k], by_n[:k], by_n[-k:]):
            for x in lst:
                if x[0] not in seen:
                    seen.add(x[0])
                    pick.append(x)
        return pick

    def choose(self, fl, dom, t):
        arms = self.arms(fl, dom, t)
        if not arms:
            return -1, None
        hosts = fl.hosts
        feats = [self.features(fl, hosts[hi], dom, t, c) for hi, c in arms]
        th = self.theta
        eps = self.eps0 / (1.0 + self.n / self.eps_half)
        if eps and self.rng.random() < eps:
            used = [i for i, (hi, _) in enumerate(arms) if hosts[hi].vms]
            if used:
                k = self.rng.choice(used)
                self.explored += 1
                return arms[k][0], feats[k]
        if not any(th):
            best = min(range(len(arms)), key=lambda i: (arms[i][1], arms[i][0]))
        else:
            best, bs = 0, -math.inf
            for i, x in enumerate(feats):
                sc = (th[0] + th[1] * x[1] + th[2] * x[2] + th[3] * x[3]
                      + th[4] * x[4] + th[5] * x[5])
                if sc > bs + 1e-12 or (sc > bs - 1e-12 and arms[i][0] < arms[best][0]):
                    best, bs = i, sc
        return arms[best][0], feats[best]

    def learn(self, x, L, R):
        if self.known or (self.freeze_at is not None and
                          self.n >= self.freeze_at):
            return
        L_obs = L + self.noise * self.rng.gauss(0.0, 1.0) * x[3]
        r = -(self.g1 * L_obs + self.g2 * R)
        d, A, b, g = self.D, self.A, self.b, self.decay
        rg = (1 - g) * self.ridge
        for i in range(d):
            xi = x[i]
            Ai = A[i]
            for j in range(d):
                Ai[j] = g * Ai[j] + xi * x[j]
            Ai[i] += rg
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
    'hint-greedy': p_hint_greedy, 'bandit': None, 'bandit-frozen': None,
    'bandit-known': None,
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
               base_pages=args.base_mib * MIB_PAGES,
               host_pages=args.host_mib * MIB_PAGES)
    bandit = None
    if policy.startswith('bandit'):
        # bandit-frozen: the control that stops learning at half the stream
        # (where the shift scenario's mix changes); bandit-known: the one
        # that is told the reward's weights instead of learning them.
        bandit = Bandit(gamma[0], gamma[1], rng, freeze_at=(
            args.arrivals // 2 if policy == 'bandit-frozen' else None),
            known=policy == 'bandit-known')
    choose = POLICIES[policy]
    every = max(1, args.arrivals // 400)
    placed, rejected, n_arr = set(), 0, 0
    sumL = sumR = sumC = 0.0
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
                R = resource(fl, h, t, fl.cost(h, dom, t))
                sumC += fl.T[t].stack not in h.stacks
                fl.place(vm, dom, t, hi)
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
        'L_mean': sumL / n, 'R_mean': sumR / n, 'cold_mean': sumC / n,
        'violations': len(fl.check()),
        'explored': bandit.explored if bandit else 0,
        'theta': [round(x, 4) for x in bandit.theta] if bandit else None,
        'series': series,
    }


def reward(r, g):
    return -(g[0] * r['L_mean'] + g[1] * r['R_mean'])


def windows(series, g, arrivals):
    """Mean reward at g over parts of the stream: before the shift (second
    quarter), just after it (the next tenth) and after it (second half)."""
    parts = {'before': (0.25, 0.5), 'just_after': (0.5, 0.6),
             'after': (0.5, 1.0)}
    out = {}
    for name, (a, b) in parts.items():
        xs = [-(g[0] * s[4] + g[1] * s[5]) for s in series
              if a * arrivals < s[0] <= b * arrivals]
        out[name] = sum(xs) / len(xs) if xs else None
    return out


def write_gaps(out, results, scenarios, gammas, smooth=8):
    """gap-SC-gG.dat: arrivals, then per bandit variant trained at G its
    reward minus hint-greedy's (both at G), moving mean over @smooth points."""
    files = []
    for sc in scenarios:
        hg = next((r for r in results if r['scenario'] == sc and
                   r['policy'] == 'hint-greedy'), None)
        if hg is None:
            continue
        for g in gammas:
            bs = [r for r in results if r['scenario'] == sc and
                  r['policy'].startswith('bandit') and tuple(r['g']) == g]
            if not bs:
                continue
            rew = [[-(g[0] * x[4] + g[1] * x[5]) for x in r['_series']]
                   for r in [hg] + bs]
            n = min(len(x) for x in rew)
            name = f'gap-{sc}-g{g[0]:g}_{g[1]:g}.dat'
            with open(os.path.join(out, name), 'w') as f:
                f.write('# arrivals ' + ' '.join(
                    f"{r['policy']}-minus-hint-greedy" for r in bs) + '\n')
                for i in range(n):
                    lo = max(0, i - smooth + 1)
                    row = [hg['_series'][i][0]]
                    for k in range(1, len(rew)):
                        d = [rew[k][j] - rew[0][j] for j in range(lo, i + 1)]
                        row.append(sum(d) / len(d))
                    f.write(' '.join(f'{x:.5g}' for x in row) + '\n')
            files.append((sc, g, name, [r['policy'] for r in bs]))
    return files


def style(r):
    """gnuplot line style: learning policies dashed (colours repeat)."""
    return 'lw 2 dt 2' if r['policy'].startswith('bandit') else 'lw 2'


def write_plots(out, results, scenarios, gammas, gaps=()):
    with open(os.path.join(out, 'plot.gp'), 'w') as f:
        n = max((r['arrivals'] for r in results), default=0)
        f.write('set terminal pngcairo noenhanced size 900,500\nset grid\n'
                'set key outside right\nset xlabel "arrivals"\n'
                f'set xtics {max(n // 5, 1)}\n')
        for sc in scenarios:
            # the shift scenario's mix changes at half the stream
            f.write('unset arrow\n' if sc != 'shift' else
                    f'set arrow 1 from {n // 2}, graph 0 to {n // 2}, graph 1 '
                    'nohead dt 3 lc rgb "black"\n')
            rs = [r for r in results if r['scenario'] == sc]
            f.write(f"set output 'hosts-{sc}.png'\nset ylabel 'hosts in use'\n"
                    f"set title 'hosts in use, {sc} mix'\n")
            f.write('plot ' + ', '.join(
                f"'{r['dat']}' using 1:2 with lines {style(r)} title '{r['label']}'"
                for r in rs if r['policy'] not in ('bandit-frozen', 'bandit-known'))
                + '\n')
            f.write(f"set output 'mem-{sc}.png'\nset ylabel 'GiB used after merging'\n"
                    f"set title 'fleet memory in use, {sc} mix'\n")
            f.write('plot ' + ', '.join(
                f"'{r['dat']}' using 1:($4/1024) with lines {style(r)} title '{r['label']}'"
                for r in rs if r['policy'] not in ('bandit-frozen', 'bandit-known'))
                + '\n')
            for g in gammas:
                tag = f'{g[0]:g}_{g[1]:g}'
                f.write(f"set output 'reward-{sc}-g{tag}.png'\nset ylabel "
                        f"'-({g[0]:g} L + {g[1]:g} R), window mean'\n"
                        f"set title 'reward per placement at g = {g[0]:g},{g[1]:g}, "
                        f"{sc} mix'\n")
                f.write('plot ' + ', '.join(
                    f"'{r['dat']}' using 1:(-({g[0]}*$5+{g[1]}*$6)) "
                    f"with lines {style(r)} title '{r['label']}'" for r in rs
                    if not r['policy'].startswith('bandit') or
                    tuple(r['g']) == tuple(g)) + '\n')
        for sc, g, name, pols in gaps:
            tag = f'{g[0]:g}_{g[1]:g}'
            f.write('unset arrow\n' if sc != 'shift' else
                    f'set arrow 1 from {n // 2}, graph 0 to {n // 2}, graph 1 '
                    'nohead dt 3 lc rgb "black"\n')
            f.write(f"set output 'gap-{sc}-g{tag}.png'\nset ylabel "
                    f"'reward - hint-greedy reward (mean of 8 windows)'\n"
                    f"set title 'learning minus hint-greedy at g = {g[0]:g},"
                    f"{g[1]:g}, {sc} mix (0: as good)'\n")
            f.write('plot 0 notitle lc rgb "black", ' + ', '.join(
                f"'{name}' using 1:{i + 2} with lines lw 2 title '{p}'"
                for i, p in enumerate(pols)) + '\n')
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
        out.append('| policy | hosts (mean, 2nd half) | max | GiB used | rejected | cold | L | R | '
                   + ' | '.join(f'reward g={g}' for g in gs) + ' | violations | s |')
        out.append('|' + '---|' * (10 + len(gs)))
        for r in rs:
            if r['scenario'] != sc:
                continue
            out.append(f"| {r['label']} | {r['hosts_mean_2nd_half']:.1f} | {r['hosts_max']} | "
                       f"{r['mem_used_mib_mean_2nd_half'] / 1024:.0f} | {r['rejected']} | "
                       f"{r.get('cold_mean', math.nan):.3f} | "
                       f"{r['L_mean']:.3f} | {r['R_mean']:.3f} | "
                       + ' | '.join(f"{r['reward'][g]:.3f}" for g in gs)
                       + f" | {r['violations']} | {r['seconds']} |")
        out.append('')
        hg = next((r for r in rs if r['scenario'] == sc and
                   r['policy'] == 'hint-greedy'), None)
        bs = [r for r in rs if r['scenario'] == sc and
              r['policy'].startswith('bandit')]
        if hg is None or not bs or 'windows' not in hg:
            continue
        out.append(f'{sc}: learning against hint-greedy, each at the '
                   "learner's g (reward = window means; before = 2nd quarter, "
                   'just after = arrivals 50-60%, after = 2nd half)')
        out.append('')
        out.append('| policy | hosts vs hint-greedy | reward before | hint-greedy | '
                   'just after | hint-greedy | after | hint-greedy |')
        out.append('|' + '---|' * 8)
        for r in bs:
            g = f"{r['g'][0]:g},{r['g'][1]:g}"
            w, h = r['windows'][g], hg['windows'][g]
            out.append(f"| {r['label']} | "
                       f"{100 * (r['hosts_mean_2nd_half'] / hg['hosts_mean_2nd_half'] - 1):+.1f}% | "
                       + ' | '.join(f'{w[k]:.3f} | {h[k]:.3f}'
                                    for k in ('before', 'just_after', 'after')) + ' |')
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
    p.add_argument('--host-mib', type=int, default=128,
                   help="R's host-count term: a placement on a host of n VMs "
                   'is charged HOST_MIB / (n + 1)')
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
        gaps = []
        for name in sorted(os.listdir(a.replot)):
            if name.startswith('gap-') and name.endswith('.dat'):
                sc, tag = name[4:-4].split('-g')
                with open(os.path.join(a.replot, name)) as f:
                    pols = [x.split('-minus-')[0] for x in f.readline().split()[2:]]
                gaps.append((sc, tuple(float(x) for x in tag.split('_')), name, pols))
        write_plots(a.replot, rs, sorted({r['scenario'] for r in rs},
                                         reverse=True), gammas, gaps)
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
            for g in (gammas if pol.startswith('bandit') else [gammas[0]]):
                t1 = time.time()
                r = run(model, ev, pol, a, g, a.seed)
                r['scenario'] = sc
                r['seconds'] = round(time.time() - t1, 1)
                r['label'] = (pol if not pol.startswith('bandit')
                              else f'{pol} g={g[0]:g},{g[1]:g}')
                r['g'] = list(g)
                r['reward'] = {f'{x[0]:g},{x[1]:g}': reward(r, x) for x in gammas}
                r['windows'] = {f'{x[0]:g},{x[1]:g}': windows(r['series'], x, a.arrivals)
                                for x in gammas}
                r['dat'] = f"series-{sc}-{r['label'].replace(' ', '_').replace('=', '').replace(',', '_')}.dat"
                with open(os.path.join(a.out, r['dat']), 'w') as f:
                    f.write('# arrivals hosts vms mem_mib L R\n')
                    r['_series'] = r.pop('series')
                    for s in r['_series']:
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
    gaps = write_gaps(a.out, results, scenarios, gammas)
    for r in results:
        del r['_series']
    with open(os.path.join(a.out, 'results.json'), 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    with open(os.path.join(a.out, 'results.md'), 'w') as f:
        f.write(summary(doc) + '\n')
    if a.plot:
        write_plots(a.out, results, scenarios, gammas, gaps)
    print(f'sim: {doc["seconds"]} s, results in {a.out}/results.json',
          file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
