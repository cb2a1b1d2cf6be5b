"""ampcheck.py — the checks every amplifier (circuits/amps/) passes against ngspice, on
the netlists `pytone spice` exports (the same device equations, control
positions and input), as issue #14 asks:

- DC operating point of every node: our solve (build/circuit_op) against
  ngspice's `.op`;
- small-signal response into the speaker at three control settings: ngspice's
  `.ac` (linearised at its operating point) against our response to -66 dBFS
  noise (Welch transfer estimate): within 0.5 dB from 40 Hz to 8 kHz, 1 dB to
  15 kHz;
- 100 Hz and 1 kHz sines at clean, edge-of-breakup and saturated levels:
  harmonics H2-H7 within 1 dB wherever they are above -60 dBc;
- an excerpt of the bundled DI, clean and saturated: normalised RMS error in
  the audio band <= 1 % and <= 5 %;
- sag: a 200 ms full-level burst droops the supply as ngspice does within 5 %
  and it recovers with the same time constant within 10 %;
- robust: controls at both extremes and random sweeps, input +12 dB hot: the
  output is finite and every Newton-Raphson solve converges (the worst
  iteration count is printed);
- bad circuit files refused at file:line:col naming the part.

Reference: ngspice (Debian package), batch mode. PT_AMP_FULL=1 (make
amp-check) runs the DI comparison over 5 s instead of an excerpt.

Each amp has a test program of its own, test_amp_NAME.py, that calls
main_for(its file); test_amp_spice.py checks what is common (every amp has
one, bad files, the amps not ready to play)."""
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.io.wavfile
from scipy import signal

sys.path.insert(0, os.path.dirname(__file__))
from ptest import BUILD, main, path, test, tmp  # noqa: E402
from wdfutil import band_limit, have_ngspice, run_circuit  # noqa: E402
import spiceutil  # noqa: E402

RATE = 48000
FULL = os.environ.get("PT_AMP_FULL") == "1"
AMPS = []  # set by main_for(): one amp per test program, so ctest runs them side by side
_AMP_TESTS = []


def amp_test(fn):
    _AMP_TESTS.append(fn)
    return fn


# the three control settings of the small-signal check (main_for's tone_settings)
TONE_SETTINGS = [{"volume": 0.2}, {"volume": 0.5}, {"volume": 1.0}]


# seconds of each sine of the harmonics check (main_for's harmonic_seconds)
HARMONIC_SECONDS = [0.4]

# ngspice's output written this many times per oversampled step (main_for's
# spice_substeps), band-limited before it is decimated: 1 reads the solution
# once a step, which aliases what a hard-clipped amp puts above the
# oversampled Nyquist frequency into the reference
SPICE_SUBSTEPS = [1]

# ngspice's truncation-error factor for the transient (main_for's
# spice_trtol; None: the 1 XSPICE's input filesource imposes)
SPICE_TRTOL = [None]


# the excerpts `make test` runs (main_for's short): the sine frequencies of
# the harmonics check and their length (None: harmonic_seconds), the DI's
# length (0: the DI check runs at full length only), whether the sag burst
# runs, and the length of the hot DI of the robustness check
SHORT = {"harmonic_freqs": (100.0, 1000.0), "harmonic_seconds": None, "di_seconds": 0.4,
         "sag": True, "robust_seconds": 1.0}


def main_for(*amps, tone_settings=None, harmonic_seconds=None, spice_substeps=None,
             spice_trtol=None, short=None):
    """Run every check on these circuit files (paths from the source root).
    tone_settings: the three control settings of the small-signal check
    (default: volume 0.2, 0.5 and 1.0, the other controls at half).
    harmonic_seconds: the length of each sine of the harmonics check
    (default 0.4 s; the harmonics are read from its last 10 periods).
    spice_substeps: ngspice's output points per oversampled step (default 1).
    spice_trtol: ngspice's truncation-error factor (pytone spice --trtol).
    short: what of SHORT to change outside PT_AMP_FULL=1 (an amp whose
    netlist ngspice runs slowly keeps `make test` to a shorter excerpt; make
    amp-check runs everything at full length)."""
    AMPS[:] = [path(a) for a in amps]
    if tone_settings is not None:
        TONE_SETTINGS[:] = tone_settings
    if harmonic_seconds is not None:
        HARMONIC_SECONDS[0] = harmonic_seconds
    if spice_substeps is not None:
        SPICE_SUBSTEPS[0] = spice_substeps
    SPICE_TRTOL[0] = spice_trtol
    if short and not FULL:
        SHORT.update(short)
    for fn in _AMP_TESTS:
        test(fn)
    main()
