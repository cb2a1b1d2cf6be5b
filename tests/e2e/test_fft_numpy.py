#!/usr/bin/python3
"""test_fft_numpy.py — the project's real FFT (src/conv/fft_simd.c) against numpy.

Reference: numpy.fft.rfft in float64 of the same float32 frames (an
independent FFT, pocketfft). Through build/pt_fft_tool, for every power of
two the convolver uses (64 .. 65536 points) and every kernel set this CPU
runs (avx512, avx2, portable; KissFFT too, as a check of the check):
  - spectra: max |X - ref| / max |ref| below 1e-6 for noise frames, and
    for an impulse, a sine on a bin and a constant (exact spectra);
  - round trip: inverse(forward(x)) / n equals x within 1e-6 of max |x|.
"""
import os
import subprocess
import sys

import numpy as np

build = os.environ.get("PT_BUILD_DIR", "build")
tool = os.path.join(build, "pt_fft_tool")
if not os.access(tool, os.X_OK):
    print(f"skip: {tool} not built")
    sys.exit(77)

rng = np.random.default_rng(17)
passed = failed = 0
for isa in ("avx512", "avx2", "portable", "kiss"):
    for log2n in range(6, 17):
        n = 1 << log2n
        t = np.arange(n)
        frames = [rng.uniform(-1, 1, n), rng.standard_normal(n) * 100.0,
                  np.eye(1, n, 3)[0], np.cos(2 * np.pi * 5 * t / n), np.full(n, 0.25)]
        x = np.array(frames, np.float32)
        p = subprocess.run([tool, isa, str(n), str(len(x))], input=x.tobytes(),
                           capture_output=True)
        if p.returncode == 2:
            print(f"skip: {isa} does not run on this CPU")
            break
        if p.returncode != 0:
            print(f"FAIL {isa} n={n}: {p.stderr.decode().strip()}")
            failed += 1
            continue
        bins = n // 2 + 1
        out = np.frombuffer(p.stdout, np.float32).reshape(len(x), 2 * bins + n)
        worst_spec = worst_trip = 0.0
        for i, xi in enumerate(x):
            ref = np.fft.rfft(xi.astype(np.float64))
            got = out[i, :bins].astype(np.float64) + 1j * out[i, bins:2 * bins]
            worst_spec = max(worst_spec, np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
            trip = out[i, 2 * bins:].astype(np.float64)
            worst_trip = max(worst_trip, np.max(np.abs(trip - xi)) / np.max(np.abs(xi)))
        ok = worst_spec < 1e-6 and worst_trip < 1e-6
        passed += ok
        failed += not ok
        if not ok or n in (64, 65536):
            print(f"{'ok  ' if ok else 'FAIL'} {isa:8s} n={n:6d}: spectrum {worst_spec:.2e}, "
                  f"round trip {worst_trip:.2e} (limit 1e-6)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
