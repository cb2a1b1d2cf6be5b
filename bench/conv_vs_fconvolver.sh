#!/usr/bin/env bash
# conv_vs_fconvolver.sh — our convolution beside zita-convolver's, as
# printed by `make bench` (issue 17).
#
# MEASUREMENT ONLY: zita-convolver is GPL. It is run here as Debian's
# `fconvolver` program (package jconvolver), an external process timed from
# the outside; nothing of it is linked, copied or shipped.
#
# Same job on both sides: 30 s of noise through IRs of 0.2 s, 2 s and 10 s
# (48 kHz mono float WAVs, exponentially decaying noise), 64-frame
# partitions. CPU time (user + system, all threads) per second of audio,
# the least of 5 runs on a loaded machine:
#   whole process  `pytone render IR.wav in.wav out.wav` (64-frame blocks,
#                  zero latency) against `fconvolver CONF in.wav out.wav`;
#   convolution    the convolver alone in memory (bench_conv --ir: every
#                  partition on the calling thread, i.e. callback plus worker
#                  CPU) against fconvolver's run less its run with a
#                  one-sample IR (its start-up and file I/O).
# fconvolver ignores the partition size it is given and uses partitions of
# up to 8192 frames (it has no zero-latency requirement); ours keep a
# 64-frame head. Prints numbers; never fails on timing.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
if ! command -v fconvolver >/dev/null; then
  echo "conv_vs_fconvolver: fconvolver (Debian package jconvolver) not installed; skipped"; exit 0
fi
for b in pytone bench_conv; do
  [ -x "$BUILD/$b" ] || { echo "conv_vs_fconvolver: $BUILD/$b not built; skipped"; exit 0; }
done
exec /usr/bin/python3 - "$BUILD" <<'PY'
import os, resource, subprocess, sys, tempfile
import numpy as np, scipy.io.wavfile as wav
build = sys.argv[1]
d = tempfile.mkdtemp(prefix="pt_conv_vs_fconvolver_")
rate, seconds = 48000, 30
rng = np.random.default_rng(7)
wav.write(f"{d}/in.wav", rate, (0.5 * rng.uniform(-1, 1, seconds * rate)).astype(np.float32))

def cpu(argv, runs=5):
    """least CPU seconds (user + sys, all threads) of `runs` runs of argv"""
    best = None
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.exit(f"conv_vs_fconvolver: {argv[0]} failed: {p.stderr.decode().strip()}")
        t = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        best = t if best is None else min(best, t)
    return best

def fconv(conf_text):
    with open(f"{d}/ir.conf", "w") as f:
        f.write(conf_text)
    return cpu(["fconvolver", f"{d}/ir.conf", f"{d}/in.wav", f"{d}/z.wav"])

print(f"convolution against zita-convolver (fconvolver, GPL, run for measurement only): {seconds} s of")
print("noise, 48 kHz, 64-frame partitions; ms of CPU per second of audio, least of 5 runs; ratio = pytone/zita")
print(f"{'IR':>5} {'zita whole':>11} {'pytone whole':>13} {'ratio':>6}   {'zita conv':>10} {'pytone conv':>12} {'ratio':>6}  pytone plan")
for sec in (0.2, 2.0, 10.0):
    L = int(sec * rate)
    h = (rng.uniform(-1, 1, L) * np.exp(-6.9 * np.arange(L) / L)).astype(np.float32)
    ir = f"{d}/ir{sec}.wav"
    wav.write(ir, rate, h)
    z = fconv(f"/convolver/new 1 1 64 {L} 1\n/impulse/read 1 1 1 0 0 0 1 {ir}\n")
    z0 = fconv(f"/convolver/new 1 1 64 {L} 1\n/impulse/dirac 1 1 1 0\n")
    p = cpu([f"{build}/pytone", "render", ir, f"{d}/in.wav", f"{d}/p.wav"])
    out = subprocess.run([f"{build}/bench_conv", "--ir", ir], capture_output=True, text=True).stdout.split(None, 2)
    pc, plan = min(float(out[0]), float(out[1])), out[2].strip()
    ms = lambda t: t * 1000 / seconds
    zc = ms(z) - ms(z0)
    # below 0.1 ms/s zita's net cost is lost in the noise of its start-up
    zs, rs = (f"{zc:10.2f}", f"{pc / zc:6.2f}") if zc >= 0.1 else (f"{'< 0.10':>10}", f"{'> ' + format(pc / 0.1, '.0f'):>6}")
    print(f"{sec:4.1f}s {ms(z):11.2f} {ms(p):13.2f} {ms(p) / ms(z):6.2f}   {zs} {pc:12.2f} {rs}  {plan}")
subprocess.run(["rm", "-rf", d])
PY
