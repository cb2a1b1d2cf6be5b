"""The safety limiter at the engine's output (issue #16, finding 9).

Reference: the true peak of what comes out, measured as the largest
magnitude of scipy.signal.resample_poly(y, 4, 1) (4x oversampling, as
ITU-R BS.1770's true-peak meter), never the engine's own estimate.
  - `pytone render --limiter` of signals at +20 dBFS (sines from 100 Hz to
    12 kHz, a sudden burst out of silence, the DI clip at +20 dB) and of a
    raw plate reverb IR on the DI (+33 dBFS in the issue): true peak
    <= -1 dBTP; full-band white noise at +20 dBFS (+24.7 dBTP) is held to
    +2 dBTP, the known limit of a limiter without look-ahead (limiter.h);
  - below the ceiling it is bit-transparent: the DI at -7 dBFS renders
    identically with and without --limiter;
  - `pytone render` without --limiter leaves the loud output as it is (off by
    default, for measuring and re-amping);
  - the protocol's set_limiter switches it; state and meters report it;
  - `pytone run IR.wav` plays the IR normalised (as a rig's cab node), the
    limiter on by default and saying so when it acted, its recording's true
    peak <= -1 dBTP; --no-limiter lets the +20 dB output through to the
    device's clip at 0 dBFS.
"""
import os

import numpy as np
import scipy.io.wavfile
import scipy.signal

from ptest import main, path, read_wav, run, test, tmp

RATE = 48000
DI = path("assets/di/guitar_di.wav")
CEILING_DBTP = -1.0


def true_peak_db(y):
    y = np.atleast_2d(y.T).T if y.ndim == 1 else y
    y = y.reshape(len(y), -1)
    tp = max(np.max(np.abs(scipy.signal.resample_poly(y[:, c], 4, 1))) for c in range(y.shape[1]))
    return 20 * np.log10(tp + 1e-30)


def write(name, x):
    p = tmp(name)
    scipy.io.wavfile.write(p, RATE, x.astype(np.float32))
    return p


def level_rig():
    p = tmp("level.yaml")
    open(p, "w").write("version: 1\nname: Unity\nchain:\n  - {id: l, type: level}\n")
    return p


def render(rig, x_path, name, *extra):
    out = tmp(name)
    run("render", rig, x_path, out, *extra, check=True)
    return read_wav(out)[1]


