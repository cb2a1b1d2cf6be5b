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
The web UI's Capture job does the same through the control protocol (a
`pytone run --backend virtual` with its server; the job's own JACK client,
its ports chosen by capture_record's `input` and `output`): capture_ports
lists the server's ports, a port that does not exist is refused by name,
and a take through the loop passes with the latency 64 to the sample.
"""
import json
import os
import shutil
import socket
import urllib.request
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


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


@test
def the_capture_page_records_through_the_jack_ports_it_is_given():
    port = free_port()
    lib = tmp("jacklib")
    os.makedirs(lib, exist_ok=True)
    with open(os.path.join(lib, "r.yaml"), "w") as f:
        f.write("version: 1\nname: r\nchain:\n  - id: trim\n    type: level\n")
    eng = subprocess.Popen([PYTONE, "run", "--backend", "virtual", "--port", str(port), os.path.join(lib, "r.yaml")],
                           env={**os.environ, "PT_SOURCE_DIR": SRC, "PT_RECOVERY_FILE": os.path.join(lib, ".rec.yaml")},
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def cmd(**msg):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/command", data=json.dumps(msg).encode(),
                                     headers={"Content-Type": "application/json", "Host": f"127.0.0.1:{port}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            return json.loads(e.read())

    def wait_idle():
        for _ in range(1800):
            c = cmd(cmd="capture_status")["capture"]
            if not c["running"]:
                return c
            time.sleep(0.1)
        raise AssertionError("the capture job did not finish")

    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        ports = cmd(cmd="capture_ports")["ports"]["jack"]
        assert ports["running"] and "system:capture_1" in ports["outputs"], ports
        assert "system:playback_1" in ports["inputs"], ports
        r = cmd(cmd="capture_check", source="jack", input="nosuch:port")
        assert r["ok"], r
        c = wait_idle()
        assert "cannot record from 'nosuch:port'" in c["error"], c
        loop = {"input": "pytone-capture:out_1", "output": "pytone-capture:in_1"}  # JACK's one-period loop
        assert cmd(cmd="capture_record", source="jack", **loop)["ok"]
        c = wait_idle()
        print(f"  {c['message']}; take: {c['take'] and c['take']['reason']}")
        assert c["error"] == "" and c["check"]["ok"] and c["take"]["ok"], c
        assert c["check"]["latency"] == 64 and c["take"]["latency"] == 64, c
    finally:
        stop(eng)


if __name__ == "__main__":
    try:
        main()
    finally:
        stop(jackd, hard=True)
