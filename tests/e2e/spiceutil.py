"""spiceutil.py — `pytone spice` from the tests: export a circuit file as an
ngspice netlist, run it with `ngspice -b` as it is, read what it wrote.

    cir = export(circuit, tmp("x.txt"), wav=IN, sets=["treble=0.2"])
    ngspice(cir)
    y_hi, factor = read_output(tmp("x.txt"), rate)   # the output, oversampled
    op = read_op(tmp("x.txt"))                       # {node: volts} at the DC operating point

y_hi lines up with `pytone render`'s output (latency removed) and goes to
wdfutil.compare_audio_band as the reference."""
import os
import subprocess

import numpy as np

from ptest import run


def export(circuit, out_txt, wav=None, sets=(), substeps=1, trtol=None):
    """pytone spice -> OUT.cir beside out_txt; returns the netlist's path.
    substeps > 1: the output written that many times a step (read_output's
    factor counts them), for a reference band-limited before decimation;
    trtol: ngspice's truncation-error factor (pytone spice --trtol)."""
    args = ["--output", out_txt]
    if wav:
        args += ["--input", wav]
    if substeps > 1:
        args += ["--substeps", str(substeps)]
    if trtol:
        args += ["--trtol", str(trtol)]
    for s in sets:
        args += ["--set", s]
    p = run("spice", circuit, *args)
    if p.returncode != 0:
        raise AssertionError("pytone spice %s failed (%d): %s" % (circuit, p.returncode, p.stderr))
    cir = os.path.splitext(out_txt)[0] + ".cir"
    with open(cir, "w") as f:
        f.write(p.stdout)
    return cir


def ngspice(cir, timeout=300):
    p = subprocess.run(["ngspice", "-b", cir], capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0 or "simulation(s) aborted" in p.stdout + p.stderr:
        raise AssertionError("ngspice %s failed:\n%s%s" % (cir, p.stdout[-2000:], p.stderr[-2000:]))
    return p


def read_output(out_txt, rate):
    """The transient's output (one value per oversampled step, or per
    substep, from t = 0) and its rate over `rate` (the oversampling factor
    times the substeps)."""
    data = np.loadtxt(out_txt)
    factor = int(round(1.0 / ((data[1, 0] - data[0, 0]) * rate)))
    return data[:, 1], factor


def read_op(out_txt):
    op = {}
    with open(os.path.splitext(out_txt)[0] + ".op.txt") as f:
        for line in f:
            name, value = line.split()
            op[name] = float(value)
    return op
