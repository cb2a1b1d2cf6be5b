"""The engine commands the web UI needs (issue #8), over the real socket.

A `pytone run --backend virtual` on a free port with a library of its own
(test_control.Server). Checks, each against a reference nobody here wrote:
  - asset_info of IRs: the waveform's min/max columns against numpy on the
    samples scipy.io.wavfile reads, the spectrum against
    scipy.signal.freqz of the same samples at the same frequencies (within
    0.1 dB; a stereo IR as the power mean of its channels), the frame count
    and rate against the file's header;
  - asset_info of a .nam: every field of the file's own "metadata" (read by
    Python's json) comes back unchanged, with its sample rate and
    architecture; of a circuit: its `circuit:` and `source:` as PyYAML reads
    them; bad and escaping paths are refused, naming the file;
  - POST /api/import: a good IR, .nam, circuit and rig land byte-identical
    where they belong and list_assets / list_rigs list them; an existing
    name is refused with 409 unless overwrite=1; a truncated .nam, a .wav
    that is not audio, a rig with errors, '../x', hidden and wrong-ending
    names, a body over 64 MiB (413) and a cross-site page (403) are refused
    with the file named, and nothing is left in the library (no temporary
    file either);
  - add_branch / remove_branch change get_rig and the sound: with a split of
    dry branches the output is the input times the sum of the branches'
    gains (1, then 1 + 10^(-6/20) with a -6 dB lane, then 1 again), read from
    the engine's meters (out RMS / in RMS); the last branch cannot go;
  - scene_delete / get_scene and set_rig_info (saved by save_rig, read back
    by PyYAML).
"""
import json
import os
import shutil
import socket
import sys
import time

import numpy as np
import scipy.io.wavfile
import scipy.signal

sys.path.insert(0, os.path.dirname(__file__))
import ptest  # noqa: E402
from ptest import SRC, main, test, tmp  # noqa: E402
from test_control import Server, ok, refused  # noqa: E402
from wsclient import WS  # noqa: E402

ptest._tests.clear()  # importing test_control registered its tests; run only ours

try:
    import yaml
except ImportError:
    yaml = None


def wav_float(path):
    """Samples as the engine reads them (libsndfile's float scaling)."""
    rate, x = scipy.io.wavfile.read(path)
    if x.dtype == np.int16:
        x = x / 32768.0
    elif x.dtype == np.int32:
        x = x / 2147483648.0
    x = np.asarray(x, dtype=np.float64)
    return rate, (x[:, None] if x.ndim == 1 else x)


def columns(x, cols):
    """min/max of every channel over column i = samples floor(i*N/cols) .. floor((i+1)*N/cols)-1."""
    n = x.shape[0]
    out = []
    for i in range(cols):
        a, b = i * n // cols, (i + 1) * n // cols
        out += [max(-1.0, min(1.0, x[a:b].min())), max(-1.0, min(1.0, x[a:b].max()))]
    return np.array(out)


def check_ir_info(s, rel, path):
    r = ok(s.command({"cmd": "asset_info", "path": rel})[1])
    rate, x = wav_float(path)
    assert r["kind"] == "ir" and r["rate"] == rate and r["channels"] == x.shape[1], r
    assert r["frames"] == x.shape[0], (r["frames"], x.shape)
    cols = min(600, x.shape[0])
    wf = np.array(r["waveform"])
    assert wf.shape == (2 * cols,), wf.shape
    err = np.max(np.abs(wf - columns(x, cols)))
    assert err < 1e-6, f"waveform differs from numpy's min/max by {err}"
    f = np.array(r["spectrum"]["freq_hz"])
    g = np.array(r["spectrum"]["gain_db"])
    want_f = 20 * 1000 ** (np.arange(200) / 199)
    want_f = want_f[want_f < rate / 2]
    assert len(f) == len(want_f) and np.allclose(f, want_f, rtol=1e-9), (len(f), f[:3])
    power = np.zeros(len(f))
    for c in range(x.shape[1]):
        _, h = scipy.signal.freqz(x[:, c], worN=f, fs=rate)
        power += np.abs(h) ** 2
    ref = 10 * np.log10(power / x.shape[1])
    diff = np.max(np.abs(g - ref))
    assert diff < 0.1, f"spectrum differs from scipy.signal.freqz by {diff:.4f} dB"
    assert abs(r["meta"]["length_ms"] - 1000 * x.shape[0] / rate) < 1e-6, r["meta"]
    return diff


