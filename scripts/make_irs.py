#!/usr/bin/python3
"""make_irs.py — make the bundled impulse responses in irs/ (run once; the
results are committed). Both are synthetic, made here, MIT licensed.

- synthetic_4x12.wav: a minimum-phase cabinet response (48 kHz, 4096 taps,
  float32) from a target magnitude typical of a closed-back 4x12 with 12"
  speakers: a 12 dB/oct high-pass near 75 Hz with a resonance at 110 Hz, a
  low-mid dip near 400 Hz, a presence rise at 2.5 kHz, a steep fall above
  5 kHz and cone break-up ripples between 3 and 8 kHz. Minimum phase through
  the real cepstrum (folding the cepstrum onto positive quefrencies).
- plate_2s_stereo.wav: a 2 s stereo plate-like tail (48 kHz, 16-bit): two
  decorrelated noises with a decay time falling from 2.2 s at low
  frequencies to 0.6 s at 10 kHz, shaped in the STFT domain.
"""
import os

import numpy as np
import scipy.io.wavfile as wavfile

RATE = 48000
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "irs")


def cab():
    n = 1 << 14
    f = np.fft.rfftfreq(n, 1 / RATE)
    f[0] = 1e-3
    db = np.zeros_like(f)
    hp = 75.0
    db += -40 * np.log10(np.sqrt(1 + (hp / f) ** 4))              # 12 dB/oct below 75 Hz
    db += 5 * np.exp(-0.5 * (np.log2(f / 110) / 0.25) ** 2)        # cabinet resonance
    db += -4 * np.exp(-0.5 * (np.log2(f / 400) / 0.5) ** 2)        # low-mid dip
    db += 5 * np.exp(-0.5 * (np.log2(f / 2500) / 0.6) ** 2)        # presence
    db += -60 * np.log10(np.sqrt(1 + (f / 5000) ** 8))             # steep fall above 5 kHz
    rng = np.random.default_rng(412)
    ripple = np.interp(np.log2(f), np.linspace(np.log2(3000), np.log2(8000), 12), rng.uniform(-4, 4, 12))
    db += np.where((f > 3000) & (f < 8000), ripple, 0)
    mag = 10 ** (db / 20)
    # minimum phase from the real cepstrum
    logmag = np.log(np.maximum(mag, 1e-9))
    cep = np.fft.irfft(logmag, n)
    fold = np.zeros(n)
    fold[0] = cep[0]
    fold[1:n // 2] = 2 * cep[1:n // 2]
    fold[n // 2] = cep[n // 2]
    h = np.fft.irfft(np.exp(np.fft.rfft(fold)), n)[:4096]
    h *= np.concatenate([np.ones(4096 - 512), np.hanning(1024)[512:]])  # fade the last 512 taps
    h /= np.sqrt(np.sum(h ** 2))  # unit energy: white noise in, same level out
    wavfile.write(os.path.join(OUT, "synthetic_4x12.wav"), RATE, h.astype(np.float32))


def plate():
    n = int(2.0 * RATE)
    rng = np.random.default_rng(7)
    hop, win = 256, 1024
    out = np.zeros((n, 2))
    t = np.arange(n) / RATE
    for ch in range(2):
        x = rng.standard_normal(n)
        y = np.zeros(n)
        w = np.hanning(win)
        freqs = np.fft.rfftfreq(win, 1 / RATE)
        rt60 = np.interp(freqs, [0, 500, 4000, 10000, 24000], [2.2, 2.0, 1.2, 0.6, 0.4])
        for start in range(0, n - win, hop):
            seg = np.fft.rfft(x[start:start + win] * w)
            tc = (start + win / 2) / RATE
            seg *= 10 ** (-3 * tc / rt60)
            y[start:start + win] += np.fft.irfft(seg, win) * w
        y *= np.minimum(1.0, t / 0.004)  # a 4 ms onset
        out[:, ch] = y
    out /= np.max(np.abs(out)) * 1.05
    wavfile.write(os.path.join(OUT, "plate_2s_stereo.wav"), RATE, (out * 32767).astype(np.int16))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    cab()
    plate()
