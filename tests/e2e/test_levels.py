"""Levels (issue #15): factory rigs matched in loudness, render's peak report,
and the input-level helper.

Loudness is ITU-R BS.1770-4 integrated loudness, implemented here from the
Recommendation's formulas: the K-weighting pre-filter (its two biquads with
the 48 kHz coefficients of Tables 1 and 2), mean square over 400 ms blocks
with 75 % overlap, the absolute gate at -70 LKFS and the relative gate 10 LU
below the absolutely gated loudness; L = -0.691 + 10 log10(sum G_i z_i) with
G = 1 for left and right. A mono rig is measured as played: the engine sends
its one output to both channels. The implementation is checked against the
Recommendation's own reference: a 0 dBFS 1 kHz sine on one channel reads
-3.01 LKFS.

TARGET_LUFS: every factory rig renders the bundled DI (assets/di, 10 s) at
-18 LUFS, within 1 LU — a level with room for the peaks of clean and ambient
rigs (they stay below -1 dBFS) and close to what most backing tracks and
practice players use. The rigs reach it by their output_level_db."""
import glob
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import numpy as np
import scipy.signal

from ptest import PYTONE, SRC, main, path, read_wav, run, stop, test, tmp, write_wav

TARGET_LUFS = -18.0
DI = path("assets/di/guitar_di.wav")


def k_weighted(x, rate):
    assert rate == 48000, rate
    shelf_b = [1.53512485958697, -2.69169618940638, 1.19839281085285]
    shelf_a = [1.0, -1.69065929318241, 0.73248077421585]
    hp_b = [1.0, -2.0, 1.0]
    hp_a = [1.0, -1.99004745483398, 0.99007225036621]
    return scipy.signal.lfilter(hp_b, hp_a, scipy.signal.lfilter(shelf_b, shelf_a, x, axis=0), axis=0)


def integrated_loudness(x, rate):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    y = k_weighted(x, rate)
    block, step = int(0.4 * rate), int(0.1 * rate)
    n = 1 + (len(y) - block) // step
    z = np.array([np.mean(y[j * step:j * step + block] ** 2, axis=0) for j in range(n)])  # per channel
    power = z.sum(axis=1)  # G = 1 for left and right
    lj = -0.691 + 10 * np.log10(np.maximum(power, 1e-30))
    keep = lj > -70.0
    relative = -0.691 + 10 * np.log10(power[keep].mean()) - 10.0
    keep &= lj > relative
    return -0.691 + 10 * np.log10(power[keep].mean())


@test
def loudness_meter_reads_the_recommendations_reference():
    t = np.arange(48000 * 5) / 48000.0
    sine = np.sin(2 * np.pi * 1000 * t)
    one_channel = np.stack([sine, np.zeros_like(sine)], axis=1)
    assert abs(integrated_loudness(one_channel, 48000) - -3.01) < 0.05
    # gating: 5 s of that sine then 20 s at -100 dB reads the sine (less the
    # three blocks that straddle the end, about 0.13 LU), not the 25 s mean (-10 LKFS)
    quiet = np.concatenate([one_channel, 1e-5 * np.tile(one_channel, (4, 1))])
    assert abs(integrated_loudness(quiet, 48000) - -3.01) < 0.2


@test
def factory_rigs_are_matched_in_loudness():
    rigs = [r for r in sorted(glob.glob(path("rigs", "*.yaml"))) if "\nrigs:" not in open(r).read()]
    assert len(rigs) >= 6, rigs
    for rig in rigs:
        out = tmp("lv_" + os.path.basename(rig) + ".wav")
        run("render", rig, DI, out, check=True)
        rate, y = read_wav(out)
        played = y if y.ndim == 2 else np.stack([y, y], axis=1)
        lufs = integrated_loudness(played, rate)
        peak = 20 * np.log10(np.max(np.abs(y)))
        print(f"   {os.path.basename(rig):16s} {lufs:6.2f} LUFS  peak {peak:6.1f} dBFS")
        assert abs(lufs - TARGET_LUFS) <= 1.0, f"{rig}: {lufs:.2f} LUFS, target {TARGET_LUFS} +- 1 LU"
        assert peak < 0.0, f"{rig}: peak {peak:.1f} dBFS"