@test
def loud_inputs_come_out_under_minus_1_dbtp():
    rig = level_rig()
    t = np.arange(2 * RATE) / RATE
    rng = np.random.default_rng(16)
    _, di = read_wav(DI)
    di = di / np.max(np.abs(di))
    burst = np.zeros(2 * RATE)
    burst[RATE // 2:] = 10 * np.sin(2 * np.pi * 1000 * t[RATE // 2:])
    signals = {f"sine {f} Hz": 10 * np.sin(2 * np.pi * f * t + 0.3) for f in (100, 1000, 5000, 9000, 12000)}
    signals["burst out of silence"] = burst
    signals["DI at +20 dBFS"] = 10 * di
    worst = -99.0
    for name, x in signals.items():
        x_path = write(f"loud_{name.replace(' ', '_')}.wav", x)
        y = render(rig, x_path, f"lim_{name.replace(' ', '_')}.wav", "--limiter")
        tp = true_peak_db(y)
        raw = true_peak_db(x)
        print(f"     {name:22s} in {raw:+6.2f} dBTP -> out {tp:+6.2f} dBTP")
        worst = max(worst, tp)
        assert tp <= CEILING_DBTP, (name, tp)
        # and it still sounds like the input: not muted
        assert tp > CEILING_DBTP - 3, (name, tp)
    print(f"     worst: {worst:+.2f} dBTP")
    # Full-band white noise at +20 dBFS (+24.7 dBTP: no guitar rig makes it)
    # is where a limiter without look-ahead shows its limit: an inter-sample
    # peak of a new loudest stretch is known one sample late. Measured and
    # bounded here, declared in src/core/limiter.h and docs/RELIABILITY.md.
    x = 10 * rng.uniform(-1, 1, 2 * RATE)
    y = render(rig, write("loud_noise.wav", x), "lim_noise.wav", "--limiter")
    tp = true_peak_db(y)
    print(f"     {'white noise':22s} in {true_peak_db(x):+6.2f} dBTP -> out {tp:+6.2f} dBTP (not held to -1)")
    assert tp <= 2.0, tp


@test
def a_raw_plate_ir_on_the_di_is_held():
    y_raw = render(path("irs/plate_2s_stereo.wav"), DI, "plate_raw.wav")
    y = render(path("irs/plate_2s_stereo.wav"), DI, "plate_lim.wav", "--limiter")
    print(f"     raw plate on the DI {true_peak_db(y_raw):+.1f} dBTP, limited {true_peak_db(y):+.2f} dBTP")
    assert true_peak_db(y_raw) > 10  # the blast is there without it
    assert true_peak_db(y) <= CEILING_DBTP


@test
def below_the_ceiling_it_is_bit_transparent():
    rig = level_rig()
    _, di = read_wav(DI)
    quiet = write("quiet.wav", di / np.max(np.abs(di)) * 10 ** (-7 / 20))
    a = render(rig, quiet, "q_off.wav")
    b = render(rig, quiet, "q_on.wav", "--limiter")
    assert a.shape == b.shape and np.array_equal(a, b), np.max(np.abs(a - b))
    c = render(path("rigs/clean.yaml"), quiet, "clean_off.wav")
    d = render(path("rigs/clean.yaml"), quiet, "clean_on.wav", "--limiter")
    print(f"     clean.yaml on the quiet DI: {true_peak_db(c):+.2f} dBTP")
    if true_peak_db(c) < CEILING_DBTP - 3:  # clear of the sample ceiling (-2.5 dBFS) and its margin
        assert np.array_equal(c, d)


@test
def run_limits_by_default_and_says_so():
    _, di = read_wav(DI)
    loud = write("loud_di.wav", 10 * di / np.max(np.abs(di)))
    rec = tmp("run_rec.wav")
    p = run("run", "--backend", "virtual", "--no-server", "--seconds", "2", "--input", loud, "--record", rec,
            path("irs/synthetic_4x12.wav"), check=True)
    assert "limiter: reduced" in p.stdout, p.stdout
    rate, y = scipy.io.wavfile.read(rec)
    y = y.astype(np.float64)
    tp = true_peak_db(y)
    print(f"     pytone run IR.wav with a +20 dBFS DI: {tp:+.2f} dBTP; {p.stdout.strip().splitlines()[-1]}")
    assert tp <= CEILING_DBTP
    rec2 = tmp("run_rec_off.wav")
    p = run("run", "--backend", "virtual", "--no-server", "--seconds", "2", "--input", loud, "--record", rec2,
            "--no-limiter", path("irs/synthetic_4x12.wav"), check=True)
    assert "limiter:" not in p.stdout, p.stdout
    y2 = scipy.io.wavfile.read(rec2)[1].astype(np.float64)
    assert np.max(np.abs(y2)) >= 0.999  # through to the device's clip


@test
def the_protocol_switches_it_and_reports_it():
    import ptest
    saved = list(ptest._tests)
    from test_control import Server, ok, refused
    ptest._tests[:] = saved  # importing test_control registered its tests; run only ours
    with Server() as s:
        st = s.state()
        assert st["limiter"]["on"] is True, st["limiter"]
        assert set(st["limiter"]) == {"on", "reduction_db", "limited_frames"}, st["limiter"]
        ok(s.command({"cmd": "set_limiter", "on": False})[1])
        assert s.state()["limiter"]["on"] is False
        refused(s.command({"cmd": "set_limiter", "on": "yes"})[1], "on")
        ok(s.command({"cmd": "set_limiter", "on": True})[1])
        assert s.state()["limiter"]["on"] is True
        _, m = s.command({"cmd": "get_meters"})
        assert "limiter" in m["meters"], m


if __name__ == "__main__":
    main()
