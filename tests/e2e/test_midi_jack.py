"""MIDI end to end on a real JACK server (jackd -d dummy, 48 kHz, 64
frames): a JACK MIDI client written for the test (tests/tools/
jack_midi_send.c) plays timed events into pytone:midi_in, each at an exact
frame, and the test reads the session state pytone writes with
--status-file. Checks:
  - Program Change selects setlist slots, Bank Select (CC 0/32) + PC a later
    slot (slot = bank * bank_size + program, docs/midi.md);
  - a CC moves a parameter along its curve: expected values from the
    documented formulas computed here with numpy (log: lo*(hi/lo)**x;
    linear: lo + (hi-lo)*x, x = cc/127);
  - a CC selects a scene (the scene's stored value is what plays);
  - four taps 500 ms apart give 120 +- 1 BPM;
  - MIDI clock, 24 pulses per quarter at 120 BPM with uniform +-1 ms jitter
    per pulse (numpy's RNG), gives 120 +- 0.5 BPM;
  - malformed input (a 3000-byte SysEx, a truncated CC, stray data bytes,
    running status) changes nothing it should not, and the next CC works;
  - a flood of 10,000 messages a second for 10 s: 0 engine overruns (the
    `stats:` line), 0 messages dropped, and the mapping still works."""
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

from ptest import BUILD, PYTONE, SRC, StderrWatch, isolate_shm, main, overrun_failures, stop, test, tmp

if not shutil.which("jackd"):
    print("jackd is not installed: skipped")
    sys.exit(77)
isolate_shm()  # a private /dev/shm: JACK's server registry fills with killed servers
SEND = os.path.join(BUILD, "jack_midi_send")
if not os.path.exists(SEND):
    print("jack_midi_send was not built: skipped")
    sys.exit(77)

SERVER = f"pytone_midi_{os.getpid()}"
os.environ.update({"JACK_DEFAULT_SERVER": SERVER, "JACK_NO_AUDIO_RESERVATION": "1",
                   "PT_JACK_NO_AUTOCONNECT": "1", "PT_SOURCE_DIR": SRC,
                   "PT_RECOVERY_FILE": tmp("recovery.yaml"), "XDG_CONFIG_HOME": tmp("config")})

RIG = """version: 1
name: Rig {i}
tempo_bpm: 100
chain:
  - {{id: tone, type: eq, params: {{shape: peak, freq_hz: 1000, gain_db: 0}}}}
  - {{id: echo, type: delay, params: {{time_ms: 300, mix: 0.3}}}}
scenes:
  - {{name: quiet, params: {{echo.mix: 0.1}}}}
  - {{name: wet, params: {{echo.mix: 0.8}}}}
midi:
  map:
    - {{cc: 7, param: tone.freq_hz, min: 100, max: 10000, curve: log}}
    - {{cc: 8, param: tone.gain_db, min: -12, max: 12}}
    - {{cc: 20, scene: wet}}
    - {{cc: 21, bypass: echo, feedback: true}}
    - {{cc: 9, param: tone.freq_hz, curve: log, feedback: true}}
"""
SETLIST = """version: 1
name: MIDI test set
rigs: [r0.yaml, r1.yaml, r2.yaml, r3.yaml, r4.yaml, r5.yaml]
midi:
  bank_size: 2
  clock: true
  map:
    - {cc: 80, tap: true}
"""
for i in range(6):
    with open(tmp(f"r{i}.yaml"), "w") as f:
        f.write(RIG.format(i=i))
with open(tmp("set.yaml"), "w") as f:
    f.write(SETLIST)

JACKD_LOG = open(tmp("jackd.log"), "w")
jackd = subprocess.Popen(["jackd", "-n", SERVER, "-d", "dummy", "-r", "48000", "-p", "64"],
                         stdout=JACKD_LOG, stderr=subprocess.STDOUT)


def wait_jackd():
    for _ in range(100):
        p = subprocess.run([PYTONE, "devices"], capture_output=True, text=True)
        if "server running" in p.stdout:
            return
        time.sleep(0.1)
    raise AssertionError("jackd did not start")


