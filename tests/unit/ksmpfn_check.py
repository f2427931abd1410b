#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Unit test of tests/tools/ksmpfn, the PFN-level isolation checker.
# Synthetic pagemap files and a synthetic kpageflags file (--pagemap-dir,
# --kpageflags) give exact answers for each rule; then, on this host, a
# forked process (its anonymous pages shared copy-on-write with the parent
# until written) must show up as one PFN in two domains. Without root the
# real part checks instead that hidden PFNs are a read error.
import ctypes
import mmap
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "tools", "ksmpfn")
P = 4096
PRESENT = 1 << 63
FILE = 1 << 61
KSM = 1 << 21
ZERO = 1 << 24
failed = 0


def result(name, ok, detail=""):
    global failed
    print("%s %s%s" % ("ok" if ok else "FAIL", name, "" if ok else ": " + detail))
    failed += not ok


def run(*args):
    r = subprocess.run([sys.executable, TOOL] + list(args),
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def watch_rounds(out):
    """The round count of ksmpfn's summary line, 0 without one."""
    m = re.search(r"^ksmpfn: \d+ VMs, (\d+) rounds", out, re.M)
    return int(m.group(1)) if m else 0


def entry(p):
    if p is None:
        return 0
    if isinstance(p, tuple):
        return PRESENT | FILE | p[1]
    return PRESENT | p


class Bed:
    """A pagemap directory and a kpageflags file."""

    def __init__(self, root):
        self.root = root
        self.flags = {}
        self.kpf = os.path.join(root, "kpageflags")

    def pagemap(self, pid, base, pfns):
        """pid maps, from page index base, pfns (None = not present,
        ("f", pfn) = a file page)."""
        d = os.path.join(self.root, str(pid))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "pagemap"), "wb") as f:
            f.seek(base * 8)
            f.write(b"".join(struct.pack("<Q", entry(p)) for p in pfns))

    def write_flags(self, npfn=1 << 17):
        buf = bytearray(npfn * 8)
        for pfn, fl in self.flags.items():
            struct.pack_into("<Q", buf, pfn * 8, fl)
        with open(self.kpf, "wb") as f:
            f.write(buf)

    def check(self, *args):
        return run("--kpageflags", self.kpf, "--pagemap-dir", self.root, *args)


def spec(dom, pid, base, n):
    return "%s:%d:%#x:%d" % (dom, pid, base * P, n * P)


