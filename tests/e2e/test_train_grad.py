"""`pytone train`'s loss and gradients against PyTorch (issue #19).

The reference (tests/e2e/train_reference.py) is NAM's trainer's WaveNet and
loss written in PyTorch from the .nam format, run in float64 with autograd;
the trainer's are computed by `pytone train-grad` (its C forward, loss and
backward passes, threaded as in training) on the same .nam weights and the
same batch of windows (8192 outputs each, as NAM trains).

Pass: the loss and its MSE and MRSTFT terms within 1e-4 relative; every
parameter's gradient within 1e-4 relative of PyTorch's, counting relative
to max(|g|, 1e-3 of the largest gradient) — the trainer computes in float32,
whose rounding (about 1e-7 of the largest values flowing back) is all that
separates a gradient a million times smaller than the largest from
PyTorch's. Models: the nano and standard A1 sizes with weights drawn as PyTorch
initialises them, and NAM's LSTM (3 x 18, burn-in 8192) on windows of 16384.
Skipped (77) when python3-torch is missing."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nam_oracle as oracle  # noqa: E402
import ptest  # noqa: E402
from ptest import test  # noqa: E402

try:
    import torch
    import train_reference as ref
except ImportError:
    print("python3-torch missing: skipped")
    sys.exit(77)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(2)
D10 = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
D7 = [1, 2, 4, 8, 16, 32, 64]
D13 = [128, 256, 512, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


def arrays(name):
    la = oracle.layer_array
    if name == "standard":
        return [la(1, 16, 8, 3, D10, "Tanh", False, False), la(16, 8, 1, 3, D10, "Tanh", False, True)]
    C = {"nano": 4, "feather": 8, "lite": 12}[name]
    return [la(1, C, C // 2, 3, D7, "Tanh", False, False), la(C, C // 2, 1, 3, D13, "Tanh", False, True)]


def torch_init(cfg, rng):
    """Weights as PyTorch's Conv1d initialises them (uniform within
    1/sqrt(fan_in)), in the file's order: the start of every training."""
    w = []

    def u(n, fan_in):
        w.extend(rng.uniform(-1, 1, n) / np.sqrt(fan_in))

    for la in cfg["layers"]:
        C, K = la["channels"], la["kernel_size"]
        u(C * la["input_size"], la["input_size"])
        for _ in la["dilations"]:
            u(C * C * K + C, C * K)
            u(C, 1)
            u(C * C + C, C)
        u(la["head_size"] * C + (la["head_size"] if la["head_bias"] else 0), C)
    w.append(0.02)
    return np.array(w, np.float32)


def check(name, B, seed):
    rng = np.random.default_rng(seed)
    cfg = oracle.wavenet_config(arrays(name))
    w = torch_init(cfg, rng)
    assert len(w) == oracle.count_weights("WaveNet", cfg)
    doc = oracle.nam_document("WaveNet", cfg, [float(v) for v in w])
    model = ptest.tmp(f"grad_{name}.nam")
    json.dump(doc, open(model, "w"))
    rf = oracle.wavenet_rf(cfg)
    ny = 8192
    L = ny + rf - 1
    x = (0.4 * rng.standard_normal((B, L))).astype(np.float32)
    t = (0.5 * np.tanh(3 * x[:, rf - 1:]) + 0.01 * rng.standard_normal((B, ny))).astype(np.float32)
    batch, out = ptest.tmp(f"batch_{name}.f32"), ptest.tmp(f"grad_{name}.f32")
    np.concatenate([x.ravel(), t.ravel()]).astype(np.float32).tofile(batch)
    ptest.run("train-grad", model, batch, B, ny, out, 2, check=True)
    res = np.fromfile(out, np.float32).astype(np.float64)

    cfg["head_scale_weight"] = float(w[-1])
    p = torch.tensor(w[:-1].astype(np.float64), requires_grad=True)
    y = ref.wavenet(cfg, p, torch.tensor(x.astype(np.float64)))
    total, mse, mr = ref.loss(y, torch.tensor(t.astype(np.float64)))
    total.backward()
    compare(name, res, (float(total), float(mse), float(mr)), p.grad.numpy())