class Pytone:
    def __init__(self, seconds, *args, env=None):
        self.status = tmp(f"status_{time.time_ns()}.json")
        self.p = subprocess.Popen([PYTONE, "run", tmp("set.yaml"), "--backend", "jack", "--seconds",
                                   str(seconds), "--status-file", self.status, "--no-server", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, **(env or {})})
        self.err = StderrWatch(self.p)  # read as it comes: a failure quotes it
        self.wait(lambda s: s["rig"] == "Rig 0", 30)

    def state(self):
        try:
            with open(self.status) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    # 20 s: only a failure waits that long; a loaded 2-core machine can
    # take seconds where a quiet one takes milliseconds
    def wait(self, pred, timeout=20.0):
        t0 = time.time()
        s = None
        while time.time() - t0 < timeout:
            s = self.state()
            if s is not None and pred(s):
                return s
            if self.p.poll() is not None:
                raise AssertionError(f"pytone ended ({self.p.returncode}): {self.p.stdout.read()} {self.err.text()}")
            time.sleep(0.05)
        jack = "running" if jackd.poll() is None else f"ended ({jackd.returncode}): " + open(tmp("jackd.log")).read()[-800:]
        raise AssertionError(f"state never matched; last: {json.dumps(s)[:300] if s else s}; "
                             f"midi: {s.get('midi') if s else None}; jackd {jack}; "
                             f"pytone said: {''.join(self.err.lines)[-1500:]}")

    def finish(self):
        self.p.terminate()  # SIGTERM: pytone stops and prints its stats line
        out = self.p.stdout.read()
        self.p.wait(timeout=60)
        err = self.err.text()
        assert self.p.returncode == 0, err
        line = [l for l in out.splitlines() if l.startswith("stats:")][-1]
        return dict(kv.split("=") for kv in line.split()[1:]), err


