#!/usr/bin/python3
"""bench_ui.py — does a connected web UI cost the audio thread time?

Plays a rig on the virtual backend (`pytone run --backend virtual`) for S
seconds with 0, 1 and 4 WebSocket clients subscribed to meters at 30 Hz
(what the web UI asks for), and reads the engine's own measured callback
times: the `stats:` line `pytone run` prints at the end (p50/p99/max of the
time pt_engine_process took, as a share of the 64-frame period, from a
histogram with 0.1 % steps: 1.33 us at 48 kHz / 64 frames).

The conditions are interleaved, in a rotated order each round (0,1,4 then
1,4,0 then 4,0,1 ...), so slow drift of this shared machine's load falls
on all of them alike. Per condition: the mean over rounds of each run's
p50 and p99 with a 95 % confidence interval (Student t); against no client:
the mean paired difference (same round) with its 95 % interval, and whether
that interval contains zero ("within run-to-run noise").

The engine keeps only the histogram, not a running sum, so there is no
per-block mean; the per-run p50 is the central figure and its spread across
runs is the noise. Prints numbers; never pass/fail.

usage: scripts/bench_ui.py [--pytone build/pytone] [--rig tests/rigs/ui_perf_30.yaml]
                           [--seconds 20] [--rounds 4] [--clients 0,1,4]
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from wsclient import WS, free_port  # noqa: E402

try:
    from scipy.stats import t as student_t
except ImportError:  # the 95 % two-sided t quantiles for small samples
    student_t = None
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
        10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def t975(df):
    if student_t is not None:
        return float(student_t.ppf(0.975, df))
    return T975.get(df) or T975[max(k for k in T975 if k <= df)] if df >= 1 else float("nan")


def mean_ci(xs):
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, float("nan")
    return m, t975(len(xs) - 1) * statistics.stdev(xs) / len(xs) ** 0.5


STATS = re.compile(r"stats: callbacks=(\d+) overruns=(\d+) load_p50=([\d.]+)% load_p99=([\d.]+)% load_max=([\d.]+)%")


def wait_up(port, proc, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/state", timeout=1) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.05)
    return None


def client(port, counts, i, stop):
    """One UI-like connection: subscribe to meters at 30 Hz and read every event."""
    try:
        ws = WS(port)
        ws.call("subscribe", meters=True, meters_hz=30, state=True)
        ws.sock.settimeout(0.5)
        while not stop.is_set():
            try:
                op, _ = ws.recv_frame()
            except (TimeoutError, OSError):
                if stop.is_set():
                    break
                continue
            except (ConnectionError, AssertionError):
                break
            if op == 0x1:
                counts[i] += 1
            elif op == 0x8:
                break
        ws.close()
    except (OSError, ConnectionError):
        pass


def one_run(args, n_clients, tmp):
    port = free_port()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, PT_RECOVERY_FILE=os.path.join(tmp, "recovery.yaml"), HOME=tmp)
    proc = subprocess.Popen([args.pytone, "run", "--backend", "virtual", "--seconds", str(args.seconds),
                             "--port", str(port), args.rig],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    st = wait_up(port, proc)
    stop = threading.Event()
    counts = [0] * n_clients
    threads = [threading.Thread(target=client, args=(port, counts, i, stop), daemon=True) for i in range(n_clients)]
    t0 = time.time()
    for th in threads:
        th.start()
    out, err = proc.communicate(timeout=args.seconds + 30)
    elapsed = time.time() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the engine's, once waited for
    cpu_s = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    stop.set()
    for th in threads:
        th.join(timeout=2)
    m = STATS.search(out)
    if not m or st is None:
        sys.stderr.write(f"bench_ui: the engine did not run: {out}{err}\n")
        return None
    s = st.get("state", st)
    period_us = 1e6 * s.get("frames", 64) / s.get("rate", 48000)
    cb, ov, p50, p99, mx = int(m[1]), int(m[2]), float(m[3]), float(m[4]), float(m[5])
    return {"clients": n_clients, "callbacks": cb, "overruns": ov, "period_us": period_us,
            "p50_us": p50 * period_us / 100, "p99_us": p99 * period_us / 100, "max_us": mx * period_us / 100,
            "events_per_s": (sum(counts) / n_clients / elapsed) if n_clients else 0.0,
            "cpu_pct": 100 * cpu_s / args.seconds}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pytone", default=os.path.join(HERE, "..", "build", "pytone"))
    ap.add_argument("--rig", default=os.path.join(HERE, "..", "tests", "rigs", "ui_perf_30.yaml"))
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--clients", default="0,1,4")
    args = ap.parse_args()
    conds = [int(c) for c in args.clients.split(",")]
    print(f"rig {os.path.basename(args.rig)}, virtual backend, {args.seconds:g} s a run, "
          f"{args.rounds} rounds of {conds} clients (meters at 30 Hz), interleaved; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    runs = {c: [] for c in conds}
    with tempfile.TemporaryDirectory(prefix="pt-bench-ui-") as tmp:
        for r in range(args.rounds):
            order = conds[r % len(conds):] + conds[:r % len(conds)]
            for c in order:
                res = one_run(args, c, tmp)
                if res is None:
                    return 1
                res["round"] = r
                runs[c].append(res)
                print(f"  round {r + 1} clients={c}: p50 {res['p50_us']:6.2f} us  p99 {res['p99_us']:7.2f} us  "
                      f"max {res['max_us']:8.2f} us  callbacks {res['callbacks']}  overruns {res['overruns']}  "
                      f"engine CPU {res['cpu_pct']:4.1f} %"
                      + (f"  meter events {res['events_per_s']:.1f}/s per client" if c else ""), flush=True)
    period = runs[conds[0]][0]["period_us"]
    print(f"audio thread per 64-frame block (period {period:.1f} us; histogram step {period / 1000:.2f} us):")
    base = conds[0]
    for c in conds:
        p50, p50ci = mean_ci([x["p50_us"] for x in runs[c]])
        p99, p99ci = mean_ci([x["p99_us"] for x in runs[c]])
        mx = statistics.median(x["max_us"] for x in runs[c])
        cpu, cpuci = mean_ci([x["cpu_pct"] for x in runs[c]])
        line = (f"  {c} client{'s' if c != 1 else ' '}: p50 {p50:6.2f} ± {p50ci:5.2f} us  p99 {p99:7.2f} ± {p99ci:6.2f} us"
                f"  max (median of runs) {mx:8.2f} us  engine process CPU {cpu:4.1f} ± {cpuci:3.1f} % of a core")
        if c != base:
            for key in ("p50_us", "p99_us"):
                d = [a[key] - b[key] for a, b in zip(runs[c], runs[base])]
                dm, dci = mean_ci(d)
                # no finer than the histogram: identical steps in every pair give a zero-width interval
                floor = dci < period / 1000 or dci != dci
                dci = max(dci, period / 1000) if dci == dci else period / 1000
                noise = "within run-to-run noise" if abs(dm) <= dci else "outside run-to-run noise"
                line += (f"\n      {key[:3]} vs {base} clients: {dm:+6.2f} ± {dci:5.2f} us (paired, 95 %"
                         f"{', at least one histogram step' if floor else ''}), {noise}")
        print(line)
    print("(± is a 95 % confidence interval over the runs; paired differences are taken within a round;\n"
          " engine process CPU is all its threads: audio, control server, meters pusher)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