def make_nam(dst, meta=None, rate=44100):
    d = json.load(open(os.path.join(SRC, "models", "a1_standard.nam")))
    d["sample_rate"] = rate
    d["metadata"] = meta or {}
    json.dump(d, open(dst, "w"))
    return d


NAM_META = {"name": "Plexi crunch", "modeled_by": "Test Bench", "gear_make": "Marshall",
            "gear_model": "1959", "gear_type": "amp", "tone_type": "crunch", "loudness": -17.5,
            "input_level_dbu": 12.2, "output_level_dbu": 10.0, "date": {"year": 2026, "month": 11}}


def setup_library(s):
    os.makedirs(os.path.join(s.lib, "irs"))
    os.makedirs(os.path.join(s.lib, "captures"))
    os.makedirs(os.path.join(s.lib, "circuits"))
    rng = np.random.default_rng(8)
    n = 3000  # a made-up cabinet-like IR: decaying filtered noise
    h = scipy.signal.lfilter([1, -0.6], [1, -1.2, 0.5], rng.standard_normal(n) * np.exp(-np.arange(n) / 400))
    h = 0.9 * h / np.max(np.abs(h))
    scipy.io.wavfile.write(os.path.join(s.lib, "irs", "made.wav"), 44100, h.astype(np.float32))
    shutil.copy(os.path.join(SRC, "irs", "plate_2s_stereo.wav"), os.path.join(s.lib, "irs"))
    make_nam(os.path.join(s.lib, "captures", "plexi.nam"), NAM_META)
    shutil.copy(os.path.join(SRC, "circuits", "ts808.yaml"), os.path.join(s.lib, "circuits"))


@test
def asset_info_matches_numpy_scipy_and_the_files_own_metadata():
    with Server() as s:
        setup_library(s)
        d1 = check_ir_info(s, "irs/made.wav", os.path.join(s.lib, "irs", "made.wav"))
        d2 = check_ir_info(s, "irs/plate_2s_stereo.wav", os.path.join(s.lib, "irs", "plate_2s_stereo.wav"))
        print(f"  spectrum vs scipy.signal.freqz: mono {d1:.2e} dB, stereo {d2:.2e} dB (limit 0.1)")
        r = ok(s.command({"cmd": "asset_info", "path": "captures/plexi.nam"})[1])
        assert r["kind"] == "nam" and r["rate"] == 44100, r
        meta = r["meta"]
        for k, v in NAM_META.items():
            if isinstance(v, dict):
                for kk, vv in v.items():
                    assert meta[f"{k}.{kk}"] == vv, (k, kk, meta)
            else:
                assert meta[k] == v, (k, meta.get(k), v)
        assert meta["architecture"] == "WaveNet" and meta["sample_rate"] == 44100, meta
        r = ok(s.command({"cmd": "asset_info", "path": "circuits/ts808.yaml"})[1])
        src = yaml.safe_load(open(os.path.join(SRC, "circuits", "ts808.yaml"))) if yaml else None
        assert r["kind"] == "circuit", r
        if src:
            assert r["meta"]["name"] == src["circuit"] and r["meta"]["source"] == src["source"], r["meta"]
        # refusals name the file and the problem
        open(os.path.join(s.lib, "irs", "text.wav"), "w").write("this is not audio\n" * 20)
        refused(s.command({"cmd": "asset_info", "path": "irs/text.wav"})[1], "irs/text.wav", "not an audio file")
        refused(s.command({"cmd": "asset_info", "path": "default.yaml"})[1], "default.yaml", "not a capture")
        refused(s.command({"cmd": "asset_info", "path": "../x.wav"})[1], "'..'")
        refused(s.command({"cmd": "asset_info", "path": "/etc/passwd"})[1], "absolute")
        refused(s.command({"cmd": "asset_info", "path": "irs/none.wav"})[1], "not in the rig library")
        os.symlink(os.path.join(SRC, "irs", "synthetic_4x12.wav"), os.path.join(s.lib, "irs", "link.wav"))
        refused(s.command({"cmd": "asset_info", "path": "irs/link.wav"})[1], "outside")


