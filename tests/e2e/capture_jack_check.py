"""`pytone capture` end to end on a real JACK server (Debian's jackd2, dummy
driver, 48 kHz, 64-frame periods). Run by `make capture-check` (about 90 s
of real time: too long for make test).

The "amp" is JACK itself: pytone-capture's output wired to its own input, a
feedback loop JACK breaks with exactly one period (64 samples) of delay. So:
- a good take: the level check passes, the latency found is 64 samples to
  the sample, and the recording written is the signal 64 samples late, bit
  for bit;
- nothing connected: refused at the level check ("no signal came back"),
  nothing written;
- the signal sent 40 dB down: refused as too quiet, with how many dB to add.
"""
import os
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptest import PYTONE, SRC, isolate_shm, main, read_wav, run, stop, test, tmp  # noqa: E402

if not shutil.which("jackd") or not shutil.which("jack_connect"):
    print("jackd / jack_connect not installed: skipped")
    sys.exit(77)

isolate_shm()
SERVER = f"pytone_capture_{os.getpid()}"
os.environ.update({"JACK_DEFAULT_SERVER": SERVER, "JACK_NO_AUDIO_RESERVATION": "1"})
jackd = subprocess.Popen(["jackd", "-n", SERVER, "-d", "dummy", "-r", "48000", "-p", "64"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(100):
    if "server running" in run("devices").stdout:
        break
    time.sleep(0.1)


def capture(out, *extra, connect=True):
    p = subprocess.Popen([PYTONE, "capture", out, "--short", "--backend", "jack", "--pre-roll", "4", *extra],
                         env={**os.environ, "PT_JACK_NO_AUTOCONNECT": "1", "PT_SOURCE_DIR": SRC},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if connect:
        for _ in range(60):
            if subprocess.run(["jack_connect", "pytone-capture:out_1", "pytone-capture:in_1"],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
    try:
        o, e = p.communicate(timeout=180)
    finally:
        stop(p)
    print("  " + (e + o).strip().replace("\n", "\n  "))
    return p.returncode, e + o


@test
def a_good_take_finds_the_latency_to_the_sample():
    sig = tmp("signal.wav")
    run("capture-signal", sig, "--short", check=True)
    x = read_wav(sig)[1]
    rec = tmp("rec.wav")
    rc, out = capture(rec)
    assert rc == 0, out
    assert "latency 64 samples" in out, out
    y = read_wav(rec)[1]
    assert len(y) == len(x)
    assert np.array_equal(y[64:], x[:-64]) and not np.any(y[:64]), "not the signal 64 samples late"
    # and the trainer reads it the same way
    r = run("train", sig, rec, "-o", tmp("m.nam"), "--arch", "nano", "--epochs", 1, "--max-batches", 1, timeout=300)
    assert r.returncode == 0 and "latency 64 samples" in r.stderr, r.stderr


@test
def nothing_connected_is_refused_at_the_level_check():
    rec = tmp("none.wav")
    rc, out = capture(rec, connect=False)
    assert rc == 2 and "level check" in out and "no signal came back" in out, out
    assert not os.path.exists(rec)


@test
def a_take_40_db_down_is_refused_as_too_quiet():
    rec = tmp("quiet.wav")
    rc, out = capture(rec, "--output-gain-db", "-40", connect=True)
    assert rc == 2 and "too quiet" in out and "raise" in out, out
    assert not os.path.exists(rec)


if __name__ == "__main__":
    try:
        main()
    finally:
        stop(jackd, hard=True)
