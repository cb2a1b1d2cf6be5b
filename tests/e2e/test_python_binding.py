"""The Python binding (python/pytone.py over libpytone.so) plays what the engine plays.

References:
- the Neural Amp Modeler reference player's outputs (tests/data/nam/*.reference.wav):
  a capture rendered through the binding matches them as `pytone render` does;
- `pytone render` itself: factory rigs (mono and stereo) rendered through the binding
  are bit-identical to the CLI's files;
- the analytic gain: a level node set from -0 dB to -6 dB through the binding settles at
  exactly 10^(-6/20) of the input, with no step larger than the ramp allows;
- errors name the file / node / parameter, and a bad open raises, never crashes.
"""
import json
import warnings
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.io import wavfile

SRC = os.environ.get("PT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("PT_BUILD_DIR", os.path.join(SRC, "build"))
PYTONE = os.environ.get("PT_PYTONE", os.path.join(BUILD, "pytone"))
LIB = os.path.join(BUILD, "libpytone.so")
if not os.path.exists(LIB):
    print(f"skip: {LIB} was not built (PT_SHARED=OFF or a sanitizer build)")
    sys.exit(77)
os.environ["PYTONE_LIB"] = LIB
sys.path.insert(0, os.path.join(SRC, "python"))
import pytone  # noqa: E402

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def read(path):
    warnings.simplefilter("ignore", wavfile.WavFileWarning)  # our WAVs carry a PEAK chunk
    rate, x = wavfile.read(path)
    return rate, x.astype(np.float32)


def rel_rms(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)) / np.sqrt(np.mean(b ** 2)))


check(pytone.version().count(".") == 2, f"version {pytone.version()}")

# 1. NAM captures against the reference player's outputs
rate, x = read(os.path.join(SRC, "tests/data/nam/input.wav"))
for model in ("wavenet", "lstm", "wavenet_a1_standard"):
    _, ref = read(os.path.join(SRC, f"tests/data/nam/{model}.reference.wav"))
    with pytone.Rig(os.path.join(SRC, f"tests/data/nam/{model}.nam"), rate=rate, block=64) as rig:
        y = rig.render(x)
    e = rel_rms(y, ref)
    check(y.shape == ref.shape and e < 1e-5,
          f"{model}.nam through the binding vs the NAM reference output: relative RMS {e:.2e} (< 1e-5)")

# 2. factory rigs: identical to `pytone render`
with tempfile.TemporaryDirectory() as tmp:
    di = os.path.join(tmp, "di.wav")
    wavfile.write(di, rate, x[: rate * 3])
    for name in ("default", "crunch", "dual_amp"):
        out = os.path.join(tmp, f"{name}.wav")
        rigpath = os.path.join(SRC, "rigs", f"{name}.yaml")
        subprocess.run([PYTONE, "render", rigpath, di, out], check=True)
        _, cli = read(out)
        with pytone.Rig(rigpath, rate=rate, block=64) as rig:
            y = rig.render(x[: rate * 3])
            chans = rig.channels
        same = y.shape == cli.shape and np.array_equal(y, cli)
        check(same, f"rigs/{name}.yaml ({chans} ch): binding == pytone render, sample for sample"
                    + ("" if same else f" (shapes {y.shape} {cli.shape}, max diff "
                       f"{np.max(np.abs(y - cli)) if y.shape == cli.shape else 'n/a'})"))

    # 3. a parameter change: a level node, -6 dB, settles at the analytic gain
    rig_yaml = os.path.join(tmp, "gain.yaml")
    with open(rig_yaml, "w") as f:
        f.write("version: 1\nname: Gain\nchain:\n  - {id: vol, type: level}\n")
    with pytone.Rig(rig_yaml, rate=48000, block=64) as rig:
        sine = (0.5 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)).astype(np.float32)
        y0 = rig.process(sine[:4800])
        check(np.allclose(y0, sine[:4800], atol=1e-6), "level at its default 0 dB passes the input")
        rig.set("vol", "gain_db", -6.0)
        y1 = rig.process(sine[4800:])
        g = 10 ** (-6 / 20)
        tail = y1[4800:]
        err = np.max(np.abs(tail - g * sine[4800 + 4800:]))
        check(err < 1e-5, f"after 100 ms, output = 10^(-6/20) x input (max error {err:.1e})")
        loud = np.abs(sine[4800:6800]) > 0.05          # gain = out/in where in is not tiny
        gain = y1[:2000][loud] / sine[4800:6800][loud]
        steps = np.max(np.abs(np.diff(gain)))
        check(steps < 0.01, f"the gain ramps (largest gain step between samples {steps:.4f} < 0.01: no jump)")
        d = rig.describe()
        p = [q for q in d["nodes"][0]["params"] if q["name"] == "gain_db"][0]
        check(d["nodes"][0]["id"] == "vol" and p["value"] == -6.0 and p["min"] == -60 and p["unit"] == "dB",
              f"describe() gives the node, its range, unit and current value ({json.dumps(p)})")
        # errors name what is wrong
        for args, want in ((("nope", "gain_db", 1), "no node 'nope'"),
                           (("vol", "volume", 1), "has no parameter 'volume'"),
                           (("vol", "gain_db", 99), "out of range -60 .. 24 dB")):
            try:
                rig.set(*args)
                check(False, f"set{args} refused")
            except pytone.PyToneError as e:
                check(want in str(e) and "gain.yaml" in str(e), f"set{args} refused: {e}")
        rig.bypass("vol")
        y2 = rig.process(sine[:9600])
        check(np.allclose(y2[4800:], sine[4800:9600], atol=1e-6), "bypass: the input passes again")

    # 4. files that cannot be opened raise with their name
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write("version: 1\nname: Bad\nchain:\n  - {id: a, type: driev}\n")
    trunc = os.path.join(tmp, "trunc.nam")
    with open(os.path.join(SRC, "tests/data/nam/wavenet.nam")) as f:
        text = f.read()
    with open(trunc, "w") as f:
        f.write(text[: len(text) // 2])
    for path, want in ((os.path.join(tmp, "missing.yaml"), "missing.yaml"),
                       (bad, "bad.yaml:4:19: unknown node type 'driev' (did you mean 'drive'?)"), (trunc, "trunc.nam")):
        try:
            pytone.Rig(path)
            check(False, f"{os.path.basename(path)} refused")
        except pytone.PyToneError as e:
            check(want in str(e), f"{os.path.basename(path)} refused: {e}")
    try:
        pytone.Rig(os.path.join(SRC, "rigs/default.yaml"), rate=12345)
        check(False, "rate 12345 refused")
    except pytone.PyToneError as e:
        check("12345" in str(e), f"rate 12345 refused: {e}")

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
