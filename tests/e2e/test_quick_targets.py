"""`pytone render` takes an IR or a circuit file in place of a rig, as a
re-amping player or a researcher expects."""
import numpy as np
import scipy.signal

from ptest import main, path, read_wav, run, test, tmp

DI = path("assets/di/guitar_di.wav")


@test
def an_ir_renders_as_its_convolution():
    # reference: scipy's FFT convolution in float64
    out = tmp("ir.wav")
    run("render", path("irs/synthetic_4x12.wav"), DI, out, check=True)
    _, y = read_wav(out)
    _, x = read_wav(DI)
    _, h = read_wav(path("irs/synthetic_4x12.wav"))
    ref = scipy.signal.fftconvolve(x, h)[: len(x)]
    err = np.sqrt(np.mean((y - ref) ** 2) / np.mean(ref ** 2))
    print(f"   relative error {20 * np.log10(err):.1f} dB")
    assert len(y) == len(x) and 20 * np.log10(err) < -100


@test
def a_circuit_renders_aligned_at_every_oversampling_factor():
    outs = {}
    for f in (1, 2, 8):
        o = tmp(f"clip{f}.wav")
        run("render", path("circuits/diode_clipper.yaml"), DI, o, "--set", f"oversample={f}", check=True)
        outs[f] = read_wav(o)[1]
    for f in (2, 8):
        c = scipy.signal.correlate(outs[f][:48000], outs[1][:48000], mode="full")
        lag = int(np.argmax(c)) - (48000 - 1)
        print(f"   {f}x against 1x: lag {lag} samples")
        assert lag == 0


@test
def set_changes_a_circuit_control():
    a, b = tmp("ts_a.wav"), tmp("ts_b.wav")
    run("render", path("circuits/ts808.yaml"), DI, a, "--set", "drive=0.1", check=True)
    run("render", path("circuits/ts808.yaml"), DI, b, "--set", "drive=0.9", check=True)
    ya, yb = read_wav(a)[1], read_wav(b)[1]
    assert np.sqrt(np.mean(yb ** 2)) > np.sqrt(np.mean(ya ** 2))
    p = run("render", path("circuits/ts808.yaml"), DI, b, "--set", "drive=2")
    assert p.returncode != 0 and "out of range" in p.stderr, p.stderr


@test
def a_bad_ir_is_refused_by_name():
    bad = tmp("silent.wav")
    from ptest import write_wav
    write_wav(bad, 48000, np.zeros(1000))
    p = run("render", bad, DI, tmp("x.wav"))
    assert p.returncode == 1 and bad in p.stderr and "silent" in p.stderr, p.stderr


if __name__ == "__main__":
    main()
