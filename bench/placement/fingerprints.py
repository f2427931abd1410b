# SPDX-License-Identifier: GPL-2.0
#
# Copyright (C) 2026 The vmmerge developers.
#
# Fingerprint sets for the placement simulator: load one (captured on the
# test bed by bench/placement/capture, or made by synthetic() below), and
# turn it into the memory model sim.py uses.
#
# A set is JSON: {"source": "captured"|"synthetic", "how": TEXT,
#   "page_size": 4096, "sketch_k": K, "vms": [{"name", "stack", "role",
#   "pages" (non-zero pages present), "zero_pages", "sketch": [HEX16...]}],
#   "validation": [{"mix": [NAMES], "resident_pages", "ksm_saved_pages", ...}]}
# Each sketch is the bottom-k of the VM's fingerprints (its own group's
# GET_SKETCH): the k smallest distinct 64-bit keyed hashes of its non-zero
# pages.  All sketches of a set must come from one fingerprint key.
#
# The model (see Documentation/placement.md):
# - Coordinated sample.  tau = the smallest k-th entry over all full sketches;
#   every sketch cut at tau is the sample "hash <= tau" of that VM's distinct
#   content, the same rule for every VM, so one sampled hash stands for
#   w = 2^64 / (tau + 1) distinct pages and sets can be united and
#   intersected entry by entry (Broder's bottom-k / KMV estimates).
# - Template split.  A captured VM is a template.  Its sampled hashes seen in
#   at least one other captured VM are "common" (runtime, libraries, guest
#   kernel: every instance of the template has them); the others are
#   "private" (heap, data: every instance has its own).
# - A host's VMs that may merge together (the domain holding the host's
#   merge scope) use w * |union of the common sets of their templates| +
#   w * sum of their private counts pages; zero pages merge into one page
#   (counted 0).  VMs of other domains, and of isolated domains, use their
#   whole resident size (non-zero + zero pages).

import hashlib
import heapq
import json
import random

TWO64 = 1 << 64


def load(path):
    with open(path) as f:
        fs = json.load(f)
    for v in fs['vms']:
        v['sketch_int'] = sorted(int(h, 16) for h in v['sketch'])
    return fs


def save(fs, path):
    out = dict(fs)
    out['vms'] = [{k: v[k] for k in v if k != 'sketch_int'} for v in fs['vms']]
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


class Template:
    """One captured VM as the model sees it."""

    def __init__(self, idx, vm, common, private, w):
        self.idx = idx
        self.name = vm['name']
        self.stack = vm['stack']
        self.role = vm.get('role', 'warm')
        self.full = vm['pages'] + vm['zero_pages']   # resident, unmerged
        self.common = frozenset(common)               # sampled hashes
        self.private = private                        # sampled hash count
        self.private_pages = private * w
        # Alone (merged with itself only): its distinct non-zero content.
        self.solo = min((len(common) + private) * w, self.full)


class Model:
    """Templates, and the merged size of any set of them on one host."""

    def __init__(self, fs):
        k = fs.get('sketch_k') or max(len(v['sketch_int']) for v in fs['vms'])
        full = [v['sketch_int'][-1] for v in fs['vms']
                if len(v['sketch_int']) >= k]
        self.tau = min(full) if full else TWO64 - 1
        self.w = TWO64 / (self.tau + 1)
        cut = [[h for h in v['sketch_int'] if h <= self.tau] for v in fs['vms']]
        seen = {}
        for i, s in enumerate(cut):
            for h in s:
                seen[h] = seen.get(h, 0) + 1
        self.templates = []
        for i, (v, s) in enumerate(zip(fs['vms'], cut)):
            common = [h for h in s if seen[h] > 1]
            self.templates.append(Template(i, v, common, len(s) - len(common),
                                           self.w))
        self.stacks = sorted({t.stack for t in self.templates})
        self.by_stack = {s: [t for t in self.templates if t.stack == s]
                         for s in self.stacks}
        self._union = {0: 0.0}

    def union_pages(self, mask):
        """w * |union of the common sets of the templates in @mask|."""
        u = self._union.get(mask)
        if u is None:
            sets = [t.common for t in self.templates if mask >> t.idx & 1]
            u = len(frozenset().union(*sets)) * self.w
            self._union[mask] = u
        return u

    def merged_pages(self, counts):
        """Merged size of one merging domain's VMs: {template idx: count}.

        Never more than the VMs' unmerged size (the estimate can exceed it
        by sampling noise); so a VM never adds more than its own size.
        """
        mask = 0
        priv = full = 0.0
        for i, n in counts.items():
            if n > 0:
                t = self.templates[i]
                mask |= 1 << i
                priv += n * t.private_pages
                full += n * t.full
        return min(self.union_pages(mask) + priv, full)

    def predict_saved(self, names):
        """Pages KSM should save for a mix of captured VMs on one host."""
        idx = {t.name: t.idx for t in self.templates}
        counts = {}
        for n in names:
            counts[idx[n]] = counts.get(idx[n], 0) + 1
        full = sum(self.templates[i].full * n for i, n in counts.items())
        return full - self.merged_pages(counts)


