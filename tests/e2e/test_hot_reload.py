"""`pytone run --watch` reloads a rig when its file changes; an invalid new
version is reported and the old sound keeps playing."""
import os
import subprocess
import time

import numpy as np

from ptest import PYTONE, SRC, main, path, read_wav, test, tmp

RIG = """version: 1
name: Watched
chain:
  - {{id: vol, type: level, params: {{gain_db: {gain}}}}}
"""


def rms_db(x):
    return 20 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12)


@test
def a_changed_rig_is_reloaded_and_a_broken_one_is_not():
    rig, rec = tmp("watched.yaml"), tmp("watched.wav")
    open(rig, "w").write(RIG.format(gain=0))
    # a steady sine as the virtual device's input, so levels are easy to read
    sine = tmp("sine.wav")
    t = np.arange(48000 * 2) / 48000
    from ptest import write_wav
    write_wav(sine, 48000, 0.5 * np.sin(2 * np.pi * 440 * t))
    p = subprocess.Popen([PYTONE, "run", rig, "--watch", "--backend", "virtual", "--input", sine,
                          "--record", rec, "--seconds", "4", "--no-server"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PT_SOURCE_DIR": SRC})
    time.sleep(1.0)
    open(rig, "w").write(RIG.format(gain=-20))
    time.sleep(1.5)
    open(rig, "w").write("version: 1\nname: Broken\nchain:\n  - {id: vol, type: levle}\n")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert "reloaded" in err, err
    assert "not reloaded" in err and "unknown node type 'levle'" in err, err
    _, y = read_wav(rec)
    y = y[:, 0]
    first, second, last = y[int(0.3 * 48000):int(0.9 * 48000)], y[int(1.8 * 48000):int(2.4 * 48000)], y[-int(0.5 * 48000):]
    print(f"   before {rms_db(first):.1f} dB, after reload {rms_db(second):.1f} dB, after the broken edit {rms_db(last):.1f} dB")
    assert abs(rms_db(first) - rms_db(second) - 20) < 0.5
    assert abs(rms_db(last) - rms_db(second)) < 0.5  # the old sound goes on


if __name__ == "__main__":
    main()
