"""`pytone run --watch` reloads a rig when its file changes; an invalid new
version is reported and the old sound keeps playing. Each step waits for
pytone to report the one before, so a stalled machine makes the run longer,
never wrong."""
import os
import subprocess
import time

import numpy as np

from ptest import PYTONE, SRC, StderrWatch, main, path, read_wav, test, tmp

RIG = """version: 1
name: Watched
chain:
  - {{id: vol, type: level, params: {{gain_db: {gain}}}}}
"""


def rms_db(x):
    return 20 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12)


def levels_db(y, window):
    n = len(y) // window
    return np.array([rms_db(y[i * window:(i + 1) * window]) for i in range(n)])


@test
def a_changed_rig_is_reloaded_and_a_broken_one_is_not():
    rig, rec = tmp("watched.yaml"), tmp("watched.wav")
    open(rig, "w").write(RIG.format(gain=0))
    # a steady sine as the virtual device's input, so levels are easy to read
    sine = tmp("sine.wav")
    t = np.arange(48000 * 2) / 48000
    from ptest import write_wav
    write_wav(sine, 48000, 0.5 * np.sin(2 * np.pi * 440 * t))
    # Each step waits for pytone to say it happened; the run is ended by
    # SIGTERM once all have (--seconds is only a backstop).
    p = subprocess.Popen([PYTONE, "run", rig, "--watch", "--backend", "virtual", "--input", sine,
                          "--record", rec, "--seconds", "60", "--no-server"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PT_SOURCE_DIR": SRC})
    err = StderrWatch(p)
    try:
        err.wait_for("pytone: playing")
        time.sleep(0.8)  # some of the first sound: more if the machine stalls
        open(rig, "w").write(RIG.format(gain=-20))
        err.wait_for("pytone: reloaded")
        time.sleep(0.8)
        open(rig, "w").write("version: 1\nname: Broken\nchain:\n  - {id: vol, type: levle}\n")
        err.wait_for("not reloaded")
        time.sleep(0.8)  # some of the sound after it
    finally:
        p.terminate()
        out = p.stdout.read()
        p.wait(timeout=30)
    text = err.text()
    assert p.returncode == 0, text
    assert "unknown node type 'levle'" in text, text
    _, y = read_wav(rec)
    y = y[:, 0]
    # 50 ms levels: the first sound, one step of 20 dB (the reload, with its
    # crossfade), then the quieter sound to the end (the broken edit changes
    # nothing). Where the step falls is the machine's business; that there
    # is one, of 20 dB, is pytone's.
    lv = levels_db(y[int(0.1 * 48000):], 2400)
    loud, quiet = np.median(lv[:4]), np.median(lv[-4:])
    at = int(np.argmax(lv < loud - 10))
    print(f"   before {loud:.1f} dB for {at * 0.05 + 0.1:.2f} s, after the reload {quiet:.1f} dB, "
          f"{len(lv) * 0.05:.1f} s in all; {out.strip().splitlines()[-1] if out.strip() else ''}")
    assert abs(loud - quiet - 20) < 0.5, (loud, quiet)
    assert at >= 4, "the sound changed before the edit"
    assert np.all(np.abs(lv[:at - 1] - loud) < 0.5), lv[:at]
    assert np.all(np.abs(lv[at + 1:] - quiet) < 0.5), lv[at:]  # the old sound goes on after the broken edit
    assert len(lv) - at >= 8, "too little recorded after the reload"


if __name__ == "__main__":
    main()
