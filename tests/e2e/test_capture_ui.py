"""The Capture page's commands (capture_*, docs/control-protocol.md), over the
real socket, against a `pytone run --backend virtual` whose rig is a gate and
a drive pedal (test_control.Server). Source "rig": the take is the rig
played on a private copy, on the job's thread. Checks:
  - a level check and a take on the rig pass; the latency the blips show
    is the rig's own latency (the state's latency_samples, a different
    route) or at most 2 samples less (the onset of a linear-phase
    oversampling filter's answer); the state's "capture" shows the job;
  - a second job while one runs is refused ("one job at a time");
  - a tiny training (nano, 1 epoch of 2 batches): the ESR curve has one
    point, and the stated validation ESR is recomputed by numpy from the two
    clips capture_audio gives for A/B (the recording and the model on the
    held-out copy), to 1e-3 relative (the clips are 16-bit);
  - a cancel during a training keeps the best model so far;
  - capture_save writes models/NAME.nam, a .nam Python's json reads with
    the WaveNet config of nano, byte-identical to itself on a second read,
    listed by list_files; the same name again, paths outside models/ or the
    library, and a models/ that is a link out of the library are refused and
    write nothing;
  - source "engine" (the engine's own device, here the virtual one playing
    a silent file and recording its output): the take is refused as
    silent, and the device's recording holds the level-check signal
    (`pytone capture-signal --short`, read by scipy) at -6 dB, sample for
    sample, in place of the rig;
  - bad input, one clear message each: the engine at 44.1 kHz (the signal
    is 48 kHz), a silent take (the gate shut: "silent"), a wrong source or
    gain, a training or save or A/B with nothing to work on, a cancel with
    nothing running, an unknown architecture.
"""
import base64
import json
import os
import sys
import time

import numpy as np
import scipy.io.wavfile

sys.path.insert(0, os.path.dirname(__file__))
import ptest  # noqa: E402
from ptest import main, run, test, tmp  # noqa: E402
from test_control import Server, ok, refused  # noqa: E402

ptest._tests.clear()  # importing test_control registered its tests; run only ours

RIG = """version: 1
name: Capture test
chain:
  - id: gate
    type: gate
    params:
      threshold_db: -96
  - id: drive
    type: drive
    params:
      drive_db: 12
      level_db: -12
"""
NANO_RF = 1 + 2 * (127 + 1919)  # nano's receptive field: kernel 3, dilations 1..64 and 128..512,1..512


def make_lib(name):
    lib = tmp(f"{name}{os.getpid()}")
    os.makedirs(lib, exist_ok=True)
    with open(os.path.join(lib, "capture.yaml"), "w") as f:
        f.write(RIG)
    return lib


def capture(s):
    return ok(s.command({"cmd": "capture_status"})[1])["capture"]


def wait_idle(s, limit=120):
    deadline = time.time() + limit
    while time.time() < deadline:
        c = capture(s)
        if not c["running"]:
            return c
        time.sleep(0.1)
    raise AssertionError(f"the capture job still runs after {limit} s: {capture(s)}")


def pcm(s, which):
    r = ok(s.command({"cmd": "capture_audio", "which": which, "seconds": 5})[1])
    assert r["rate"] == 48000 and r["format"] == "s16le", r
    return np.frombuffer(base64.b64decode(r["pcm"]), dtype="<i2").astype(np.float64) / 32767.0


@test
def nothing_to_work_on_yet():
    lib = make_lib("caplib0")
    with Server(rig=os.path.join(lib, "capture.yaml")) as s:
        c = capture(s)
        assert c["job"] == "idle" and c["take"] is None and c["train"] is None, c
        assert "capture" in s.state(), s.state()
        refused(s.command({"cmd": "capture_train", "arch": "nano"})[1], "no take")
        refused(s.command({"cmd": "capture_save", "path": "models/x.nam"})[1], "no trained model")
        refused(s.command({"cmd": "capture_audio", "which": "recording"})[1], "no take")
        refused(s.command({"cmd": "capture_cancel"})[1], "nothing to cancel")
        refused(s.command({"cmd": "capture_check", "source": "tape"})[1], "'source' must be one of")
        refused(s.command({"cmd": "capture_check"})[1], "'source' is missing")
        refused(s.command({"cmd": "capture_check", "source": "rig", "gain_db": 3})[1], "out of range")
        refused(s.command({"cmd": "capture_check", "source": "rig", "device": "hw:0"})[1], "'device' goes with")
        refused(s.command({"cmd": "capture_check", "source": "rig", "input": "system:capture_1"})[1], "go with jack")
        refused(s.command({"cmd": "capture_record", "source": "rig", "speed": 2})[1], "unknown field 'speed'")
        refused(s.command({"cmd": "capture_train", "arch": "huge"})[1], "'arch' must be one of")
        refused(s.command({"cmd": "capture_train", "arch": "nano", "epochs": 0})[1], "out of range")
        # the gate shut: nothing comes back
        ok(s.command({"cmd": "set_param", "node": "gate", "param": "threshold_db", "value": 0})[1])
        ok(s.command({"cmd": "capture_check", "source": "rig"})[1])
        c = wait_idle(s)
        assert c["check"]["ok"] is False and c["check"]["problem"] == "silent", c
        assert c["error"].startswith("level check: no signal came back"), c
        assert not os.path.exists(os.path.join(lib, "models")), os.listdir(lib)


