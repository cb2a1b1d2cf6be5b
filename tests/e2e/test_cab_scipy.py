#!/usr/bin/python3
"""test_cab_scipy.py — the cab node's raw convolution against scipy.

Reference: scipy.signal.fftconvolve in float64 (an independent FFT
convolution) of the same float32 IR and input files.
Checks, through build/pt_cab_render (one cab node, normalize 0):
  - a mono 10 s IR (480000 taps) and a stereo 2 s IR, blocks of 64 and 1000
    frames: relative error (||y - ref|| / ||ref|| over the whole output)
    below -100 dB;
  - zero latency: the output's first non-zero sample is at the input's
    first non-zero sample (cross-checked against the reference).
"""
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import scipy.io.wavfile as wav
from scipy.signal import fftconvolve

warnings.simplefilter("ignore", wav.WavFileWarning)  # libsndfile's PEAK chunk
build = os.environ.get("PT_BUILD_DIR", "build")
tool = os.path.join(build, "pt_cab_render")
if not os.access(tool, os.X_OK):
    print(f"skip: {tool} not built")
    sys.exit(77)

rate = 48000
rng = np.random.default_rng(2024)
failed = False
with tempfile.TemporaryDirectory() as d:
    n_in = 4 * rate
    x = np.zeros(n_in, np.float32)
    x[1000:] = (0.5 * rng.uniform(-1, 1, n_in - 1000)).astype(np.float32)  # starts at 1000
    wav.write(f"{d}/in.wav", rate, x)
    cases = []
    L = 10 * rate
    h = (rng.uniform(-1, 1, L) * np.exp(-6.9 * np.arange(L) / L)).astype(np.float32)
    wav.write(f"{d}/mono.wav", rate, h)
    cases.append(("mono 10 s", f"{d}/mono.wav", h[:, None]))
    L = 2 * rate
    hs = (rng.uniform(-1, 1, (L, 2)) * np.exp(-6.9 * np.arange(L) / L)[:, None]).astype(np.float32)
    wav.write(f"{d}/stereo.wav", rate, hs)
    cases.append(("stereo 2 s", f"{d}/stereo.wav", hs))
    for name, path, hh in cases:
        ref = np.stack([fftconvolve(x.astype(np.float64), hh[:, c].astype(np.float64))[:n_in]
                        for c in range(hh.shape[1])], axis=1)
        for block in (64, 1000):
            subprocess.run([tool, path, f"{d}/in.wav", f"{d}/out.wav", str(block)], check=True)
            _, y = wav.read(f"{d}/out.wav")
            y = y.reshape(len(y), -1).astype(np.float64)
            if y.shape != ref.shape:
                print(f"FAIL {name}, block {block}: output shape {y.shape}, expected {ref.shape}")
                failed = True
                continue
            err_db = 20 * np.log10(np.linalg.norm(y - ref) / np.linalg.norm(ref))
            first = int(np.argmax(np.any(y != 0, axis=1)))
            first_ref = int(np.argmax(np.any(np.abs(ref) > 1e-9 * np.abs(ref).max(), axis=1)))
            ok = err_db < -100 and first == 1000 and first_ref == 1000
            print(f"{'ok  ' if ok else 'FAIL'} {name}, block {block}: relative error {err_db:.1f} dB, "
                  f"first output sample at {first} (input starts at 1000)")
            failed |= not ok
sys.exit(1 if failed else 0)