def check_lstm(B, ny, seed, layers=3, H=18):
    """NAM's LSTM (3 x 18) against torch's own LSTM kernel (_VF.lstm, what
    nn.LSTM runs) with the .nam weights: W split into W_ih | W_hh, b as
    b_ih (b_hh zero), the learnt initial states; loss on the outputs after
    the 8192-sample burn-in, MRSTFT weight 2e-3."""
    rng = np.random.default_rng(seed)
    sizes = []
    for l in range(layers):
        i = 1 if l == 0 else H
        sizes += [4 * H * (i + H), 4 * H, H, H]
    n = sum(sizes) + H + 1
    w = (rng.uniform(-1, 1, n) / np.sqrt(H)).astype(np.float32)
    doc = {"version": "0.5.4", "architecture": "LSTM", "config": {"input_size": 1, "hidden_size": H, "num_layers": layers},
           "weights": [float(v) for v in w], "sample_rate": 48000}
    model, batch, out = ptest.tmp("lstm.nam"), ptest.tmp("batch_lstm.f32"), ptest.tmp("grad_lstm.f32")
    json.dump(doc, open(model, "w"))
    x = (0.4 * rng.standard_normal((B, ny))).astype(np.float32)
    t = (0.5 * np.tanh(3 * x) + 0.01 * rng.standard_normal((B, ny))).astype(np.float32)
    np.concatenate([x.ravel(), t.ravel()]).astype(np.float32).tofile(batch)
    ptest.run("train-grad", model, batch, B, ny, out, 2, check=True)
    res = np.fromfile(out, np.float32).astype(np.float64)

    p = torch.tensor(w.astype(np.float64), requires_grad=True)
    k = 0
    flat, h0, c0 = [], [], []
    for l in range(layers):
        i = 1 if l == 0 else H
        W = p[k:k + 4 * H * (i + H)].reshape(4 * H, i + H)
        k += 4 * H * (i + H)
        flat += [W[:, :i], W[:, i:], p[k:k + 4 * H], torch.zeros(4 * H)]
        k += 4 * H
        h0.append(p[k:k + H])
        c0.append(p[k + H:k + 2 * H])
        k += 2 * H
    hw, hb = p[k:k + H], p[k + H]
    hx = (torch.stack(h0)[:, None, :].expand(layers, B, H).contiguous(),
          torch.stack(c0)[:, None, :].expand(layers, B, H).contiguous())
    feats = torch._VF.lstm(torch.tensor(x.astype(np.float64))[:, :, None], hx, flat, True, layers, 0.0, False, False,
                           True)[0]
    y = (feats @ hw + hb)[:, 8192:]
    tt = torch.tensor(t.astype(np.float64))[:, 8192:]
    mse = torch.mean((y - tt) ** 2)
    mr = ref.mrstft(ref.pre_emphasis(y), ref.pre_emphasis(tt))
    total = mse + 2e-3 * mr
    total.backward()
    compare("lstm", res, (float(total), float(mse), float(mr)), p.grad.numpy())


def compare(name, res, want3, gt):
    for got, want, what in zip(res[:3], want3, ("loss", "MSE", "MRSTFT")):
        assert abs(got - want) <= 1e-4 * abs(want), f"{name}: {what} {got} vs PyTorch {want}"
    g = res[3:]
    assert g.shape == gt.shape, (g.shape, gt.shape)
    floor = 1e-3 * np.max(np.abs(gt))
    rel = np.abs(g - gt) / np.maximum(np.abs(gt), floor)
    strict = np.abs(g - gt) / np.maximum(np.abs(gt), 1e-30)
    print(f"  {name}: {len(g)} gradients, loss {res[0]:.6g} (PyTorch {want3[0]:.6g}); worst relative error "
          f"{rel.max():.2e} (floor 1e-3 of the largest); {np.mean(strict <= 1e-4) * 100:.2f} % within 1e-4 "
          f"of their own size, median {np.median(strict):.1e}")
    assert rel.max() <= 1e-4, f"{name}: parameter {int(np.argmax(rel))}: {g[np.argmax(rel)]} vs {gt[np.argmax(rel)]}"


@test
def gradients_lstm_equal_pytorch():
    check_lstm(1, 16384, 5)


@test
def gradients_nano_equal_pytorch():
    check("nano", 3, 1)


@test
def gradients_standard_equal_pytorch():
    check("standard", 2, 2)


if __name__ == "__main__":
    ptest.main()