# ---- a synthetic set, labelled as such (used when no capture exists) ----

# Calibrated by hand to bench/results/2026-11-26-32vm-vmmerge (the density
# bench on the test bed: per-stack group SAVED% 40.8 / 49.8 / 64.4 with
# 13 / 11 / 8 VMs, 10% of resident pages zero): pages per VM (4 KiB),
# fraction of them the stack's runtime shares, fraction shared by every
# stack (the guest kernel), zero fraction.
SYNTH_STACKS = {
    'python3': {'pages': 30000, 'runtime': 0.33, 'kernel': 0.08, 'zero': 0.10},
    'node': {'pages': 34000, 'runtime': 0.38, 'kernel': 0.08, 'zero': 0.10},
    'perl': {'pages': 28000, 'runtime': 0.57, 'kernel': 0.08, 'zero': 0.10},
}
SYNTH_DATA_PAGES = 24576          # a data VM's 96 MiB of unique heap


def _fp(key, x):
    d = hashlib.blake2b(x.to_bytes(8, 'little'), key=key, digest_size=8)
    return int.from_bytes(d.digest(), 'little')


def synthetic(per_stack=3, data=('python3', 'node'), k=1024, seed=1):
    """A labelled synthetic fingerprint set with the capture's format."""
    rng = random.Random(seed)
    key = rng.getrandbits(128).to_bytes(16, 'little')
    kernel_base, next_id = 1 << 40, [1]
    kernel_n = max(int(c['pages'] * c['kernel']) for c in SYNTH_STACKS.values())
    vms = []

    def fresh(n):
        first = next_id[0]
        next_id[0] += n
        return range(first, first + n)

    runtime = {s: fresh(int(c['pages'] * c['runtime']))
               for s, c in SYNTH_STACKS.items()}
    for s, c in SYNTH_STACKS.items():
        roles = ['warm'] * per_stack + (['data'] if s in data else [])
        for j, role in enumerate(roles):
            n = c['pages']
            nz = int(n * (1 - c['zero']))
            kern = range(kernel_base, kernel_base + int(n * c['kernel']))
            # Each instance touches 95..100% of the runtime's pages.
            rt = [p for p in runtime[s] if rng.random() < 0.975]
            own = nz - len(kern) - len(rt)
            if role == 'data':
                own += SYNTH_DATA_PAGES
            ids = list(kern) + rt + list(fresh(max(own, 0)))
            sk = heapq.nsmallest(k, {_fp(key, p) for p in ids})
            vms.append({'name': f'{s}-{role}-{j}', 'stack': s, 'role': role,
                        'pages': len(ids), 'zero_pages': n - nz,
                        'sketch': [f'{h:016x}' for h in sk],
                        'sketch_int': sk})
    assert kernel_n >= 0
    return {'source': 'synthetic',
            'how': 'bench/placement/fingerprints.py synthetic(per_stack=%d, '
                   'k=%d, seed=%d): page sets made up to match the per-stack '
                   'savings of bench/results/2026-11-26-32vm-vmmerge; NOT '
                   'captured from guests' % (per_stack, k, seed),
            'page_size': 4096, 'sketch_k': k, 'vms': vms, 'validation': []}
