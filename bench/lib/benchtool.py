#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers of bench/density (run inside the test VM) and bench/run (host).

  benchtool.py sample --phase P --duration S --interval I --vms F --out CSV
                      [--schedule SPEC]
      One CSV row per interval: KSM counters, the VMMs' summed RSS, CPU
      ticks of ksmd, vmmerge_scan and vmmerged, KSM's rate, per-stack SAVED
      from /proc/vmmerge/groups. SPEC ("T:PAGES:SLEEP_MS,...,T:off") sets
      KSM's rate at T seconds into the phase (default and static: "0:P:S").
  benchtool.py split --vms F [--stride N]
      Sample every Nth page of each VM's guest RAM (pagemap, kpageflags,
      /proc/PID/mem): the share of KSM mappings whose content is all zero;
      and, outside guest RAM, every present page of the VMM's other VMAs:
      how many map a KSM page (the VMM's heap, stacks, libraries' private
      copies: what merge-any merges beyond guest RAM), by kind, beside the
      sum of the VMMs' /proc/PID/ksm_merging_pages. Prints JSON.
  benchtool.py qmp SOCKET COMMAND
      One QMP command (e.g. stop, cont) on a VMM's QMP socket.
  benchtool.py report DIR
      From DIR/samples.csv, DIR/phases.json, DIR/split-*.json and the
      baselines' logs (DIR/kata-throttler.log, DIR/ksmtuned.log): the
      results table (DIR/results.txt, DIR/results.csv, DIR/results.json)
      and the gnuplot data and script (DIR/plot.gp: saving.png, cpu.png,
      rate.png).
  benchtool.py check DIR [--phases "P..."]
      After report: the sanity cases of the smoke run, one `ok NAME` or
      `FAIL NAME: why` line each; exits 1 if any failed. The phases that
      must have results: --phases, else those the run was asked for
      (phases.json "requested").

F (the VM list) has one line per VM: INDEX NAME STACK PID RAM_START_HEX
RAM_LEN_BYTES ROLE (ROLE: warm, paused or data).
"""
import json
import os
import socket
import struct
import sys
import time

KSM = "/sys/kernel/mm/ksm"
PAGE = 4096
HZ = os.sysconf("SC_CLK_TCK")
STACKS = ("python3", "node", "perl")


def rd(path, default=0):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def wr(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def load_vms(path):
    vms = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 7:
                vms.append({"i": int(p[0]), "name": p[1], "stack": p[2], "pid": int(p[3]),
                            "start": int(p[4], 16), "len": int(p[5]), "role": p[6]})
    return vms


def find_pid(comm):
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() == comm:
                        return int(d)
            except OSError:
                pass
    return None


def ticks(pid, children=False):
    """utime + stime; with @children also the reaped children's."""
    if not pid:
        return 0
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in st[11:15 if children else 13])
    except (OSError, IndexError, ValueError):
        return 0


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE // 1024
    except OSError:
        return 0


def group_saved():
    out = {s: 0 for s in STACKS}
    try:
        with open("/proc/vmmerge/groups") as f:
            next(f)
            for line in f:
                p = line.split()
                if p and p[0] in out:
                    out[p[0]] = int(p[6])
    except (OSError, StopIteration, ValueError, IndexError):
        pass
    return out


COLUMNS = ["phase", "t", "pages_shared", "pages_sharing", "pages_unshared",
           "pages_volatile", "full_scans", "rss_kb", "ksmd_ticks", "scan_ticks",
           "agent_ticks", "pages_to_scan", "sleep_ms", "run", "nr_enrolled"] + \
          [f"saved_{s}" for s in STACKS]


def cmd_sample(a):
    vms = load_vms(a.vms)
    ksmd = find_pid("ksmd")
    scan = find_pid("vmmerge_scan")
    agent = find_pid("vmmerged")
    sched = []
    if a.schedule:
        for step in a.schedule.split(","):
            p = step.split(":")
            sched.append((float(p[0]), p[1:]))
    new = not os.path.exists(a.out)
    f = open(a.out, "a")
    if new:
        f.write(",".join(COLUMNS) + "\n")
    t0 = time.monotonic()
    nxt = 0.0
    while True:
        t = time.monotonic() - t0
        while sched and sched[0][0] <= t:
            _, s = sched.pop(0)
            if s[0] == "off":
                wr(f"{KSM}/run", 0)
            else:
                wr(f"{KSM}/pages_to_scan", s[0])
                wr(f"{KSM}/sleep_millisecs", s[1])
                wr(f"{KSM}/run", 1)
            print(f"benchtool: {a.phase} t={t:.0f}s ksm -> {':'.join(s)}", file=sys.stderr)
        if t >= nxt:
            if not agent:
                agent = find_pid("vmmerged")
            g = group_saved()
            row = [a.phase, f"{t:.1f}"] + \
                [rd(f"{KSM}/{k}") for k in ("pages_shared", "pages_sharing", "pages_unshared",
                                            "pages_volatile", "full_scans")] + \
                [sum(rss_kb(v["pid"]) for v in vms), ticks(ksmd), ticks(scan), ticks(agent),
                 rd(f"{KSM}/pages_to_scan"), rd(f"{KSM}/sleep_millisecs"), rd(f"{KSM}/run"),
                 rd("/sys/kernel/vmmerge/nr_enrolled")] + [g[s] for s in STACKS]
            f.write(",".join(map(str, row)) + "\n")
            f.flush()
            nxt += a.interval
            if t >= a.duration:
                break
        time.sleep(max(0.05, min(nxt - (time.monotonic() - t0),
                                 (sched[0][0] - t) if sched else a.interval)))
    f.close()


