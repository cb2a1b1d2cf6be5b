"""Offline render goes through the same path as real time, sample for
sample, and lines up with its input."""
import numpy as np

from ptest import main, path, read_wav, run, test, tmp, write_wav

DI = path("assets/di/guitar_di.wav")


@test
def offline_render_equals_realtime_render():
    # Real time: the virtual device plays the DI clip through the default rig
    # and records what it would send to the speakers.
    rec = tmp("rt.wav")
    p = run("run", "rigs/default.yaml", "--backend", "virtual", "--input", DI, "--record", rec,
            "--seconds", "2", "--no-server")
    assert p.returncode == 0, p.stderr
    _, rt = read_wav(rec)
    off = tmp("off.wav")
    run("render", "rigs/default.yaml", DI, off, "--keep-latency", check=True)
    _, y = read_wav(off)
    n = len(rt)
    assert n > 48000, n
    assert rt.ndim == 2 and np.array_equal(rt[:, 0], rt[:, 1])
    diff = np.max(np.abs(rt[:n, 0] - y[:n]))
    assert diff == 0.0, f"max difference {diff}"
    assert np.sqrt(np.mean(y ** 2)) > 0.01


@test
def render_removes_the_declared_latency():
    # An impulse train through a rig with 65 samples of latency: by default
    # the output lines up with the input and is as long as it.
    x = np.zeros(48000)
    x[1000::4800] = 0.5
    src = tmp("imp.wav")
    write_wav(src, 48000, x)
    rig = path("tests/data/rigs/latency_65.yaml")
    a, b = tmp("aligned.wav"), tmp("raw.wav")
    run("render", rig, src, a, check=True)
    run("render", rig, src, b, "--keep-latency", check=True)
    _, ya = read_wav(a)
    _, yb = read_wav(b)
    assert len(ya) == len(x) and len(yb) == len(x)
    assert int(np.argmax(np.abs(ya[:3000]))) == 1000
    assert int(np.argmax(np.abs(yb[:3000]))) == 1065
    assert np.allclose(ya[:-65], yb[65:], atol=0)


@test
def render_block_size_does_not_change_the_output():
    outs = []
    for frames in (32, 64, 128, 1000):
        o = tmp(f"bs{frames}.wav")
        run("render", "rigs/default.yaml", DI, o, "--frames", frames, check=True)
        outs.append(read_wav(o)[1])
    for y in outs[1:]:
        assert np.array_equal(y, outs[0])


@test
def render_set_changes_a_parameter():
    a, b = tmp("set_a.wav"), tmp("set_b.wav")
    run("render", "rigs/default.yaml", DI, a, check=True)
    run("render", "rigs/default.yaml", DI, b, "--set", "drive.drive_db=2", check=True)
    ya, yb = read_wav(a)[1], read_wav(b)[1]
    assert not np.array_equal(ya, yb)
    p = run("render", "rigs/default.yaml", DI, b, "--set", "drive.nope=2")
    assert p.returncode != 0 and "nope" in p.stderr


if __name__ == "__main__":
    main()
