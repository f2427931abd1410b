#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The churn benchmark's trace, replay and results (bench/churn, bench/run --churn).

  churn.py trace --seed N --duration S --rate R --life-mean S [--life-min S]
                 [--life-max S] [--invoke S] [--mix python3:40,node:35,perl:25]
                 --out TRACE.json
      A FaaS-like trace: Poisson arrivals (R per second), each VM of a stack
      drawn from the mix, living an exponential time (mean --life-mean,
      clipped to [--life-min, --life-max]) and invoked every --invoke
      seconds (+-25 %, drawn) while it lives. The same seed gives the same
      trace. Prints the arrivals, departures and peak resident count.
  churn.py snapshot --qmp SOCK --out FILE
      Pause a warm VM and migrate it to FILE (QEMU's `exec:` transport),
      waiting until the migration completed: the stack's snapshot.
  churn.py replay --trace TRACE.json --phase P --snapdir D --merge on|off
                  --out-dir DIR [--interval S] [--kick PID]
                  [--tuner PID...]
      Replay the trace from an empty host: at each arrival restore the
      stack's snapshot into a new VMM (the snapshot VM's own command line,
      new console and QMP sockets, QEMU mem-merge=on|off, `-incoming
      exec:cat D/STACK.mig`), invoke it once, pause it (QMP stop: idle
      between invocations, as FaaS platforms freeze idle instances); at
      each invocation continue it, run `/fn/fn poke` in it (the function
      server runs its prime handler in its heap), pause it again;
      at its departure kill it. --kick PID gets SIGUSR1 at every arrival
      (Kata's and ksmtuned's triggers). Every --interval seconds one row
      of DIR/churn-samples.csv (KSM counters, CPU ticks of ksmd, the
      module's scanner, vmmerged and the --tuner processes) and one row
      per resident VM of DIR/churn-vms.csv (its ksm_merging_pages); every
      event in DIR/churn-events.csv.
  churn.py report DIR
      From DIR's CSVs and churn.json: DIR/churn-results.{txt,json} and
      DIR/churn-plot.gp (churn-saving.png, churn-cpu.png,
      churn-cpu-saved.png).
  churn.py check DIR
      The smoke run's sanity cases, one `ok NAME` / `FAIL NAME: why` each.
"""
import argparse
import heapq
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchtool import KSM, PAGE, HZ, find_pid, rd, ticks  # noqa: E402 (the density one's)
PREFIX = {"python3": "py", "node": "node", "perl": "perl"}
CONSOLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "tests", "vm", "microvm-console")


# ---------------------------------------------------------------- trace
def make_trace(seed, duration, rate, life_mean, life_min, life_max, invoke, mix):
    rng = random.Random(seed)
    stacks, weights = zip(*mix)
    vms = []
    t = rng.expovariate(rate)
    while t < duration:
        life = min(max(rng.expovariate(1.0 / life_mean), life_min), life_max)
        inv = []
        k = t + invoke * rng.uniform(0.75, 1.25)
        while k < min(t + life, duration):
            inv.append(round(k, 1))
            k += invoke * rng.uniform(0.75, 1.25)
        vms.append({"id": len(vms), "stack": rng.choices(stacks, weights)[0],
                    "arrive": round(t, 1), "depart": round(t + life, 1), "invoke": inv})
        t += rng.expovariate(rate)
    return {"seed": seed, "duration": duration, "rate": rate, "life_mean": life_mean,
            "life_min": life_min, "life_max": None if math.isinf(life_max) else life_max,
            "invoke_s": invoke,
            "mix": dict(mix), "vms": vms}


def trace_stats(tr):
    d = tr["duration"]
    points = sorted([(v["arrive"], 1) for v in tr["vms"]] +
                    [(v["depart"], -1) for v in tr["vms"] if v["depart"] < d])
    n = peak = 0
    for _, s in points:
        n += s
        peak = max(peak, n)
    return {"arrivals": len(tr["vms"]),
            "departures": sum(1 for v in tr["vms"] if v["depart"] < d),
            "peak_resident": peak,
            # Every arrival is invoked once, then at its invocation times.
            "invocations": sum(1 + len(v["invoke"]) for v in tr["vms"])}


def cmd_trace(a):
    mix = []
    for part in a.mix.split(","):
        s, w = part.split(":")
        if s not in PREFIX:
            sys.exit(f"churn.py: unknown stack {s!r} in --mix")
        mix.append((s, float(w)))
    tr = make_trace(a.seed, a.duration, a.rate, a.life_mean, a.life_min, a.life_max,
                    a.invoke, mix)
    tr["stats"] = trace_stats(tr)
    with open(a.out, "w") as f:
        json.dump(tr, f, indent=1)
        f.write("\n")
    s = tr["stats"]
    print(f"trace: seed {a.seed}, {a.duration:g} s: {s['arrivals']} arrivals, "
          f"{s['departures']} departures, peak {s['peak_resident']} resident, "
          f"{s['invocations']} invocations")


# ---------------------------------------------------------------- QMP
class Qmp:
    """One QMP session on a VMM's socket (a short one per command set)."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.f = self.s.makefile("rwb")
        self.f.readline()
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise OSError(f"QMP {name}: connection closed")
            r = json.loads(line)
            if "error" in r:
                raise OSError(f"QMP {name}: {r['error'].get('desc')}")
            if "return" in r:
                return r["return"]

    def close(self):
        self.s.close()


def qmp_once(path, name, **args):
    q = Qmp(path)
    try:
        return q.cmd(name, **args)
    finally:
        q.close()


def cmd_snapshot(a):
    q = Qmp(a.qmp, timeout=60)
    q.cmd("stop")
    q.cmd("migrate", uri=f"exec:cat > {a.out}")
    t0 = time.monotonic()
    while True:
        st = q.cmd("query-migrate")
        if st.get("status") == "completed":
            break
        if st.get("status") in ("failed", "cancelled") or time.monotonic() - t0 > 600:
            sys.exit(f"churn.py: migration to {a.out}: {st}")
        time.sleep(0.2)
    q.close()
    print(f"snapshot: {a.out} {os.path.getsize(a.out) >> 20} MiB in "
          f"{time.monotonic() - t0:.1f} s")


# ---------------------------------------------------------------- replay
def restore_argv(snapdir, stack, vm, sockdir, merge):
    """The snapshot VM's argv with this VM's name, sockets and mem-merge."""
    with open(os.path.join(snapdir, f"{stack}.cmdline"), "rb") as f:
        argv = [x.decode() for x in f.read().split(b"\0") if x]
    name = f"{PREFIX[stack]}-{vm['id']}"
    out = []
    it = iter(argv)
    for x in it:
        if x == "-name":
            out += [x, name]
            next(it)
        elif x == "-chardev":
            next(it)
            out += [x, f"socket,id=con,path={sockdir}/{name}.sock,server=on,wait=off"]
        elif x == "-qmp":
            next(it)
            out += [x, f"unix:{sockdir}/{name}.qmp,server=on,wait=off"]
        elif x == "-M":
            m = next(it).split(",")
            m = [p for p in m if not p.startswith("mem-merge=")] + [f"mem-merge={merge}"]
            out += [x, ",".join(m)]
        else:
            out.append(x)
    out += ["-incoming", f"exec:cat {snapdir}/{stack}.mig"]
    return name, out


class Vm:
    def __init__(self, spec):
        self.spec = spec
        self.id = spec["id"]
        self.stack = spec["stack"]
        self.proc = None
        self.state = "planned"  # restoring, invoking, idle, gone
        self.call = None
        self.call_t = 0.0
        self.arrived = None
        self.merging = 0


class Replay:
    def __init__(self, a):
        with open(a.trace) as f:
            self.tr = json.load(f)
        self.a = a
        self.dir = a.out_dir
        self.sockdir = os.path.join("/tmp", "churn-" + a.phase)
        os.makedirs(self.sockdir, exist_ok=True)
        self.vms = {v["id"]: Vm(v) for v in self.tr["vms"]}
        self.events = []
        for v in self.tr["vms"]:
            heapq.heappush(self.events, (v["arrive"], 0, v["id"], "arrive"))
            for k in v["invoke"]:
                heapq.heappush(self.events, (k, 1, v["id"], "invoke"))
            d = min(v["depart"], self.tr["duration"])
            heapq.heappush(self.events, (d, 2, v["id"], "depart"))
        self.t0 = time.monotonic()
        self.ev = self.open_csv("churn-events.csv",
                                "phase,t_plan,t,id,stack,event,secs,ok,detail")
        self.smp = self.open_csv("churn-samples.csv",
                                 "phase,t,resident,pages_shared,pages_sharing,pages_unshared,"
                                 "full_scans,rss_kb,ksmd_ticks,scan_ticks,agent_ticks,"
                                 "tuner_ticks,pages_to_scan,sleep_ms,run,nr_enrolled")
        self.vmf = self.open_csv("churn-vms.csv", "phase,t,id,stack,state,merging_pages")
        # Started before the replay (the module's scanner and the agent
        # in the vmmerge phases only): looked up once.
        self.ksmd = find_pid("ksmd")
        self.scan = find_pid("vmmerge_scan")
        self.agent = find_pid("vmmerged")

    def open_csv(self, name, header):
        path = os.path.join(self.dir, name)
        new = not os.path.exists(path)
        f = open(path, "a")
        if new:
            f.write(header + "\n")
        return f

    def now(self):
        return time.monotonic() - self.t0

    def event(self, t_plan, vm, what, secs=0.0, ok=True, detail=""):
        self.ev.write(f"{self.a.phase},{t_plan:.1f},{self.now():.1f},{vm.id},{vm.stack},"
                      f"{what},{secs:.2f},{int(ok)},{detail.replace(',', ';')}\n")
        self.ev.flush()
        if not ok:
            print(f"churn: {self.a.phase} vm{vm.id} {what} failed: {detail}", file=sys.stderr)

    def qmp_path(self, vm):
        return f"{self.sockdir}/{PREFIX[vm.stack]}-{vm.id}.qmp"

    def arrive(self, t_plan, vm):
        name, argv = restore_argv(self.a.snapdir, vm.stack, vm.spec, self.sockdir,
                                  self.a.merge)
        for ext in ("sock", "qmp"):
            try:
                os.unlink(f"{self.sockdir}/{name}.{ext}")
            except FileNotFoundError:
                pass
        log = open(f"{self.sockdir}/{name}.out", "w")
        vm.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
        log.close()
        vm.arrived = self.now()
        vm.t_plan = t_plan
        vm.state = "restoring"
        if self.a.kick:
            try:
                os.kill(self.a.kick, signal.SIGUSR1)
            except OSError as e:
                print(f"churn: kick {self.a.kick}: {e}", file=sys.stderr)

    def poll_restore(self, vm):
        if vm.proc.poll() is not None:
            self.event(vm.t_plan, vm, "restore", self.now() - vm.arrived, False,
                       f"VMM exited with {vm.proc.returncode}")
            vm.state = "gone"
            return
        try:
            st = qmp_once(self.qmp_path(vm), "query-status")
        except (OSError, ValueError):
            st = {}
        # The snapshot VM was paused when it was migrated, and QEMU restores
        # the source's run state (its global-state section): a restored VM
        # is "paused" once the incoming migration is done ("inmigrate"
        # until then). Its first invocation continues it.
        if st.get("status") in ("running", "paused"):
            self.event(vm.t_plan, vm, "restore", self.now() - vm.arrived)
            self.start_call(vm.t_plan, vm, cont=st["status"] == "paused")
        elif self.now() - vm.arrived > 120:
            self.event(vm.t_plan, vm, "restore", self.now() - vm.arrived, False,
                       f"not running after 120 s: {st.get('status')}")
            self.kill(vm)

    def start_call(self, t_plan, vm, cont=True):
        if cont:
            try:
                qmp_once(self.qmp_path(vm), "cont")
            except (OSError, ValueError) as e:
                self.event(t_plan, vm, "invoke", 0, False, f"cont: {e}")
                return
        n = self.a.prime
        # The prime handler run by the function server in its own heap,
        # triggered by a signal (fn poke): a client process would cost
        # seconds of the test VM's one CPU under nested TCG, and 25 VMs'
        # invocations then fell minutes behind the trace.
        cmd = f"/fn/fn poke {n}"
        vm.call = subprocess.Popen(["/usr/bin/python3", CONSOLE,
                                    f"{self.sockdir}/{PREFIX[vm.stack]}-{vm.id}.sock",
                                    "120", cmd], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        vm.call_t = self.now()
        vm.call_plan = t_plan
        vm.state = "invoking"

    def poll_call(self, vm):
        rc = vm.call.poll()
        if rc is None:
            return
        err = vm.call.stderr.read().decode(errors="replace").strip()
        vm.call = None
        self.event(vm.call_plan, vm, "invoke", self.now() - vm.call_t, rc == 0,
                   "" if rc == 0 else f"status {rc}: {err[-120:]}")
        try:
            qmp_once(self.qmp_path(vm), "stop")
            vm.state = "idle"
        except (OSError, ValueError) as e:
            self.event(vm.call_plan, vm, "pause", 0, False, str(e))
            vm.state = "idle"

    def kill(self, vm):
        if vm.call:
            vm.call.kill()
            vm.call.wait()
            vm.call = None
        if vm.proc and vm.proc.poll() is None:
            vm.proc.kill()
        if vm.proc:
            vm.proc.wait()
        vm.state = "gone"

    def sample(self, t):
        res = [v for v in self.vms.values() if v.state in ("restoring", "invoking", "idle")]
        rss = 0
        for v in res:
            try:
                with open(f"/proc/{v.proc.pid}/statm") as f:
                    rss += int(f.read().split()[1]) * PAGE // 1024
                v.merging = rd(f"/proc/{v.proc.pid}/ksm_merging_pages")
            except OSError:
                pass
            self.vmf.write(f"{self.a.phase},{t:.1f},{v.id},{v.stack},{v.state},{v.merging}\n")
        # (ksmtuned's ps and awk are its reaped children)
        tuner = sum(ticks(p, children=True) for p in self.a.tuner)
        row = [self.a.phase, f"{t:.1f}", len(res)] + \
            [rd(f"{KSM}/{k}") for k in ("pages_shared", "pages_sharing", "pages_unshared",
                                        "full_scans")] + \
            [rss, ticks(self.ksmd), ticks(self.scan), ticks(self.agent), tuner, rd(f"{KSM}/pages_to_scan"),
             rd(f"{KSM}/sleep_millisecs"), rd(f"{KSM}/run"),
             rd("/sys/kernel/vmmerge/nr_enrolled")]
        self.smp.write(",".join(map(str, row)) + "\n")
        self.smp.flush()
        self.vmf.flush()

    def run(self):
        dur = self.tr["duration"]
        nxt = 0.0
        last_progress = -60
        while True:
            t = self.now()
            while self.events and self.events[0][0] <= t:
                tp, _, i, what = heapq.heappop(self.events)
                vm = self.vms[i]
                if what == "arrive":
                    self.arrive(tp, vm)
                elif what == "invoke":
                    if vm.state == "idle":
                        self.start_call(tp, vm)
                    elif vm.state != "gone":
                        self.event(tp, vm, "invoke", 0, False, f"skipped: still {vm.state}")
                elif what == "depart" and tp >= dur:
                    pass  # the trace ends, the VM lives on: see finish()
                elif what == "depart" and vm.state not in ("gone", "planned"):
                    self.depart(tp, vm)
            self.poll_all()
            if t >= nxt:
                self.sample(t)
                nxt += self.a.interval
                if t - last_progress >= 60:
                    last_progress = t
                    res = sum(1 for v in self.vms.values()
                              if v.state in ("restoring", "invoking", "idle"))
                    print(f"churn: {self.a.phase} t={t:.0f}s {res} resident, "
                          f"pages_sharing {rd(KSM + '/pages_sharing')}, "
                          f"run={rd(KSM + '/run')}", file=sys.stderr)
                if t >= dur and not self.events:
                    break
            time.sleep(0.25)
        self.finish()
        for f in (self.ev, self.smp, self.vmf):
            f.close()

    def poll_all(self):
        """Move every restore and call under way on, if it is done."""
        for vm in self.vms.values():
            if vm.state == "restoring":
                self.poll_restore(vm)
            elif vm.state == "invoking":
                self.poll_call(vm)

    def depart(self, t_plan, vm):
        """A departure: the VM is killed whatever it is doing. An
        invocation it had not finished (its arrival's, while it was still
        restoring, or one under way) is logged as lost, never dropped
        unseen: a replay slower than its trace shows in the figures."""
        resident = self.now() - vm.arrived
        if vm.state == "restoring":
            self.event(vm.t_plan, vm, "invoke", 0, False,
                       f"lost: departed while restoring ({resident:.1f} s)")
        elif vm.state == "invoking":
            self.event(vm.call_plan, vm, "invoke", self.now() - vm.call_t, False,
                       "lost: departed during the call")
        self.kill(vm)
        self.event(t_plan, vm, "depart", resident)

    def finish(self):
        """The trace's end is no departure: a restore or a call still under
        way is let finish (each has its own 120 s bound) so that it is
        logged; sampling has stopped, so every phase's figures cover the
        same window. Then every VM is killed."""
        t_end = self.now()
        while any(v.state in ("restoring", "invoking") for v in self.vms.values()) and \
                self.now() - t_end < 130:
            self.poll_all()
            time.sleep(0.25)
        for vm in self.vms.values():
            if vm.state == "restoring":
                self.event(vm.t_plan, vm, "restore", self.now() - vm.arrived, False,
                           "still restoring 130 s after the trace's end")
            elif vm.state == "invoking":
                self.event(vm.call_plan, vm, "invoke", self.now() - vm.call_t, False,
                           "still running 130 s after the trace's end")
            if vm.state not in ("gone", "planned"):
                self.kill(vm)


def cmd_replay(a):
    Replay(a).run()


# ---------------------------------------------------------------- report
def read_csv(path):
    with open(path) as f:
        hdr = f.readline().strip().split(",")
        rows = []
        for line in f:
            p = line.rstrip("\n").split(",")
            if len(p) != len(hdr):
                continue
            r = {}
            for k, v in zip(hdr, p):
                try:
                    r[k] = float(v) if k not in ("phase", "stack", "event", "state",
                                                 "detail") else v
                except ValueError:
                    r[k] = v
            rows.append(r)
    return rows


def by_phase(rows):
    out = {}
    for r in rows:
        out.setdefault(r["phase"], []).append(r)
    return out


def cpu_ticks(r):
    """What the figures count as merging's CPU: ksmd + scanner + agent."""
    return r["ksmd_ticks"] + r["scan_ticks"] + r["agent_ticks"]


def series(smp):
    """Per sample: it, the CPU-seconds and saved GiB*s (trapezoids) so far,
    and the CPU % since the sample before."""
    integ, prev = 0.0, None
    for r in smp:
        pct = 0.0
        if prev:
            dt = r["t"] - prev["t"]
            integ += (prev["pages_sharing"] + r["pages_sharing"]) / 2 * PAGE / 2**30 * dt
            if dt > 0:
                pct = 100 * (cpu_ticks(r) - cpu_ticks(prev)) / HZ / dt
        yield r, (cpu_ticks(r) - cpu_ticks(smp[0])) / HZ, integ, pct
        prev = r


def phase_figures(smp, vms, evs):
    """What one configuration did with the trace."""
    c0 = smp[0]
    *_, (last, cpu_s, integral, _) = series(smp)
    dur = last["t"] - c0["t"]
    tuner_s = (last["tuner_ticks"] - c0["tuner_ticks"]) / HZ
    # Per VM: arrival (the restore's start) to half of its final saving (the
    # last sample of its life).
    arr = {}
    for e in evs:
        if e["event"] == "restore" and e["ok"] == 1:
            arr[int(e["id"])] = e["t"] - e["secs"]
    life = {}
    for r in vms:
        life.setdefault(int(r["id"]), []).append((r["t"], r["merging_pages"]))
    halves, never = [], 0
    for i, pts in life.items():
        if i not in arr:
            continue
        fin = pts[-1][1]
        if fin <= 0:
            never += 1
            continue
        th = next(t for t, m in pts if m >= fin / 2)
        halves.append(th - arr[i])
    cnt = lambda kind, ok=1: sum(1 for e in evs if e["event"] == kind and e["ok"] == ok)
    # Invocations that did not run: cut off by the trace's own departure
    # ("lost: ..."), or due while the last one still ran ("skipped: ...")
    # say how far the replay lagged its trace; any other failure is the
    # call itself failing.
    missed = lambda pfx: sum(1 for e in evs if e["event"] == "invoke" and e["ok"] == 0
                             and str(e.get("detail", "")).startswith(pfx))
    restores = [e["secs"] for e in evs if e["event"] == "restore" and e["ok"] == 1]
    stopped = sum(1 for r in smp if r["run"] == 0) * 100.0 / len(smp)
    runs = [r["run"] != 0 for r in smp]
    edges = list(zip(runs, runs[1:]))
    return {"duration_s": round(dur, 1),
            "saved_gib_s": round(integral, 2),
            "mean_saved_mib": round(integral * 1024 / dur, 1) if dur else 0,
            "peak_saved_mib": round(max(r["pages_sharing"] for r in smp) * PAGE / 2**20, 1),
            "cpu_s": round(cpu_s, 2),
            "ksmd_cpu_s": round((last["ksmd_ticks"] - c0["ksmd_ticks"]) / HZ, 2),
            "scan_cpu_s": round((last["scan_ticks"] - c0["scan_ticks"]) / HZ, 2),
            "agent_cpu_s": round((last["agent_ticks"] - c0["agent_ticks"]) / HZ, 2),
            "tuner_cpu_s": round(tuner_s, 2),
            "gib_s_per_cpu_s": round(integral / cpu_s, 2) if cpu_s > 0 else None,
            "half_saving_median_s": round(statistics.median(halves), 1) if halves else None,
            "vms_measured": len(halves), "vms_never_merged": never,
            "peak_resident": int(max(r["resident"] for r in smp)),
            "arrivals_ok": cnt("restore"), "arrivals_failed": cnt("restore", 0),
            "departures": cnt("depart"),
            "invocations_ok": cnt("invoke"), "invocations_failed": cnt("invoke", 0),
            "invocations_lost": missed("lost:"), "invocations_skipped": missed("skipped:"),
            "restore_median_s": round(statistics.median(restores), 2) if restores else None,
            "ksmd_stopped_pct": round(stopped, 1),
            "ksmd_stops": sum(1 for a, b in edges if a and not b),
            "ksmd_restarts": sum(1 for a, b in edges if b and not a)}


def agent_stops(path):
    """How often the agent stopped ksmd (its log), None without a log.
    The samples, 5 s apart when the replay keeps up, can miss a stop that
    an arrival ends a few seconds later."""
    try:
        with open(path, errors="replace") as f:
            return sum(1 for line in f if "ksm: stopping ksmd (run=0)" in line)
    except OSError:
        return None


def cmd_report(a):
    d = a.dir
    smp = by_phase(read_csv(os.path.join(d, "churn-samples.csv")))
    vms = by_phase(read_csv(os.path.join(d, "churn-vms.csv")))
    evs = by_phase(read_csv(os.path.join(d, "churn-events.csv")))
    with open(os.path.join(d, "churn.json")) as f:
        meta = json.load(f)
    phases = [p for p in meta["phases"] if p in smp and len(smp[p]) > 1]
    res = {p: phase_figures(smp[p], vms.get(p, []), evs.get(p, [])) for p in phases}
    for p in phases:
        r = res[p]
        r["agent_ksmd_stops"] = agent_stops(os.path.join(d, f"vmmerged-{p}.log"))
        for base in ("static", "kata", "ksmtuned"):
            b = res.get(base)
            if b and b["gib_s_per_cpu_s"] and r["gib_s_per_cpu_s"] is not None:
                r[f"efficiency_vs_{base}"] = round(r["gib_s_per_cpu_s"] / b["gib_s_per_cpu_s"], 2)
            if b and b["mean_saved_mib"]:
                r[f"mean_saving_vs_{base}"] = round(r["mean_saved_mib"] / b["mean_saved_mib"], 3)
    out = {"meta": meta, "results": res}
    with open(os.path.join(d, "churn-results.json"), "w") as f:
        json.dump(out, f, indent=1)
    cols = [("phase", 9), ("saved GiB*s", 11), ("mean MiB", 9), ("CPU s", 7),
            ("GiB*s/CPU s", 11), ("x static", 8), ("x kata", 7), ("x ksmtuned", 10),
            ("mean/static", 11), ("t1/2 s", 7), ("stopped %", 9), ("stops/starts", 12),
            ("arr/dep/inv", 12)]
    lines = [f"churn: {meta['trace']['stats']}, interval {meta['interval_s']} s, "
             f"kernel {meta.get('kernel')}",
             " ".join(f"{c:>{w}}" for c, w in cols)]
    fmt = lambda x: "-" if x is None else str(x)
    for p in phases:
        r = res[p]
        vals = [p, r["saved_gib_s"], r["mean_saved_mib"], r["cpu_s"], r["gib_s_per_cpu_s"],
                r.get("efficiency_vs_static"), r.get("efficiency_vs_kata"),
                r.get("efficiency_vs_ksmtuned"), r.get("mean_saving_vs_static"),
                r["half_saving_median_s"], r["ksmd_stopped_pct"],
                f"{r['ksmd_stops']}/{r['ksmd_restarts']}",
                f"{r['arrivals_ok']}/{r['departures']}/{r['invocations_ok']}"]
        lines.append(" ".join(f"{fmt(v):>{w}}" for v, (_, w) in zip(vals, cols)))
    txt = "\n".join(lines) + "\n"
    with open(os.path.join(d, "churn-results.txt"), "w") as f:
        f.write(txt)
    print(txt, end="")
    write_plot(d, phases, smp)


def write_plot(d, phases, smp):
    for p in phases:
        with open(os.path.join(d, f"churn-plot-{p}.dat"), "w") as f:
            for r, cpu, integ, pct in series(smp[p]):
                f.write(f"{r['t']:.1f} {r['pages_sharing'] * PAGE / 2**20:.1f} {cpu:.3f} "
                        f"{integ:.3f} {pct:.2f} {int(r['resident'])}\n")
    plots = [("churn-saving.png", "memory saved (MiB)", "t (s)", "1:2"),
             ("churn-cpu.png", "CPU of ksmd + scanner + agent (% of one CPU)", "t (s)", "1:5"),
             ("churn-cpu-saved.png", "memory saved so far (GiB x s)",
              "CPU-seconds used so far (ksmd + scanner + agent)", "3:4")]
    gp = ["set terminal pngcairo size 900,500", "set key left top", "set grid"]
    for png, ylabel, xlabel, using in plots:
        gp += [f"set output '{png}'", f"set ylabel '{ylabel}'", f"set xlabel '{xlabel}'",
               "plot " + ", ".join(f"'churn-plot-{p}.dat' using {using} with lines lw 2 "
                                   f"title '{p}'" for p in phases)]
    with open(os.path.join(d, "churn-plot.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")


# ---------------------------------------------------------------- check
def cmd_check(a):
    d = a.dir
    bad = 0

    def case(name, good, why):
        nonlocal bad
        if good:
            print(f"ok churn-{name}")
        else:
            bad += 1
            print(f"FAIL churn-{name}: {why}")
    try:
        with open(os.path.join(d, "churn-results.json")) as f:
            res = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL churn-results: {e}")
        return 1
    meta, r = res["meta"], res["results"]
    want = meta["requested"]
    case("phases", all(p in r for p in want),
         f"phases with results {sorted(r)}, asked for {want}")
    st = meta["trace"]["stats"]
    for p in want:
        x = r.get(p)
        if not x:
            continue
        case(f"{p}-trace", x["arrivals_ok"] == st["arrivals"] and
             x["departures"] == st["departures"],
             f"{x['arrivals_ok']} arrivals (+{x['arrivals_failed']} failed) and "
             f"{x['departures']} departures of the trace's {st['arrivals']} and "
             f"{st['departures']}")
        # The calls must work; how many of them fit in the trace depends on
        # the test bed's speed (a loaded CI restores and calls 2-3 times
        # slower than an idle machine), so half of them is enough here and
        # the lag is a figure of the full runs.
        errors = x["invocations_failed"] - x.get("invocations_lost", 0) - \
            x.get("invocations_skipped", 0)
        case(f"{p}-invocations", x["invocations_ok"] >= 0.5 * st["invocations"] and
             errors == 0,
             f"{x['invocations_ok']} invocations ran, {errors} failed, "
             f"{x.get('invocations_lost', 0)} lost to a departure and "
             f"{x.get('invocations_skipped', 0)} skipped, of {st['invocations']}")
        case(f"{p}-saved", x["peak_saved_mib"] > 0,
             f"no memory saved (peak {x['peak_saved_mib']} MiB)")
        case(f"{p}-duration", x["duration_s"] >= meta["trace"]["duration"] * 0.95,
             f"sampled {x['duration_s']} s of a {meta['trace']['duration']} s trace")
    v = r.get("vmmerge")
    if v:
        case("vmmerge-ksmd-stopped", v["ksmd_stopped_pct"] > 0 or
             (v.get("agent_ksmd_stops") or 0) > 0,
             "the agent never stopped ksmd during the trace (its log and the samples)")
        case("vmmerge-cpu-counted", v["scan_cpu_s"] > 0 or v["agent_cpu_s"] > 0,
             "no CPU counted for the scanner or the agent")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("trace")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--rate", type=float, required=True)
    s.add_argument("--life-mean", type=float, required=True)
    s.add_argument("--life-min", type=float, default=30)
    s.add_argument("--life-max", type=float, default=math.inf)
    s.add_argument("--invoke", type=float, default=60)
    s.add_argument("--mix", default="python3:40,node:35,perl:25")
    s.add_argument("--out", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("--qmp", required=True)
    s.add_argument("--out", required=True)
    s = sub.add_parser("replay")
    s.add_argument("--trace", required=True)
    s.add_argument("--phase", required=True)
    s.add_argument("--snapdir", required=True)
    s.add_argument("--merge", choices=("on", "off"), required=True)
    s.add_argument("--out-dir", required=True)
    s.add_argument("--interval", type=float, default=5)
    s.add_argument("--prime", type=int, default=2000)
    s.add_argument("--kick", type=int, default=0)
    s.add_argument("--tuner", type=int, nargs="*", default=[])
    s = sub.add_parser("report")
    s.add_argument("dir")
    s = sub.add_parser("check")
    s.add_argument("dir")
    a = ap.parse_args()
    return {"trace": cmd_trace, "snapshot": cmd_snapshot, "replay": cmd_replay,
            "report": cmd_report, "check": cmd_check}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
