#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Unit test of bench/baselines/kata-throttler, the model of Kata's
# ksm-throttler, without a kernel: a fake KSM sysfs directory and a fake
# meminfo, and a clock the test drives (Throttler's methods take `now`).
# Cases: start changes nothing and keeps the settings found for 120 s, then
# standard 120 s, slow 120 s, then the settings found; a kick goes
# aggressive for 30 s, then standard 120 s, slow 120 s, restore; a kick in
# any state (standard, slow, restored) starts over; pages_to_scan is
# AnonPages / 10, 100, 500 read again at every step; a tune writes run=0
# first and run=1 last; a meminfo without AnonPages makes a failed tune
# that disarms the timer. Then the program itself on the fake directory
# (--time-scale 0.01): SIGUSR1 kicks, the log has timestamped lines,
# SIGTERM restores what was found and exits 0.
# Prints `ok NAME` / `FAIL NAME: why`; exits 1 if any failed.
import importlib.machinery
import importlib.util
import io
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = os.path.join(HERE, "..", "..", "bench", "baselines", "kata-throttler")
PAGE = os.sysconf("SC_PAGE_SIZE")
failed = 0


def check(name, good, why=""):
    global failed
    print(f"ok {name}" if good else f"FAIL {name}: {why}")
    failed += not good


