"""`pytone capture-signal` and `pytone train` end to end (issue #19).

- the capture signal: deterministic, 48 kHz mono, its two validation copies
  identical, the blips where the layout says;
- a short training (nano, 2 epochs on the 40 s signal) of a target made here
  with scipy (high-pass, tanh drive, low-pass, delayed 25 samples):
  the latency is found to the sample; the written .nam loads in the player,
  and pytone's rendering of it agrees with the numpy oracle
  (tests/e2e/nam_oracle.py) within 1e-6 of full scale sample by sample (and
  1e-5 relative RMS, the player's float32 against float64, as in
  test_nam_oracle); the validation ESR the
  file states equals the ESR the oracle's output gives on the held-out
  segment within 1e-6 relative; --resume goes on from the checkpoint;
- a recording in NAM's v3 layout: its blips and its split;
- bad input (rates or lengths that differ, stereo files, a 10 s recording,
  a silent recording, validation copies that disagree): exit 2, one message naming the file, nothing written.
"""
import json
import os
import sys

import numpy as np
import scipy.signal as ss

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nam_oracle as oracle  # noqa: E402
import ptest  # noqa: E402
from ptest import test  # noqa: E402

SR = 48000
LATENCY = 25
state = {}


def signal_():
    if "x" not in state:
        p = ptest.tmp("signal.wav")
        ptest.run("capture-signal", p, "--short", check=True)
        state["x_path"] = p
        state["x"] = ptest.read_wav(p)[1]
    return state["x"]


def amp(x):
    """the 'amp': 80 Hz high-pass, tanh drive, 5 kHz low-pass, 25 samples late"""
    b, a = ss.butter(1, 80 / (SR / 2), "high")
    u = np.tanh(4 * ss.lfilter(b, a, x))
    b, a = ss.butter(2, 5000 / (SR / 2))
    y = 0.5 * ss.lfilter(b, a, u)
    return np.concatenate([np.zeros(LATENCY), y[:-LATENCY]])


