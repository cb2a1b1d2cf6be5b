"""train_torch.py - `pytone train`'s recipe as a PyTorch loop, for comparing
the two trainings (tests/e2e/test_train_vs_torch.py, bench/bench_train.py).

Everything a training depends on is the same as pytone's, written here from
docs/training.md and the .nam format, not from pytone's code paths:
  model      the A1 WaveNet sizes (train_reference.wavenet: valid dilated
             convolutions, weights in the .nam file's order)
  init       the same initial weights: PyTorch's Conv1d bounds
             (1/sqrt(fan_in)) drawn by the same seeded generator as pytone's
             (a splitmix64 stream, documented in docs/training.md)
  data       the training part of the aligned recording cut into windows of
             8192 outputs (plus rf - 1 inputs), shuffled each epoch by the
             same seeded Fisher-Yates (xorshift64), batches of 16 (the last
             one smaller)
  loss       train_reference.loss (MSE + 2e-4 MRSTFT, pre-emphasised)
  optimiser  torch.optim.Adam, lr 4e-3 times 0.993 after every epoch
  validation ESR on the held-out copy skipping rf - 1 samples; the best
             epoch's weights kept
in float32 (as NAM's trainer runs), with torch's own kernels and autograd."""
import time

import numpy as np
import torch

import nam_oracle as oracle
import train_reference as ref

M64 = (1 << 64) - 1
D10 = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
D7 = [1, 2, 4, 8, 16, 32, 64]
D13 = [128, 256, 512, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


def config(arch):
    la = oracle.layer_array
    if arch == "standard":
        arrays = [la(1, 16, 8, 3, D10, "Tanh", False, False), la(16, 8, 1, 3, D10, "Tanh", False, True)]
    else:
        C = {"nano": 4, "feather": 8, "lite": 12}[arch]
        arrays = [la(1, C, C // 2, 3, D7, "Tanh", False, False), la(C, C // 2, 1, 3, D13, "Tanh", False, True)]
    cfg = oracle.wavenet_config(arrays)
    cfg["head_scale_weight"] = 0.02  # fixed, as NAM keeps it
    return cfg


def init_weights(cfg, seed):
    """pytone's initial weights for --seed: file order, head_scale left out"""
    s = (seed * 0x2545F4914F6CDD1D + 1) & M64

    def draw(n, bound):
        nonlocal s
        out = np.empty(n)
        for i in range(n):
            s = (s + 0x9E3779B97F4A7C15) & M64
            z = s
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            z ^= z >> 31
            out[i] = bound * (2.0 * ((z >> 11) / 9007199254740992.0) - 1.0)
        return out.astype(np.float32)

    w = []
    for la in cfg["layers"]:
        C, K, n_in = la["channels"], la["kernel_size"], la["input_size"]
        w.append(draw(C * n_in, 1 / np.sqrt(n_in)))
        for _ in la["dilations"]:
            bc = 1 / np.sqrt(C * K)
            w += [draw(C * C * K, bc), draw(C, bc), draw(C, 1.0), draw(C * C + C, 1 / np.sqrt(C))]
        w.append(draw(la["head_size"] * C + (la["head_size"] if la["head_bias"] else 0), 1 / np.sqrt(C)))
    return np.concatenate(w)


class Shuffler:
    """the window order of each epoch, as pytone draws it for --seed"""

    def __init__(self, seed, epoch=0):
        self.rs = (seed * 0x9E3779B97F4A7C15 + 0x1234567 + epoch * 7919) & M64

    def order(self, n):
        o = list(range(n))
        rs = self.rs
        for i in range(n - 1, 0, -1):
            rs ^= (rs << 13) & M64
            rs ^= rs >> 7
            rs ^= (rs << 17) & M64
            j = rs % (i + 1)
            o[i], o[j] = o[j], o[i]
        self.rs = rs
        return o


def esr(y, t):
    return float(np.sum((y - t) ** 2) / np.sum(t ** 2))


def train(arch, x, y, train_span, val_span, epochs, seed=0, max_batches=0, threads=2, log=None, stop=None):
    """Train on the aligned pair (x, y) (float arrays). train_span and
    val_span: (start, end) sample ranges. Returns a list of
    (epoch, validation ESR, seconds since the start, CPU seconds) and the
    best weights. `stop(epoch, esr)` may end the run early."""
    torch.set_num_threads(threads)
    cfg = config(arch)
    rf = oracle.wavenet_rf(cfg)
    ny = 8192
    L = ny + rf - 1
    p = torch.tensor(init_weights(cfg, seed), requires_grad=True)
    opt = torch.optim.Adam([p], lr=4e-3)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, 0.993)
    a, b = train_span
    xt = torch.tensor(np.asarray(x[a:b], np.float32))
    yt = torch.tensor(np.asarray(y[a:b], np.float32))
    n_win = (len(xt) - rf + 1) // ny
    v0, v1 = val_span
    xv = torch.tensor(np.asarray(x[v0:v1], np.float32))[None, :]
    tv = np.asarray(y[v0:v1], np.float64)[rf - 1:]
    sh = Shuffler(seed)
    hist, best, best_esr = [], None, np.inf
    t0, c0 = time.monotonic(), time.process_time()
    for ep in range(epochs):
        order = sh.order(n_win)
        n_b = (n_win + 15) // 16
        if max_batches:
            n_b = min(n_b, max_batches)
        for k in range(n_b):
            idx = order[16 * k:16 * (k + 1)]
            xb = torch.stack([xt[i * ny:i * ny + L] for i in idx])
            tb = torch.stack([yt[i * ny + rf - 1:i * ny + L] for i in idx])
            opt.zero_grad()
            loss, _, _ = ref.loss(ref.wavenet(cfg, p, xb), tb)
            loss.backward()
            opt.step()
        sched.step()
        with torch.no_grad():
            yv = ref.wavenet(cfg, p, xv)[0].double().numpy()
        e = esr(yv, tv)
        if e < best_esr:
            best_esr, best = e, p.detach().numpy().copy()
        hist.append((ep + 1, e, time.monotonic() - t0, time.process_time() - c0))
        if log:
            log(f"torch epoch {ep + 1}/{epochs}  validation ESR {e:.5f}  {hist[-1][2]:.1f} s")
        if stop and stop(ep + 1, e):
            break
    return hist, best
