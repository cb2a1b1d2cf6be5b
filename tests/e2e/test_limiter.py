"""The safety limiter at the engine's output (issue #16, finding 9).

Reference: the true peak of what comes out, measured as the largest
magnitude of scipy.signal.resample_poly(y, 4, 1) (4x oversampling, as
ITU-R BS.1770's true-peak meter), never the engine's own estimate; and two
other meters that see what that one may not: the same 4x with a sharper
filter (Kaiser beta 8) and 16x oversampling (the peaks between the 4x
points).
  - `pytone render --limiter` of signals at +20 dBFS and more (sines from
    100 Hz to 12 kHz, a sudden burst out of silence, the DI clip at +20 dB,
    full-band white and Gaussian noise, square waves up to 12 kHz, single
    and alternating impulses at +30 dBFS, bursts at Nyquist) and of a raw
    plate reverb IR on a DI at -0.8 dBFS (the issue's blast): true peak
    <= -1 dBTP on the 4x meter, and within 0.5 dB of it on the others;
  - below the ceiling it is bit-transparent: the DI at -7 dBFS through a
    unity rig, and clean.yaml on the DI (-1.4 dBTP, the loudest factory
    rig), render identically with and without --limiter;
  - its readout counts exactly the frames it changed;
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


def true_peak_db(y, up=4, window=("kaiser", 5.0), edge=0):
    """edge: input samples at each end left out of the reading (a recording
    that starts or stops mid-note is cut there; the cut never reached a
    device, but a meter sees the step into its zero padding)."""
    y = np.atleast_2d(y.T).T if y.ndim == 1 else y
    y = y.reshape(len(y), -1)
    cut = slice(edge * up, len(y) * up - edge * up) if edge else slice(None)
    tp = max(np.max(np.abs(scipy.signal.resample_poly(y[:, c], up, 1, window=window)[cut]))
             for c in range(y.shape[1]))
    return 20 * np.log10(tp + 1e-30)


def other_meters_db(y):
    """The sharper 4x meter and the 16x one."""
    return true_peak_db(y, window=("kaiser", 8.0)), true_peak_db(y, up=16)


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
    n = np.arange(2 * RATE)
    t = n / RATE
    rng = np.random.default_rng(16)
    _, di = read_wav(DI)
    di = di / np.max(np.abs(di))
    burst = np.zeros(2 * RATE)
    burst[RATE // 2:] = 10 * np.sin(2 * np.pi * 1000 * t[RATE // 2:])
    signals = {f"sine {f} Hz": 10 * np.sin(2 * np.pi * f * t + 0.3) for f in (100, 1000, 5000, 9000, 12000)}
    signals["burst out of silence"] = burst
    signals["DI at +20 dBFS"] = 10 * di
    # what no guitar rig makes, and a limiter without look-ahead finds
    # hardest: each new loudest inter-sample peak arrives unannounced
    signals["white noise"] = 10 * rng.uniform(-1, 1, len(n))
    signals["Gaussian noise"] = 10 * rng.standard_normal(len(n))
    for f in (1000, 7900, 12000):
        signals[f"square {f} Hz"] = 10 * np.sign(np.sin(2 * np.pi * f * t + 0.3))
    signals["impulses"] = np.where(n % 4801 == 100, 30.0, 0.0)
    signals["alternating impulses"] = np.where(n % 97 < 2, 30.0 * (-1.0) ** n, 0.0)
    signals["Nyquist bursts"] = 10 * (-1.0) ** n * (n % 480 < 7)
    worst = -99.0
    for name, x in signals.items():
        # a quarter second of silence after: the stream goes on, where a
        # file's end is a cut to silence the limiter never sent
        x = np.concatenate([x, np.zeros(RATE // 4)])
        x_path = write(f"loud_{name.replace(' ', '_')}.wav", x)
        y = render(rig, x_path, f"lim_{name.replace(' ', '_')}.wav", "--limiter")
        tp = true_peak_db(y)
        sharp, fine = other_meters_db(y)
        raw = true_peak_db(x)
        print(f"     {name:22s} in {raw:+6.2f} dBTP -> out {tp:+6.2f} dBTP (4x beta 8: {sharp:+.2f}, 16x: {fine:+.2f})")
        worst = max(worst, tp)
        assert tp <= CEILING_DBTP, (name, tp)
        assert sharp <= CEILING_DBTP + 0.5 and fine <= CEILING_DBTP + 0.5, (name, sharp, fine)
        # and it still sounds like the input: not muted
        assert tp > CEILING_DBTP - 3, (name, tp)
    print(f"     worst: {worst:+.2f} dBTP")
    # the same output whatever the block size (the last stage's sums slide
    # across blocks)
    x_path = tmp("loud_white_noise.wav")
    ref = render(rig, x_path, "lim_white_noise.wav", "--limiter")
    for frames in ("16", "37", "1000"):
        y = render(rig, x_path, f"lim_noise_{frames}.wav", "--limiter", "--frames", frames)
        assert np.array_equal(y, ref), (frames, np.max(np.abs(y - ref)))


@test
def a_raw_plate_ir_on_the_di_is_held():
    _, di = read_wav(DI)
    loud = write("di_loud.wav", np.concatenate([di / np.max(np.abs(di)) * 10 ** (-0.8 / 20), np.zeros(RATE // 4)]))
    y_raw = render(path("irs/plate_2s_stereo.wav"), loud, "plate_raw.wav")
    y = render(path("irs/plate_2s_stereo.wav"), loud, "plate_lim.wav", "--limiter")
    sharp, fine = other_meters_db(y)
    print(f"     raw plate on a -0.8 dBFS DI {true_peak_db(y_raw):+.1f} dBTP, limited {true_peak_db(y):+.2f} dBTP"
          f" (4x beta 8: {sharp:+.2f}, 16x: {fine:+.2f})")
    assert true_peak_db(y_raw) > 25  # the blast is there without it
    assert true_peak_db(y) <= CEILING_DBTP
    assert sharp <= CEILING_DBTP + 0.5 and fine <= CEILING_DBTP + 0.5


@test
def below_the_ceiling_it_is_bit_transparent():
    rig = level_rig()
    _, di = read_wav(DI)
    quiet = write("quiet.wav", di / np.max(np.abs(di)) * 10 ** (-7 / 20))
    a = render(rig, quiet, "q_off.wav")
    b = render(rig, quiet, "q_on.wav", "--limiter")
    assert a.shape == b.shape and np.array_equal(a, b), np.max(np.abs(a - b))
    # the loudest factory rig on the DI as it is, 0.4 dB under the ceiling
    c = render(path("rigs/clean.yaml"), DI, "clean_off.wav")
    d = render(path("rigs/clean.yaml"), DI, "clean_on.wav", "--limiter")
    print(f"     clean.yaml on the DI: {true_peak_db(c):+.2f} dBTP, {np.count_nonzero(c != d)} samples changed")
    assert true_peak_db(c) > CEILING_DBTP - 1  # near the ceiling, or this shows nothing
    assert c.shape == d.shape and np.array_equal(c, d), np.max(np.abs(c - d))


@test
def its_readout_counts_the_frames_it_changed():
    rig = level_rig()
    _, di = read_wav(DI)
    x = write("di_plus6.wav", 2 * di / np.max(np.abs(di)))
    off = render(rig, x, "plus6_off.wav")
    out = tmp("plus6_on.wav")
    p = run("render", rig, x, out, "--limiter", check=True)
    on = read_wav(out)[1]
    changed = np.count_nonzero(np.any((off != on).reshape(len(off), -1), axis=1))
    said = [line for line in p.stderr.splitlines() if "limiter reduced" in line]
    print(f"     DI at +6 dBFS: {changed} frames changed; {said[0].split(': ', 1)[1] if said else 'nothing said'}")
    assert changed > 0 and said, p.stderr
    assert int(said[0].split("reduced ")[1].split()[0]) == changed, (said, changed)


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
    # the recording stops wherever --seconds ends it, mid-note at +20 dBFS:
    # the last 32 samples' reading would be of that cut, not of the output
    tp = true_peak_db(y, edge=32)
    print(f"     pytone run IR.wav with a +20 dBFS DI: {tp:+.2f} dBTP (whole file, cut included: "
          f"{true_peak_db(y):+.2f}); {p.stdout.strip().splitlines()[-1]}")
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