@test
def capture_signal_is_deterministic_with_two_equal_validation_copies():
    x = signal_()
    assert len(x) == 40 * SR, len(x)
    p2 = ptest.tmp("signal2.wav")
    ptest.run("capture-signal", p2, "--short", check=True)
    assert np.array_equal(ptest.read_wav(p2)[1], x)
    V = 3 * SR
    assert np.array_equal(x[:V], x[-V:])
    assert np.max(np.abs(x)) < 0.99 and np.sqrt(np.mean(x ** 2)) > 0.05
    # the blips, alone in silence
    for b in (V + SR * 5 // 4, V + 2 * SR):
        assert x[b] == 0.5 and x[b + 1] == -0.5
    assert np.max(np.abs(x[V + SR // 4:V + 5 * SR // 4])) == 0
    full = ptest.tmp("full.wav")
    ptest.run("capture-signal", full, check=True)
    rate, xf = ptest.read_wav(full)
    assert rate == SR and len(xf) == 180 * SR


@test
def short_training_writes_a_model_the_player_and_the_oracle_agree_on():
    x = signal_()
    y = amp(x)
    yp = ptest.tmp("amp.wav")
    ptest.write_wav(yp, SR, y)
    model = ptest.tmp("nano.nam")
    r = ptest.run("train", state["x_path"], yp, "-o", model, "--arch", "nano", "--epochs", 2, "--seed", 3,
                  "--name", "Test amp", "--gear", "scipy", timeout=300)
    print("  " + r.stderr.strip().replace("\n", "\n  "))
    assert r.returncode == 0, r.stderr
    doc = json.load(open(model))
    md = doc["metadata"]
    tr = md["training"]
    assert md["name"] == "Test amp" and md["gear_model"] == "scipy"
    assert tr["data"]["latency"]["calibration"]["recommended"] == LATENCY, tr["data"]["latency"]
    assert tr["pytone"]["epochs"] == 2
    esr = tr["validation_esr"]
    # the held-out segment, aligned as the trainer aligns it
    ya = np.concatenate([y[LATENCY:], np.zeros(LATENCY)])
    vs, vn = tr["pytone"]["validation_start"], tr["pytone"]["validation_samples"]
    assert vs == len(x) - 3 * SR and vn == 3 * SR - LATENCY
    xv, tv = x[vs:vs + vn], ya[vs:vs + vn]
    yo = oracle.run(doc, xv)
    rf = oracle.wavenet_rf(doc["config"])
    assert tr["pytone"]["validation_esr_skips"] == rf - 1
    esr_np = np.sum((yo[rf - 1:] - tv[rf - 1:]) ** 2) / np.sum(tv[rf - 1:] ** 2)
    print(f"  stated ESR {esr:.9g}, numpy {esr_np:.9g} (relative {abs(esr - esr_np) / esr_np:.1e})")
    assert abs(esr - esr_np) <= 1e-6 * esr_np
    assert esr < 0.9, "two epochs learnt nothing"
    # pytone's player on the same input
    xin, yout = ptest.tmp("xv.wav"), ptest.tmp("yv.wav")
    ptest.write_wav(xin, SR, xv)
    ptest.run("render", model, xin, yout, check=True)
    ypl = ptest.read_wav(yout)[1]
    rel = np.sqrt(np.mean((ypl - yo) ** 2) / np.mean(yo ** 2))
    dmax = np.max(np.abs(ypl - yo))
    print(f"  player vs oracle: largest difference {dmax:.1e} of full scale, relative RMS {rel:.1e}")
    assert dmax <= 1e-6 and rel <= 1e-5  # float32 player vs float64 oracle (test_nam_oracle allows 1e-5)
    state["model"], state["amp"] = model, yp

    # --resume: one more epoch from the checkpoint
    r = ptest.run("train", state["x_path"], yp, "-o", model, "--arch", "nano", "--epochs", 3, "--resume",
                  timeout=300)
    assert r.returncode == 0, r.stderr
    assert "epoch 3/3" in r.stderr and "epoch 1/3" not in r.stderr, r.stderr
    doc2 = json.load(open(model))
    assert doc2["metadata"]["training"]["pytone"]["epochs"] == 3
    assert doc2["metadata"]["training"]["validation_esr"] <= esr


@test
def ctrl_c_writes_the_best_model_so_far():
    import signal
    import subprocess
    x = signal_()
    yp = ptest.tmp("amp_int.wav")
    ptest.write_wav(yp, SR, amp(x))
    model = ptest.tmp("int.nam")
    p = subprocess.Popen([ptest.PYTONE, "train", state["x_path"], yp, "-o", model, "--arch", "nano", "--epochs", "50",
                          "--max-batches", "3"], stderr=subprocess.PIPE, text=True)
    lines = []
    for line in p.stderr:
        lines.append(line)
        if line.startswith("epoch 1/50"):
            p.send_signal(signal.SIGINT)
            break
    rest = p.communicate(timeout=120)[1]
    out = "".join(lines) + rest
    assert p.returncode == 0, out
    assert "interrupted: writing the best model so far" in out, out
    doc = json.load(open(model))
    n = doc["metadata"]["training"]["pytone"]["epochs"]
    assert 1 <= n < 50, n
    print(f"  interrupted after {n} epoch(s); wrote {os.path.basename(model)}")


@test
def lstm_training_step_writes_a_model_the_oracle_agrees_on():
    """--arch lstm, one batch: the file is NAM's LSTM (3 x 18), its stated
    ESR (after the 8192-sample burn-in) recomputed by the oracle."""
    x = signal_()
    yp = ptest.tmp("amp_lstm.wav")
    ptest.write_wav(yp, SR, amp(x))
    model = ptest.tmp("lstm.nam")
    r = ptest.run("train", state["x_path"], yp, "-o", model, "--arch", "lstm", "--epochs", 1, "--max-batches", 1,
                  timeout=300)
    assert r.returncode == 0, r.stderr
    doc = json.load(open(model))
    assert doc["architecture"] == "LSTM" and doc["config"] == {"input_size": 1, "hidden_size": 18, "num_layers": 3}
    tr = doc["metadata"]["training"]
    ya = np.concatenate([amp(x)[LATENCY:], np.zeros(LATENCY)])
    vs, vn, skip = tr["pytone"]["validation_start"], tr["pytone"]["validation_samples"], tr["pytone"]["validation_esr_skips"]
    assert skip == 8192
    yo = oracle.run(doc, x[vs:vs + vn])
    tv = ya[vs:vs + vn]
    esr_np = np.sum((yo[skip:] - tv[skip:]) ** 2) / np.sum(tv[skip:] ** 2)
    print(f"  stated ESR {tr['validation_esr']:.9g}, numpy {esr_np:.9g}")
    assert abs(tr["validation_esr"] - esr_np) <= 1e-6 * esr_np


@test
def nam_v3_recordings_are_split_as_nam_splits_them():
    """A recording of NAM's v3 standard signal's layout (3:10; validation
    copies in the first and last 9 s, blips at 10.5 s and 11.5 s, silence
    around them): latency found from those blips, the last 9 s held out."""
    n = 9_120_000
    rng = np.random.default_rng(7)
    x = np.zeros(n)
    V = 432_000
    body = 0.3 * np.tanh(rng.standard_normal(V))
    x[:V] = body
    x[-V:] = body
    x[470_000:485_000] = 0.2 * rng.standard_normal(15_000)  # some material before the quiet stretch
    for b in (504_000, 552_000):
        x[b] = 0.5
    x[600_000:n - V] = 0.3 * np.tanh(rng.standard_normal(n - V - 600_000))
    xp, yp = ptest.tmp("v3_in.wav"), ptest.tmp("v3_out.wav")
    ptest.write_wav(xp, SR, x)
    ptest.write_wav(yp, SR, amp(x))
    model = ptest.tmp("v3.nam")
    r = ptest.run("train", xp, yp, "-o", model, "--arch", "nano", "--epochs", 1, "--max-batches", 1, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "nam-v3 signal, latency 25 samples" in r.stderr, r.stderr
    tr = json.load(open(model))["metadata"]["training"]
    assert tr["pytone"]["signal"] == "nam-v3"
    assert tr["pytone"]["validation_start"] == n - V and tr["pytone"]["validation_samples"] == V - LATENCY


def refused(inp, out, words):
    model = ptest.tmp("bad.nam")
    if os.path.exists(model):
        os.remove(model)
    r = ptest.run("train", inp, out, "-o", model, "--arch", "nano", "--epochs", 1)
    msg = r.stderr.strip()
    assert r.returncode == 2, (r.returncode, msg)
    assert len(msg.splitlines()) == 1, msg
    for w in words:
        assert w in msg, (w, msg)
    assert not os.path.exists(model) and not os.path.exists(model + ".ckpt")
    print("  " + msg)


@test
def bad_inputs_are_refused_with_one_message_and_nothing_written():
    x = signal_()
    y = amp(x)
    xp = state["x_path"]
    p = ptest.tmp
    ptest.write_wav(p("y.wav"), SR, y)
    # another rate
    ptest.write_wav(p("y44.wav"), 44100, y)
    refused(xp, p("y44.wav"), ["y44.wav", "44100 Hz"])
    # another length
    ptest.write_wav(p("yshort.wav"), SR, y[:-480])
    refused(xp, p("yshort.wav"), ["yshort.wav", "samples"])
    # a stereo recording; a stereo input
    ptest.write_wav(p("ystereo.wav"), SR, np.stack([y, y], axis=1))
    refused(xp, p("ystereo.wav"), ["ystereo.wav", "2 channels"])
    ptest.write_wav(p("xstereo.wav"), SR, np.stack([x, x], axis=1))
    refused(p("xstereo.wav"), p("y.wav"), ["xstereo.wav", "2 channels"])
    # a 10 s recording of 10 s of the signal
    ptest.write_wav(p("x10.wav"), SR, x[:10 * SR])
    ptest.write_wav(p("y10.wav"), SR, y[:10 * SR])
    refused(p("x10.wav"), p("y10.wav"), ["x10.wav", "10.0 s"])
    # silence
    ptest.write_wav(p("ysilent.wav"), SR, np.zeros_like(y))
    refused(xp, p("ysilent.wav"), ["ysilent.wav", "no signal came back"])
    # the validation copies disagree (the amp 20 % louder at the end)
    yd = y.copy()
    yd[-3 * SR:] *= 1.2
    ptest.write_wav(p("ydrift.wav"), SR, yd)
    refused(xp, p("ydrift.wav"), ["ydrift.wav", "validation copies differ", "--ignore-checks"])


if __name__ == "__main__":
    ptest.main()