def load():
    loader = importlib.machinery.SourceFileLoader("kata_throttler", PROG)
    spec = importlib.util.spec_from_loader("kata_throttler", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


kt = load()


class Bed:
    """A fake /sys/kernel/mm/ksm with a stock host's settings and a fake
    /proc/meminfo."""

    def __init__(self, root, anon_kb=800000):
        self.ksm = os.path.join(root, "ksm")
        os.makedirs(self.ksm, exist_ok=True)
        for k, v in (("run", "0\n"), ("pages_to_scan", "100\n"), ("sleep_millisecs", "20\n")):
            with open(os.path.join(self.ksm, k), "w") as f:
                f.write(v)
        self.meminfo = os.path.join(root, "meminfo")
        self.anon(anon_kb)

    def anon(self, kb):
        with open(self.meminfo, "w") as f:
            f.write(f"MemTotal:        8000000 kB\nMemFree:         4000000 kB\n"
                    f"AnonPages:       {kb:>8} kB\nMapped:            12345 kB\n")

    def state(self):
        return tuple(open(os.path.join(self.ksm, k)).read().strip()
                     for k in ("pages_to_scan", "sleep_millisecs", "run"))


class Recorder(kt.Throttler):
    """Records every sysfs write in order."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.writes = []

    def write(self, knob, value):
        self.writes.append((knob, str(value).strip()))
        super().write(knob, value)


def pages(kb, factor):
    return str(kb * 1024 // PAGE // factor)


def run_to(t, now):
    """Advance the clock to `now` in steps of 0.5 s, as the timer would."""
    x = t.last if hasattr(t, "last") else 0.0
    while x < now:
        x = min(now, x + 0.5)
        t.due(x)
    t.last = now


def new(root, anon_kb=800000):
    bed = Bed(root, anon_kb)
    t = Recorder(bed.ksm, bed.meminfo, io.StringIO())
    t.start(0.0)
    t.last = 0.0
    return bed, t


def case_start(root):
    bed, t = new(root)
    found = ("100", "20", "0")
    check("start-changes-nothing", not t.writes and bed.state() == found, f"{t.writes} {bed.state()}")
    run_to(t, 119.5)
    check("start-keeps-found-120s", bed.state() == found and not t.writes, f"{bed.state()} {t.writes}")
    run_to(t, 120.0)
    check("start-then-standard", bed.state() == (pages(800000, 100), "10", "1"), f"{bed.state()}")
    run_to(t, 239.5)
    check("standard-lasts-120s", bed.state()[1] == "10", f"{bed.state()}")
    run_to(t, 240.0)
    check("then-slow", bed.state() == (pages(800000, 500), "100", "1"), f"{bed.state()}")
    run_to(t, 359.5)
    check("slow-lasts-120s", bed.state()[1] == "100", f"{bed.state()}")
    run_to(t, 360.0)
    check("then-restored", bed.state() == found and t.deadline is None, f"{bed.state()} {t.deadline}")
    n = len(t.writes)
    run_to(t, 5000.0)
    check("restored-stays", len(t.writes) == n and bed.state() == found, f"{t.writes[n:]}")


def case_kick(root):
    bed, t = new(root)
    run_to(t, 5.0)
    t.kick(5.0)
    check("kick-aggressive", bed.state() == (pages(800000, 10), "1", "1"), f"{bed.state()}")
    check("kick-write-order", [k for k, _ in t.writes] == ["run", "pages_to_scan", "sleep_millisecs", "run"] and
          t.writes[0][1] == "0" and t.writes[-1][1] == "1", f"{t.writes}")
    # AnonPages is read again at every step.
    bed.anon(1600000)
    run_to(t, 34.5)
    check("aggressive-lasts-30s", bed.state()[1] == "1", f"{bed.state()}")
    run_to(t, 35.0)
    check("kick-then-standard", bed.state() == (pages(1600000, 100), "10", "1"), f"{bed.state()}")
    bed.anon(400000)
    run_to(t, 154.5)
    check("kick-standard-120s", bed.state()[1] == "10", f"{bed.state()}")
    run_to(t, 155.0)
    check("kick-then-slow", bed.state() == (pages(400000, 500), "100", "1"), f"{bed.state()}")
    run_to(t, 274.5)
    check("kick-slow-120s", bed.state()[1] == "100", f"{bed.state()}")
    run_to(t, 275.0)
    check("kick-then-restored", bed.state() == ("100", "20", "0"), f"{bed.state()}")
    # A kick after the restore starts over.
    run_to(t, 400.0)
    t.kick(400.0)
    run_to(t, 430.0)
    check("kick-after-restore", bed.state() == (pages(400000, 100), "10", "1"), f"{bed.state()}")


def case_rekick(root):
    bed, t = new(root)
    t.kick(0.0)
    run_to(t, 100.0)  # standard since 30
    t.kick(100.0)
    check("rekick-in-standard", bed.state()[1] == "1", f"{bed.state()}")
    run_to(t, 129.5)
    check("rekick-30s-again", bed.state()[1] == "1", f"{bed.state()}")
    run_to(t, 200.0)  # standard since 130, slow at 250
    run_to(t, 260.0)
    check("rekick-slow-at-250", bed.state()[1] == "100", f"{bed.state()}")
    t.kick(260.0)
    run_to(t, 290.0)
    check("rekick-in-slow", bed.state()[1] == "10", f"{bed.state()}")
    run_to(t, 530.0)
    check("rekick-restored-at-530", bed.state() == ("100", "20", "0"), f"{bed.state()}")


def case_noanon(root):
    bed, t = new(root)
    with open(bed.meminfo, "w") as f:
        f.write("MemTotal: 8000000 kB\n")
    t.kick(1.0)
    check("no-anonpages-no-write", not t.writes and bed.state() == ("100", "20", "0"), f"{t.writes}")
    check("no-anonpages-disarmed", t.deadline is None, f"deadline {t.deadline}")
    check("no-anonpages-logged", "event=error" in t.logf.getvalue(), t.logf.getvalue())
    # The next kick with AnonPages back works.
    bed.anon(800000)
    t.kick(2.0)
    check("kick-after-error", bed.state()[1] == "1" and t.deadline == 32.0, f"{bed.state()} {t.deadline}")


def wait_for(path, text, secs=20):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            if text in open(path).read():
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def case_program(root):
    bed = Bed(root)
    log = os.path.join(root, "log")
    pid = os.path.join(root, "pid")
    p = subprocess.Popen([sys.executable, PROG, "--ksm", bed.ksm, "--meminfo", bed.meminfo,
                          "--log", log, "--pidfile", pid, "--time-scale", "0.01"])
    try:
        good = wait_for(pid, "\n") and wait_for(log, "event=start")
        check("program-starts", good, open(log).read() if os.path.exists(log) else "no log")
        p.send_signal(signal.SIGUSR1)
        good = wait_for(log, "event=kick")
        check("program-sigusr1-kicks", good and bed.state()[1] in ("1", "10", "100"), f"{bed.state()}")
        # 0.3 s aggressive, 1.2 s standard, 1.2 s slow, then restored.
        good = wait_for(log, "event=restore")
        text = open(log).read()
        evs = [w.split("=")[1] for line in text.splitlines() for w in line.split() if w.startswith("event=")]
        check("program-schedule", good and evs == ["start", "kick", "timer", "timer", "restore"], f"{evs}")
        stamped = all(line[:4].isdigit() and line.split()[0].endswith("Z") for line in text.splitlines())
        check("program-log-timestamps", stamped and text, text)
        p.send_signal(signal.SIGUSR1)
        wait_for(log, "event=kick mode=aggressive", 5)
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=20)
        check("program-sigterm-exit-0", rc == 0, f"exit {rc}")
        # Found as "100\n", "20\n", "0\n": written back as they were read.
        raw = tuple(open(os.path.join(bed.ksm, k)).read() for k in ("pages_to_scan", "sleep_millisecs", "run"))
        check("program-sigterm-restores", raw == ("100\n", "20\n", "0\n") and "event=sigterm" in open(log).read(),
              f"{raw}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    r = subprocess.run([sys.executable, PROG, "--ksm", os.path.join(root, "none")],
                       capture_output=True, text=True, timeout=20)
    check("program-no-ksm-fails", r.returncode == 1 and "not available" in r.stderr, f"{r.returncode} {r.stderr}")


def main():
    for c in (case_start, case_kick, case_rekick, case_noanon, case_program):
        with tempfile.TemporaryDirectory() as d:
            c(d)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
