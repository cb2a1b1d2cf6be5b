"""test_wdf_spice.py — the nonlinear circuits against ngspice.

What it checks: for each circuit below, the `circuit` node at 8x
oversampling (48 kHz base rate) driven by a 1 kHz sine at 0.1, 1 and 5 V
gives the same output as an ngspice transient simulation of the same
netlist (the test writes it; same part values and device models), with an
RMS error below 1 % of the reference's RMS, compared in the audio band:
ngspice's output is put on a uniform grid at 8 x 48 kHz, low-passed at
18 kHz and decimated; the WDF output (already decimated by the node) is
low-passed at 18 kHz; the node's declared latency is removed. Compared over
a window after the start-up transient. That time-domain comparison runs with
the linear-phase oversampling filters (oversample_phase=linear, the offline
choice): their delay is the same at every frequency. The default minimum-
phase filters delay 15 kHz about 1.8 samples more than DC (see
test_oversample_scipy.py), which a heavily clipped 1 kHz sine's upper
harmonics show as a phase error; for them the test compares the harmonics'
magnitudes (1..18 kHz, exact DFT bins over whole periods) within 1 % RMS,
and prints their time-domain error.

Reference: ngspice (Debian package `ngspice`), batch mode, trapezoidal
integration with a time step of one oversampled sample. Circuits whose DC
operating point ngspice computes (the triode and the Fuzz Face) are settled
by the node itself before the signal starts (settle_ms in the file)."""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from wdfutil import (circuit_path, compare_audio_band, compare_harmonics, fail, have_ngspice,  # noqa: E402
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

# Dempwolf & Zolzer's triode as behavioural current sources, 12AX7 fit
TRIODE_12AX7 = """V1 src 0 SIN(0 {amp} 1k)
Rg src g 68k
VB bp 0 250
Rp bp p 100k
Rk k 0 820
Ck k 0 25u
Co p o 22n
Rl o 0 1Meg
.param G=2.242e-3 mu=103.2 gam=1.26 CC=3.4 Gg=6.177e-4 xi=1.314 Cg=9.901 Ig0=8.025e-8
Bgrid g k I = Gg*pow(ln(1+exp(Cg*v(g,k)))/Cg, xi) + Ig0
Bplate p k I = G*pow(ln(1+exp(CC*(v(p,k)/mu + v(g,k))))/CC, gam) - (Gg*pow(ln(1+exp(Cg*v(g,k)))/Cg, xi) + Ig0)
"""

# knobs at their defaults (0.5): Fuzz (linear) 500 + 500 ohm, Volume (log) 10 %
FUZZ_FACE = """V1 src 0 SIN(0 {amp} 1k)
Rs src n1 10k
C1 n1 b1 2.2u
VCC vcc 0 9
Rc1 vcc c1 33k
R470 vcc tap 470
R8k2 tap c2 8.2k
R2 e2 b1 100k
Rfb e2 w 500
Rfa w 0 500
C2 w 0 20u
C3 tap vo 10n
Rvb vo out 450k
Rva out 0 50k
Q1 c1 b1 0 QN
Q2 c2 c1 e2 QN
.model QN NPN(IS=6.734e-15 BF=416.4 BR=0.7371)
"""

# ideal op-amps as voltage-controlled sources of gain 1e6; Drive (log) at
# 0.5 = 50k, Tone (linear) 10k + 10k, Level (log) 10k + 90k
TS808 = """V1 in 0 SIN(0 {amp} 1k)
Rin in inp 1k
E1 out 0 inp inm 1e6
R4 inm n4 4.7k
C3 n4 0 47n
R6 out n6 51k
Rdrive n6 inm 50k
C4 out inm 51p
D1 out inm DN
D2 inm out DN
.model DN D(IS=2.52n N=1.752 RS=0.568 CJO=0)
R7 out a 1k
C5 a 0 220n
R8 a 0 10k
Rta a w 10k
Rtb w m 10k
R9 w s 220
C6 s 0 220n
R10 o m 1k
E2 o 0 a m 1e6
C7 o c 1u
Rlb c vol 90k
Rla vol 0 10k
"""

# (circuit file, netlist, node, settings, seconds simulated, compared window)
CASES = [
    ("diode_clipper.yaml", DIODE_CLIPPER, "out", {}, 0.035, (0.010, 0.030)),
    ("triode_12ax7.yaml", TRIODE_12AX7, "o", {}, 0.035, (0.010, 0.030)),
    ("fuzz_face.yaml", FUZZ_FACE, "out", {}, 0.035, (0.010, 0.030)),
    ("ts808.yaml", TS808, "vol", {}, 0.035, (0.010, 0.030)),
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
            y, stats = run_circuit(circuit_path(name), x, RATE, oversample=FACTOR,
                                   oversample_phase=1, **settings)
            ym, _ = run_circuit(circuit_path(name), x, RATE, oversample=FACTOR, **settings)
            ts, vs = ngspice_tran(net.format(amp=amp), T, 1.0 / (RATE * FACTOR), node)
            ref = spice_on_grid(ts, vs, RATE * FACTOR, n * FACTOR)
            err, rms = compare_audio_band(y, ref, RATE, FACTOR, a, b)
            err_m, _ = compare_audio_band(ym, ref, RATE, FACTOR, a, b)
            err_h = compare_harmonics(ym, ref, RATE, FACTOR, a, b, 1000)
            worst = max(worst, err, err_h)
            print("%-22s %4.1f V: rms %.4f V, error %.3f %% (minimum phase: harmonics %.3f %%, "
                  "time %.3f %%), Newton max %d it, %.1f s"
                  % (name, amp, rms, 100 * err, 100 * err_h, 100 * err_m,
                     stats.get("newton_iterations_max", 0), time.time() - t0))
            if not err < 0.01:
                fail("%s at %.1f V: %.2f %% RMS error against ngspice" % (name, amp, 100 * err))
            if not err_h < 0.01:
                fail("%s at %.1f V, minimum phase: %.2f %% RMS error in the harmonics' magnitudes"
                     % (name, amp, 100 * err_h))
            if stats.get("newton_failures", 0) > 0:
                fail("%s at %.1f V: Newton-Raphson hit its bound" % (name, amp))
    print("PASS: worst %.3f %% (limit 1 %%)" % (100 * worst))


main()
