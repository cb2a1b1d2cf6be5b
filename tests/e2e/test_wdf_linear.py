"""test_wdf_linear.py — the linear circuits' magnitude responses against
their analytic transfer functions.

What it checks: the RC low-pass and every tone stack (Bassman, JCM800, Big
Muff Pi), run through the `circuit` node at 1x (no oversampling), at
44.1 and 96 kHz and several knob settings, have a magnitude response within
0.1 dB of the analytic H(s) of the same schematic from 20 Hz to 20 kHz.

Reference: the analytic H(s) evaluated at the bilinear-warped frequency
s = (2/T) j tan(w T / 2). A wave digital filter discretises every capacitor
with the trapezoidal rule, which is exactly the bilinear transform of the
analog circuit, so this is the response the WDF must have (an unwarped
comparison would differ near Nyquist by design, not by error).
  RC:            H = 1 / (1 + s R C)
  Bassman/JCM800: D. T. Yeh and J. O. Smith, "Discretization of the '59
                 Fender Bassman tone stack", DAFx 2006, eq. for b1..b3, a1..a3
  Big Muff Pi:   nodal equations of the two filters bridged by the pot,
                 solved here (2 x 2) at each frequency.
  Two circuits the test writes itself exercise the parts the factory
  circuits do not use: a series RLC band-pass with the capacitor behind a
  polarity inverter, H = R / (R + sL + 1/sC); and an ideal current source
  into R || (L + C), H = V/I = R (sL + 1/sC) / (R + sL + 1/sC).
Pot positions follow docs/circuits.md: linear x = knob, log (audio)
x = (81^knob - 1) / 80, clamped to [1e-4, 1 - 1e-4]."""
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from wdfutil import circuit_path, fail, run_circuit  # noqa: E402


def pot(knob, taper="linear"):
    x = knob if taper == "linear" else (81.0 ** knob - 1.0) / 80.0
    return min(max(x, 1e-4), 1 - 1e-4)


def rc(s, knobs):
    return 1.0 / (1.0 + s * 10e3 * 10e-9)


def yeh(vals):
    R1, R2, R3, R4, C1, C2, C3 = vals

    def h(s, knobs):
        t, m, l = pot(knobs["treble"]), pot(knobs["mid"]), pot(knobs["bass"], "log")
        b1 = t * C1 * R1 + m * C3 * R3 + l * (C1 * R2 + C2 * R2) + (C1 * R3 + C2 * R3)
        b2 = (t * (C1 * C2 * R1 * R4 + C1 * C3 * R1 * R4) - m * m * (C1 * C3 * R3 * R3 + C2 * C3 * R3 * R3)
              + m * (C1 * C3 * R1 * R3 + C1 * C3 * R3 * R3 + C2 * C3 * R3 * R3)
              + l * (C1 * C2 * R1 * R2 + C1 * C2 * R2 * R4 + C1 * C3 * R2 * R4)
              + l * m * (C1 * C3 * R2 * R3 + C2 * C3 * R2 * R3)
              + (C1 * C2 * R1 * R3 + C1 * C2 * R3 * R4 + C1 * C3 * R3 * R4))
        K = C1 * C2 * C3
        b3 = K * (l * m * (R1 * R2 * R3 + R2 * R3 * R4) - m * m * (R1 * R3 * R3 + R3 * R3 * R4)
                  + m * (R1 * R3 * R3 + R3 * R3 * R4) + t * R1 * R3 * R4 - t * m * R1 * R3 * R4
                  + t * l * R1 * R2 * R4)
        a1 = (C1 * R1 + C1 * R3 + C2 * R3 + C2 * R4 + C3 * R4) + m * C3 * R3 + l * (C1 * R2 + C2 * R2)
        a2 = (m * (C1 * C3 * R1 * R3 - C2 * C3 * R3 * R4 + C1 * C3 * R3 * R3 + C2 * C3 * R3 * R3)
              + l * m * (C1 * C3 * R2 * R3 + C2 * C3 * R2 * R3) - m * m * (C1 * C3 * R3 * R3 + C2 * C3 * R3 * R3)
              + l * (C1 * C2 * R2 * R4 + C1 * C2 * R1 * R2 + C1 * C3 * R2 * R4 + C2 * C3 * R2 * R4)
              + (C1 * C2 * R1 * R4 + C1 * C3 * R1 * R4 + C1 * C2 * R3 * R4 + C1 * C2 * R1 * R3
                 + C1 * C3 * R3 * R4 + C2 * C3 * R3 * R4))
        a3 = K * (l * m * (R1 * R2 * R3 + R2 * R3 * R4) - m * m * (R1 * R3 * R3 + R3 * R3 * R4)
                  + m * (R3 * R3 * R4 + R1 * R3 * R3 - R1 * R3 * R4) + l * R1 * R2 * R4 + R1 * R3 * R4)
        return (b1 * s + b2 * s ** 2 + b3 * s ** 3) / (1 + a1 * s + a2 * s ** 2 + a3 * s ** 3)
    return h