@test
def engine_source_plays_the_signal_and_records_the_input():
    lib = make_lib("caplib3")
    with open(os.path.join(lib, "level.yaml"), "w") as f:  # silence in, silence out: the signal stands alone
        f.write("version: 1\nname: Level\nchain:\n  - id: trim\n    type: level\n")
    silence, out, sig = tmp("silence.wav"), tmp("engine_out.wav"), tmp("sig_short.wav")
    scipy.io.wavfile.write(silence, 48000, np.zeros(48000, dtype=np.float32))
    assert run("capture-signal", sig, "--short").returncode == 0
    s = Server(rig=os.path.join(lib, "level.yaml"), extra=("--input", silence, "--record", out))
    try:
        ok(s.command({"cmd": "capture_check", "source": "engine", "gain_db": -6})[1])
        refused(s.command({"cmd": "capture_record", "source": "engine"})[1], "one job at a time")
        c = wait_idle(s, 30)
        assert c["check"]["problem"] == "silent", c
        assert c["error"].startswith("level check: no signal came back"), c
        # a take cancelled while it plays: said so, no take kept
        ok(s.command({"cmd": "capture_record", "source": "engine"})[1])
        time.sleep(0.3)
        ok(s.command({"cmd": "capture_cancel"})[1])
        c = wait_idle(s, 10)
        assert c["error"] == "cancelled" and c["take"] is None, c
    finally:
        s.stop()
    rate, y = scipy.io.wavfile.read(out)
    _, x = scipy.io.wavfile.read(sig)
    assert rate == 48000 and y.ndim == 2, (rate, y.shape)
    x0, y0 = np.argmax(np.abs(x) > 1e-4), np.argmax(np.abs(y[:, 0]) > 1e-4)
    start = y0 - x0
    assert start > 0, (x0, y0)
    want = x[:6 * 48000].astype(np.float64) * 10 ** (-6 / 20)  # the level check: up to the training material
    got = y[start:start + len(want)].astype(np.float64)
    err = np.max(np.abs(got[:, 0] - want))
    assert err < 1e-6 and np.array_equal(got[:, 0], got[:, 1]), err


@test
def wrong_rate_refused():
    lib = make_lib("caplib1")
    with Server(rig=os.path.join(lib, "capture.yaml"), extra=("--rate", "44100")) as s:
        assert s.state()["rate"] == 44100
        refused(s.command({"cmd": "capture_record", "source": "rig"})[1], "44100 Hz", "48000")
        assert capture(s)["job"] == "idle"


