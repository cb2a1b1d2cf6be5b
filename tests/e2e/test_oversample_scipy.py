"""test_oversample_scipy.py — the oversampler's filters against scipy.

What it checks, for 2x, 4x and 8x (build/os_probe prints the design and the
round trip's impulse response, base rate 48 kHz):
  - the minimum-phase round trip (polyphase all-pass half-bands in C) is the
    same LTI system as the half-bands' transfer functions
    H(z) = (A0(z^2) + z^-1 A1(z^2)) / 2 run in direct form by
    scipy.signal.lfilter with zero-stuffing and decimation (within 2e-6);
  - each half-band's stop band, from scipy.signal.freqz of that H(z):
    what the last down stage lets fold back into the band (25 kHz and up:
    a 5 kHz tone's 5th harmonic lands on 23 kHz) and what every other stage
    must stop, at least 60 dB down;
  - the round trip's pass band (its impulse response's DFT) is flat within
    0.01 dB to 20 kHz;
  - its group delay at low frequencies (scipy.signal.group_delay of the
    impulse response) is the declared whole-sample latency within 0.01
    samples, and the declared latency is at most 4 samples;
  - the linear-phase kind keeps its exact, flat delay (its impulse response
    is symmetric about the declared latency).
The group delay across the band is printed (minimum phase: it rises
towards 20 kHz)."""
import os
import subprocess
import sys

import numpy as np
from scipy import signal

sys.path.insert(0, os.path.dirname(__file__))
from ptest import BUILD, main, test  # noqa: E402

RATE = 48000
PROBE = os.path.join(BUILD, "os_probe")


def probe(factor, phase, n=2048):
    out = subprocess.run([PROBE, str(factor), phase, str(n)], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    head = dict(kv.split("=") for kv in out[0].split())
    d = {"latency": int(head["latency"]), "delay_hi": float(head["delay_hi"]), "up": {}, "down": {}}
    for line in out[1:]:
        w = line.split()
        if w[0] in ("up", "down"):
            d[w[0]][int(w[1])] = [float(v) for v in w[2:]]
        elif w[0] == "frac":
            d["pad"], d["frac"] = int(w[1]), float(w[2])
        elif w[0] == "ir":
            d["ir"] = np.array([float(v) for v in w[1:]])
    return d


def halfband_tf(a):
    """(b, den) of H(z) = (A0(z^2) + z^-1 A1(z^2)) / 2, a[0::2] in A0."""
    def chain(cs):
        b, den = np.array([1.0]), np.array([1.0])
        for c in cs:
            b, den = np.convolve(b, [c, 0, 1]), np.convolve(den, [1, 0, c])
        return b, den
    b0, d0 = chain(a[0::2])
    b1, d1 = chain(a[1::2])
    p, q = np.convolve(b0, d1), np.convolve(np.concatenate(([0], b1)), d0)
    n = max(len(p), len(q))
    return 0.5 * (np.pad(p, (0, n - len(p))) + np.pad(q, (0, n - len(q)))), np.convolve(d0, d1)


def reference_round_trip(d, factor, n):
    """The impulse through the same filters in direct form (scipy)."""
    x = np.zeros(n)
    x[0] = 1.0
    stages = factor.bit_length() - 1
    for k in range(stages):
        u = np.zeros(2 * len(x))
        u[::2] = 2.0 * x
        x = signal.lfilter(*halfband_tf(d["up"][k]), u)
    x = np.concatenate((np.zeros(d["pad"]), x))[:len(x)]
    x = signal.lfilter([d["frac"], 1.0], [1.0, d["frac"]], x)
    for k in reversed(range(stages)):
        x = signal.lfilter(*halfband_tf(d["down"][k]), x)[::2]
    return x


def stop_band_db(a, f_from, rate):
    f = np.linspace(f_from, rate / 2, 2000)
    _, h = signal.freqz(*halfband_tf(a), worN=f, fs=rate)
    return -20 * np.log10(np.max(np.abs(h)))


@test
def minimum_phase_round_trip_is_the_half_bands_transfer_function():
    for factor in (2, 4, 8):
        d = probe(factor, "minimum")
        ref = reference_round_trip(d, factor, len(d["ir"]))
        err = np.max(np.abs(d["ir"] - ref))
        print(f"   {factor}x: C polyphase vs scipy direct form, max difference {err:.1e}")
        assert err < 2e-6, err


@test
def half_bands_stop_what_would_fold_into_the_band():
    d = probe(8, "minimum")
    for k in range(3):
        rate = RATE * 2 ** (k + 1)
        # down: stage 0 stops from 25 kHz (folds to 23 kHz and below);
        # inner stages from (rate/2 - 24 kHz), which folds onto the base band
        dn_from = 25000 if k == 0 else rate / 2 - 24000
        # up: stage 0's image of 20 kHz is at 28 kHz; inner stages' of 24 kHz
        up_from = 28000 if k == 0 else rate / 2 - 24000
        dn, up = stop_band_db(d["down"][k], dn_from, rate), stop_band_db(d["up"][k], up_from, rate)
        print(f"   stage {k} ({rate / 1000:.0f} kHz): down {len(d['down'][k])} coefs, "
              f"{dn:.1f} dB from {dn_from / 1000:.0f} kHz; up {len(d['up'][k])} coefs, "
              f"{up:.1f} dB from {up_from / 1000:.0f} kHz")
        assert dn >= 60 and up >= 60, (k, dn, up)


@test
def round_trip_is_flat_and_its_low_frequency_delay_is_the_declared_latency():
    for factor in (2, 4, 8):
        d = probe(factor, "minimum", 8192)
        ir, lat = d["ir"], d["latency"]
        f = np.fft.rfftfreq(len(ir), 1 / RATE)
        mag = 20 * np.log10(np.abs(np.fft.rfft(ir)))
        band = mag[(f >= 20) & (f <= 20000)]
        probe_hz = [100, 1000, 5000, 10000, 15000, 20000]
        _, gd = signal.group_delay((ir, [1.0]), w=probe_hz, fs=RATE)
        print(f"   {factor}x: latency {lat} (DC delay before top-up {d['delay_hi'] / factor:.3f}),"
              f" pass band {band.min():+.4f}..{band.max():+.4f} dB, group delay "
              + ", ".join(f"{h / 1000:g} kHz {g:.2f}" for h, g in zip(probe_hz, gd)))
        assert lat <= 4
        assert np.max(np.abs(band)) < 0.01
        assert abs(gd[0] - lat) < 0.01 and abs(gd[1] - lat) < 0.01, gd


@test
def linear_phase_keeps_an_exact_flat_delay():
    d = probe(4, "linear", 1024)
    ir, lat = d["ir"], d["latency"]
    print(f"   4x linear: latency {lat}, symmetry error {np.max(np.abs(ir[:2 * lat + 1] - ir[2 * lat::-1])):.1e}")
    assert int(np.argmax(np.abs(ir))) == lat
    assert np.max(np.abs(ir[:2 * lat + 1] - ir[2 * lat::-1])) < 1e-6


if __name__ == "__main__":
    main()
