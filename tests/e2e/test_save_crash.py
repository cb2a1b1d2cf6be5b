"""A crash or power cut mid-save never loses a rig: a program saving the
rig in a tight loop is killed with SIGKILL at random moments; every time,
the file on disk (and its .bak) loads."""
import os
import random
import shutil
import signal
import subprocess
import time

from ptest import BUILD, main, path, run, test, tmp


@test
def sigkill_during_saves_always_leaves_a_loadable_rig():
    rig = tmp("crash.yaml")
    shutil.copy(path("tests/data/rigs/no_assets.yaml"), rig)
    rng = random.Random(1234)
    for i in range(30):
        p = subprocess.Popen([os.path.join(BUILD, "save_loop"), path("tests/data/rigs/no_assets.yaml"), rig],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert p.stdout.readline().strip() == b"saving", p.stderr.read()
        time.sleep(rng.uniform(0.0, 0.03))
        p.send_signal(signal.SIGKILL)
        p.wait()
        v = run("validate", rig)
        assert v.returncode == 0, f"round {i}: {v.stdout}"
        if os.path.exists(rig + ".bak"):
            v = run("validate", rig + ".bak")
            assert v.returncode == 0, f"round {i} backup: {v.stdout}"
    leftovers = [f for f in os.listdir(os.path.dirname(rig)) if ".tmp" in f]
    print(f"   30 kills, rig always loadable; {len(leftovers)} stale temporary file(s) left by kills")


if __name__ == "__main__":
    main()