def send(events, name="ev", target="pytone:midi_in"):
    """events: list of (t_ms, bytes); target "-": wait to be connected to."""
    path = tmp(f"{name}_{time.time_ns()}.txt")
    with open(path, "w") as f:
        for t, b in events:
            f.write(f"{t:.4f} " + " ".join(f"{x:02x}" for x in b) + "\n")
    p = subprocess.run([SEND, target, path], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr + p.stdout
    return p.stdout.strip()


def param(s, node, name):
    for n in s["rig_json"]["chain"]:
        if n.get("id") == node:
            return n["params"][name]
    raise KeyError(node)


def cc(ch, num, val):
    return bytes([0xB0 | (ch - 1), num, val])


@test
def program_changes_bank_select_ccs_scenes_taps_clock_and_bad_input():
    pt = Pytone(120)
    try:
        # Program Change 1 -> slot 1
        send([(0, bytes([0xC0, 1]))])
        s = pt.wait(lambda s: s["slot"] == 1 and s["rig"] == "Rig 1")
        print(f"   PC 1 -> slot {s['slot']} ({s['rig']})")
        # Bank Select MSB 0, LSB 2, then PC 0 -> (0*128 + 2) * 2 + 0 = slot 4
        send([(0, cc(1, 0, 0)), (1, cc(1, 32, 2)), (2, bytes([0xC0, 0]))])
        s = pt.wait(lambda s: s["slot"] == 4 and s["rig"] == "Rig 4")
        print(f"   bank 2 (size 2) + PC 0 -> slot {s['slot']} ({s['rig']})")

        # CC -> parameter along the mapped curves
        send([(0, cc(1, 7, 64)), (1, cc(1, 8, 100))])
        want_f = 100.0 * (10000.0 / 100.0) ** (64 / 127)
        want_g = -12.0 + 24.0 * 100 / 127
        s = pt.wait(lambda s: abs(param(s, "tone", "freq_hz") - want_f) < 1e-3 * want_f
                    and abs(param(s, "tone", "gain_db") - want_g) < 1e-4)
        print(f"   CC7=64 log -> freq {param(s, 'tone', 'freq_hz'):.3f} Hz (formula {want_f:.3f}); "
              f"CC8=100 linear -> gain {param(s, 'tone', 'gain_db'):.4f} dB (formula {want_g:.4f})")

        # CC -> scene
        send([(0, cc(1, 20, 127)), (5, cc(1, 20, 0))])
        s = pt.wait(lambda s: s["scene"] == "wet" and abs(param(s, "echo", "mix") - 0.8) < 1e-6)
        print(f"   CC20 -> scene {s['scene']}, echo.mix {param(s, 'echo', 'mix')}")

        # MIDI clock at 120 BPM, +-1 ms uniform jitter on every pulse, 5 s
        rig_tempo = pt.wait(lambda s: True)["rig_json"]["tempo_bpm"]
        rng = np.random.default_rng(9)
        period = 60000.0 / (120 * 24)
        ev = [(0, bytes([0xFA]))]
        for k in range(240):
            ev.append((1 + k * period + rng.uniform(-1.0, 1.0), bytes([0xF8])))
        near = lambda s: abs(s["tempo"] - 120) <= 0.5 and abs(s["midi"]["clock_bpm"] - 120) <= 0.5  # noqa: E731
        send(ev)
        s = pt.wait(lambda s: s["midi"]["tempo_source"] == "clock")
        try:
            s = pt.wait(near)
        except AssertionError:
            # a stalled virtual machine delays JACK cycles and so the pulses
            # (the estimate read 121.9 once with 91 machine stalls): the same
            # 5 s of clock once more must then land
            send(ev[1:])
            s = pt.wait(near, timeout=20.0)
        print(f"   clock 120 BPM +-1 ms jitter -> tempo {s['tempo']:.3f} (clock estimate "
              f"{s['midi']['clock_bpm']:.4f})")
        # the played tempo follows the clock; the rig's own tempo (what a save writes) stays
        assert abs(s["rig_json"]["tempo_bpm"] - rig_tempo) < 1e-3, \
            f"MIDI clock changed the rig's tempo_bpm to {s['rig_json']['tempo_bpm']} (an edit)"
        print(f"   the rig's own tempo_bpm stays {s['rig_json']['tempo_bpm']:.1f}: following a clock is not an edit")
        send([(0, bytes([0xFC]))])

        # back to bank 0 and a rig at 100 BPM (the bank stays selected until
        # changed: PC 3 in bank 2 would be slot 7, which does not exist)
        send([(0, cc(1, 32, 0)), (1, bytes([0xC0, 3]))])
        s = pt.wait(lambda s: s["slot"] == 3 and abs(s["tempo"] - 100) < 1e-3)
        taps = []
        for k in range(4):
            taps += [(k * 500.0, cc(1, 80, 127)), (k * 500.0 + 100, cc(1, 80, 0))]
        send(taps)
        s = pt.wait(lambda s: s["midi"]["tempo_source"] == "tap" and abs(s["tempo"] - 120) <= 1)
        print(f"   4 taps at 500 ms -> tempo {s['tempo']:.3f} BPM")

        # malformed input, then one good CC: only the good one counts
        before = pt.state()
        gain_before = param(before, "tone", "gain_db")
        sysex = bytes([0xF0] + [0x11] * 3000 + [0xF7])
        bad = [(0, sysex), (1, bytes([0xB0, 8])), (2, bytes([0x40, 0x40])), (3, bytes([0xF4, 0x08, 0x7F])),
               (4, bytes([0xB0, 8, 10, 8, 20])),  # running status: two CCs, the second wins
               ]
        send(bad)
        want = -12.0 + 24.0 * 20 / 127
        s = pt.wait(lambda s: abs(param(s, "tone", "gain_db") - want) < 1e-4)
        m = s["midi"]
        print(f"   bad input: sysex={m['sysex']} truncated={m['truncated']} stray={m['stray']}; "
              f"gain {gain_before:.3f} -> {param(s, 'tone', 'gain_db'):.4f} (running status value {want:.4f})")
        assert m["sysex"] >= 1 and m["truncated"] >= 1 and m["stray"] >= 2, m
    finally:
        pt.p.terminate()
        pt.p.stdout.read()
        pt.p.wait(timeout=30)


@test
def flood_of_10000_messages_a_second_for_10_s_causes_no_overrun():
    # a JACK cycle in which a stalled machine did not run pytone in time loses
    # that cycle's events in JACK itself (the server's xruns), not in pytone;
    # when the canary saw the machine stall and events were lost, once more
    if not flood_once(last_try=False):
        print("   the machine stalled and JACK lost events: once more")
        flood_once(last_try=True)


def flood_once(last_try):
    pt = Pytone(120)
    rng = np.random.default_rng(1)
    ev = []
    n = 100000
    for k in range(n):  # 10 s at 10 kHz: CC7 and CC8 alternately, random values
        t = k * 0.1
        v = int(rng.integers(0, 128))
        ev.append((t, cc(1, 7 + (k & 1), v)))
    ev.append((n * 0.1 + 10, cc(1, 8, 127)))
    try:
        out = send(ev, "flood")
        # the last CC lands, and the MIDI thread has acted on all it received
        s = pt.wait(lambda s: param(s, "tone", "gain_db") == 12.0
                    and s["midi"]["handled"] == s["midi"]["received"], 10)
        stats, err = pt.finish()
    finally:
        if pt.p.poll() is None:
            pt.p.kill()
            pt.p.wait()
    m = s["midi"]
    print(f"   {out}; received {m['received']} of {n + 1}, dropped {m['dropped']}; stats: "
          f"overruns={stats['overruns']} engine={stats['overruns_engine']} "
          f"machine={stats['overruns_machine']} unknown={stats['overruns_unknown']} "
          f"load_p99={stats['load_p99']} load_max={stats['load_max']}")
    # only overruns of the engine's own work fail (ptest.overrun_failures)
    assert not overrun_failures(stats), (overrun_failures(stats), stats)
    assert m["dropped"] == 0, m  # pytone's ring never overflowed
    lost = m["received"] < 0.99 * (n + 1)
    if lost and not last_try and int(stats["overruns_machine"]) > 0:
        return False
    assert not lost, m
    return True


@test
def midi_out_sends_current_values_on_rig_change():
    """Mappings marked feedback send their value back on pytone:midi_out when
    a rig loads: tone.freq_hz = 1000 Hz on a log curve over 20 .. 20000 Hz is
    CC round(127 * ln(1000/20) / ln(20000/20)) = 72; echo not bypassed is 127."""
    pt = Pytone(120)
    try:
        recv = subprocess.Popen([os.path.join(BUILD, "jack_midi_recv"), "pytone:midi_out", "2"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert recv.stdout.readline().strip() == "connected"
        send([(0, bytes([0xC0, 1]))])
        pt.wait(lambda s: s["slot"] == 1)
        out, err = recv.communicate(timeout=30)
        events = [l.split()[2:] for l in out.splitlines() if l.startswith("event:")]
        want9 = round(127 * np.log(1000 / 20) / np.log(20000 / 20))
        print(f"   after PC 1, pytone:midi_out sent {events} (want CC9={want9}, CC21=127)")
        assert ["b0", "09", f"{want9:02x}"] in events, events
        assert ["b0", "15", "7f"] in events, events
    finally:
        pt.p.terminate()
        pt.p.stdout.read()
        pt.p.wait(timeout=30)


@test
def controller_unplugged_and_plugged_again_reconnects():
    """A controller through RtMidi (its JACK API here, PT_MIDI_API=jack, as the
    test machine has no ALSA sequencer): the JACK client midi_send plays the
    controller; when it ends (unplugged), pytone notices, and a new one
    (plugged in again) is found and connected by itself."""
    pt = Pytone(120, "--midi", "midi_send", env={"PT_MIDI_API": "jack"})
    try:
        send([(0, bytes([0xC0, 1]))], target="-")
        s = pt.wait(lambda s: s["slot"] == 1 and s["midi"]["connected"])
        print(f"   found '{s['midi']['port']}', PC 1 -> slot {s['slot']}")
        t0 = time.time()
        s = pt.wait(lambda s: not s["midi"]["connected"], 5)
        print(f"   unplugged: noticed after {time.time() - t0:.2f} s")
        t0 = time.time()
        send([(0, bytes([0xC0, 2]))], target="-")
        s = pt.wait(lambda s: s["slot"] == 2 and s["midi"]["connected"], 5)
        print(f"   plugged in again: PC 2 -> slot {s['slot']} after {time.time() - t0:.2f} s")
    finally:
        pt.p.terminate()
        pt.p.stdout.read()
        pt.p.wait(timeout=30)


try:
    wait_jackd()
    main()
finally:
    # SIGTERM: jackd takes its name out of JACK's server registry (which
    # holds 8); a killed one leaves it there for good
    stop(jackd)
