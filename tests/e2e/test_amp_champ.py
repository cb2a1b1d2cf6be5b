"""test_amp_champ.py — the Fender 5F1 Champ against ngspice (ampcheck.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import ampcheck  # noqa: E402

if __name__ == "__main__":
    ampcheck.main_for("circuits/amps/champ_5f1.yaml")
