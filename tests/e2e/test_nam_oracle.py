"""The `nam` node against a numpy oracle written from the .nam format
(tests/e2e/nam_oracle.py), on random models of every architecture and
option: WaveNet gated/ungated with each activation, kernel sizes 1..5,
several dilation patterns, one and two layer arrays; LSTM with one and
several layers; ConvNet with and without batch norm; Linear with and
without bias. Pass: relative RMS error <= 1e-5 for each model.

The oracle itself is first checked against the reference player's outputs
in tests/data/nam (so it is not just our reading of the format twice).

Runs build/nam_render (a one-node tool) with normalize off, at the model's
own sample rate, in 64-frame blocks (and 37/1000 for some)."""
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import scipy.io.wavfile as wavfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nam_oracle as oracle  # noqa: E402

warnings.simplefilter("ignore", wavfile.WavFileWarning)

SRC = os.environ.get("PT_SOURCE_DIR", ".")
BUILD = os.environ.get("PT_BUILD_DIR", os.path.join(SRC, "build"))
TOOL = os.path.join(BUILD, "nam_render")
TOL = 1e-5
failures = []


def rel_rms(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.sqrt(np.mean((a - b) ** 2) / max(np.mean(b ** 2), 1e-30)))


def render(model_path, x, rate, block=64):
    with tempfile.TemporaryDirectory() as d:
        inp, out = os.path.join(d, "in.wav"), os.path.join(d, "out.wav")
        wavfile.write(inp, rate, x.astype(np.float32))
        r = subprocess.run([TOOL, model_path, inp, out, "--block", str(block), "--normalize", "0"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("nam_render failed: " + r.stderr)
        return wavfile.read(out)[1].astype(np.float64)


def check(name, doc, x, blocks=(64,)):
    rate = doc.get("sample_rate") or 48000
    want = oracle.run(doc, x.astype(np.float32))
    with tempfile.NamedTemporaryFile("w", suffix=".nam", delete=False) as f:
        json.dump(doc, f)
        path = f.name
    try:
        for block in blocks:
            got = render(path, x, rate, block)
            err = rel_rms(got, want)
            ok = err <= TOL and np.all(np.isfinite(got))
            print("%-44s block %4d  rel rms %.2e  (output rms %.3g)  %s"
                  % (name, block, err, np.sqrt(np.mean(want ** 2)), "ok" if ok else "FAIL"))
            if not ok:
                failures.append(name)
    finally:
        os.unlink(path)


def test_input(rate, n, rng):
    t = np.arange(n) / rate
    env = np.exp(-3.0 * t)
    x = 0.4 * env * np.sin(2 * np.pi * 110.0 * t) + 0.2 * np.sin(2 * np.pi * 1234.5 * t) + 0.05 * rng.normal(size=n)
    return x.astype(np.float32)


def main():
    if not os.path.exists(TOOL):
        print("skip: %s not built" % TOOL)
        return 77
    rng = np.random.default_rng(20261125)

    # 0. the oracle reproduces the reference player (first 0.2 s)
    data = os.path.join(SRC, "tests", "data", "nam")
    rate, ref_in = wavfile.read(os.path.join(data, "input.wav"))
    for m in ("wavenet", "lstm"):
        doc = json.load(open(os.path.join(data, m + ".nam")))
        n = 9600
        want = wavfile.read(os.path.join(data, m + ".reference.wav"))[1][:n]
        err = rel_rms(oracle.run(doc, ref_in[:n]), want)
        ok = err <= 1e-4
        print("oracle vs reference player %-16s rel rms %.2e  %s" % (m, err, "ok" if ok else "FAIL"))
        if not ok:
            failures.append("oracle " + m)

    x48 = test_input(48000, 4800, rng)

    # 1. WaveNet: every activation, gated and not
    for act in ("Tanh", "Hardtanh", "Fasttanh", "ReLU", "LeakyReLU", "Sigmoid"):
        for gated in (False, True):
            cfg = oracle.wavenet_config([oracle.layer_array(1, 4, 1, 3, [1, 2, 4, 8], act, gated, True)])
            doc = oracle.nam_document("WaveNet", cfg, oracle.random_weights("WaveNet", cfg, rng))
            check("WaveNet %s %s" % (act, "gated" if gated else "ungated"), doc, x48)

    # 2. WaveNet: kernel sizes and dilation patterns, two chained arrays
    patterns = [([1, 2, 4, 8, 16, 32, 64, 128, 256, 512], 3), ([1, 1, 1], 2), ([3, 7, 13], 5), ([700], 1),
                ([1, 3, 9, 27, 81], 4)]
    for dil, k in patterns:
        cfg = oracle.wavenet_config([
            oracle.layer_array(1, 6, 5, k, dil, "Tanh", False, False),
            oracle.layer_array(6, 5, 1, k, dil[::-1], "Tanh", True, True),
        ])
        doc = oracle.nam_document("WaveNet", cfg, oracle.random_weights("WaveNet", cfg, rng, 0.4))
        check("WaveNet 2 arrays k=%d dil=%s" % (k, dil[:4]), doc, x48, blocks=(64, 37, 1000))

    # 3. WaveNet without a sample_rate key (48 kHz meant), three arrays
    cfg = oracle.wavenet_config([
        oracle.layer_array(1, 3, 2, 3, [1, 2], "Tanh", False, False),
        oracle.layer_array(3, 2, 4, 3, [4, 8], "ReLU", True, False),
        oracle.layer_array(2, 4, 1, 2, [16], "Tanh", False, True),
    ])
    doc = oracle.nam_document("WaveNet", cfg, oracle.random_weights("WaveNet", cfg, rng), sample_rate=None,
                              version="0.5.0")
    check("WaveNet 3 arrays, no sample_rate", doc, x48)

    # 4. LSTM: one and several layers (at 16 kHz: shorter prewarm, and a
    #    model rate other than 48 kHz played natively)
    x16 = test_input(16000, 3200, rng)
    for layers, hidden in ((1, 8), (3, 5), (2, 16)):
        cfg = {"input_size": 1, "hidden_size": hidden, "num_layers": layers}
        doc = oracle.nam_document("LSTM", cfg, oracle.random_weights("LSTM", cfg, rng), sample_rate=16000)
        check("LSTM %d layer(s) x %d" % (layers, hidden), doc, x16, blocks=(64, 1000))

    # 5. ConvNet: with and without batch norm
    for bn in (False, True):
        for act in ("Tanh", "ReLU"):
            cfg = {"channels": 5, "dilations": [1, 2, 4, 8, 16], "batchnorm": bn, "activation": act}
            doc = oracle.nam_document("ConvNet", cfg, oracle.random_weights("ConvNet", cfg, rng, 0.4))
            check("ConvNet batchnorm=%s %s" % (bn, act), doc, x48)

    # 6. Linear
    for rf, bias in ((1, False), (37, True), (300, False)):
        cfg = {"receptive_field": rf, "bias": bias}
        doc = oracle.nam_document("Linear", cfg, oracle.random_weights("Linear", cfg, rng, 0.2))
        check("Linear rf=%d bias=%s" % (rf, bias), doc, x48, blocks=(64, 7))

    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    print("all models agree with the oracle within %g" % TOL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
