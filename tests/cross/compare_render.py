#!/usr/bin/python3
"""compare_render.py — the same offline renders on the build machine's
x86-64 pytone and on another build of it (64-bit ARM under qemu-aarch64, or
Windows under wine64): outputs must agree within 1e-6 (issue 21).

    compare_render.py X86_PYTONE OTHER_PYTONE [--runner CMD] [--tol 1e-6]

What is rendered (half a second of the bundled DI clip, 48 kHz, float):
  - a NAM capture (tests/data/nam/wavenet.nam): the neural kernels
    (AVX2/AVX-512 on x86, NEON on ARM);
  - a cabinet impulse response (irs/synthetic_4x12.wav): the convolver's
    FFT and multiply-accumulate kernels, and its direct-form head;
  - three pedal circuits (circuits/ts808.yaml, fuzz_face.yaml,
    diode_clipper.yaml) and the three amps (circuits/amps/: Champ 5F1,
    Deluxe 5E3, AC30 Top Boost): the WDF solver with its Newton iterations,
    the tube and diode equations (libm's exp and log on each machine) and the
    oversampling filters.
Each render goes through `pytone render` on both builds; the largest sample
difference and the relative RMS difference are printed, and the check fails
when the largest exceeds the tolerance. The reference of each output is the
x86 build's own render, which the Linux tests check against NAM's reference
player, scipy and ngspice.
"""
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np
from scipy.io import wavfile

SRC = os.environ.get("PT_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = [
    ("nam wavenet", "tests/data/nam/wavenet.nam"),
    ("cab synthetic_4x12", "irs/synthetic_4x12.wav"),
    ("circuit ts808", "circuits/ts808.yaml"),
    ("circuit fuzz_face", "circuits/fuzz_face.yaml"),
    ("circuit diode_clipper", "circuits/diode_clipper.yaml"),
    ("amp champ_5f1", "circuits/amps/champ_5f1.yaml"),
    ("amp deluxe_5e3", "circuits/amps/deluxe_5e3.yaml"),
    ("amp ac30_topboost", "circuits/amps/ac30_topboost.yaml"),
]


def main():
    args = sys.argv[1:]
    runner, tol = [], 1e-6
    if "--runner" in args:
        i = args.index("--runner")
        runner = shlex.split(args[i + 1])
        del args[i:i + 2]
    if "--tol" in args:
        i = args.index("--tol")
        tol = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__)
        return 2
    x86, other = args
    tmp = tempfile.mkdtemp(prefix="pt_cross_")
    rate, di = wavfile.read(os.path.join(SRC, "assets/di/guitar_di.wav"))
    di = di.astype(np.float32)
    if di.dtype.kind == "i" or np.abs(di).max() > 1.5:
        di = di / 32768.0
    if di.ndim > 1:
        di = di[:, 0]
    start = rate  # one second in: playing, not silence
    clip = np.ascontiguousarray(di[start:start + rate // 2], dtype=np.float32)
    inp = os.path.join(tmp, "in.wav")
    wavfile.write(inp, rate, clip)
    failed = 0
    for name, rel in CASES:
        outs = []
        for tag, cmd in (("x86", [x86]), ("other", runner + [other])):
            out = os.path.join(tmp, f"{tag}.wav")
            r = subprocess.run(cmd + ["render", os.path.join(SRC, rel), inp, out], cwd=SRC,
                               capture_output=True, text=True, env=dict(os.environ, PT_SOURCE_DIR=SRC))
            if r.returncode != 0:
                print(f"FAIL {name}: {tag} render exited {r.returncode}: {r.stderr.strip()[-400:]}")
                failed += 1
                outs = None
                break
            outs.append(wavfile.read(out)[1].astype(np.float64))
        if outs is None:
            continue
        a, b = outs
        if a.shape != b.shape:
            print(f"FAIL {name}: shapes differ {a.shape} vs {b.shape}")
            failed += 1
            continue
        peak = float(np.abs(a).max())
        diff = float(np.abs(a - b).max())
        rel = float(np.sqrt(np.mean((a - b) ** 2)) / max(np.sqrt(np.mean(a ** 2)), 1e-30))
        ok = diff <= tol and peak > 1e-3
        print(f"{'ok  ' if ok else 'FAIL'} {name:22s} {a.shape[0]} frames, peak {peak:.3f}: "
              f"largest difference {diff:.3g} (tolerance {tol:g}), relative RMS {rel:.3g}")
        failed += not ok
    print(f"{len(CASES) - failed} of {len(CASES)} renders agree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
