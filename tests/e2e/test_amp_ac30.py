"""test_amp_ac30.py — the Vox AC30/6 Top Boost against ngspice (ampcheck.py).

The small-signal check runs at three tone settings that move every control
of the front panel: bright and thin at low volume with the Cut off, all at
half, and dark and full at full volume with the Cut all the way up."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import ampcheck  # noqa: E402

TONES = [
    {"volume": 0.2, "treble": 0.8, "bass": 0.2, "cut": 0.0},
    {"volume": 0.5, "treble": 0.5, "bass": 0.5, "cut": 0.5},
    {"volume": 1.0, "treble": 0.2, "bass": 0.9, "cut": 1.0},
]

if __name__ == "__main__":
    ampcheck.main_for("circuits/amps/ac30_topboost.yaml", tone_settings=TONES, harmonic_seconds=0.2)
