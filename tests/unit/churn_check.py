#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Unit test of bench/lib/churn.py without a test VM: the trace (the same
# seed gives the same trace, another seed another; arrivals inside the
# duration, lifetimes within their bounds, invocations inside each life and
# never before the arrival; the counts the stats give); the restore command
# line (the snapshot VM's own, with this VM's name, sockets, mem-merge and
# -incoming, nothing else changed); the figures of a replay from
# hand-made CSVs (saved memory integrated by trapezoids, CPU of ksmd +
# scanner + agent, ratios against static, time to half the final saving,
# VMs that never merged, share of samples with ksmd stopped); and check's
# cases failing on a replay that lost an arrival; the replay's departures
# logging an invocation they cut off as lost, and the trace's end letting
# a restore still under way finish instead of killing it unlogged.
# Prints `ok NAME` / `FAIL NAME: why`; exits 1 if any failed.
import importlib.util
import io
import json
import os
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "churn", os.path.join(HERE, "..", "..", "bench", "lib", "churn.py"))
churn = importlib.util.module_from_spec(spec)
spec.loader.exec_module(churn)
failed = 0


def check(name, good, why=""):
    global failed
    print(f"ok {name}" if good else f"FAIL {name}: {why}")
    failed += not good


MIX = [("python3", 40), ("node", 35), ("perl", 25)]


def test_trace():
    a = churn.make_trace(7, 480, 0.09, 270, 67, float("inf"), 120, MIX)
    b = churn.make_trace(7, 480, 0.09, 270, 67, float("inf"), 120, MIX)
    c = churn.make_trace(8, 480, 0.09, 270, 67, float("inf"), 120, MIX)
    check("churn-trace-seeded", a == b and a["vms"] != c["vms"],
          "same seed gave different traces, or another seed the same")
    vms = a["vms"]
    bad = [v for v in vms if not 0 < v["arrive"] < 480 or v["depart"] - v["arrive"] < 66.9]
    check("churn-trace-bounds", vms and not bad, f"{len(bad)} VMs out of bounds: {bad[:2]}")
    bad = [v for v in vms for k in v["invoke"]
           if not v["arrive"] < k < min(v["depart"], 480)]
    check("churn-trace-invocations-inside-life", not bad, f"{bad[:2]}")
    gaps = [y - x for v in vms for x, y in zip([v["arrive"]] + v["invoke"], v["invoke"])]
    check("churn-trace-invocation-period", gaps and min(gaps) >= 0.75 * 120 - 0.2 and
          max(gaps) <= 1.25 * 120 + 0.2, f"gaps {min(gaps):.1f}..{max(gaps):.1f}")
    st = churn.trace_stats(a)
    deps = sum(1 for v in vms if v["depart"] < 480)
    check("churn-trace-stats", st["arrivals"] == len(vms) and st["departures"] == deps and
          st["invocations"] == len(vms) + sum(len(v["invoke"]) for v in vms) and
          0 < st["peak_resident"] <= len(vms), f"{st}")
    stacks = {v["stack"] for v in vms}
    check("churn-trace-mix", stacks == {"python3", "node", "perl"}, f"stacks {stacks}")
    # The default trace of bench/churn, as its header says.
    check("churn-trace-default", (st["arrivals"], st["departures"], st["peak_resident"],
                                  st["invocations"]) == (47, 27, 25, 80), f"{st}")


def test_restore_argv():
    d = tempfile.mkdtemp()
    argv = ["qemu-system-x86_64", "-M", "microvm,mem-merge=off", "-enable-kvm", "-m", "192",
            "-name", "snap-node-0", "-chardev",
            "socket,id=con,path=/tmp/vmt/vm1.sock,server=on,wait=off,logfile=/x",
            "-serial", "chardev:con", "-qmp", "unix:/tmp/vmt/vm1.qmp,server=on,wait=off",
            "-append", "console=ttyS0 vmname=snap-node-0"]
    with open(os.path.join(d, "node.cmdline"), "wb") as f:
        f.write(b"\0".join(x.encode() for x in argv) + b"\0")
    name, out = churn.restore_argv(d, "node", {"id": 12}, "/run/c", "on")
    want = ["qemu-system-x86_64", "-M", "microvm,mem-merge=on", "-enable-kvm", "-m", "192",
            "-name", "node-12", "-chardev",
            "socket,id=con,path=/run/c/node-12.sock,server=on,wait=off",
            "-serial", "chardev:con", "-qmp", "unix:/run/c/node-12.qmp,server=on,wait=off",
            "-append", "console=ttyS0 vmname=snap-node-0",
            "-incoming", f"exec:cat {d}/node.mig"]
    check("churn-restore-argv", name == "node-12" and out == want, f"{name} {out}")


def write(d, name, header, rows):
    with open(os.path.join(d, name), "w") as f:
        f.write(header + "\n")
        for r in rows:
            f.write(",".join(map(str, r)) + "\n")