OP_TOOL = os.path.join(BUILD, "circuit_op")


# ngspice's output is band-limited without phase shift; our side is compared
# through the linear-phase oversampling filters, which do the same (the
# minimum-phase default, for playing, is checked by test_oversample_scipy.py)
LINEAR = {"oversample_phase": "linear"}


def sets(controls):
    return [f"{k}={v}" for k, v in {**controls, **LINEAR}.items()]


def write_wav(name, x):
    f = tmp(name)
    scipy.io.wavfile.write(f, RATE, np.asarray(x, np.float32))
    return f


def spice_render(circuit, controls, x, name):
    """x through the exported netlist in ngspice: the output at RATE (the
    oversampled output band-limited to 18 kHz and decimated, as
    wdfutil.compare_audio_band treats a reference)."""
    wav = write_wav(name + ".wav", x)
    out = tmp(name + ".txt")
    spiceutil.ngspice(spiceutil.export(circuit, out, wav=wav, sets=sets(controls),
                                       substeps=SPICE_SUBSTEPS[0], trtol=SPICE_TRTOL[0]),
                      timeout=14400)
    hi, f = spiceutil.read_output(out, RATE)
    hi = hi[:len(x) * f]
    if len(hi) < len(x) * f:
        hi = np.concatenate([hi, np.full(len(x) * f - len(hi), hi[-1])])
    return band_limit(hi, RATE * f)[::f]


def ours(circuit, controls, x, phase=1):
    """x through the circuit node (build/circuit_run), latency removed; with
    the linear-phase oversampling filters unless phase=0."""
    y, st = run_circuit(circuit, x, RATE, **controls, oversample_phase=phase)
    return y, st


def harmonics_dbc(y, f0, periods=10):
    n = int(round(periods * RATE / f0))
    seg = y[-n:] * signal.windows.blackmanharris(n)
    S = np.abs(np.fft.rfft(seg))
    f = np.fft.rfftfreq(n, 1 / RATE)
    def level(h):
        k = np.argmin(np.abs(f - h * f0))
        return S[max(k - 2, 0):k + 3].max()
    fund = level(1)
    return [20 * np.log10(level(h) / fund + 1e-30) for h in range(2, 8)]


def need_spice():
    if not have_ngspice():
        print("   (ngspice not installed: skipped)")
        return False
    return True


@amp_test
def operating_point_matches_ngspice_op():
    if not need_spice():
        return
    for amp in AMPS:
        p = subprocess.run([OP_TOOL, amp], capture_output=True, text=True, check=True)
        mine = dict((l.split()[0], float(l.split()[1])) for l in p.stdout.splitlines()
                    if not l.startswith("iterations"))
        out = tmp("op_" + os.path.basename(amp) + ".txt")
        silence = write_wav("silence.wav", np.zeros(64))
        spiceutil.ngspice(spiceutil.export(amp, out, wav=silence))
        ref = {k.lower(): v for k, v in spiceutil.read_op(out).items()}
        worst = (0, "")
        for node, v in mine.items():
            r = ref.get(node.lower())
            if r is None:
                continue
            err = abs(v - r)
            assert err <= max(0.01 * abs(r), 1.0), (amp, node, v, r)
            rel = err / max(abs(r), 1e-3)
            if err > 1e-6 and rel > worst[0]:
                worst = (rel, node)
        compared = sum(1 for n in mine if n.lower() in ref)
        assert compared >= len(mine) - 2, (compared, len(mine))
        print(f"   {os.path.basename(amp)}: {compared} nodes, worst {worst[1]} rel {worst[0]:.2e}")
        printed = re.findall(r"^  (\w+): ([-\d.]+)", open(amp).read().split("schematic_voltages:")[1]
                             if "schematic_voltages:" in open(amp).read() else "", re.M)
        for node, volts in printed:
            v = mine[node]
            assert abs(v - float(volts)) <= 0.1 * abs(float(volts)), (amp, node, v, volts)


