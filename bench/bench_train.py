"""bench_train.py - `pytone train` against a PyTorch loop (issue #19).

Same model (the standard A1 WaveNet), same data (pytone's short capture
signal through a scipy 'amp'), same loss (MSE + 2e-4 pre-emphasised MRSTFT,
tests/e2e/train_reference.py), same optimiser (Adam, lr 4e-3), batches of
16 windows of 8192 outputs, 2 threads each. Both run NB batches; the time per
batch (setup and validation taken out: pytone's run of 1 batch is
subtracted) is scaled to NAM's default epoch (8.1 M samples, about 62
batches). Printed, never asserted. Timings on a loaded machine are inflated.

Then the time to the same validation ESR: both train the standard model
from the same initial weights on the same windows in the same order
(tests/e2e/train_torch.py, the PyTorch loop of pytone's recipe), pytone for
PT_BENCH_TRAIN_EPOCHS epochs (default 3) of PT_BENCH_TRAIN_EPOCH_BATCHES
batches (default 0: the whole short signal, 12 batches); the best ESR it
reached is the target, and the PyTorch loop runs until it reaches it (at
most twice as many epochs; within 0.1 %: the two runs differ by float32
rounding alone, about 1e-6 of the ESR, tests/e2e/test_train_vs_torch.py).
Wall and CPU seconds to the target, each.

usage: bench_train.py BUILD_DIR [NB]"""
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import scipy.io.wavfile as wavfile
import scipy.signal as ss