def replay_dir(lose_arrival=False, call_error=False, stops_in="samples"):
    """Two phases of a 20 s trace: one VM arriving at 0, leaving at 20.
    vmmerge's ksmd stop is seen in the samples, in the agent's log only
    (stops_in "log"), or nowhere ("none"); call_error: its node call fails."""
    d = tempfile.mkdtemp()
    hz = churn.HZ
    smp, vms, evs = [], [], []
    for ph, sharing, ksmd_per_s, stopped in (("static", 25600, hz, False),
                                             ("vmmerge", 25600, hz // 4, True)):
        for t in range(0, 25, 5):
            # saved ramps 0, then 25600 pages (100 MiB) from t=10 on
            sh = 0 if t < 10 else sharing
            # vmmerge: stopped at 10 and 15 s, started again at 20 s
            run = 0 if stopped and stops_in == "samples" and t in (10, 15) else 1
            smp.append([ph, t, 1, 100, sh, 0, 0, 0, ksmd_per_s * t, 2 * t, t, 0, 100, 20, run, 0])
            vms.append([ph, t, 0, "python3", "idle", 0 if t < 10 else 1000])
            vms.append([ph, t, 1, "node", "idle", 0])
        evs.append([ph, 0, 2, 0, "python3", "restore", 2, 1, ""])
        if not (lose_arrival and ph == "vmmerge"):
            evs.append([ph, 0, 2, 1, "node", "restore", 2, 1, ""])
        evs.append([ph, 0, 5, 0, "python3", "invoke", 3, 1, ""])
        if call_error and ph == "vmmerge":
            evs.append([ph, 0, 6, 1, "node", "invoke", 3, 0, "status 1: boom"])
        else:
            evs.append([ph, 0, 6, 1, "node", "invoke", 3, 1, ""])
        evs.append([ph, 20, 20, 0, "python3", "depart", 20, 1, ""])
    write(d, "churn-samples.csv", "phase,t,resident,pages_shared,pages_sharing,pages_unshared,"
          "full_scans,rss_kb,ksmd_ticks,scan_ticks,agent_ticks,tuner_ticks,pages_to_scan,"
          "sleep_ms,run,nr_enrolled", smp)
    write(d, "churn-vms.csv", "phase,t,id,stack,state,merging_pages", vms)
    write(d, "churn-events.csv", "phase,t_plan,t,id,stack,event,secs,ok,detail", evs)
    meta = {"trace": {"duration": 20, "stats": {"arrivals": 2, "departures": 1,
                                                "peak_resident": 2, "invocations": 2}},
            "interval_s": 5, "requested": ["static", "vmmerge"], "phases": ["static", "vmmerge"]}
    with open(os.path.join(d, "churn.json"), "w") as f:
        json.dump(meta, f)
    if stops_in == "log":
        with open(os.path.join(d, "vmmerged-vmmerge.log"), "w") as f:
            f.write("vmmerged: ksm: stopping ksmd (run=0): nothing left to merge for 16 s\n")
    return d


def report_and_check(**kw):
    """cmd_report then cmd_check on replay_dir(**kw): (rc, output, results)."""
    d = replay_dir(**kw)
    with redirect_stdout(io.StringIO()):
        churn.cmd_report(type("A", (), {"dir": d})())
    out = io.StringIO()
    with redirect_stdout(out):
        rc = churn.cmd_check(type("A", (), {"dir": d})())
    with open(os.path.join(d, "churn-results.json")) as f:
        return rc, out.getvalue(), json.load(f)["results"]


def test_report():
    d = replay_dir()
    with redirect_stdout(io.StringIO()):
        churn.cmd_report(type("A", (), {"dir": d})())
    with open(os.path.join(d, "churn-results.json")) as f:
        r = json.load(f)["results"]
    s, v = r["static"], r["vmmerge"]
    # 100 MiB from 10 s on, trapezoids from 5 s: (2.5 + 5 + 5) s x 100 MiB
    want = 12.5 * 100 / 1024
    check("churn-report-integral", abs(s["saved_gib_s"] - round(want, 2)) < 0.011,
          f"{s['saved_gib_s']} GiB*s, want {want:.3f}")
    # static: ksmd 1 s/s + scanner 2 ticks/s + agent 1 tick/s over 20 s
    want_cpu = 20 + 60 / churn.HZ
    check("churn-report-cpu", abs(s["cpu_s"] - round(want_cpu, 2)) < 0.011,
          f"{s['cpu_s']} CPU s, want {want_cpu:.2f}")
    eff = (v["saved_gib_s"] / v["cpu_s"]) / (s["saved_gib_s"] / s["cpu_s"])
    check("churn-report-ratio", abs(v["efficiency_vs_static"] - round(eff, 2)) < 0.011 and
          v["efficiency_vs_static"] > 3, f"{v.get('efficiency_vs_static')}, want {eff:.2f}")
    # VM 0 arrived (restore started) at 0, reached 1000 of 1000 at 10 s;
    # VM 1 never merged.
    check("churn-report-half-saving", s["half_saving_median_s"] == 10.0 and
          s["vms_measured"] == 1 and s["vms_never_merged"] == 1,
          f"{s['half_saving_median_s']} s, {s['vms_measured']} measured, "
          f"{s['vms_never_merged']} never")
    check("churn-report-stopped", s["ksmd_stopped_pct"] == 0 and v["ksmd_stopped_pct"] == 40.0,
          f"static {s['ksmd_stopped_pct']} %, vmmerge {v['ksmd_stopped_pct']} %")
    check("churn-report-restarts", (s["ksmd_stops"], s["ksmd_restarts"]) == (0, 0) and
          (v["ksmd_stops"], v["ksmd_restarts"]) == (1, 1),
          f"static {s['ksmd_stops']}/{s['ksmd_restarts']}, "
          f"vmmerge {v['ksmd_stops']}/{v['ksmd_restarts']} stops/restarts")
    txt = open(os.path.join(d, "churn-results.txt")).read()
    check("churn-report-table", "static" in txt and "vmmerge" in txt and
          os.path.exists(os.path.join(d, "churn-plot.gp")), txt)
    out = io.StringIO()
    with redirect_stdout(out):
        rc = churn.cmd_check(type("A", (), {"dir": d})())
    check("churn-check-passes", rc == 0 and "FAIL" not in out.getvalue(), out.getvalue())
    rc, out, _ = report_and_check(lose_arrival=True)
    check("churn-check-lost-arrival", rc == 1 and "FAIL churn-vmmerge-trace" in out, out)
    rc, out, _ = report_and_check(call_error=True)
    check("churn-check-call-error", rc == 1 and "FAIL churn-vmmerge-invocations" in out and
          "1 failed" in out, out)
    rc, out, r = report_and_check(stops_in="log")
    check("churn-check-stop-from-log", rc == 0 and r["vmmerge"]["agent_ksmd_stops"] == 1 and
          r["vmmerge"]["ksmd_stopped_pct"] == 0 and r["static"]["agent_ksmd_stops"] is None,
          out)
    rc, out, _ = report_and_check(stops_in="none")
    check("churn-check-never-stopped", rc == 1 and "FAIL churn-vmmerge-ksmd-stopped" in out, out)


class FakeProc:
    """A VMM or call process as the replay sees it (poll, kill, wait)."""
    def __init__(self, rc=None):
        self.returncode = rc
        self.pid = 0

    def poll(self):
        return self.returncode

    def kill(self):
        self.returncode = -9

    def wait(self):
        return self.returncode


def fake_replay():
    r = churn.Replay.__new__(churn.Replay)
    r.a = type("A", (), {"phase": "p"})()
    r.ev = io.StringIO()
    r.t0 = churn.time.monotonic()
    r.vms = {}
    return r


def fake_vm(r, i, state):
    vm = churn.Vm({"id": i, "stack": "perl"})
    vm.state, vm.proc, vm.arrived, vm.t_plan = state, FakeProc(), r.now(), 1.0
    vm.call_plan, vm.call_t = 2.0, r.now()
    if state == "invoking":
        vm.call = FakeProc()
    r.vms[i] = vm
    return vm


def events(r):
    return [line.split(",") for line in r.ev.getvalue().splitlines()]


def test_departures():
    with redirect_stdout(io.StringIO()), \
            open(os.devnull, "w") as null, redirect_stderr(null):
        r = fake_replay()
        a, b, c = fake_vm(r, 0, "restoring"), fake_vm(r, 1, "invoking"), fake_vm(r, 2, "idle")
        for vm in (a, b, c):
            r.depart(9.0, vm)
    ev = [(e[3], e[5], e[7], e[8][:5]) for e in events(r)]
    want = [("0", "invoke", "0", "lost:"), ("0", "depart", "1", ""),
            ("1", "invoke", "0", "lost:"), ("1", "depart", "1", ""), ("2", "depart", "1", "")]
    check("churn-depart-logs-lost-invocation", ev == want and
          all(v.state == "gone" and v.proc.returncode == -9 for v in (a, b, c)), f"{ev}")
    # The trace's end: a VM still restoring whose VMM then fails is
    # logged as a failed restore, not killed unseen.
    r = fake_replay()
    vm = fake_vm(r, 3, "restoring")
    vm.proc = FakeProc(rc=1)
    with open(os.devnull, "w") as null, redirect_stderr(null):
        r.finish()
    ev = [(e[3], e[5], e[7]) for e in events(r)]
    check("churn-finish-waits-for-restore", ev == [("3", "restore", "0")] and vm.state == "gone",
          f"{ev}")


test_trace()
test_restore_argv()
test_report()
test_departures()
sys.exit(1 if failed else 0)
