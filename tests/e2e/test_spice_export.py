"""test_spice_export.py — `pytone spice`: every circuit file, exported as an
ngspice netlist and run by `ngspice -b` with nothing edited, gives what
`pytone render` gives.

What it checks:
- every circuit in circuits/ (recursively), driven by a generated 0.15 s WAV
  (220 Hz + 1 kHz at three levels, 0.05 / 0.5 / 2 V peak on the 220 Hz
  part): ngspice's OUT.txt against `pytone render` of the same file, within
  1 % normalised RMS in the audio band (wdfutil.compare_audio_band: both
  low-passed at 18 kHz, the reference decimated, the start-up transient
  left out);
- --set moves a control the same way in both: the Bassman tone stack at
  treble 0.1 and 0.9 matches render at each position within 1 %, and the two
  positions differ by more than 20 %; the node's oversample, input_gain_db
  and output_gain_db (the diode clipper at 2x, +6 dB in, -10 dB out) match
  render within 1 % too;
- the DC operating point file (OUT.op.txt) of the 12AX7 stage against the
  stage's DC equations solved here by scipy (Dempwolf & Zolzer, grid
  current included): plate, cathode and grid within 0.1 %;
- without --input the netlist runs an AC analysis: the RC low-pass against
  1 / (1 + j w R C) within 1e-4;
- bad input: an unknown control, a control out of range, a missing circuit,
  a rig that is not a circuit and an output path ngspice cannot take each
  exit 2 with a message naming it, and write no netlist.

Reference: ngspice (Debian package `ngspice`) batch mode on the exported
netlist; scipy for the DC solve and the analytic response."""
import glob
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.optimize import fsolve

sys.path.insert(0, os.path.dirname(__file__))
from ptest import main, path, read_wav, run, test, tmp, write_wav  # noqa: E402
from spiceutil import export, ngspice, read_op, read_output  # noqa: E402
from wdfutil import compare_audio_band  # noqa: E402

RATE = 48000
SECONDS = 0.15
WINDOW = (0.02, 0.145)


