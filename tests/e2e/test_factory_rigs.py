"""Every factory rig validates and renders the DI clip to something a player
would accept: not silent, not above 0 dBFS, no NaN; and plays with at most
8 samples of declared latency (minimum-phase oversampling, issue 17)."""
import glob
import os

import numpy as np

from ptest import main, path, read_wav, run, test, tmp


@test
def every_factory_rig_validates_and_renders():
    rigs = sorted(glob.glob(path("rigs", "*.yaml")))
    assert len(rigs) >= 6, rigs
    for rig in rigs:
        if "rigs:" in open(rig).read():
            continue  # a setlist
        v = run("validate", rig)
        assert v.returncode == 0, v.stdout
        out = tmp(os.path.basename(rig) + ".wav")
        run("render", rig, path("assets/di/guitar_di.wav"), out, check=True)
        _, y = read_wav(out)
        peak = np.max(np.abs(y))
        rms = np.sqrt(np.mean(y ** 2))
        print(f"   {os.path.basename(rig):16s} peak {20*np.log10(peak):6.1f} dBFS  rms {20*np.log10(rms):6.1f} dBFS  channels {y.ndim}")
        assert np.all(np.isfinite(y)), rig
        assert peak <= 1.0, (rig, peak)
        assert rms > 10 ** (-40 / 20), (rig, rms)


@test
def every_factory_rig_declares_at_most_8_samples_of_latency():
    for rig in sorted(glob.glob(path("rigs", "*.yaml"))):
        if "rigs:" in open(rig).read():
            continue
        b = run("bench", rig, "--seconds", "0.05", check=True)
        lat = int(b.stdout.split("latency=")[1].split()[0])
        print(f"   {os.path.basename(rig):16s} latency {lat} samples")
        assert lat <= 8, (rig, lat)


if __name__ == "__main__":
    main()
