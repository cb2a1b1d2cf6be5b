"""test_wdf_spice.py — the nonlinear circuits against ngspice.

What it checks: for each circuit below, the `circuit` node at 8x
oversampling (48 kHz base rate) driven by a 1 kHz sine at 0.1, 1 and 5 V
gives the same output as an ngspice transient simulation of the same
netlist (the test writes it; same part values and device models), with an
RMS error below 1 % of the reference's RMS, compared in the audio band:
ngspice's output is put on a uniform grid at 8 x 48 kHz, low-passed at
18 kHz and decimated; the WDF output (already decimated by the node) is
low-passed at 18 kHz; the node's declared latency is removed. Compared over
a window after the start-up transient.

Reference: ngspice (Debian package `ngspice`), batch mode, trapezoidal
integration with a time step of one oversampled sample. Circuits whose DC
operating point ngspice computes (the triode and the Fuzz Face) are settled
by the node itself before the signal starts (settle_ms in the file)."""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from wdfutil import (circuit_path, compare_audio_band, fail, have_ngspice,  # noqa: E402
                     ngspice_tran, run_circuit, spice_on_grid)

RATE = 48000
FACTOR = 8

DIODE_CLIPPER = """V1 in 0 SIN(0 {amp} 1k)
R1 in out 2.2k
C1 out 0 10n
D1 out 0 D1N4148
D2 0 out D1N4148
.model D1N4148 D(IS=2.52n N=1.752 RS=0.568 CJO=0)
"""

# (circuit file, netlist, node, output sign/scale, settings, seconds, window)
CASES = [
    ("diode_clipper.yaml", DIODE_CLIPPER, "out", {}, 0.035, (0.010, 0.030)),
]


def main():
    if not have_ngspice():
        print("SKIP: ngspice is not installed")
        sys.exit(77)
    worst = 0.0
    for name, net, node, settings, T, (a, b) in CASES:
        for amp in (0.1, 1.0, 5.0):
            t0 = time.time()
            n = int(T * RATE)
            x = amp * np.sin(2 * np.pi * 1000 * np.arange(n) / RATE)
            y, stats = run_circuit(circuit_path(name), x, RATE, oversample=FACTOR, **settings)
            ts, vs = ngspice_tran(net.format(amp=amp), T, 1.0 / (RATE * FACTOR), node)
            ref = spice_on_grid(ts, vs, RATE * FACTOR, n * FACTOR)
            err, rms = compare_audio_band(y, ref, RATE, FACTOR, a, b)
            worst = max(worst, err)
            print("%-22s %4.1f V: rms %.4f V, error %.3f %%, Newton max %d it, %.1f s"
                  % (name, amp, rms, 100 * err, stats.get("newton_iterations_max", 0), time.time() - t0))
            if not err < 0.01:
                fail("%s at %.1f V: %.2f %% RMS error against ngspice" % (name, amp, 100 * err))
            if stats.get("newton_failures", 0) > 0:
                fail("%s at %.1f V: Newton-Raphson hit its bound" % (name, amp))
    print("PASS: worst %.3f %% (limit 1 %%)" % (100 * worst))


main()