KPF_KSM = 21
KPF_THP = 22


def ksm_flag_broken(kpf):
    """True if /proc/kpageflags reports KSM for a plain anonymous page of
    our own (6.12's stable_page_flags() tests mapping & PAGE_MAPPING_KSM,
    which every anonymous folio passes)."""
    import mmap
    m = mmap.mmap(-1, PAGE)
    m.write(os.urandom(PAGE))
    import ctypes
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(addr // PAGE * 8)
        (e,) = struct.unpack("<Q", f.read(8))
    pfn = e & ((1 << 55) - 1)
    broken = False
    if e >> 63 & 1 and pfn:
        (fl,) = struct.unpack("<Q", os.pread(kpf, 8, pfn * 8))
        broken = bool(fl >> KPF_KSM & 1)
    del addr
    return broken


def is_ksm(kpf, kpc, pfn, broken):
    """Whether pfn is a KSM page. Where the flag is broken, a page with the
    flag and more than one mapping (/proc/kpagecount): the VMMs do not fork,
    so an anonymous page mapped twice is KSM's (a KSM page left with a
    single mapping is missed)."""
    (fl,) = struct.unpack("<Q", os.pread(kpf, 8, pfn * 8))
    if not fl >> KPF_KSM & 1:
        return False
    if not broken:
        return True
    (cnt,) = struct.unpack("<Q", os.pread(kpc, 8, pfn * 8))
    return cnt >= 2


def smaps_ksm(pid, g0, g1):
    """From /proc/PID/smaps' KSM: lines (6.6+): KSM pages mapped in the
    VMAs that overlap guest RAM and in the others, by kind; None if the
    kernel has no such line."""
    guest, kinds, seen = 0, {}, False
    lo = hi = 0
    kind = None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                p = line.split()
                if "-" in p[0] and len(p) >= 5 and not p[0].endswith(":"):
                    lo, hi = (int(x, 16) for x in p[0].split("-"))
                    kind = vma_kind(p[1], " ".join(p[5:]))
                elif p[0] == "KSM:":
                    seen = True
                    n = int(p[1]) * 1024 // PAGE
                    if lo < g1 and g0 < hi:
                        guest += n
                    elif n:
                        kinds[kind] = kinds.get(kind, 0) + n
    except OSError:
        return None
    return (guest, kinds) if seen else None


def vma_kind(perms, path):
    if path == "[heap]":
        return "heap"
    if path.startswith("[stack"):
        return "stack"
    if path.startswith("/") and not path.endswith("(deleted)"):
        return "file"  # private copies of a mapped file (libraries' data)
    return "anon"


def outside_guest_ksm(vms, kpf, kpc, broken):
    """Present pages outside each VM's guest RAM that map a KSM page, by
    kind: from smaps' KSM: lines where the kernel has them (6.6+), else
    counted (every page of every other readable VMA, kpageflags); and the
    sum of ksm_merging_pages (all of the process's KSM mappings)."""
    total, kinds, merging, guest = 0, {}, 0, None
    for v in vms:
        pid = v["pid"]
        merging += rd(f"/proc/{pid}/ksm_merging_pages")
        g0, g1 = v["start"], v["start"] + v["len"]
        sm = smaps_ksm(pid, g0, g1)
        if sm is not None:
            guest = (guest or 0) + sm[0]
            for k, n in sm[1].items():
                kinds[k] = kinds.get(k, 0) + n
                total += n
            continue
        try:
            maps = open(f"/proc/{pid}/maps").read().splitlines()
            pm = os.open(f"/proc/{pid}/pagemap", os.O_RDONLY)
        except OSError:
            continue
        for line in maps:
            p = line.split(None, 5)
            lo, hi = (int(x, 16) for x in p[0].split("-"))
            path = p[5].strip() if len(p) > 5 else ""
            if p[1].startswith("---") or path == "[vsyscall]" or hi - lo > 1 << 34:
                continue
            ranges = [(lo, hi)]
            if lo < g1 and g0 < hi:  # cut guest RAM out
                ranges = [(lo, max(lo, g0)), (min(hi, g1), hi)]
            kind = vma_kind(p[1], path)
            for a0, a1 in ranges:
                for c in range(a0, a1, 1 << 30):
                    c1 = min(a1, c + (1 << 30))
                    n = (c1 - c) // PAGE
                    if n <= 0:
                        continue
                    try:
                        raw = os.pread(pm, n * 8, c // PAGE * 8)
                    except OSError:
                        continue
                    for (e,) in struct.iter_unpack("<Q", raw):
                        if not e >> 63 & 1:
                            continue
                        pfn = e & ((1 << 55) - 1)
                        if is_ksm(kpf, kpc, pfn, broken):
                            total += 1
                            kinds[kind] = kinds.get(kind, 0) + 1
        os.close(pm)
    return total, kinds, merging, guest


def cmd_split(a):
    vms = load_vms(a.vms)
    zero_map = nonzero_map = thp = sampled = 0
    content, hits = {}, []
    kpf = os.open("/proc/kpageflags", os.O_RDONLY)
    kpc = os.open("/proc/kpagecount", os.O_RDONLY)
    broken = ksm_flag_broken(kpf)
    for v in vms:
        n = v["len"] // PAGE
        try:
            pm = os.open(f"/proc/{v['pid']}/pagemap", os.O_RDONLY)
            mem = os.open(f"/proc/{v['pid']}/mem", os.O_RDONLY)
        except OSError:
            continue
        raw = os.pread(pm, n * 8, v["start"] // PAGE * 8)
        for k in range(0, n, a.stride):
            (e,) = struct.unpack_from("<Q", raw, k * 8)
            if not e >> 63 & 1:
                continue
            sampled += 1
            pfn = e & ((1 << 55) - 1)
            (fl,) = struct.unpack("<Q", os.pread(kpf, 8, pfn * 8))
            if fl >> KPF_THP & 1:
                thp += 1
            if not fl >> KPF_KSM & 1:
                continue
            (cnt,) = struct.unpack("<Q", os.pread(kpc, 8, pfn * 8))
            z = content.get(pfn)
            if z is None:
                b = os.pread(mem, PAGE, v["start"] + k * PAGE)
                z = content[pfn] = b.count(0) == PAGE
            hits.append((z, cnt >= 2))
        os.close(pm)
        os.close(mem)
    shared, sharing = rd(f"{KSM}/pages_shared"), rd(f"{KSM}/pages_sharing")
    # More pages flagged KSM than KSM has mappings: the flag is wrong on
    # this kernel (6.12 flags the VMMs' guest RAM pages without any KSM
    # page in the system); count only the pages mapped more than once.
    if len(hits) * a.stride > 1.25 * (shared + sharing) + 64 * a.stride:
        broken = True
    for z, multi in hits:
        if broken and not multi:
            continue
        if z:
            zero_map += 1
        else:
            nonzero_map += 1
    outside, kinds, merging, guest = outside_guest_ksm(vms, kpf, kpc, broken)
    os.close(kpf)
    os.close(kpc)
    maps = zero_map + nonzero_map
    zfrac = zero_map / maps if maps else 0.0
    # Scale the sampled mappings to KSM's own count of mappings
    # (shared + sharing); one zero KSM page serves at most
    # max_page_sharing mappings.
    mps = rd(f"{KSM}/max_page_sharing", 256) or 256
    zmaps = zfrac * (shared + sharing)
    zsaved = max(0, round(zmaps - -(-zmaps // mps)))
    out = {"stride": a.stride, "sampled_present": sampled, "sampled_thp": thp,
           "sampled_ksm_zero": zero_map, "sampled_ksm_nonzero": nonzero_map,
           "pages_shared": shared, "pages_sharing": sharing,
           "zero_saved_pages": min(zsaved, sharing),
           "nonzero_saved_pages": sharing - min(zsaved, sharing),
           "kpageflags_ksm_broken": broken, "sampled_flagged": len(hits),
           "guest_ksm_pages_smaps": guest,
           "vmm_ksm_merging_pages": merging, "outside_guest_ksm_pages": outside,
           "outside_guest_ksm_by_kind": kinds}
    print(json.dumps(out))


def cmd_qmp(a):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(a.socket)
    f = s.makefile("rwb")
    f.readline()  # greeting
    for c in ("qmp_capabilities", a.command):
        f.write(json.dumps({"execute": c}).encode() + b"\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                break
        if "error" in r:
            print(f"qmp {c}: {r['error']}", file=sys.stderr)
            sys.exit(1)
    s.close()


def read_samples(path):
    rows = {}
    with open(path) as f:
        hdr = f.readline().strip().split(",")
        for line in f:
            p = line.strip().split(",")
            if len(p) != len(hdr):
                continue
            r = dict(zip(hdr, p))
            for k in hdr[1:]:
                r[k] = float(r[k])
            rows.setdefault(r["phase"], []).append(r)
    return rows


# Kata's ksm-throttler (ksm.go ksmSettings, throttler.go
# ksmThrottleIntervals), written out again here so that the check does not
# take the model's own figures on trust: after a kick, each mode with its
# AnonPages divisor, sleep_millisecs and the seconds it lasts.
KATA_AFTER_KICK = (("aggressive", 10, 1, 30), ("standard", 100, 10, 120), ("slow", 500, 100, 120))


def kata_log(path):
    """bench/baselines/kata-throttler's log, one dict per line (t: seconds
    since it started, and the line's key=value fields); None if absent."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    evs = []
    for line in lines:
        p = line.split()
        if len(p) < 3 or not p[1].startswith("+") or not p[2].startswith("event="):
            continue
        e = {"t": float(p[1][1:].rstrip("s"))}
        for w in p[2:]:
            k, _, v = w.partition("=")
            e[k] = v
        evs.append(e)
    return evs


def ksmtuned_log(path):
    """ksmtuned's debug log (DEBUG=1): its start figures (kB) and its
    decisions in order, "stop" or [pages_to_scan, sleep_ms]; None if
    absent."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    out = {"total_kb": None, "thres_kb": None, "sleep_ms": None, "committed_kb": None,
           "free_kb": None, "decisions": []}
    for line in lines:
        msg = line.partition(": ")[2].split()
        if len(msg) == 2 and msg[0] in ("total", "thres", "sleep") and msg[1].isdigit():
            out[{"total": "total_kb", "thres": "thres_kb", "sleep": "sleep_ms"}[msg[0]]] = int(msg[1])
        elif len(msg) == 4 and msg[0] == "committed" and msg[2] == "free":
            out["committed_kb"], out["free_kb"] = int(msg[1]), int(msg[3])
        elif msg[-2:] == ["stop", "ksm"]:
            out["decisions"].append("stop")
        elif len(msg) == 4 and msg[:2] == ["KSMCTL", "start"]:
            out["decisions"].append([int(msg[2]), int(msg[3])])
    return out


def tuner_summary(d, ph):
    """The baselines' own record of what they did, for the table."""
    if ph == "kata":
        evs = kata_log(os.path.join(d, "kata-throttler.log"))
        return {"kata_throttler": evs} if evs is not None else {}
    if ph == "ksmtuned":
        k = ksmtuned_log(os.path.join(d, "ksmtuned.log"))
        return {"ksmtuned": k} if k is not None else {}
    return {}


def tuner_text(ph, tu):
    if "kata_throttler" in tu:
        return f"{ph}: kata-throttler: " + ", ".join(
            f"{e['event']} +{e['t']:.1f}s {e.get('mode')} {e.get('pages_to_scan')}/"
            f"{e.get('sleep_millisecs')}ms run={e.get('run')}" for e in tu["kata_throttler"])
    if "ksmtuned" in tu:
        k = tu["ksmtuned"]
        dec = ["stop" if x == "stop" else f"start {x[0]}/{x[1]}ms" for x in k["decisions"]]
        return (f"{ph}: MemTotal {k['total_kb']} kB, thres {k['thres_kb']} kB; "
                f"{len(dec)} decisions: {', '.join(dec)}; last committed {k['committed_kb']} kB, "
                f"free {k['free_kb']} kB")
    return None


def cmd_report(a):
    d = a.dir
    rows = read_samples(os.path.join(d, "samples.csv"))
    with open(os.path.join(d, "phases.json")) as f:
        meta = json.load(f)
    phases = [p["name"] for p in meta["phases"] if p["name"] in rows]
    base = rows.get("none")
    base_rss = base[-1]["rss_kb"] if base else None
    mib = PAGE / 1048576
    res = {}
    for ph in phases:
        r = rows[ph]
        fin = r[-1]
        sp = {}
        try:
            with open(os.path.join(d, f"split-{ph}.json")) as f:
                sp = json.load(f)
        except (OSError, ValueError):
            pass
        # KSM pages count in the RSS of every VMM that maps them: the
        # memory the VMMs really use is their RSS minus pages_sharing.
        phys = fin["rss_kb"] - fin["pages_sharing"] * PAGE // 1024
        res[ph] = {"final_sharing": fin["pages_sharing"], "rss_kb": fin["rss_kb"],
                   "phys_kb": phys,
                   "rss_saved_kb": (base_rss - phys) if base_rss else None,
                   "zero_saved": sp.get("zero_saved_pages"),
                   "nonzero_saved": sp.get("nonzero_saved_pages"),
                   "vmm_merging": sp.get("vmm_ksm_merging_pages"),
                   "outside_guest": sp.get("outside_guest_ksm_pages"),
                   "outside_guest_by_kind": sp.get("outside_guest_ksm_by_kind"),
                   "stacks": {s: fin[f"saved_{s}"] for s in STACKS},
                   "duration": fin["t"], "tuner": tuner_summary(d, ph)}
    merging = [p for p in phases if p != "none"]
    best = max((res[p]["final_sharing"] for p in merging), default=0)
    win = meta.get("steady_window", 90)
    for ph in phases:
        r = rows[ph]
        c0 = r[0]
        cpu = lambda x: (x["ksmd_ticks"] - c0["ksmd_ticks"] + x["scan_ticks"] - c0["scan_ticks"]) / HZ
        t90 = None
        for x in r:
            if best and x["pages_sharing"] >= 0.9 * best:
                t90 = x
                break
        res[ph]["t90"] = t90["t"] if t90 else None
        res[ph]["cpu_to_t90"] = cpu(t90) if t90 else None
        # The same against the phase's own final saving (what a targeted
        # phase that leaves low-yield VMs out converges to).
        own = next((x for x in r if r[-1]["pages_sharing"] and
                    x["pages_sharing"] >= 0.9 * r[-1]["pages_sharing"]), None)
        res[ph]["t90_own"] = own["t"] if own else None
        res[ph]["cpu_to_t90_own"] = cpu(own) if own else None
        res[ph]["cpu_total"] = cpu(r[-1])
        res[ph]["ksmd_cpu_total"] = (r[-1]["ksmd_ticks"] - c0["ksmd_ticks"]) / HZ
        res[ph]["scan_cpu_total"] = (r[-1]["scan_ticks"] - c0["scan_ticks"]) / HZ
        res[ph]["agent_cpu_total"] = (r[-1]["agent_ticks"] - c0["agent_ticks"]) / HZ
        tail = [x for x in r if x["t"] >= r[-1]["t"] - win]
        dt = tail[-1]["t"] - tail[0]["t"]
        res[ph]["steady_cpu_per_min"] = (cpu(tail[-1]) - cpu(tail[0])) * 60 / dt if dt > 0 else None
        res[ph]["steady_agent_cpu_per_min"] = \
            (tail[-1]["agent_ticks"] - tail[0]["agent_ticks"]) / HZ * 60 / dt if dt > 0 else None
        res[ph]["steady_scan_cpu_per_min"] = \
            (tail[-1]["scan_ticks"] - tail[0]["scan_ticks"]) / HZ * 60 / dt if dt > 0 else None
        # ksmd + scanner + agent: what the issue 10 goals compare
        res[ph]["steady_all_cpu_per_min"] = \
            (res[ph]["steady_cpu_per_min"] + res[ph]["steady_agent_cpu_per_min"]) if dt > 0 else None
    # ratios of vmmerge (phase "vmmerge") against the KSM configurations
    # and the best of them ("best": the largest final saving)
    ratios = {}
    others = [p for p in merging if not p.startswith("vmmerge")]
    best_ph = max(others, key=lambda p: res[p]["final_sharing"]) if others else None
    if "vmmerge" in res:
        v = res["vmmerge"]
        refs = [p for p in ("static", "kata", "ksmtuned", "default", "prctl", "advisor") if p in res]
        for ref in refs + ([("best", best_ph)] if best_ph else []):
            ref, o_ph = ref if isinstance(ref, tuple) else (ref, ref)
            if o_ph not in res:
                continue
            o = res[o_ph]
            q = lambda x, y: (x / y) if (x is not None and y) else None
            ratios[ref] = {"final_saving": q(v["final_sharing"], o["final_sharing"]),
                           "nonzero_saving": q(v["nonzero_saved"], o["nonzero_saved"]),
                           "cpu_to_t90": q(v["cpu_to_t90"], o["cpu_to_t90"]),
                           "steady_cpu_per_min": q(v["steady_cpu_per_min"], o["steady_cpu_per_min"]),
                           "steady_all_cpu_per_min": q(v["steady_all_cpu_per_min"],
                                                       o["steady_all_cpu_per_min"]),
                           "t90": q(v["t90"], o["t90"]),
                           "cpu_to_t90_own": q(v["cpu_to_t90_own"], o["cpu_to_t90_own"]),
                           "t90_own": q(v["t90_own"], o["t90_own"])}
    out = {"meta": meta, "baseline_rss_kb": base_rss, "best_final_sharing": best,
           "best_ksm_phase": best_ph,
           "results": res, "ratios_vmmerge_over": ratios}
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(out, f, indent=1)

    fmt = lambda x, n=1: "-" if x is None else f"{x:.{n}f}"
    hdr = ["config", "saved_MiB", "saved_%rss", "nonzero_MiB", "zero_MiB", "used_MiB", "used_saved_MiB",
           "t90_s", "cpu_to_t90_s", "t90own_s", "cpu_t90own_s", "steady_cpu_s/min", "steady_all_s/min", "cpu_total_s", "agent_cpu_s",
           "vmm_merging_MiB", "outside_guest_MiB",
           "py_MiB", "node_MiB", "perl_MiB"]
    lines = []
    csv = [",".join(hdr)]
    for ph in phases:
        x = res[ph]
        row = [ph, fmt(x["final_sharing"] * mib),
               fmt(100 * x["final_sharing"] * 4 / base_rss if base_rss else None),
               fmt(x["nonzero_saved"] * mib if x["nonzero_saved"] is not None else None),
               fmt(x["zero_saved"] * mib if x["zero_saved"] is not None else None),
               fmt(x["phys_kb"] / 1024),
               fmt(x["rss_saved_kb"] / 1024 if x["rss_saved_kb"] is not None else None),
               fmt(x["t90"], 0), fmt(x["cpu_to_t90"], 2), fmt(x["t90_own"], 0),
               fmt(x["cpu_to_t90_own"], 2), fmt(x["steady_cpu_per_min"], 2),
               fmt(x["steady_all_cpu_per_min"], 2),
               fmt(x["cpu_total"], 2), fmt(x["agent_cpu_total"], 2),
               fmt(x["vmm_merging"] * mib if x["vmm_merging"] is not None else None),
               fmt(x["outside_guest"] * mib if x["outside_guest"] is not None else None)] + \
              [fmt(x["stacks"][s] * mib) for s in STACKS]
        lines.append(row)
        csv.append(",".join(row))
    w = [max(len(hdr[i]), *(len(l[i]) for l in lines)) for i in range(len(hdr))]
    txt = [" ".join(h.rjust(w[i]) for i, h in enumerate(hdr))]
    txt += [" ".join(c.rjust(w[i]) for i, c in enumerate(l)) for l in lines]
    txt.append("")
    txt.append("used = summed VMM RSS - pages_sharing at the end; used_saved = baseline RSS - used")
    txt.append(f"baseline VMM RSS {fmt(base_rss / 1024 if base_rss else None)} MiB; "
               f"best final saving {fmt(best * mib)} MiB; t90 = first sample at >= 90% of it;"
               " t90own = first sample at >= 90% of the phase's own final saving")
    txt.append("steady_all = ksmd + vmmerge_scan + vmmerged; vmm_merging = sum of the VMMs' "
               "ksm_merging_pages; outside_guest = their KSM mappings outside guest RAM (pagemap)")
    if best_ph:
        txt.append(f"best KSM configuration (largest final saving): {best_ph}")
    for ph in phases:
        k = res[ph].get("outside_guest_by_kind")
        if k:
            txt.append(f"{ph}: outside guest RAM by kind (MiB): " +
                       ", ".join(f"{n} {c * mib:.1f}" for n, c in sorted(k.items())))
    for ph in phases:
        t = tuner_text(ph, res[ph]["tuner"])
        if t:
            txt.append(t)
    for ref, q in ratios.items():
        txt.append(f"vmmerge / {ref}: " + ", ".join(f"{k} {fmt(v, 2)}" for k, v in q.items()))
    if "vmmerge" in res and "vmmerge-nocalm" in res:
        a, b = res["vmmerge"], res["vmmerge-nocalm"]
        txt.append("scanner floor: steady scanner CPU s/min "
                   f"{fmt(a['steady_scan_cpu_per_min'], 3)} (scan_calm_max 6) against "
                   f"{fmt(b['steady_scan_cpu_per_min'], 3)} (0); final saving "
                   f"{fmt(a['final_sharing'] * mib)} against {fmt(b['final_sharing'] * mib)} MiB")
    with open(os.path.join(d, "results.txt"), "w") as f:
        f.write("\n".join(txt) + "\n")
    with open(os.path.join(d, "results.csv"), "w") as f:
        f.write("\n".join(csv) + "\n")
    # gnuplot: one data file per phase (t, saved MiB, CPU s cumulative,
    # CPU %, KSM's set rate in pages/s: pages_to_scan per sleep_millisecs,
    # 0 with run != 1)
    for ph in phases:
        r = rows[ph]
        c0 = r[0]
        with open(os.path.join(d, f"plot-{ph}.dat"), "w") as f:
            prev = None
            for x in r:
                cum = (x["ksmd_ticks"] - c0["ksmd_ticks"] + x["scan_ticks"] - c0["scan_ticks"]) / HZ
                pct = 0.0
                if prev is not None and x["t"] > prev[0]:
                    pct = 100 * (cum - prev[1]) / (x["t"] - prev[0])
                rate = x["pages_to_scan"] * 1000 / max(1, x["sleep_ms"]) if x["run"] == 1 else 0
                f.write(f"{x['t']} {x['pages_sharing'] * mib:.1f} {cum:.2f} {pct:.1f} {rate:.0f}\n")
                prev = (x["t"], cum)
    with open(os.path.join(d, "plot.gp"), "w") as f:
        f.write("set terminal pngcairo noenhanced size 900,500\nset key right bottom\nset grid\n"
                "set yrange [0:*]\nset offsets 0, 0, graph 0.05, 0\n"
                "set xlabel 'seconds since the configuration started'\n")
        f.write("set output 'saving.png'\nset ylabel 'MiB saved (pages_sharing)'\n")
        f.write("plot " + ", ".join(f"'plot-{p}.dat' using 1:2 with lines lw 2 title '{p}'"
                                    for p in merging) + "\n")
        f.write("set output 'cpu.png'\nset key right top\nset ylabel 'ksmd + vmmerge_scan, % of a CPU'\n")
        f.write("plot " + ", ".join(f"'plot-{p}.dat' using 1:4 with lines lw 2 title '{p}'"
                                    for p in merging) + "\n")
        f.write("set output 'rate.png'\nset logscale y\nset yrange [*:*]\n"
                "set ylabel 'KSM rate set: pages_to_scan / sleep_millisecs, pages/s'\n")
        f.write("plot " + ", ".join(f"'plot-{p}.dat' using 1:($5 > 0 ? $5 : 1/0) with steps lw 2 title '{p}'"
                                    for p in merging) + "\n")
    print("\n".join(txt))


def check_kata(d, case):
    """The throttler followed Kata's schedule from its kick: each mode's
    pages_to_scan = AnonPages / divisor and its sleep, in order, none
    early, none missing that was due 10 s before it was stopped; the
    settings found written back at the end; and KSM was sampled at the
    aggressive rate."""
    evs = kata_log(os.path.join(d, "kata-throttler.log"))
    if not evs:
        case("bench-kata-throttler-log", False, "kata-throttler.log missing or empty")
        return
    names = [e["event"] for e in evs]
    case("bench-kata-throttler-log", names[:2] == ["start", "kick"] and names[-1] == "sigterm",
         f"events {names}")
    found = dict(x.split(":") for x in evs[0].get("found", "").split(",") if ":" in x)
    kick = next((i for i, e in enumerate(evs) if e["event"] == "kick"), None)
    if kick is None or not found:
        case("bench-kata-schedule", False, f"no kick or no settings found in {names}")
        return
    steps = [e for e in evs[kick:] if e["event"] in ("kick", "timer", "restore", "error")]
    end = evs[-1]["t"]
    bad = []
    t = evs[kick]["t"]
    for i, (mode, div, sleep, secs) in enumerate(KATA_AFTER_KICK):
        if i >= len(steps):
            if end - t > 10:
                bad.append(f"no {mode} by +{end:.1f}s (due +{t:.1f}s)")
            break
        e = steps[i]
        want = int(e.get("anon_pages", -1)) // div
        if (e["event"] != ("kick" if i == 0 else "timer") or e.get("mode") != mode or
                e.get("pages_to_scan") != str(want) or e.get("sleep_millisecs") != str(sleep) or
                e.get("run") != "1"):
            bad.append(f"step {i}: {e}, want {mode} {want}/{sleep}ms run=1")
        if e["t"] < t - 0.5:
            bad.append(f"{mode} at +{e['t']:.1f}s, before +{t:.1f}s")
        t = e["t"] + secs
    else:
        if len(steps) < 4:
            if end - t > 10:
                bad.append(f"no restore by +{end:.1f}s (due +{t:.1f}s)")
        elif steps[3]["event"] != "restore" or steps[3]["t"] < t - 0.5:
            bad.append(f"after slow: {steps[3]}, want restore at +{t:.1f}s")
    case("bench-kata-schedule", not bad, "; ".join(bad))
    last = evs[-1]
    got = {k: last.get(k) for k in found}
    case("bench-kata-restores", got == found, f"at sigterm {got}, found {found}")
    rows = read_samples(os.path.join(d, "samples.csv")).get("kata", [])
    case("bench-kata-aggressive-sampled",
         any(r["sleep_ms"] == 1 and r["run"] == 1 for r in rows),
         f"no sample at sleep_millisecs=1 run=1 in {len(rows)}")


def check_ksmtuned(d, case):
    """ksmtuned ran, decided at least once, and KSM was only ever in a
    state it (or ksmctl start before it) set."""
    k = ksmtuned_log(os.path.join(d, "ksmtuned.log"))
    if not k or k["total_kb"] is None:
        case("bench-ksmtuned-log", False, "ksmtuned.log missing or without its start figures")
        return
    case("bench-ksmtuned-log", bool(k["decisions"]), "no decision logged")
    allowed = {(1, 100, 20)}  # ksmctl start at the kernel's default rate
    stops = "stop" in k["decisions"]
    allowed |= {(1, x[0], x[1]) for x in k["decisions"] if x != "stop"}
    rows = read_samples(os.path.join(d, "samples.csv")).get("ksmtuned", [])
    odd = sorted({(int(r["run"]), int(r["pages_to_scan"]), int(r["sleep_ms"])) for r in rows
                  if (int(r["run"]), int(r["pages_to_scan"]), int(r["sleep_ms"])) not in allowed and
                  not (stops and r["run"] == 0)})
    case("bench-ksmtuned-drives-ksm", rows and not odd,
         f"{len(rows)} samples; KSM states it did not set: {odd}")


DEFAULT_PHASES = "none default static kata ksmtuned vmmerge"


def cmd_check(a):
    """Properties every run must have, whatever its size and speed."""
    d = a.dir
    bad = 0

    def case(name, good, why):
        nonlocal bad
        print(f"ok {name}" if good else f"FAIL {name}: {why}")
        bad += not good

    try:
        with open(os.path.join(d, "results.json")) as f:
            allres = json.load(f)
        res = allres["results"]
    except (OSError, ValueError, KeyError) as e:
        case("bench-results", False, f"results.json: {e}")
        return 1
    want = (a.phases or " ".join(allres.get("meta", {}).get("requested", DEFAULT_PHASES.split()))).split()
    missing = [p for p in want if p not in res]
    case("bench-phases", not missing, f"no results for {missing}")
    if "none" in res:
        case("bench-none-no-merging", res["none"]["final_sharing"] == 0,
             f"pages_sharing {res['none']['final_sharing']} without merging")
    for ph in ("static", "kata", "vmmerge", "prctl", "advisor"):
        if ph in res:
            case(f"bench-{ph}-saves", res[ph]["final_sharing"] > 0, "nothing merged")
    # Guest RAM only: where the module enrols (and nothing else makes a
    # VMA mergeable), no KSM page is mapped outside guest RAM; merge-any
    # (prctl) merges the VMM's own memory too.
    for ph in ("default", "static", "kata", "ksmtuned", "vmmerge"):
        if ph in res and res[ph].get("outside_guest") is not None:
            case(f"bench-{ph}-guest-ram-only", res[ph]["outside_guest"] == 0,
                 f"{res[ph]['outside_guest']} KSM pages mapped outside guest RAM "
                 f"({res[ph].get('outside_guest_by_kind')})")
    if "prctl" in res and res["prctl"].get("outside_guest") is not None:
        case("bench-prctl-beyond-guest-ram", res["prctl"]["outside_guest"] > 0,
             "merge-any merged nothing outside guest RAM")
    for ph in want:
        sp = os.path.join(d, f"split-{ph}.json")
        try:
            with open(sp) as f:
                json.load(f)
            good, why = True, ""
        except (OSError, ValueError) as e:
            good, why = False, str(e)
        case(f"bench-split-{ph}", good, why)
    if "kata" in res:
        check_kata(d, case)
    if "ksmtuned" in res:
        check_ksmtuned(d, case)
    if "vmmerge" in res:
        vms = {int(v["pid"]): v for v in load_vms(os.path.join(d, "vms"))}
        rows = {}
        with open(os.path.join(d, "vms-vmmerge.txt")) as f:
            hdr = f.readline().split()
            for line in f:
                c = line.split()
                if len(c) >= len(hdr) - 1:
                    rows[int(c[hdr.index("PID")])] = c
        wrong = [f"{v['name']}:{rows[p][hdr.index('GROUP')] if p in rows else 'unregistered'}"
                 for p, v in vms.items()
                 if p not in rows or rows[p][hdr.index("GROUP")] != v["stack"]]
        case("bench-vmmerge-classified", not wrong, f"wrong or no group: {wrong}")
        # The policy followed its own estimates: enrolled VMs are at or
        # above min_yield, kept-out ones below it (within the hysteresis).
        meta = {}
        try:
            with open(os.path.join(d, "phases.json")) as f:
                meta = json.load(f)
        except (OSError, ValueError):
            pass
        miny, hyst = meta.get("min_yield", 0), meta.get("yield_hysteresis", 2)
        col = lambda p, c: rows[p][hdr.index(c)]

        def yv(p):
            try:
                return float(col(p, "YIELD%"))
            except ValueError:
                return None
        odd = [f"{v['name']}:{col(p, 'STATE')}:{col(p, 'YIELD%')}" for p, v in vms.items() if p in rows and
               yv(p) is not None and
               ((col(p, "STATE") == "enrolled" and yv(p) < miny - hyst) or
                (col(p, "STATE") == "low-yield" and yv(p) >= miny + hyst))]
        case("bench-vmmerge-policy-follows-estimates", not odd, f"state against yield: {odd}")
        # Data-heavy VMs (unique heap) are estimated below every other VM
        # of their stack.
        worse = []
        for p, v in vms.items():
            if v["role"] != "data" or p not in rows:
                continue
            peers = [yv(q) for q, w in vms.items() if q in rows and yv(q) is not None and
                     w["stack"] == v["stack"] and w["role"] != "data"]
            if peers and yv(p) is not None and yv(p) >= min(peers):
                worse.append(f"{v['name']} {col(p, 'YIELD%')}% >= {min(peers)}%")
        case("bench-vmmerge-data-vms-lowest", not worse, f"{worse}")
    for png in ("saving.png", "cpu.png", "rate.png"):
        try:
            with open(os.path.join(d, png), "rb") as f:
                good = f.read(8) == b"\x89PNG\r\n\x1a\n"
        except OSError:
            good = False
        case(f"bench-plot-{png[:-4]}", good, f"{png} missing or not a PNG")
    return 1 if bad else 0


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--phase", required=True)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--interval", type=float, default=5)
    s.add_argument("--vms", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--schedule")
    s = sub.add_parser("split")
    s.add_argument("--vms", required=True)
    s.add_argument("--stride", type=int, default=16)
    s = sub.add_parser("qmp")
    s.add_argument("socket")
    s.add_argument("command")
    s = sub.add_parser("report")
    s.add_argument("dir")
    s = sub.add_parser("check")
    s.add_argument("dir")
    s.add_argument("--phases", help=f"default: phases.json's requested, else {DEFAULT_PHASES!r}")
    a = ap.parse_args()
    cmds = {"sample": cmd_sample, "split": cmd_split, "qmp": cmd_qmp, "report": cmd_report,
            "check": cmd_check}
    sys.exit(cmds[a.cmd](a) or 0)


if __name__ == "__main__":
    main()
