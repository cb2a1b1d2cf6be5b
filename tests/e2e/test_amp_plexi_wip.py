"""test_amp_plexi_wip.py — what the unfinished Marshall 1959 Super Lead
(tests/data/amps_wip/plexi_1959.yaml; its README says what it lacks) already
meets of ampcheck.py's checks, so it does not slip back while it waits:
the small-signal response against ngspice's .ac at three settings that move
both volumes, the tone stack and presence (0.5 dB to 8 kHz, 1 dB to 15 kHz),
and robustness (controls at both extremes and random, input +12 dB hot:
finite output, every Newton solve converged). Its operating point is checked
by test_amp_spice.py with the other unfinished amps."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from ptest import main, path, test  # noqa: E402
import ampcheck  # noqa: E402

SETTINGS = [
    {"volume": 0.2, "volume2": 0.2},
    {"volume": 0.5, "bass": 0.2, "mid": 0.8, "treble": 0.7, "presence": 0.0},
    {"volume": 1.0, "volume2": 0.0, "bass": 0.9, "mid": 0.1, "treble": 0.3, "presence": 1.0},
]

if __name__ == "__main__":
    ampcheck.AMPS[:] = [path("tests", "data", "amps_wip", "plexi_1959.yaml")]
    ampcheck.TONE_SETTINGS[:] = SETTINGS
    test(ampcheck.small_signal_response_matches_ngspice_ac)
    test(ampcheck.robust_at_extremes_and_hot_input)
    main()