warnings.simplefilter("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import nam_oracle as oracle  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
NB = int(sys.argv[2]) if len(sys.argv) > 2 else 6
PYTONE = os.path.join(BUILD, "pytone")
EPOCH_BATCHES = 8_100_000 / 8192 / 16
SR = 48000


def amp(x):
    b, a = ss.butter(1, 80 / (SR / 2), "high")
    u = np.tanh(4 * ss.lfilter(b, a, x))
    b, a = ss.butter(2, 5000 / (SR / 2))
    return 0.5 * ss.lfilter(b, a, u)


def pytone_time(d, nb):
    """(wall s, CPU s of the child)"""
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run([PYTONE, "train", f"{d}/x.wav", f"{d}/y.wav", "-o", f"{d}/m.nam", "--arch", "standard",
                    "--epochs", "1", "--max-batches", str(nb), "--threads", "2", "--quiet"], check=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.monotonic() - t, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def main():
    d = tempfile.mkdtemp(prefix="pytone-bench-train-")
    subprocess.run([PYTONE, "capture-signal", f"{d}/x.wav", "--short"], check=True, capture_output=True)
    x = wavfile.read(f"{d}/x.wav")[1].astype(np.float64)
    y = amp(x)
    wavfile.write(f"{d}/y.wav", SR, y.astype(np.float32))

    w1, c1 = pytone_time(d, 1)
    wn, cn = pytone_time(d, NB + 1)
    per_batch_c, cpu_c = (wn - w1) / NB, (cn - c1) / NB
    print(f"pytone train (standard, {os.cpu_count()} CPUs, 2 threads): {per_batch_c:.3f} s per batch of "
          f"16x8192 ({cpu_c:.3f} CPU-s) -> {per_batch_c * EPOCH_BATCHES:.1f} s per NAM epoch (8.1 M samples; "
          f"{cpu_c * EPOCH_BATCHES:.1f} CPU-s, {cpu_c * EPOCH_BATCHES / 2:.1f} s on 2 idle cores; over {NB} batches)")

    try:
        import torch
        sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
        import train_reference as ref
    except ImportError:
        print("PyTorch loop: skipped (python3-torch missing)")
        return
    torch.set_num_threads(2)
    D10 = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    la = oracle.layer_array
    cfg = oracle.wavenet_config([la(1, 16, 8, 3, D10, "Tanh", False, False), la(16, 8, 1, 3, D10, "Tanh", False, True)])
    cfg["head_scale_weight"] = 0.02
    n = oracle.count_weights("WaveNet", cfg) - 1
    rf = oracle.wavenet_rf(cfg)
    rng = np.random.default_rng(0)
    p = torch.tensor(rng.uniform(-0.1, 0.1, n), dtype=torch.float32, requires_grad=True)
    opt = torch.optim.Adam([p], lr=4e-3)
    train = slice(6 * SR, 37 * SR)
    xt = torch.tensor(x[train], dtype=torch.float32)
    yt = torch.tensor(y[train], dtype=torch.float32)
    L = 8192 + rf - 1
    starts = rng.permutation((len(xt) - L) // 8192)[:16 * (NB + 1)] * 8192

    def step(i):
        s = starts[16 * i:16 * (i + 1)]
        xb = torch.stack([xt[j:j + L] for j in s])
        tb = torch.stack([yt[j + rf - 1:j + L] for j in s])
        opt.zero_grad()
        loss, _, _ = ref.loss(ref.wavenet(cfg, p, xb), tb)
        loss.backward()
        opt.step()

    step(0)  # warm-up
    t, c = time.monotonic(), time.process_time()
    for i in range(1, NB + 1):
        step(i)
    per_batch_t, cpu_t = (time.monotonic() - t) / NB, (time.process_time() - c) / NB
    print(f"PyTorch {torch.__version__} loop (float32, 2 threads):   {per_batch_t:.3f} s per batch ({cpu_t:.3f} CPU-s) "
          f"-> {per_batch_t * EPOCH_BATCHES:.1f} s per NAM epoch ({cpu_t * EPOCH_BATCHES:.1f} CPU-s)")
    print(f"pytone is {per_batch_t / per_batch_c:.1f}x faster per epoch in wall time, {cpu_t / cpu_c:.1f}x in CPU time "
          f"(the same gradients to 1e-4, tests/e2e/test_train_grad.py, so the same epochs reach the same ESR; "
          f"time to equal validation ESR: below)")
    time_to_same_esr(d, x, y)


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_same_esr(d, x, y):
    import train_torch
    E = int(os.environ.get("PT_BENCH_TRAIN_EPOCHS", "3"))
    EB = int(os.environ.get("PT_BENCH_TRAIN_EPOCH_BATCHES", "0"))
    args = [PYTONE, "train", f"{d}/x.wav", f"{d}/y.wav", "-o", f"{d}/t.nam", "--arch", "standard", "--epochs", str(E),
            "--threads", "2", "--seed", "1"] + (["--max-batches", str(EB)] if EB else [])
    p = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    hp = []
    for line in p.stderr:
        if line.startswith("epoch ") and "validation ESR" in line:
            w = line.split()
            hp.append((int(w[1].split("/")[0]), float(w[w.index("ESR") + 1]), time.monotonic() - t0, cpu_of(p.pid)))
    p.wait()
    target = min(h[1] for h in hp)
    reach_p = next(h for h in hp if h[1] <= target)
    # the recording as the trainer aligned it
    import json
    tr = json.load(open(f"{d}/t.nam"))["metadata"]["training"]
    pt, lat = tr["pytone"], tr["data"]["latency"]["calibration"]["recommended"]
    y = np.concatenate([y[lat:], np.zeros(lat)])
    val = (pt["validation_start"], pt["validation_start"] + pt["validation_samples"])
    ht, _ = train_torch.train("standard", x, y, (6 * SR, 37 * SR), val, 2 * E, seed=1, max_batches=EB, threads=2,
                              stop=lambda ep, e: e <= target * 1.001)
    batches = f"{EB} batches" if EB else "the whole short signal"
    print(f"time to the same validation ESR (standard, epochs of {batches}): pytone reached ESR {target:.5f} at "
          f"epoch {reach_p[0]} in {reach_p[2]:.1f} s ({reach_p[3]:.1f} CPU-s)")
    print("  ESR per epoch, pytone: " + " ".join(f"{h[1]:.5f}" for h in hp))
    print("  ESR per epoch, PyTorch: " + " ".join(f"{h[1]:.5f}" for h in ht))
    print("  seconds, pytone: " + " ".join(f"{h[2]:.1f}" for h in hp) + "; PyTorch: " +
          " ".join(f"{h[2]:.1f}" for h in ht))
    reach_t = next((h for h in ht if h[1] <= target * 1.001), None)
    if reach_t is None:
        print(f"  PyTorch: not reached in {len(ht)} epochs ({ht[-1][2]:.1f} s, {ht[-1][3]:.1f} CPU-s): "
              f"more than {ht[-1][2] / reach_p[2]:.1f}x pytone's time")
    else:
        print(f"  PyTorch reached it at epoch {reach_t[0]} in {reach_t[2]:.1f} s ({reach_t[3]:.1f} CPU-s): pytone "
              f"{reach_t[2] / reach_p[2]:.1f}x faster in wall time, {reach_t[3] / reach_p[3]:.1f}x in CPU time "
              f"(goal: 5x)")


if __name__ == "__main__":
    main()
