"""wdfutil.py — shared helpers for the circuit (WDF) end-to-end tests.

run_circuit() drives build/circuit_run (the `circuit` node with its declared
latency removed); ngspice_tran() runs a netlist in ngspice batch mode and
returns (t, v); compare_audio_band() band-limits both signals to 18 kHz and
returns the RMS error relative to the reference's RMS."""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from scipy import signal

SRC = os.environ.get("PT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("PT_BUILD_DIR", os.path.join(SRC, "build"))
TOOL = os.path.join(BUILD, "circuit_run")


def circuit_path(name):
    return os.path.join(SRC, "circuits", name)


def run_circuit(path, x, rate, **settings):
    """Run x (volts, float) through the circuit; returns (y, stats dict)."""
    args = [TOOL, path, str(rate)] + ["%s=%s" % kv for kv in settings.items()]
    p = subprocess.run(args, input=np.asarray(x, np.float32).tobytes(),
                       capture_output=True, check=False)
    if p.returncode != 0:
        raise RuntimeError("circuit_run failed: " + p.stderr.decode())
    stats = {}
    for tok in p.stderr.decode().split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            stats[k] = float(v)
    return np.frombuffer(p.stdout, np.float32).astype(np.float64), stats


def have_ngspice():
    return shutil.which("ngspice") is not None


def ngspice_tran(netlist, tstop, tstep, node):
    """Transient simulation; returns time and v(node) on ngspice's own grid."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.txt")
        deck = netlist + """
.options reltol=1e-6 abstol=1e-12 vntol=1e-9 method=trap
.control
tran %g %g 0 %g
wrdata %s v(%s)
quit
.endc
.end
""" % (tstep, tstop, tstep, out, node)
        cir = os.path.join(d, "deck.cir")
        with open(cir, "w") as f:
            f.write("* pytone wdf test\n" + deck)
        p = subprocess.run(["ngspice", "-b", cir], capture_output=True, timeout=300)
        if p.returncode != 0 or not os.path.exists(out):
            raise RuntimeError("ngspice failed:\n" + p.stdout.decode()[-2000:] + p.stderr.decode()[-2000:])
        data = np.loadtxt(out)
    return data[:, 0], data[:, 1]


def spice_on_grid(t, v, rate_hi, n_hi):
    """ngspice's adaptive time points, interpolated onto a uniform grid."""
    tt = np.arange(n_hi) / rate_hi
    return np.interp(tt, t, v)


def band_limit(x, rate, cutoff_hz=18000.0):
    """Brick-wall low-pass by FFT: every bin above cutoff_hz is zeroed. Used
    alike on both signals, so whatever it does at the ends cancels in their
    difference."""
    X = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / rate)
    X[f > cutoff_hz] = 0
    return np.fft.irfft(X, len(x))


def compare_audio_band(y, ref_hi, rate, factor, start_s, stop_s):
    """y at `rate`; ref_hi at rate*factor. Both band-limited to 18 kHz (the
    reference before it is decimated, so nothing above 18 kHz folds into it),
    then compared over [start_s, stop_s).
    Returns (relative RMS error, RMS of the reference)."""
    ref_bl = band_limit(ref_hi, rate * factor)[::factor]
    y_bl = band_limit(y, rate)
    a, b = int(start_s * rate), int(stop_s * rate)
    e = y_bl[a:b] - ref_bl[a:b]
    rms = np.sqrt(np.mean(ref_bl[a:b] ** 2))
    return np.sqrt(np.mean(e ** 2)) / rms, rms


def compare_harmonics(y, ref_hi, rate, factor, start_s, stop_s, f0):
    """As compare_audio_band, but only the magnitudes of the harmonics of f0
    below 18 kHz (DFT bins over the window, which must hold whole periods).
    Returns the RMS error of those magnitudes relative to the reference's."""
    ref_bl = band_limit(ref_hi, rate * factor)[::factor]
    y_bl = band_limit(y, rate)
    a, b = int(start_s * rate), int(stop_s * rate)
    k = np.arange(1, int(18000 // f0) + 1) * int(round(f0 * (b - a) / rate))
    my, mr = np.abs(np.fft.rfft(y_bl[a:b]))[k], np.abs(np.fft.rfft(ref_bl[a:b]))[k]
    return np.sqrt(np.sum((my - mr) ** 2) / np.sum(mr ** 2))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)
