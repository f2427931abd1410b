#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A stand-in VMM for policy tests: guest RAM without a guest.

  fakevmm.py OUT --mib N [--patterns K] [--zero P] [--self-merge]
             [--heap-merge] [--prctl-merge] [--new-mib M] [--no-thp]
             [--nodes A,B --split P]

Maps N MiB of anonymous private "guest RAM", fills it (page i gets the
non-zero pattern i mod K, K = 16 by default, so it merges within and across
fakes; with K at least the page count every page of a fake is distinct,
and fakes share all of them),
and writes "PID START LENGTH" to OUT. With --zero P, P pages of every
100 are written with zeros instead (private pages of zero content, which
KSM merges into the zero page with use_zero_pages=1). Then it waits for
signals:

  SIGUSR1  map a shared anonymous mapping over the whole range (MAP_FIXED)
           and touch it: what was guest RAM is now shared memory
  SIGUSR2  madvise(MADV_MERGEABLE) the range again, as a VMM that marks
           its own memory mergeable would
  SIGHUP   map M MiB (--new-mib, default 4) of new anonymous memory
           elsewhere, "VMM heap" that is not guest RAM, fill it as the
           guest RAM, and write "START LENGTH" of it to OUT.new
  SIGWINCH prctl(PR_SET_MEMORY_MERGE, 1) now, as --prctl-merge at start
  SIGTERM  exit

--self-merge marks the range mergeable at start (QEMU's mem-merge=on);
--heap-merge also maps and marks 1 MiB of "VMM heap" elsewhere.
--prctl-merge calls prctl(PR_SET_MEMORY_MERGE, 1) first, as a launcher
would before exec (6.4+): all its memory is mergeable, the interpreter's
heap included, and so is every mapping made later.
--no-thp madvise(MADV_NOHUGEPAGE)s the range before touching it: small
pages only (splitting a huge page maps its zero-filled parts to the zero
page on 6.12, beside KSM).
--nodes A,B --split P binds the first P percent of the range to NUMA
node A and the rest to node B (mbind), before touching it.
"""
import argparse
import array
import ctypes
import mmap
import os
import signal
import sys

PAGE = 4096
MADV_MERGEABLE = 12
MADV_NOHUGEPAGE = 15
PR_SET_MEMORY_MERGE = 67
MPOL_BIND = 2
SYS_MBIND = 237  # x86_64

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.syscall.restype = ctypes.c_long
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                       ctypes.c_ulong, ctypes.c_ulong]


def check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        sys.exit("fakevmm: %s: %s" % (what, os.strerror(e)))


def fill(addr, length, patterns=16, zero=0):
    """Page i of the range gets 0x5a5a0000 + i mod patterns in its first
    8 bytes, or 0 where i mod 100 < zero; the rest stays as mapped (zero).
    One strided store of the whole range (the loop over pages is C's), so
    each page is touched once, in order."""
    words = memoryview((ctypes.c_ubyte * length).from_address(addr)).cast("B").cast("Q")
    words[::PAGE // 8] = array.array("Q", (
        0 if i % 100 < zero else 0x5a5a0000 + i % patterns
        for i in range(length // PAGE)))


def anon(length, shared=False, at=None):
    flags = mmap.MAP_ANONYMOUS | (mmap.MAP_SHARED if shared else mmap.MAP_PRIVATE)
    if at is not None:
        flags |= 0x10  # MAP_FIXED
    addr = libc.mmap(at, length, mmap.PROT_READ | mmap.PROT_WRITE, flags, -1, 0)
    if addr in (None, ctypes.c_void_p(-1).value):
        sys.exit("fakevmm: mmap failed: %s" % os.strerror(ctypes.get_errno()))
    return addr


def bind(addr, length, node):
    mask = ctypes.c_ulong(1 << node)
    check(libc.syscall(SYS_MBIND, ctypes.c_void_p(addr), ctypes.c_size_t(length),
                       MPOL_BIND, ctypes.byref(mask), 64, 0), "mbind")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mib", type=int, default=8)
    ap.add_argument("--patterns", type=int, default=16)
    ap.add_argument("--zero", type=int, default=0)
    ap.add_argument("--prctl-merge", action="store_true")
    ap.add_argument("--new-mib", type=int, default=4)
    ap.add_argument("--no-thp", action="store_true")
    ap.add_argument("--self-merge", action="store_true")
    ap.add_argument("--heap-merge", action="store_true")
    ap.add_argument("--nodes")
    ap.add_argument("--split", type=int, default=50)
    a = ap.parse_args()

    def merge_any(*_):
        check(libc.prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0),
              "prctl(PR_SET_MEMORY_MERGE)")

    if a.prctl_merge:
        merge_any()
    length = a.mib << 20
    # A guard page on each side keeps the range one mapping of its own.
    base = anon(length + 2 * PAGE) + PAGE
    libc.munmap(ctypes.c_void_p(base - PAGE), PAGE)
    libc.munmap(ctypes.c_void_p(base + length), PAGE)
    if a.nodes:
        n0, n1 = (int(x) for x in a.nodes.split(","))
        first = (length * a.split // 100) // PAGE * PAGE
        bind(base, first, n0)
        bind(base + first, length - first, n1)
    if a.no_thp:
        check(libc.madvise(base, length, MADV_NOHUGEPAGE), "madvise nohugepage")
    fill(base, length, a.patterns, a.zero)
    if a.self_merge:
        check(libc.madvise(base, length, MADV_MERGEABLE), "madvise")
    if a.heap_merge:
        heap = anon(1 << 20)
        fill(heap, 1 << 20)
        check(libc.madvise(heap, 1 << 20, MADV_MERGEABLE), "madvise heap")

    def remap_shared(*_):
        anon(length, shared=True, at=base)
        fill(base, length)

    def remerge(*_):
        check(libc.madvise(base, length, MADV_MERGEABLE), "madvise")

    def map_new(*_):
        new = a.new_mib << 20
        addr = anon(new)
        fill(addr, new, a.patterns)
        with open(a.out + ".new.tmp", "w") as f:
            f.write("0x%x %d\n" % (addr, new))
        os.rename(a.out + ".new.tmp", a.out + ".new")

    signal.signal(signal.SIGUSR1, remap_shared)
    signal.signal(signal.SIGHUP, map_new)
    signal.signal(signal.SIGWINCH, merge_any)
    signal.signal(signal.SIGUSR2, remerge)
    with open(a.out + ".tmp", "w") as f:
        f.write("%d 0x%x %d\n" % (os.getpid(), base, length))
    os.rename(a.out + ".tmp", a.out)
    while True:
        signal.pause()


main()