def bigmuff(s, knobs):
    R8, C8, C9, R5, Rp = 39e3, 10e-9, 3.9e-9, 22e3, 100e3
    x = pot(knobs["tone"])
    # nodal equations at the low-pass node L and high-pass node H (unloaded wiper)
    a11 = 1 / R8 + s * C8 + 1 / Rp
    a12 = -1 / Rp
    a22 = s * C9 + 1 / R5 + 1 / Rp
    b1, b2 = 1 / R8, s * C9
    det = a11 * a22 - a12 * a12
    vl = (b1 * a22 - a12 * b2) / det
    vh = (a11 * b2 - a12 * b1) / det
    return vl + x * (vh - vl)


CASES = [
    ("rc_lowpass.yaml", rc, [{}]),
    ("bassman_tonestack.yaml", yeh((250e3, 1e6, 25e3, 56e3, 250e-12, 20e-9, 20e-9)),
     [dict(treble=t, mid=m, bass=b) for (t, m, b) in
      [(0.5, 0.5, 0.5), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.2, 0.8, 0.9), (0.9, 0.1, 0.3)]]),
    ("jcm800_tonestack.yaml", yeh((220e3, 1e6, 22e3, 33e3, 470e-12, 22e-9, 22e-9)),
     [dict(treble=t, mid=m, bass=b) for (t, m, b) in
      [(0.5, 0.5, 0.5), (0.0, 1.0, 0.0), (1.0, 0.0, 1.0), (0.7, 0.3, 0.6)]]),
    ("bigmuff_tonestack.yaml", bigmuff, [dict(tone=k) for k in (0.0, 0.25, 0.5, 0.75, 1.0)]),
]


RLC = """circuit: RLC band-pass (test)
parts:
  Vin: {type: voltage_source}
  R1: {type: resistor, R: 100}
  L1: {type: inductor, L: 10m}
  C1: {type: capacitor, C: 100n}
input: Vin
output: {across: R1}
tree:
  root: Vin
  child: {series: [L1, {invert: C1}, R1]}
"""

NORTON = """circuit: current source into R || (L + C) (test)
parts:
  Iin: {type: current_source}
  R1: {type: resistor, R: 1k}
  L1: {type: inductor, L: 10m}
  C1: {type: capacitor, C: 100n}
input: Iin
output: {across: R1}
tree:
  root: Iin
  child: {parallel: [R1, {series: [L1, C1]}]}
"""


def rlc(s, knobs):
    return 100.0 / (100.0 + s * 10e-3 + 1.0 / (s * 100e-9))


def norton(s, knobs):
    z = s * 10e-3 + 1.0 / (s * 100e-9)
    return 1e3 * z / (1e3 + z)


def main():
    worst = 0.0
    tmp = tempfile.mkdtemp()
    for fname, text, ref in (("rlc.yaml", RLC, rlc), ("norton.yaml", NORTON, norton)):
        with open(os.path.join(tmp, fname), "w") as f:
            f.write(text)
        CASES.append((os.path.join(tmp, fname), ref, [{}]))
    for name, ref, settings in CASES:
        for rate in (44100, 96000):
            n = 1 << 16
            x = np.zeros(n)
            x[0] = 1.0
            for knobs in settings:
                path = name if os.path.isabs(name) else circuit_path(name)
                y, _ = run_circuit(path, x, rate, oversample=1, **knobs)
                H = np.fft.rfft(y)
                f = np.fft.rfftfreq(n, 1.0 / rate)
                band = (f >= 20) & (f <= 20000)
                s = 1j * 2 * rate * np.tan(np.pi * f[band] / rate)  # bilinear-warped
                Ha = ref(s, knobs)
                err = np.max(np.abs(20 * np.log10(np.abs(H[band]) / np.abs(Ha))))
                worst = max(worst, err)
                print("%-24s %6d Hz %-40s max |error| %.2e dB" % (os.path.basename(name), rate, knobs, err))
                if not err < 0.1:
                    fail("%s at %d Hz, %s: %.3f dB off the analytic response" % (name, rate, knobs, err))
    print("PASS: worst %.2e dB (limit 0.1 dB)" % worst)


main()