def post_import(s, query, body, origin=None):
    h = {"Content-Type": "application/octet-stream"}
    if origin:
        h["Origin"] = origin
    status, data = s.http("POST", "/api/import?" + query, body=body, headers=h)
    return status, json.loads(data)


def library_files(lib):
    out = set()
    for root, dirs, files in os.walk(lib):
        for f in files:
            if f != ".recovery.yaml":
                out.add(os.path.relpath(os.path.join(root, f), lib))
    return out


@test
def imports_are_validated_placed_and_listed():
    with Server() as s:
        rng = np.random.default_rng(3)
        src = tmp("room.wav")
        scipy.io.wavfile.write(src, 48000, (0.5 * rng.standard_normal(2000) * np.exp(-np.arange(2000) / 200)).astype(np.float32))
        wav = open(src, "rb").read()
        status, r = post_import(s, "kind=ir&name=room.wav", wav)
        assert status == 200 and r == {"ok": True, "path": "irs/room.wav"}, (status, r)
        assert open(os.path.join(s.lib, "irs", "room.wav"), "rb").read() == wav
        assets = ok(s.command({"cmd": "list_assets", "kind": "ir"})[1])["assets"]
        assert {"path": "irs/room.wav", "kind": "ir", "bytes": len(wav)} in assets, assets
        # the same name again: 409 unless overwrite=1
        status, r = post_import(s, "kind=ir&name=room.wav", wav[:-4] + b"\0\0\0\0")
        assert status == 409 and "irs/room.wav" in r["error"] and "overwrite=1" in r["error"], (status, r)
        status, r = post_import(s, "kind=auto&name=room.wav&overwrite=1", wav)
        assert status == 200 and r["path"] == "irs/room.wav", (status, r)
        # a capture, a circuit and a rig ("auto" tells a circuit from a rig by its content)
        nam = tmp("amp.nam")
        make_nam(nam, {"name": "Amp"})
        nam_bytes = open(nam, "rb").read()
        status, r = post_import(s, "kind=nam&name=amp.nam", nam_bytes)
        assert status == 200 and r["path"] == "captures/amp.nam", (status, r)
        circ = open(os.path.join(SRC, "circuits", "rc_lowpass.yaml"), "rb").read()
        status, r = post_import(s, "kind=auto&name=rc.yaml", circ)
        assert status == 200 and r["path"] == "circuits/rc.yaml", (status, r)
        rig = b"version: 1\nname: Imported\nchain:\n  - {id: cab, type: cab, ir: irs/room.wav}\n"
        status, r = post_import(s, "kind=auto&name=imported.yaml", rig)
        assert status == 200 and r["path"] == "imported.yaml", (status, r)
        kinds = {a["path"]: a["kind"] for a in ok(s.command({"cmd": "list_assets"})[1])["assets"]}
        assert kinds.get("captures/amp.nam") == "nam" and kinds.get("circuits/rc.yaml") == "circuit", kinds
        rigs = ok(s.command({"cmd": "list_rigs"})[1])["rigs"]
        assert any(x["file"] == "imported.yaml" and x.get("name") == "Imported" for x in rigs), rigs
        ok(s.command({"cmd": "load_rig", "path": "imported.yaml"})[1])
        # refusals: the file named, the problem said, nothing left behind
        before = library_files(s.lib)
        bad = [
            ("kind=nam&name=cut.nam", nam_bytes[: len(nam_bytes) // 2], 400, ["captures/cut.nam"]),
            ("kind=ir&name=text.wav", b"RIFF but not really a wave file" * 10, 400, ["irs/text.wav", "not an audio file"]),
            ("kind=auto&name=broken.yaml", b"version: 1\nname: B\nchain:\n  - {id: x, type: nosuch}\n", 400, ["broken.yaml", "nosuch"]),
            ("kind=ir&name=..%2Fx.wav", wav, 400, ["'..'"]),
            ("kind=ir&name=.hidden.wav", wav, 400, ["hidden"]),
            ("kind=ir&name=amp.nam", nam_bytes, 400, ["amp.nam", "must end in"]),
            ("kind=auto&name=notes.txt", b"hello", 400, ["notes.txt"]),
            ("kind=weird&name=x.wav", wav, 400, ["kind"]),
            ("kind=ir", wav, 400, ["name"]),
        ]
        for query, body, want, needles in bad:
            status, r = post_import(s, query, body)
            assert status == want and r["ok"] is False, (query, status, r)
            for n in needles:
                assert n in r["error"], (query, n, r["error"])
        status, r = post_import(s, "kind=ir&name=huge.wav", b"\0" * ((64 << 20) + 1))
        assert status == 413 and "huge.wav" in r["error"] and "64 MiB" in r["error"], (status, r)
        status, r = post_import(s, "kind=ir&name=evil.wav", wav, origin="http://evil.example")
        assert status == 403, (status, r)
        status, r = s.http("POST", "/api/import?kind=ir&name=evil.wav", body=wav,
                           headers={"Host": "evil.example"})
        assert status == 403, (status, r)
        # "Expect: 100-continue" (curl, for bodies over 1 MiB): refused before the body is
        # sent when too large; told to go on otherwise
        head = lambda n: (f"POST /api/import?kind=ir&name=e.wav HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\n"
                          f"Content-Length: {n}\r\nExpect: 100-continue\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
            c.sendall(head((64 << 20) + 1))
            got = b""
            while b"}" not in got:
                chunk = c.recv(4096)
                if not chunk:
                    break
                got += chunk
            got = got.decode()
            assert got.startswith("HTTP/1.1 413") and "64 MiB" in got, got
        assert library_files(s.lib) == before, library_files(s.lib) ^ before
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
            c.sendall(head(len(wav)))
            got = c.recv(4096).decode()
            assert got.startswith("HTTP/1.1 100 Continue"), got
            c.sendall(wav)
            got = b""
            while True:
                chunk = c.recv(4096)
                if not chunk:
                    break
                got += chunk
            assert b"200 OK" in got and b'"path":"irs/e.wav"' in got, got
        status, _ = s.http("GET", "/api/import?kind=ir&name=x.wav")
        assert status == 405


def out_in_ratio(ws, want, seconds=6.0):
    """out RMS / in RMS from the meters until it settles near `want`."""
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        m = ok(ws.call("get_meters"))["meters"]
        if m["in"]["rms"] > 1e-4:
            last = m["out"]["rms"] / m["in"]["rms"]
            if abs(last - want) < 0.01 * want:
                return last
        time.sleep(0.1)
    raise AssertionError(f"out/in RMS {last}, expected {want}")


@test
def branches_are_added_and_removed_and_the_sound_follows():
    with Server() as s:
        open(os.path.join(s.lib, "dry.yaml"), "w").write(
            "version: 1\nname: Dry\nchain:\n  - split:\n      id: amps\n      branches:\n        - chain: []\n")
        ws = WS(s.port)
        ok(ws.call("load_rig", path="dry.yaml"))
        out_in_ratio(ws, 1.0)
        r = ok(ws.call("add_branch", split="amps", level_db=-6))
        assert r["branch"] == 1, r
        split = ok(ws.call("get_rig"))["rig"]["chain"][0]
        assert len(split["branches"]) == 2 and split["branches"][1]["level_db"] == -6, split
        g = out_in_ratio(ws, 1 + 10 ** (-6 / 20))
        print(f"  out/in RMS with a -6 dB dry lane added: {g:.4f} (1 + 10^(-6/20) = {1 + 10 ** (-6 / 20):.4f})")
        # a lane put first, then one with a node in it, then removed again
        ok(ws.call("add_branch", split="amps", branch=0, level_db=-96))
        ok(ws.call("add_node", type="eq", node="bright", position={"split": "amps", "branch": 0}))
        ok(ws.call("scene_store", name="with_bright"))
        chain = ok(ws.call("get_rig"))["rig"]["chain"][0]["branches"]
        assert [len(b["chain"]) for b in chain] == [1, 0, 0] and chain[0]["level_db"] == -96, chain
        ok(ws.call("remove_branch", split="amps", branch=0))
        assert "bright" not in json.dumps(ok(ws.call("get_rig"))["rig"]["chain"])
        sc = ok(ws.call("get_scene", name="with_bright"))["scene"]
        assert not any(k.startswith("bright") for k in [*sc["params"], *sc["bypass"]]), sc
        assert "amps" not in sc["bypass"] and sc["bypass"] == {}, sc
        ok(ws.call("remove_branch", split="amps", branch=1))
        out_in_ratio(ws, 1.0)
        refused(ws.call("remove_branch", split="amps", branch=0), "only one branch")
        refused(ws.call("remove_branch", split="amps", branch=3), "no branch 3")
        refused(ws.call("add_branch", split="nosplit"), "no split 'nosplit'")
        refused(ws.call("add_branch", split="amps", branch=5), "0 .. 1")
        for _ in range(15):
            ok(ws.call("add_branch", split="amps"))
        refused(ws.call("add_branch", split="amps"), "at most 16")
        assert ok(ws.call("get_state"))["state"]["dirty"] is True
        ws.close()


@test
def a_circuit_shows_the_controls_its_file_has_by_the_files_names():
    """The Champ has one knob, Volume: the page gets the circuit node's other
    front-panel knobs as hidden, and a `label:` in the file renames a knob."""
    champ = open(os.path.join(SRC, "circuits", "amps", "champ_5f1.yaml")).read()
    old = "control: volume, nodes"
    assert old in champ
    with Server() as s:
        open(os.path.join(s.lib, "champ_label.yaml"), "w").write(
            champ.replace(old, "control: volume, label: Loudness, nodes"))
        open(os.path.join(s.lib, "amp.yaml"), "w").write(
            "version: 1\nname: Amp\nchain:\n  - id: amp\n    type: circuit\n"
            "    circuit: champ_label.yaml\n")
        ws = WS(s.port)
        amp = [n for n in ok(ws.call("get_rig"))["rig"]["chain"] if n.get("id") == "amp"][0]
        hidden = set(amp["hide"])
        assert {"drive", "tone", "gain", "bass", "mid", "treble", "presence", "master", "cut",
                "bright", "volume2", "resonance"} <= hidden, hidden
        assert not hidden & {"volume", "oversample", "input_gain_db", "full_scale_v"}, hidden
        assert "labels" not in amp, amp
        ok(ws.call("load_rig", path="amp.yaml"))
        amp = ok(ws.call("get_rig"))["rig"]["chain"][0]
        assert amp["labels"] == {"volume": "Loudness"}, amp
        assert "volume" not in amp["hide"], amp
        ws.close()


@test
def scenes_are_read_and_deleted_and_rig_info_is_saved():
    with Server() as s:
        ws = WS(s.port)
        ok(ws.call("set_param", node="drive", param="drive_db", value=7.5))
        ok(ws.call("set_bypass", node="gate", bypass=True))
        ok(ws.call("scene_store", name="lead"))
        sc = ok(ws.call("get_scene", name="lead"))["scene"]
        assert sc["name"] == "lead" and sc["params"]["drive.drive_db"] == 7.5 and sc["bypass"]["gate"] is True, sc
        ok(ws.call("scene_delete", name="lead"))
        assert "lead" not in ok(ws.call("get_rig"))["rig"]["scenes"]
        refused(ws.call("get_scene", name="lead"), "no scene 'lead'")
        refused(ws.call("scene_delete", name="lead"), "no scene 'lead'")
        ok(ws.call("set_rig_info", name="Renamed rig", author="Tester", tags=["a", "b c"], notes="line 1\nline 2\n"))
        rig = ok(ws.call("get_rig"))["rig"]
        assert rig["name"] == "Renamed rig" and rig["author"] == "Tester" and rig["tags"] == ["a", "b c"], rig
        refused(ws.call("set_rig_info", name=""), "empty")
        refused(ws.call("set_rig_info", tags=["x\u0001"]), "tag")
        refused(ws.call("set_rig_info"), "at least one")
        ok(ws.call("set_rig_info", author="Tester 2"))
        ok(ws.call("save_rig", path="info.yaml"))
        if yaml:
            doc = yaml.safe_load(open(os.path.join(s.lib, "info.yaml")))
            assert doc["name"] == "Renamed rig" and doc["author"] == "Tester 2", doc
            assert doc["tags"] == ["a", "b c"] and doc["notes"] == "line 1\nline 2\n", doc
        ws.close()


if __name__ == "__main__":
    main()