TONES = np.unique(np.round(np.geomspace(40, 15000, 48))).astype(int)


def our_response(amp, controls):
    """|H(f)| in dB at TONES: a sum of small sines (each 20 uV, random
    phases) through the circuit, the last second analysed with an FFT whose
    bins fall exactly on the tones (whole numbers of hertz, 1 s window)."""
    rng = np.random.default_rng(7)
    n = int(1.6 * RATE)
    t = np.arange(n) / RATE
    ph = rng.uniform(0, 2 * np.pi, len(TONES))
    x = sum(2e-5 * np.sin(2 * np.pi * f * t + p) for f, p in zip(TONES, ph))
    y, _ = ours(amp, controls, x)
    X = np.fft.rfft(x[-RATE:])
    Y = np.fft.rfft(y[-RATE:])
    return 20 * np.log10(np.abs(Y[TONES] / X[TONES]))


def spice_ac(amp, controls):
    """ngspice's AC analysis of the exported netlist (no --input): the
    output per volt at the input, as `pytone render` scales it."""
    out = tmp("ac.txt")
    spiceutil.ngspice(spiceutil.export(amp, out, sets=sets(controls)))
    d = np.loadtxt(out)
    return d[:, 0], d[:, 1] + 1j * d[:, 2]


@amp_test
def small_signal_response_matches_ngspice_ac():
    if not need_spice():
        return
    for amp in AMPS:
        for setting in TONE_SETTINGS:
            fs, hs = spice_ac(amp, setting)
            ref_db = np.interp(np.log(TONES), np.log(fs), 20 * np.log10(np.abs(hs)))
            ours_db = our_response(amp, setting)
            d = np.abs(ours_db - ref_db)
            worst_lo = d[TONES <= 8000].max()
            worst_hi = d[TONES > 8000].max()
            print(f"   {os.path.basename(amp)} {setting}: worst {worst_lo:.2f} dB to 8 kHz, "
                  f"{worst_hi:.2f} dB to 15 kHz")
            assert worst_lo <= 0.5 and worst_hi <= 1.0, (amp, setting, worst_lo, worst_hi)


@amp_test
def harmonics_match_ngspice():
    if not need_spice():
        return
    levels = {"clean": 0.003, "edge": 0.1, "saturated": 1.0}
    jobs = []
    for amp in AMPS:
        for f0 in SHORT["harmonic_freqs"]:
            for name, a in levels.items():
                jobs.append((amp, f0, name, a))

    def one(job):
        amp, f0, name, a = job
        n = int((SHORT["harmonic_seconds"] or HARMONIC_SECONDS[0]) * RATE)
        x = a * np.sin(2 * np.pi * f0 * np.arange(n) / RATE)
        ref = spice_render(amp, {}, x, f"h_{os.path.basename(amp)}_{int(f0)}_{name}")
        y, _ = ours(amp, {}, x)
        return job, harmonics_dbc(y, f0), harmonics_dbc(ref, f0)

    with ThreadPoolExecutor(2) as ex:
        results = list(ex.map(one, jobs))
    for (amp, f0, name, a), h_ours, h_ref in results:
        diffs = [abs(o - r) for o, r in zip(h_ours, h_ref) if r > -60]
        worst = max(diffs) if diffs else 0
        print(f"   {os.path.basename(amp)} {f0:.0f} Hz {name} ({a} V): H2-H7 ref "
              + " ".join(f"{r:.1f}" for r in h_ref) + f" dBc; worst diff {worst:.2f} dB")
        assert worst <= 1.0, (amp, f0, name, h_ours, h_ref)


