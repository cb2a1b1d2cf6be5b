"""Faults a player must survive: the disk fills up during a save (the old
rig stays intact and the user is told); a damaged recovery file is ignored
with a message."""
import filecmp
import os
import shutil
import subprocess

from ptest import BUILD, PYTONE, SRC, main, path, run, test, tmp


@test
def a_full_disk_during_save_leaves_the_old_rig_intact():
    rig = tmp("full.yaml")
    shutil.copy(path("tests/data/rigs/no_assets.yaml"), rig)
    before = open(rig).read()
    p = subprocess.run([os.path.join(BUILD, "rig_save_once"), rig, rig], capture_output=True, text=True,
                       env={**os.environ, "LD_PRELOAD": os.path.join(BUILD, "libenospc.so")})
    print("   " + p.stderr.strip())
    assert p.returncode == 1
    assert "No space left on device" in p.stderr and "old file is unchanged" in p.stderr, p.stderr
    assert rig in p.stderr
    assert open(rig).read() == before
    assert run("validate", rig).returncode == 0
    # and without the fault, the same save works
    p = subprocess.run([os.path.join(BUILD, "rig_save_once"), rig, rig], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert open(rig).read() != before and os.path.exists(rig + ".bak")
    assert open(rig + ".bak").read() == before


@test
def a_damaged_recovery_file_is_ignored_with_a_message():
    rec = tmp("recovery.yaml")
    open(rec, "w").write("version: 1\nname: [broken\n\x00\x01")
    p = subprocess.run([PYTONE, "run", "--backend", "virtual", "--seconds", "0.5", "--no-server"],
                       capture_output=True, text=True, cwd=SRC,
                       env={**os.environ, "PT_RECOVERY_FILE": rec, "PT_SOURCE_DIR": SRC})
    assert p.returncode == 0, p.stderr
    assert "ignoring a damaged recovery file" in p.stderr, p.stderr


@test
def a_recovery_file_left_by_a_crash_is_offered():
    rec = tmp("recovery2.yaml")
    shutil.copy(path("tests/data/rigs/no_assets.yaml"), rec)
    p = subprocess.run([PYTONE, "run", "--backend", "virtual", "--seconds", "0.5", "--no-server"],
                       capture_output=True, text=True, cwd=SRC,
                       env={**os.environ, "PT_RECOVERY_FILE": rec, "PT_SOURCE_DIR": SRC})
    assert p.returncode == 0, p.stderr
    assert "did not end cleanly" in p.stderr and f"pytone run {rec}" in p.stderr, p.stderr
    # this run made no edit: the crash's recovery file must still be there
    assert os.path.exists(rec) and open(rec).read() == open(path("tests/data/rigs/no_assets.yaml")).read()


if __name__ == "__main__":
    main()