@test
def take_train_listen_save():
    lib = make_lib("caplib2")
    with Server(rig=os.path.join(lib, "capture.yaml")) as s:
        ok(s.command({"cmd": "capture_check", "source": "rig", "gain_db": -6})[1])
        c = wait_idle(s)
        assert c["error"] == "" and c["check"]["ok"], c
        rig_latency = s.state()["latency_samples"]
        # the blips' onset (the first sample above the noise) against the program's own latency:
        # the drive's linear-phase oversampling filter answers a sample or two before its delay
        assert 0 <= rig_latency - c["check"]["latency"] <= 2, (c["check"], rig_latency)
        assert -30 < c["check"]["out_peak_db"] < 0, c["check"]

        r = ok(s.command({"cmd": "capture_record", "source": "rig", "gain_db": -6})[1])
        assert r["capture"]["running"] and r["capture"]["job"] == "record", r
        refused(s.command({"cmd": "capture_check", "source": "rig"})[1], "one job at a time")
        refused(s.command({"cmd": "capture_train", "arch": "nano"})[1], "one job at a time")
        refused(s.command({"cmd": "capture_save", "path": "models/x.nam"})[1], "running")
        c = wait_idle(s)
        assert c["error"] == "" and c["take"]["ok"], c
        assert c["take"]["signal"] == "pytone-short" and c["take"]["latency"] == c["check"]["latency"], c["take"]
        assert 0 <= c["take"]["copies_esr"] < 0.01, c["take"]

        ok(s.command({"cmd": "capture_train", "arch": "nano", "epochs": 1, "max_batches": 2, "threads": 1,
                      "name": "Capture test"})[1])
        refused(s.command({"cmd": "capture_record", "source": "rig"})[1], "one job at a time")
        c = wait_idle(s)
        t = c["train"]
        assert c["error"] == "" and t["model"] and not t["cancelled"], c
        assert t["epoch"] == 1 and len(t["esr"]) == 1 and t["best_esr"] == t["esr"][0], t

        # A/B: the stated ESR from the two clips, by numpy
        rec, mod = pcm(s, "recording"), pcm(s, "model")
        assert len(rec) == len(mod) == 3 * 48000 - c["take"]["latency"], (len(rec), len(mod))
        skip = NANO_RF - 1
        esr = np.sum((mod[skip:] - rec[skip:]) ** 2) / np.sum(rec[skip:] ** 2)
        assert abs(esr - t["best_esr"]) <= 1e-3 * t["best_esr"], (esr, t["best_esr"])

        # saving into models/
        for bad, why in (("x.nam", "models/NAME.nam"), ("models/a/b.nam", "models/NAME.nam"),
                         ("models/../x.nam", ""), ("models/x.wav", ""), ("/tmp/x.nam", "")):
            refused(s.command({"cmd": "capture_save", "path": bad})[1], why)
        r = ok(s.command({"cmd": "capture_save", "path": "models/capture.nam"})[1])
        assert r["capture"]["saved"] == "models/capture.nam", r
        path = os.path.join(lib, "models", "capture.nam")
        with open(path) as f:
            nam = json.load(f)
        assert nam["architecture"] == "WaveNet", nam.keys()
        assert [a["channels"] for a in nam["config"]["layers"]] == [4, 2], nam["config"]
        assert nam["metadata"]["name"] == "Capture test", nam["metadata"]
        before = open(path, "rb").read()
        refused(s.command({"cmd": "capture_save", "path": "models/capture.nam"})[1], "already exists")
        assert open(path, "rb").read() == before
        files = ok(s.command({"cmd": "list_files", "kind": "nam"})[1])
        assert any(f["path"] == "models/capture.nam" for f in files["files"]), files

        # a models/ that leads out of the library
        outside = tmp(f"outside{os.getpid()}")
        os.makedirs(outside, exist_ok=True)
        os.rename(os.path.join(lib, "models"), os.path.join(lib, "models.old"))
        os.symlink(outside, os.path.join(lib, "models"))
        refused(s.command({"cmd": "capture_save", "path": "models/other.nam"})[1])
        assert os.listdir(outside) == [], os.listdir(outside)

        # cancel keeps the best model so far
        ok(s.command({"cmd": "capture_train", "arch": "nano", "epochs": 500, "max_batches": 1, "threads": 1})[1])
        deadline = time.time() + 60
        while capture(s)["train"]["epoch"] < 1 and time.time() < deadline:
            time.sleep(0.05)
        ok(s.command({"cmd": "capture_cancel"})[1])
        c = wait_idle(s)
        t = c["train"]
        assert t["cancelled"] and t["model"] and 1 <= t["epoch"] < 500, t
        assert "cancelled" in c["message"], c


@test
def stopping_the_engine_mid_training_ends_the_job_and_its_files():
    lib = make_lib("caplib4")
    work = tmp(f"captmp{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    s = Server(rig=os.path.join(lib, "capture.yaml"), env={"TMPDIR": work})
    try:
        ok(s.command({"cmd": "capture_record", "source": "rig"})[1])
        assert wait_idle(s)["take"]["ok"]
        ok(s.command({"cmd": "capture_train", "arch": "standard", "epochs": 1000, "threads": 1})[1])
        time.sleep(0.5)
        assert capture(s)["running"] and len(os.listdir(work)) == 1, os.listdir(work)
        t0 = time.time()
        s.proc.terminate()
        rc = s.proc.wait(30)
        assert rc == 0, (rc, s.proc.stderr.read())
        print(f"  the engine stopped {time.time() - t0:.1f} s after SIGTERM, mid-training")
        assert os.listdir(work) == [], os.listdir(work)
    finally:
        s.stop()


if __name__ == "__main__":
    main()
