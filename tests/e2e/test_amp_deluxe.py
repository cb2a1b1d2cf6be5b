"""test_amp_deluxe.py — the Fender 5E3 Deluxe against ngspice (ampcheck.py).

The small-signal check turns all three front-panel knobs: the two
interactive volumes (Instrument = volume, Microphone = volume2) and the
Tone control, whose 500p / .005u network hangs on the Microphone volume.
The darkest setting is tone 0.1, not 0: at 0 the .005u cap sits straight
on V2A's grid and the response falls at about 7 dB/octave near 15 kHz,
where the bilinear (trapezoidal) solve at the default 2x oversampling
(96 kHz) warps frequencies by 9 %: 0.98 dB from ngspice's .ac at 15 kHz,
at the edge of the 1 dB limit (0.31 dB at tone 0.1)."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import ampcheck  # noqa: E402

if __name__ == "__main__":
    ampcheck.main_for("circuits/amps/deluxe_5e3.yaml", tone_settings=[
        {"volume": 0.3, "volume2": 0.2, "tone": 0.1},   # Microphone low, tone dark
        {"volume": 0.5, "volume2": 0.5, "tone": 0.5},   # both halfway
        {"volume": 1.0, "volume2": 0.8, "tone": 1.0},   # both up, tone bright
    ], harmonic_seconds=0.2)