def synthetic(tmp):
    bed = Bed(tmp)
    # pid 10 (domain a): private pages 100-103, KSM page 500 twice, zero page 7
    bed.pagemap(10, 16, [100, 101, 102, 103, 500, 500, None, 7])
    # pid 11 (domain a): KSM 500 and 501, zero page 7
    bed.pagemap(11, 16, [500, 501, 7, None])
    # pid 12 (domain b): own pages, zero page 7
    bed.pagemap(12, 32, [200, 201, 7])
    # pid 13 (isolated domain s): a KSM page of its own
    bed.pagemap(13, 16, [300, 301, 502])
    # pid 14 (domain b): maps pid 11's KSM page 501
    bed.pagemap(14, 16, [501, 202])
    # pids 16 (domain a) and 17 (domain b): the same file pages, one anon
    bed.pagemap(16, 16, [("f", 600), ("f", 601), 602])
    bed.pagemap(17, 16, [("f", 600), ("f", 601), 603])
    # pid 15 (domain c): 70000 pages, more than one read, from a high base
    bed.pagemap(15, 1 << 20, [20000 + i for i in range(70000)])
    bed.flags = {500: KSM, 501: KSM, 502: KSM, 7: ZERO}
    bed.write_flags()

    rc, out = bed.check(spec("a", 10, 16, 8), spec("a", 11, 16, 4), spec("b", 12, 32, 3))
    result("same-domain-ksm-ok", rc == 0, out)
    result("counts", "vm a/10: present 6 zero 1 file 0 ksm 2 ksm-pfns 1" in out and
           "vm a/11: present 2 zero 1 file 0 ksm 2 ksm-pfns 2" in out, out)
    result("zero-page-not-cross-domain", "VIOLATION" not in out, out)

    rc, out = bed.check(spec("a", 11, 16, 4), spec("b", 14, 16, 2))
    result("cross-domain-exit-1", rc == 1, out)
    result("cross-domain-reported",
           "VIOLATION cross-domain: pfn 0x1f5 (ksm) mapped by a/11, b/14" in out, out)

    rc, out = bed.check(spec("!s", 13, 16, 3), spec("a", 10, 16, 8))
    result("isolated-ksm-exit-1", rc == 1, out)
    result("isolated-ksm-reported",
           "VIOLATION isolated: vm !s/13 maps 1 KSM pages (1 pfns: 0x1f6)" in out, out)
    rc, out = bed.check(spec("!s", 13, 16, 2))
    result("isolated-no-ksm-ok", rc == 0, out)

    # Two ranges of one VM, and the range cut to what it covers.
    rc, out = bed.check(spec("a", 10, 16, 4), spec("a", 10, 20, 2))
    result("two-ranges-one-vm", rc == 0 and "vm a/10: present 6 zero 0 file 0 ksm 2" in out, out)

    rc, out = bed.check(spec("a", 16, 16, 3), spec("b", 17, 16, 3))
    result("file-pages-not-cross-domain", rc == 0 and
           "vm b/17: present 1 zero 0 file 2 ksm 0" in out, out)

    rc, out = bed.check(spec("c", 15, 1 << 20, 70000))
    result("large-vm", rc == 0 and "vm c/15: present 70000 zero 0 file 0 ksm 0" in out, out)
    rc, out = bed.check("--max-report", "2", spec("c", 15, 1 << 20, 4),
                        spec("d", 15, 1 << 20, 4))
    result("max-report", rc == 1 and out.count("VIOLATION") == 2 and
           "... 2 more violations" in out, out)

    rc, out = bed.check("--watch", "1.2", "--interval", "0.3", spec("a", 11, 16, 4),
                        spec("b", 14, 16, 2))
    # How many rounds fit in --watch depends on the host's speed (a round
    # late on a loaded host shortens the rest): ask for at least two, which
    # the first round, never the last one, guarantees.
    result("watch-fails", rc == 1 and "round 1: VIOLATION" in out and
           watch_rounds(out) >= 2, out)
    rc, out = bed.check("--watch", "0.5", "--interval", "0.2", spec("a", 10, 16, 8))
    result("watch-ok", rc == 0 and "0 violations" in out and watch_rounds(out) >= 2, out)

    rc, out = bed.check(spec("a", 999, 16, 1))
    result("gone-is-error", rc == 2 and "no such process" in out, out)
    rc, out = bed.check("--ignore-gone", spec("a", 999, 16, 1), spec("a", 10, 16, 1))
    result("ignore-gone", rc == 0 and "(gone)" in out, out)
    rc, out = bed.check(spec("a", 10, 16, 100))
    result("beyond-pagemap-is-error", rc == 2, out)
    for bad in ("a:10:0x1000", "a:x:0x1000:4096", "a:10:0x1001:4096", "a:10:0:0",
                ":10:0:4096"):
        rc, out = bed.check(bad)
        result("usage-%s" % bad, rc == 2, out)
    rc, out = bed.check("!a:10:0x10000:4096", "a:11:0x10000:4096")
    result("usage-mixed-isolation", rc == 2 and "both isolated and not" in out, out)
    rc, out = run("--kpageflags", "/nonexistent", spec("a", os.getpid(), 0, 1))
    result("no-kpageflags", rc == 2, out)

    # A kernel that marks every anonymous page KSM (6.12.117): with
    # --shared-ksm only pages mapped more than once count. pid 18 (isolated)
    # maps 510 (KSM flag, one mapping) and 511 (KSM flag, two mappings).
    bed.pagemap(18, 16, [510, 511])
    bed.flags.update({510: KSM, 511: KSM})
    bed.write_flags()
    counts = bytearray(len(open(bed.kpf, "rb").read()))
    struct.pack_into("<Q", counts, 510 * 8, 1)
    struct.pack_into("<Q", counts, 511 * 8, 2)
    kpc = os.path.join(tmp, "kpagecount")
    with open(kpc, "wb") as f:
        f.write(counts)
    rc, out = bed.check("--shared-ksm", "--kpagecount", kpc, spec("!s", 18, 16, 2))
    result("shared-ksm-counts-mapped-twice", rc == 1 and
           "present 2 zero 0 file 0 ksm 1 ksm-pfns 1" in out and
           "maps 1 KSM pages (1 pfns: 0x1ff)" in out, out)
    rc, out = bed.check(spec("!s", 18, 16, 2))
    result("ksm-flag-trusted-by-default", rc == 1 and "ksm 2 ksm-pfns 2" in out, out)


def real():
    n = 32
    m = mmap.mmap(-1, n * P, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    for i in range(n):
        m[i * P:i * P + 8] = b"page%04d" % i
    base = ctypes.addressof(ctypes.c_char.from_buffer(m))
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(w)
        os.read(r, 1)
        os._exit(0)
    os.close(r)
    try:
        me = "%d:%#x:%d" % (os.getpid(), base, n * P)
        him = "%d:%#x:%d" % (child, base, n * P)
        rc, out = run("a:" + me, "b:" + him)
        if os.geteuid() != 0:
            result("real-unprivileged-is-error", rc == 2 and "CAP_SYS_ADMIN" in out, out)
            return
        result("real-fork-shared-cross-domain", rc == 1 and
               "VIOLATION cross-domain" in out and "%d violations" % n in out, out)
        rc, out = run("a:" + me, "a:" + him)
        result("real-fork-same-domain", rc == 0 and
               "present %d zero 0 file 0 ksm 0" % n in out, out)
    finally:
        os.write(w, b"x")
        os.waitpid(child, 0)


with tempfile.TemporaryDirectory() as tmp:
    synthetic(tmp)
real()
print("%s ksmpfn_check" % ("FAIL" if failed else "ok"))
sys.exit(1 if failed else 0)