def test_input():
    """220 Hz + 1 kHz; the level steps 0.05 -> 0.5 -> 2 V (220 Hz part) with
    10 ms ramps, so every circuit sees clean, driven and clipped stretches."""
    n = int(SECONDS * RATE)
    t = np.arange(n) / RATE
    levels = np.repeat([0.05, 0.5, 2.0], [n // 3, n // 3, n - 2 * (n // 3)])
    ramp = np.hanning(481)
    env = np.convolve(levels, ramp / ramp.sum(), mode="same")
    x = env * (np.sin(2 * np.pi * 220 * t) + 0.5 * np.sin(2 * np.pi * 1000 * t))
    x[:480] *= np.linspace(0, 1, 480)
    p = tmp("spice_in.wav")
    write_wav(p, RATE, x)
    return p, n


def render(circuit, wav, out, *sets):
    args = []
    for s in sets:
        args += ["--set", s]
    run("render", circuit, wav, out, *args, check=True)
    return read_wav(out)[1]


def spice_vs_render(jobs, wav, n):
    """jobs: (label, circuit, [CONTROL=V...]). Exports and renders each, runs
    ngspice two at a time; returns {label: (error, rms, ngspice output)}.
    Both sides oversample through the linear-phase filters: the reference is
    band-limited without phase shift, which is what the linear-phase
    decimator does (the minimum-phase default delays the top octave by about
    two samples more than DC; tests/e2e/test_oversample_scipy.py checks it)."""
    jobs = [(label, circuit, list(sets) + ["oversample_phase=linear"]) for label, circuit, sets in jobs]
    cirs = {}
    for label, circuit, sets in jobs:
        out = tmp("spice_%s.txt" % label)
        cirs[label] = (export(circuit, out, wav=wav, sets=sets), out)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(ngspice, [c for c, _ in cirs.values()]))
    res = {}
    for label, circuit, sets in jobs:
        y = render(circuit, wav, tmp("spice_%s.wav" % label), *sets)
        ref, factor = read_output(cirs[label][1], RATE)
        assert len(ref) == n * factor + 1, "%d steps for %d samples x %d" % (len(ref), n, factor)
        ref = ref[: n * factor]
        err, rms = compare_audio_band(y, ref, RATE, factor, *WINDOW)
        res[label] = (err, rms, ref)
    return res


@test
def every_circuit_matches_its_netlist_in_ngspice():
    wav, n = test_input()
    # whole amplifiers (circuits/amps/) have their own test, test_amp_spice.py
    files = sorted(f for f in glob.glob(path("circuits", "**", "*.yaml"), recursive=True)
                   if os.sep + "amps" + os.sep not in f)
    assert len(files) >= 8, files
    jobs = [(os.path.splitext(os.path.basename(f))[0], f, []) for f in files]
    res = spice_vs_render(jobs, wav, n)
    bad = []
    for label, (err, rms, _) in res.items():
        print("  %-20s error %.4f %% of rms %.4g" % (label, 100 * err, rms))
        if not (err < 0.01 and rms > 1e-3):
            bad.append("%s: %.3f %% (rms %.3g)" % (label, 100 * err, rms))
    assert not bad, "; ".join(bad)


@test
def set_moves_a_control_as_render_does():
    wav, n = test_input()
    stack = path("circuits", "bassman_tonestack.yaml")
    res = spice_vs_render([("treble_lo", stack, ["treble=0.1"]),
                           ("treble_hi", stack, ["treble=0.9"])], wav, n)
    for label, (err, rms, _) in res.items():
        print("  %-10s error %.4f %% of rms %.4g" % (label, 100 * err, rms))
        assert err < 0.01, "%s: %.3f %% off render" % (label, 100 * err)
    lo, hi = res["treble_lo"][2], res["treble_hi"][2]
    a = int(WINDOW[0] * RATE)
    diff = np.sqrt(np.mean((hi[a:] - lo[a:]) ** 2) / np.mean(lo[a:] ** 2))
    print("  treble 0.1 vs 0.9: %.1f %% apart" % (100 * diff))
    assert diff > 0.2, "treble barely changed the netlist's output (%.1f %%)" % (100 * diff)


@test
def node_settings_match_render():
    # the circuit node's other settings, as `pytone render --set` takes them:
    # a nonlinear circuit, so the input gain must come before the diodes
    wav, n = test_input()
    clip = path("circuits", "diode_clipper.yaml")
    sets = ["oversample=2", "input_gain_db=6", "output_gain_db=-10"]
    res = spice_vs_render([("settings", clip, sets), ("plain", clip, ["oversample=2"])], wav, n)
    for label, (err, rms, _) in res.items():
        print("  %-10s error %.4f %% of rms %.4g" % (label, 100 * err, rms))
        assert err < 0.01, "%s: %.3f %% off render" % (label, 100 * err)
    ratio = res["settings"][1] / res["plain"][1]
    assert 0.2 < ratio < 0.45, "output rms ratio %.3f: the gains did not apply" % ratio


@test
def operating_point_file_matches_the_triode_dc_equations():
    out = tmp("spice_op.txt")
    ngspice(export(path("circuits", "triode_12ax7.yaml"), out))
    op = read_op(out)
    # The file's 12AX7 stage at DC: 250 V through 100k to the plate, 820 ohm
    # to the cathode, the grid through 68k to 0 V (the coupling cap open).
    G, mu, gam, C, Gg, xi, Cg, Ig0 = 2.242e-3, 103.2, 1.26, 3.4, 6.177e-4, 1.314, 9.901, 8.025e-8

    def currents(vp, vg, vk):
        ig = Gg * (np.log1p(np.exp(Cg * (vg - vk))) / Cg) ** xi + Ig0
        ik = G * (np.log1p(np.exp(C * ((vp - vk) / mu + vg - vk))) / C) ** gam
        return ik - ig, ig, ik

    def f(v):
        vp, vg, vk = v
        ip, ig, ik = currents(vp, vg, vk)
        return [(250 - vp) / 100e3 - ip, -vg / 68e3 - ig, vk / 820 - ik]

    vp, vg, vk = fsolve(f, [150, 0, 1], xtol=1e-13)
    print("  ngspice p %.4f k %.5f g %.6f; scipy p %.4f k %.5f g %.6f"
          % (op["p"], op["k"], op["g"], vp, vk, vg))
    for name, want in (("p", vp), ("k", vk), ("g", vg)):
        assert abs(op[name] - want) <= 1e-3 * abs(want) + 1e-6, (name, op[name], want)


@test
def without_input_the_netlist_runs_an_ac_analysis():
    out = tmp("spice_ac.txt")
    ngspice(export(path("circuits", "rc_lowpass.yaml"), out))
    f, re, im = np.loadtxt(out).T[:3]
    h = 1.0 / (1.0 + 2j * np.pi * f * 10e3 * 10e-9)
    err = np.max(np.abs((re + 1j * im) - h))
    print("  %d points, 10 Hz .. %.0f Hz, worst %.2e" % (len(f), f[-1], err))
    assert len(f) > 100 and f[-1] >= 23999 and err < 1e-4, err


@test
def substeps_write_a_finer_grid_and_trtol_is_set():
    """--substeps 4: the output four times a step (the largest step stays one
    sample), the same signal as --substeps 1 on the shared points; --trtol 7
    writes `set xtrtol=7` (the XSPICE input source otherwise makes it 1)."""
    wav, n = test_input()
    clip = path("circuits", "diode_clipper.yaml")
    refs = {}
    for sub in (1, 4):
        out = tmp("spice_sub%d.txt" % sub)
        cir = export(clip, out, wav=wav, sets=["oversample_phase=linear"], substeps=sub,
                     trtol=7 if sub == 4 else None)
        text = open(cir).read()
        assert ("set xtrtol=7" in text) == (sub == 4), text[-600:]
        ngspice(cir)
        refs[sub] = read_output(out, RATE)
    (y1, f1), (y4, f4) = refs[1], refs[4]
    assert f4 == 4 * f1 and len(y4) == n * f4 + 1, (f1, f4, len(y4))
    a, b = y1[: n * f1], y4[: n * f4: 4]
    err = np.sqrt(np.mean((a - b) ** 2)) / np.sqrt(np.mean(a ** 2))
    print("  diode clipper: %d and %d points a sample, %.4f %% apart on the shared ones"
          % (f1, f4, 100 * err))
    assert err < 0.01, err


@test
def bad_input_is_refused_with_exit_2():
    stack = path("circuits", "bassman_tonestack.yaml")
    for args, words in ((["--set", "trebel=0.5"], ["trebel", "not a control"]),
                        (["--set", "treble=1.5"], ["treble=1.5", "0 to 1"]),
                        (["--set", "oversample=3"], ["oversample"]),
                        (["--substeps", "0"], ["--substeps", "1 to 64"]),
                        (["--trtol", "2.5"], ["--trtol", "1 to 20"])):
        p = run("spice", stack, *args)
        assert p.returncode == 2 and all(w in p.stderr for w in words), (args, p.returncode, p.stderr)
        assert p.stdout == "", "a netlist was written despite the error"
    p = run("spice", path("circuits", "no_such.yaml"))
    assert p.returncode == 2 and "no_such.yaml" in p.stderr, p.stderr
    p = run("spice", path("rigs", "default.yaml"))
    assert p.returncode == 2 and "not a circuit file" in p.stderr, p.stderr
    p = run("spice", stack, "--output", tmp("a b.txt"))
    assert p.returncode == 2 and "spaces" in p.stderr and p.stdout == "", p.stderr


if __name__ == "__main__":
    if not shutil.which("ngspice"):
        print("SKIP: ngspice is not installed")
        sys.exit(77)
    main()
