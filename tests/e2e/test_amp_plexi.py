"""test_amp_plexi.py — the Marshall 1959 Super Lead ("Plexi") against ngspice
(ampcheck.py).

The small-signal check moves both volumes, the tone stack and presence:
low volumes; Volume I at half with the bass down, the middle and treble up
and no presence; Volume I full, Volume II off, bass up, middle and treble
down and presence full.

ngspice's output is written twice a step (384 kHz at the file's 4x) and
band-limited before it is decimated (spice_substeps): driven hard, the output
transformer's leakage inductance and winding capacitance ring at about
130 kHz at every clipped edge, and read once a step ngspice's solution
aliased that ringing into the harmonics (H7 of 1 V at 1 kHz: -24.8 dBc read
at 96 kHz, -20.9 dBc band-limited from 384 or 768 kHz, against our -21.2 at
4x). ngspice runs with trtol 7 (spice_trtol), as on an analog deck, not the
1 its XSPICE input source imposes: 23 % less CPU, the output moved 0.19 %.

ngspice still resolves that ringing: about 15 s of CPU per 60 ms of this deck
at 2x, more at 4x. So `make test` runs excerpts (the 1 kHz sines for 40 ms at
the three levels, 0.3 s of the hot DI for robustness, no DI comparison and
no sag burst): 50 s of CPU, against 169 s for test_amp_ac30.py (2 Dec 2026,
back to back on the loaded 2-core machine). `make amp-check` (PT_AMP_FULL=1)
runs everything at full length; at the AC30's excerpt lengths (0.2 s sines,
0.4 s of the DI, the sag burst) every check passed in 464 s of CPU: DI 0.28 %
clean, 2.06 % saturated; droop 29.70 V (ngspice 29.68), recovery 6.4 ms
(6.4); harmonics within 0.16 dB."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import ampcheck  # noqa: E402

TONES = [
    {"volume": 0.2, "volume2": 0.2},
    {"volume": 0.5, "bass": 0.2, "mid": 0.8, "treble": 0.7, "presence": 0.0},
    {"volume": 1.0, "volume2": 0.0, "bass": 0.9, "mid": 0.1, "treble": 0.3, "presence": 1.0},
]

if __name__ == "__main__":
    ampcheck.main_for("circuits/amps/plexi_1959.yaml", tone_settings=TONES, harmonic_seconds=0.2,
                      spice_substeps=2, spice_trtol=7,
                      short={"harmonic_freqs": (1000.0,), "harmonic_seconds": 0.04,
                             "di_seconds": 0, "sag": False, "robust_seconds": 0.3})