@amp_test
def di_clip_matches_ngspice():
    if not need_spice():
        return
    _, di = scipy.io.wavfile.read(path("assets", "di", "guitar_di.wav"))
    di = di.astype(np.float64)
    if di.ndim > 1:
        di = di[:, 0]
    seconds = 5.0 if FULL else SHORT["di_seconds"]
    if not seconds:
        print("   (a full-length check here: PT_AMP_FULL=1, make amp-check)")
        return
    start = int(1.0 * RATE)
    x = di[start:start + int(seconds * RATE)]
    for amp in AMPS:
        for name, ctl, limit in (("clean", {"volume": 0.05}, 0.01),
                                 ("saturated", {"volume": 0.8}, 0.05)):
            ref = spice_render(amp, ctl, x, f"di_{name}")
            y, st = ours(amp, ctl, x)
            a = int(0.05 * RATE)
            yb = band_limit(y, RATE)
            e = np.sqrt(np.mean((yb[a:] - ref[a:]) ** 2)) / np.sqrt(np.mean(ref[a:] ** 2))
            print(f"   {os.path.basename(amp)} DI {seconds:g} s {name}: error {100*e:.2f} % "
                  f"(limit {100*limit:g} %), rms {20*np.log10(np.sqrt(np.mean(ref**2))):.1f} dBFS")
            assert e <= limit, (amp, name, e)


def with_output(amp, node):
    """A copy of the circuit file whose output is `node` in volts."""
    text = open(amp).read()
    text = re.sub(r"(?m)^output:.*$", f"output: {{node: {node}, scale: 1}}", text)
    f = tmp(f"probe_{node}_" + os.path.basename(amp))
    open(f, "w").write(text)
    return f


def supply_node(amp):
    m = re.search(r"^  \w+:\s*\{type: voltage_source, V: [\d.]+, R: [\dk.]+, nodes: \[(\w+), gnd\]",
                  open(amp).read(), re.M)
    return m.group(1)


def droop_and_tau(v):
    rest = v[:int(0.04 * RATE)].mean()
    end_burst = int(0.25 * RATE)
    low = v[int(0.05 * RATE):end_burst + int(0.005 * RATE)].min()
    droop = rest - low
    rec = v[end_burst:]
    target = low + (1 - np.exp(-1)) * (rest - low)
    k = np.argmax(rec >= target)
    return droop, k / RATE


@amp_test
def sag_matches_ngspice():
    if not need_spice():
        return
    if not SHORT["sag"]:
        print("   (a full-length check here: PT_AMP_FULL=1, make amp-check)")
        return
    for amp in AMPS:
        node = supply_node(amp)
        probe = with_output(amp, node)
        n = int(0.75 * RATE)
        t = np.arange(n) / RATE
        x = np.where((t >= 0.05) & (t < 0.25), 1.0 * np.sin(2 * np.pi * 220 * t), 0.0)
        ref = spice_render(probe, {"volume": 1.0}, x, "sag")
        y, _ = ours(probe, {"volume": 1.0}, x)
        d_ref, tau_ref = droop_and_tau(ref)
        d_our, tau_our = droop_and_tau(y)
        print(f"   {os.path.basename(amp)} supply '{node}': droop {d_our:.2f} V (ngspice {d_ref:.2f}), "
              f"recovery {1000*tau_our:.1f} ms (ngspice {1000*tau_ref:.1f})")
        assert d_ref > 1.0, d_ref
        assert abs(d_our - d_ref) <= 0.05 * d_ref
        assert abs(tau_our - tau_ref) <= 0.10 * tau_ref


@amp_test
def robust_at_extremes_and_hot_input():
    _, di = scipy.io.wavfile.read(path("assets", "di", "guitar_di.wav"))
    di = di.astype(np.float64)
    if di.ndim > 1:
        di = di[:, 0]
    x = 4.0 * di[:int(SHORT["robust_seconds"] * RATE)]  # +12 dB over the calibrated level
    rng = np.random.default_rng(3)
    for amp in AMPS:
        text = open(amp).read()
        controls = sorted(set(re.findall(r"control: (\w+)", text)))
        worst = 0
        settings = [{c: 0.0 for c in controls}, {c: 1.0 for c in controls}]
        settings += [{c: float(rng.uniform()) for c in controls} for _ in range(3)]
        for s in settings:
            y, st = ours(amp, s, x, phase=0)
            assert np.all(np.isfinite(y)), (amp, s)
            assert st["newton_failures"] == 0, (amp, s, st)
            worst = max(worst, st["newton_iterations_max"])
        print(f"   {os.path.basename(amp)}: {len(settings)} settings at +12 dB, worst Newton "
              f"iterations {worst:.0f}, no failures")