def level_rig(gain_db):
    rig = tmp(f"level_{gain_db}.yaml")
    open(rig, "w").write(f"version: 1\nname: Loud\nchain:\n  - {{id: g, type: level, params: {{gain_db: {gain_db}}}}}\n")
    return rig


@test
def render_reports_the_peak_and_warns_above_full_scale():
    out = tmp("loud.wav")
    p = run("render", level_rig(20), DI, out, check=True)
    _, y = read_wav(out)
    peak_db = 20 * np.log10(np.max(np.abs(y)))
    assert peak_db > 10, peak_db  # the float WAV keeps it
    assert f"peak {peak_db:.1f} dBFS" in p.stderr, (peak_db, p.stderr)
    assert "warning" in p.stderr and "above full scale" in p.stderr and "output_level_db" in p.stderr, p.stderr
    p = run("render", level_rig(-6), DI, tmp("fine.wav"), check=True)
    _, y = read_wav(tmp("fine.wav"))
    assert f"peak {20 * np.log10(np.max(np.abs(y))):.1f} dBFS" in p.stderr and "warning" not in p.stderr, p.stderr


def quiet_clip(gain_db):
    """The DI's first 2 s, gain_db lower: the virtual device loops it, so 5 s
    of listening hears its peak more than once."""
    rate, x = read_wav(DI)
    x = x[: 2 * rate] * 10 ** (gain_db / 20)
    f = tmp(f"quiet_{gain_db}.wav")
    write_wav(f, rate, x)
    return f, 20 * np.log10(np.max(np.abs(x.astype(np.float32))))


@test
def calibrate_input_sets_the_trim_from_the_peak_played():
    clip, peak_db = quiet_clip(-14)
    status = tmp("cal_status.json")
    p = run("run", path("rigs/clean.yaml"), "--backend", "virtual", "--input", clip, "--calibrate-input",
            "--seconds", "6", "--no-server", "--status-file", status)
    assert p.returncode == 0, p.stderr
    st = json.load(open(status))
    want = round(-9.0 - peak_db, 1)
    assert st["calibration"]["state"] == "done", st["calibration"]
    assert abs(st["rig_json"]["input_trim_db"] - want) < 0.051, (st["rig_json"]["input_trim_db"], want)
    assert abs(st["calibration"]["peak_dbfs"] - peak_db) < 0.051, (st["calibration"], peak_db)
    assert st["dirty"] is True  # a change of the rig, saved with it
    assert "play your hardest for 5 s" in p.stderr and f"input trim set to {want:+.1f} dB" in p.stderr, p.stderr


@test
def calibrate_input_over_the_protocol_and_with_no_signal():
    silent = tmp("silent.wav")
    write_wav(silent, 48000, np.zeros(48000))
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen([PYTONE, "run", path("rigs/clean.yaml"), "--backend", "virtual", "--input", silent,
                             "--port", str(port), "--seconds", "20"], cwd=SRC, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)

    def command(msg):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/command", data=json.dumps(msg).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            return json.load(urllib.request.urlopen(req, timeout=5))
        except urllib.error.HTTPError as e:  # a refused command: 400 with the reply
            return json.load(e)

    try:
        for _ in range(100):
            try:
                command({"cmd": "hello"})
                break
            except OSError:
                time.sleep(0.1)
        r = command({"cmd": "calibrate_input", "seconds": 0.5})
        assert not r["ok"] and "out of range 1 .. 30" in r["error"], r
        r = command({"cmd": "calibrate_input", "seconds": 1})
        assert r["ok"] and r["calibration"]["state"] == "listening", r
        for _ in range(60):
            st = command({"cmd": "get_state"})["state"]
            if st["calibration"]["state"] != "listening":
                break
            time.sleep(0.1)
        assert st["calibration"]["state"] == "failed" and "no signal" in st["calibration"]["message"], st
        rig = command({"cmd": "get_rig"})["rig"]
        assert rig["input_trim_db"] == 0, rig  # nothing played: nothing changed
    finally:
        stop(proc)


if __name__ == "__main__":
    main()
