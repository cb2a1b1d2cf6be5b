"""The control protocol over the real socket (docs/control-protocol.md).

A `pytone run --backend virtual` is started on a free port with a rig library
in a temporary folder; a WebSocket client written here from RFC 6455 (the
handshake's Sec-WebSocket-Accept is checked against the RFC's SHA-1 rule)
and plain HTTP drive it. Checks:
  - a whole editing session (load, set/get, bypass, add/move/remove a node,
    scenes, tempo, save) and the saved file read back by PyYAML, an
    independent YAML parser, against the values sent;
  - a second client is told about changes ({"event": "state"});
  - meters arrive to a subscriber with finite levels, per-node peaks and the
    tuner's read-outs;
  - set_asset points a node at a model in the library (saved as written);
  - hundreds of malformed/hostile messages (seeded, bounded) all get an error
    reply and change nothing: /api/state, get_rig and the library's files
    are byte-identical afterwards, and the server still answers;
  - DNS-rebinding and cross-origin requests, paths out of the library
    (.., absolute, symlinks), oversized messages and floods are refused;
  - the UI folder's files are served, nothing outside it (.., %2e%2e,
    hidden files, symlinks out);
  - a port in use is one line and exit code 2; --no-server serves nothing.
"""
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time

from ptest import BUILD, PYTONE, SRC, main, run, test, tmp
from wsclient import WS, free_port

try:  # a build without civetweb has no server to test
    if "CIVETWEB_LIBRARY-NOTFOUND" in open(os.path.join(BUILD, "CMakeCache.txt")).read():
        print("built without civetweb (libcivetweb-dev): skipped")
        sys.exit(77)
except OSError:
    pass

try:
    import yaml
except ImportError:  # python3-yaml is in scripts/deps.sh
    yaml = None



def copy_rig(src, dst):
    """Copy a factory rig elsewhere, pointing its relative asset paths
    (../irs/, ../models/, ../circuits/) at the source tree."""
    text = open(src).read()
    for folder in ("irs", "models", "circuits"):
        text = text.replace(f"../{folder}/", os.path.join(SRC, folder) + "/")
    open(dst, "w").write(text)


class Server:
    """pytone run on a free port, with a library folder of its own."""

    def __init__(self, extra=(), env=None, rig=None):
        self.lib = tmp(f"lib{random.randrange(1 << 30)}")
        os.makedirs(self.lib)
        copy_rig(os.path.join(SRC, "rigs", "default.yaml"), os.path.join(self.lib, "default.yaml"))
        rig = rig or os.path.join(self.lib, "default.yaml")
        self.port = free_port()
        # the library is the rig's folder; a recovery file of its own
        env = dict(os.environ, PT_SOURCE_DIR=SRC, PT_RECOVERY_FILE=os.path.join(self.lib, ".recovery.yaml"),
                   **(env or {}))
        self.proc = subprocess.Popen(
            [PYTONE, "run", "--backend", "virtual", "--port", str(self.port), "--seconds", "120",
             rig, *extra],
            cwd=SRC, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"pytone run exited: {self.proc.stderr.read()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the control server did not come up within 15 s")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()

    def http(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = {"Host": f"127.0.0.1:{self.port}"}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def state(self):
        status, data = self.http("GET", "/api/state")
        assert status == 200, (status, data)
        return json.loads(data)

    def command(self, msg):
        body = msg if isinstance(msg, (bytes, str)) else json.dumps(msg)
        status, data = self.http("POST", "/api/command", body=body,
                                 headers={"Content-Type": "application/json"})
        return status, json.loads(data)


def ok(r):
    assert r.get("ok") is True, r
    return r


def refused(r, *needles):
    assert r.get("ok") is False and isinstance(r.get("error"), str) and r["error"], r
    for n in needles:
        assert n in r["error"], (n, r["error"])
    return r


def param_of(rig, node, param):
    """A parameter value from get_rig, wherever the node sits in it."""
    def walk(j):
        if isinstance(j, dict):
            if j.get("id") == node and isinstance(j.get("params"), dict):
                return j["params"].get(param)
            for v in j.values():
                r = walk(v)
                if r is not None:
                    return r
        elif isinstance(j, list):
            for v in j:
                r = walk(v)
                if r is not None:
                    return r
        return None
    return walk(rig)


def yaml_nodes(doc):
    """{id: node mapping} for every node in a rig file's chain (splits too)."""
    out = {}

    def chain(items):
        for it in items or []:
            if "split" in it:
                for b in it["split"].get("branches", []):
                    chain(b.get("chain"))
            else:
                out[it["id"]] = it
    chain(doc.get("chain"))
    return out


# ---------------------------------------------------------------- the tests

@test
def state_answers_with_the_pinned_fields():
    with Server() as s:
        st = s.state()
        assert st["rig"] == "Default", st  # rigs/default.yaml's name
        assert st["scene"] is None and st["tempo"] == 120, st
        assert isinstance(st["dsp_load_p99"], (int, float)) and st["dsp_load_p99"] >= 0, st
        # only the engine's own overruns are its fault (a loaded machine may hold it up)
        assert st["overruns_engine"] == 0, st
        assert st["overruns"] == st["overruns_engine"] + st["overruns_machine"] + st["overruns_unknown"], st
        assert "canary" in st["attribution"], st
        status, page = s.http("GET", "/")
        assert status == 200 and b"<html" in page.lower(), (status, page[:200])


@test
def an_editing_session_over_the_websocket_is_saved_as_sent():
    with Server() as s:
        ws = WS(s.port)
        assert ws.ok, ws.response
        h = ok(ws.call("hello"))
        assert h["protocol"] == 1
        # every command the document lists (its "### " tables) is known, and no other
        doc = open(os.path.join(SRC, "docs", "control-protocol.md")).read()
        documented = set(re.findall(r"^\| `([a-z_]+)` +\|", doc, re.M)) - {"position"}  # the positions table's header
        assert documented == set(h["commands"]), (documented ^ set(h["commands"]))
        examples = set(re.findall(r'"cmd": "([a-z_]+)"', doc))
        assert examples >= documented, f"no example for {documented - examples}"
        ok(ws.call("load_rig", path="default.yaml"))
        ok(ws.call("set_param", node="drive", param="drive_db", value=21.5))
        assert ok(ws.call("get_param", node="drive", param="drive_db"))["value"] == 21.5
        ok(ws.call("set_param", node="presence", param="shape", value="highshelf"))
        assert ok(ws.call("get_param", node="presence", param="shape"))["choice"] == "highshelf"
        ok(ws.call("set_bypass", node="gate", bypass=True))
        ok(ws.call("add_node", type="eq", node="tilt", position={"after": "drive"}))
        ok(ws.call("set_param", node="tilt", param="gain_db", value=-3))
        ok(ws.call("add_node", type="level", node="trim"))
        ok(ws.call("move", node="trim", position={"before": "gate"}))
        ok(ws.call("remove", node="cab"))
        ok(ws.call("scene_select", name="clean"))  # default.yaml: drive_db 2, level_db -2
        assert ok(ws.call("get_param", node="drive", param="drive_db"))["value"] == 2
        assert s.state()["scene"] == "clean"
        ok(ws.call("set_param", node="drive", param="level_db", value=-4.25))
        ok(ws.call("scene_store", name="clean"))
        ok(ws.call("scene_rename", **{"from": "crunch", "to": "lead"}))
        ok(ws.call("set_tempo", bpm=97))
        assert s.state()["tempo"] == 97
        rig = ok(ws.call("get_rig"))["rig"]
        assert param_of(rig, "tilt", "gain_db") == -3, rig
        ok(ws.call("save_rig", path="saved.yaml"))
        ws.close()
        saved = os.path.join(s.lib, "saved.yaml")
        assert os.path.exists(saved)
        assert run("validate", saved).returncode == 0
    if yaml is None:
        return
    doc = yaml.safe_load(open(saved))
    nodes = yaml_nodes(doc)
    assert list(nodes) == ["trim", "gate", "drive", "tilt", "amp", "presence"], list(nodes)
    assert nodes["drive"]["params"]["drive_db"] == 2, nodes["drive"]
    assert nodes["drive"]["params"]["level_db"] == -4.25, nodes["drive"]
    assert nodes["tilt"]["type"] == "eq" and nodes["tilt"]["params"]["gain_db"] == -3
    assert nodes["presence"]["params"]["shape"] == "highshelf"
    assert nodes["gate"].get("bypass") is True
    assert doc["tempo_bpm"] == 97
    scenes = {sc["name"]: sc for sc in doc["scenes"]}
    assert set(scenes) == {"clean", "lead"}, scenes
    assert scenes["clean"]["params"]["drive.level_db"] == -4.25, scenes["clean"]


@test
def an_asset_from_the_library_replaces_a_nodes_model():
    with Server() as s:
        os.makedirs(os.path.join(s.lib, "captures"))
        for name in ("a.nam", "captures/b.nam"):
            shutil.copy(os.path.join(SRC, "models", "a1_standard.nam"), os.path.join(s.lib, name))
        open(os.path.join(s.lib, "amp.yaml"), "w").write(
            "version: 1\nname: Amp\nchain:\n  - {id: amp, type: nam, model: a.nam}\n")
        ws = WS(s.port)
        ok(ws.call("load_rig", path="amp.yaml"))
        ok(ws.call("set_asset", node="amp", asset="model", path="captures/b.nam"))
        refused(ws.call("set_asset", node="amp", asset="model", path="missing.nam"), "not in the rig library")
        refused(ws.call("set_asset", node="amp", asset="model", path="../a.nam"), "'..'")
        refused(ws.call("set_asset", node="amp", asset="ir", path="a.nam"), "ir")
        ok(ws.call("save_rig"))
        ws.close()
    if yaml is not None:
        doc = yaml.safe_load(open(os.path.join(s.lib, "amp.yaml")))
        assert yaml_nodes(doc)["amp"]["model"] == "captures/b.nam", doc


@test
def a_node_with_a_file_is_added_from_the_library():
    with Server() as s:
        os.makedirs(os.path.join(s.lib, "irs"))
        shutil.copy(os.path.join(SRC, "irs", "synthetic_4x12.wav"), os.path.join(s.lib, "irs", "x.wav"))
        ws = WS(s.port)
        # without its IR a cab cannot be built: refused, nothing changes
        before = ok(ws.call("get_rig"))["rig"]
        refused(ws.call("add_node", type="cab", node="cab2"), "needs 'ir'")
        refused(ws.call("add_node", type="cab", node="cab2", assets={"ir": "../../etc/passwd"}))
        refused(ws.call("add_node", type="cab", node="cab2", assets={"model": "irs/x.wav"}), "no asset 'model'")
        assert ok(ws.call("get_rig"))["rig"] == before
        ok(ws.call("add_node", type="cab", node="cab2", assets={"ir": "irs/x.wav"}, position={"after": "drive"}))
        rig = ok(ws.call("get_rig"))["rig"]
        ids = [n.get("id") for n in rig["chain"]]
        assert ids[ids.index("drive") + 1] == "cab2", ids
        cab = [n for n in rig["chain"] if n.get("id") == "cab2"][0]
        assert cab["assets"]["ir"] == "irs/x.wav", cab
        ws.close()


@test
def rig_files_are_renamed_copied_deleted_and_restored():
    with Server() as s:
        ws = WS(s.port)
        lib = s.lib
        ok(ws.call("copy_rig", **{"from": "default.yaml", "to": "mine.yaml"}))
        assert run("validate", os.path.join(lib, "mine.yaml")).returncode == 0
        refused(ws.call("copy_rig", **{"from": "default.yaml", "to": "mine.yaml"}), "already exists")
        refused(ws.call("copy_rig", **{"from": "default.yaml", "to": "../escape.yaml"}))
        refused(ws.call("rename_rig", **{"from": "ghost.yaml", "to": "x.yaml"}))
        ok(ws.call("rename_rig", **{"from": "mine.yaml", "to": "gig.yaml"}))
        assert not os.path.exists(os.path.join(lib, "mine.yaml")) and os.path.exists(os.path.join(lib, "gig.yaml"))
        ok(ws.call("delete_rig", path="gig.yaml"))
        assert not os.path.exists(os.path.join(lib, "gig.yaml"))
        trash = ok(ws.call("list_trash"))["rigs"]
        assert [t["file"] for t in trash] == ["gig.yaml"], trash
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", trash[0]["deleted"]), trash
        files = [r["file"] for r in ok(ws.call("list_rigs"))["rigs"]]
        assert "gig.yaml" not in files  # the trash is not in the library listing
        refused(ws.call("restore_rig", path="../default.yaml"), "file name")
        refused(ws.call("restore_rig", path="nothing.yaml"), "no 'nothing.yaml'")
        assert ok(ws.call("restore_rig", path="gig.yaml"))["path"] == "gig.yaml"
        assert os.path.exists(os.path.join(lib, "gig.yaml"))
        # renaming the rig that plays: a later save goes to the new name
        ok(ws.call("rename_rig", **{"from": "default.yaml", "to": "renamed.yaml"}))
        ok(ws.call("set_tempo", bpm=133))
        ok(ws.call("save_rig"))
        assert not os.path.exists(os.path.join(lib, "default.yaml"))
        assert "tempo_bpm: 133" in open(os.path.join(lib, "renamed.yaml")).read()
        ws.close()


@test
def eq_response_is_the_engines_response():
    # reference: the RBJ peak's analytic magnitude (prototype at the bilinear-
    # warped frequency), as in tests/unit/test_dsp_eq.c
    import math
    with Server() as s:
        ws = WS(s.port)
        r = ok(ws.call("eq_response", node="presence", points=64))
        f, g = r["freq_hz"], r["gain_db"]
        assert len(f) == 64 and abs(f[0] - 20) < 1e-9 and abs(f[-1] - 20000) < 1e-6
        f0, q, gain = 2500.0, 0.8, 2.0  # rigs/default.yaml's presence band
        A = 10 ** (gain / 40)
        for fi, gi in zip(f, g):
            w = 1j * math.tan(math.pi * fi / 48000) / math.tan(math.pi * f0 / 48000)
            want = 20 * math.log10(abs((w * w + w * (A / q) + 1) / (w * w + w / (A * q) + 1)))
            assert abs(gi - want) < 0.05, (fi, gi, want)
        refused(ws.call("eq_response", node="ghost"), "no node 'ghost'")
        refused(ws.call("eq_response", node="presence", points=5))
        assets = ok(ws.call("list_assets"))["assets"]
        assert all(a["kind"] in ("nam", "ir", "circuit") for a in assets), assets
        refused(ws.call("list_assets", kind="mp3"), "kind must be")
        m = ws.call("get_midi")
        assert m.get("ok") or "MIDI is not running" in m.get("error", ""), m
        ws.close()


@test
def setlist_slots_are_selected_by_number():
    # the factory setlist, its rigs beside it: the library is rigs/ (read only here)
    gig = yaml.safe_load(open(os.path.join(SRC, "rigs", "gig.yaml"))) if yaml else None
    with Server(rig=os.path.join(SRC, "rigs", "default.yaml")) as s:
        ws = WS(s.port)
        names = [r["file"] for r in ok(ws.call("list_rigs"))["rigs"]]
        assert "gig.yaml" in names and "crunch.yaml" in names, names
        ok(ws.call("load_rig", path="gig.yaml"))
        st = s.state()
        assert st["slot"] == 0 and st["slots"] == 5, st
        ok(ws.call("select_slot", slot=2))
        st = s.state()
        assert st["slot"] == 2, st
        if gig:
            third = yaml.safe_load(open(os.path.join(SRC, "rigs", gig["rigs"][2])))
            assert st["rig"] == third["name"], (st["rig"], third["name"])
        refused(ws.call("select_slot", slot=5), "does not exist")
        assert s.state()["slot"] == 2
        ws.close()


@test
def a_second_client_hears_about_changes():
    with Server() as s:
        a, b = WS(s.port), WS(s.port)
        assert a.ok and b.ok
        ok(b.call("hello"))  # b is registered
        ok(a.call("set_tempo", bpm=133))
        end = time.time() + 5
        seen = None
        while time.time() < end and seen is None:
            m = b.recv_json(timeout=5)
            if m.get("event") == "state" and m["state"]["tempo"] == 133:
                seen = m
        assert seen, "no state event with the new tempo reached the other client"
        assert "rig" in seen
        # a fast run of changes: the other client ends on the last one
        for bpm in range(100, 160):
            ok(a.call("set_tempo", bpm=bpm))
        ev = b.events("state", 1.0)
        assert ev and ev[-1]["state"]["tempo"] == 159, [e["state"]["tempo"] for e in ev]
        print(f"     60 tempo changes reached the other client as {len(ev)} state events")
        a.close(), b.close()


@test
def meters_reach_a_subscriber():
    with Server() as s:
        ws = WS(s.port)
        ok(ws.call("add_node", type="tuner", node="tuner", position={"before": "gate"}))
        r = ok(ws.call("subscribe", meters=True, meters_hz=30, state=False))
        assert r["meters"] is True and r["meters_hz"] == 30
        ev = ws.events("meters", 1.0)
        assert len(ev) >= 5, f"{len(ev)} meter events in 1 s at 30 Hz"
        for e in ev:
            m = e["meters"]
            for side in ("in", "out"):
                for k in ("peak", "rms"):
                    v = m[side][k]
                    assert isinstance(v, (int, float)) and 0 <= v < 100, m
        # the virtual device plays a DI clip, so something reaches the output
        assert max(e["meters"]["out"]["peak"] for e in ev) > 0, ev[-1]
        # per-node peaks, and the tuner's read-outs
        assert {"gate", "drive", "tuner"} <= set(ev[-1]["meters"]["nodes"]), ev[-1]
        tuner = ev[-1]["meters"]["readouts"]["tuner"]
        assert all(isinstance(tuner[k], (int, float)) for k in ("freq_hz", "cents")), tuner
        ok(ws.call("subscribe", meters=False))
        ws.events("meters", 0.2)  # drain what was already on its way
        assert not ws.events("meters", 0.5), "meters kept coming after unsubscribing"
        status, r = s.command({"cmd": "subscribe", "meters": True})
        assert status == 400 and "WebSocket" in r["error"], r
        ws.close()


# -- malformed and hostile messages --------------------------------------

TEMPLATES = [
    {"cmd": "set_param", "node": "drive", "param": "drive_db", "value": 12},
    {"cmd": "set_bypass", "node": "gate", "bypass": True},
    {"cmd": "add_node", "type": "eq", "node": "newnode", "position": {"after": "drive"}},
    {"cmd": "remove", "node": "gate"},
    {"cmd": "move", "node": "gate", "position": {"after": "drive"}},
    {"cmd": "scene_select", "name": "clean"},
    {"cmd": "scene_store", "name": "stored"},
    {"cmd": "scene_rename", "from": "clean", "to": "renamed"},
    {"cmd": "set_tempo", "bpm": 140},
    {"cmd": "select_slot", "slot": 0},
    {"cmd": "load_rig", "path": "default.yaml"},
    {"cmd": "set_branch", "split": "amps", "branch": 0, "level_db": 0, "pan": 0},
    {"cmd": "add_split", "split": "sp", "branches": 2},
    {"cmd": "add_branch", "split": "amps", "branch": 0, "level_db": -6, "pan": 0},
    {"cmd": "remove_branch", "split": "amps", "branch": 0},
    {"cmd": "scene_delete", "name": "clean"},
    {"cmd": "get_scene", "name": "clean"},
    {"cmd": "asset_info", "path": "irs/x.wav"},
    {"cmd": "set_rig_info", "name": "X"},
]
WRONG = [None, [], {}, [1, 2], {"a": 1}, "text", True, 1.5, -7, "", "x" * 300]


def hostile_messages(rng, n):
    """n messages that must all be refused, each invalid by construction."""
    out = []
    gens = []

    def truncated():
        t = json.dumps(rng.choice(TEMPLATES))
        return t[: rng.randrange(0, len(t) - 1)]  # cut before the closing brace: never valid JSON

    def random_bytes():
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))

    def wrong_type():
        m = dict(rng.choice(TEMPLATES))
        keys = [k for k in m if k != "cmd"]
        k = rng.choice(keys)
        # a value of the wrong type for that field (never a valid one)
        bad = [w for w in WRONG if type(w) is not type(m[k]) or isinstance(m[k], bool) != isinstance(w, bool)]
        if k in ("value",):
            bad = [None, [], {}, "not-a-choice", True]
        m[k] = rng.choice(bad)
        return json.dumps(m)

    def missing_field():
        m = dict(rng.choice(TEMPLATES))
        req = [k for k in m if k not in ("cmd", "position")]
        del m[rng.choice(req)]
        return json.dumps(m)

    def unknown_cmd():
        return json.dumps({"cmd": rng.choice(["", "SET_PARAM", "set_param ", "rm -rf", "eval", "__proto__",
                                              "x" * rng.randrange(1, 500)]), "id": 1})

    def extra_field():
        m = dict(rng.choice(TEMPLATES))
        m[rng.choice(["extra", "__proto__", "constructor", "Cmd", "node2"])] = 1
        return json.dumps(m)

    def huge_number():
        t = rng.choice(["1e999", "-1e999", "NaN", "Infinity", "-Infinity", "1e308", "-1e308", "1e30",
                        "123456789012345678901234567890", "0x10"])
        field = rng.choice(['"value"', '"bpm"', '"slot"', '"branch"', '"level_db"', '"pan"', '"branches"'])
        cmd = {'"value"': "set_param", '"bpm"': "set_tempo", '"slot"': "select_slot", '"branch"': "set_branch",
               '"level_db"': "set_branch", '"pan"': "set_branch", '"branches"': "add_split"}[field]
        rest = {"set_param": ', "node": "drive", "param": "drive_db"',
                "set_branch": ', "split": "amps"', "add_split": ', "split": "sp2"'}.get(cmd, "")
        return f'{{"cmd": "{cmd}"{rest}, {field}: {t}}}'

    def giant_string():
        size = rng.choice([300, 5000, 70000, 200000])
        field = rng.choice(["node", "name", "path", "param", "type", "cmd", "id"])
        return json.dumps({"cmd": "set_param" if field != "cmd" else "y" * size, field: "z" * size,
                           "param": "drive_db", "value": 1})

    def deep():
        d = rng.choice([9, 50, 1000, 20000])
        inner = "[" * d + "]" * d if rng.random() < 0.5 else '{"a":' * d + "1" + "}" * d
        return rng.choice([inner, f'{{"cmd": "set_param", "node": "drive", "param": "drive_db", "value": {inner}}}'])

    def not_object():
        return rng.choice(["[]", "1", '"set_param"', "null", "true", '[{"cmd": "set_tempo", "bpm": 100}]', "", " "])

    def out_of_range():
        return json.dumps(rng.choice([
            {"cmd": "set_param", "node": "drive", "param": "drive_db", "value": 1000},
            {"cmd": "set_param", "node": "drive", "param": "drive_db", "value": -1000},
            {"cmd": "set_param", "node": "drive", "param": "oversample", "value": 7},
            {"cmd": "set_param", "node": "drive", "param": "oversample", "value": 0.5},
            {"cmd": "set_tempo", "bpm": 5}, {"cmd": "set_tempo", "bpm": 4000},
            {"cmd": "select_slot", "slot": 99}, {"cmd": "select_slot", "slot": -1},
            {"cmd": "select_slot", "slot": 0.5}, {"cmd": "add_split", "split": "s", "branches": 0},
            {"cmd": "add_split", "split": "s", "branches": 1000},
            {"cmd": "add_node", "type": "eq", "node": "n", "position": {"split": "nope", "branch": -1}},
        ]))

    def bad_names():
        return json.dumps(rng.choice([
            {"cmd": "set_param", "node": "drive;rm", "param": "drive_db", "value": 1},
            {"cmd": "set_param", "node": "../drive", "param": "drive_db", "value": 1},
            {"cmd": "set_param", "node": "nosuchnode", "param": "drive_db", "value": 1},
            {"cmd": "set_param", "node": "drive", "param": "nosuchparam", "value": 1},
            {"cmd": "set_param", "node": "drive", "param": "oversample", "value": "16x"},
            {"cmd": "set_param", "node": "drive", "param": "drive_db", "value": "loud"},
            {"cmd": "scene_select", "name": "no such scene"}, {"cmd": "scene_select", "name": "a\u0001b"},
            {"cmd": "scene_rename", "from": "nope", "to": "x"},
            {"cmd": "scene_rename", "from": "clean", "to": "crunch"},
            {"cmd": "add_node", "type": "nosuchtype", "node": "n"},
            {"cmd": "add_node", "type": "eq", "node": "drive"},
            {"cmd": "add_node", "type": "eq", "node": "n", "position": {"after": "nope"}},
            {"cmd": "add_node", "type": "eq", "node": "n", "position": {"after": "drive", "before": "gate"}},
            {"cmd": "remove", "node": "nosuchnode"}, {"cmd": "move", "node": "gate"},
            {"cmd": "move", "node": "gate", "position": {"after": "gate2"}},
            {"cmd": "set_bypass", "node": "nosuchnode", "bypass": True},
            {"cmd": "load_rig", "path": "../../etc/passwd"}, {"cmd": "load_rig", "path": "/etc/passwd"},
            {"cmd": "load_rig", "path": "nonexistent.yaml"}, {"cmd": "load_rig", "path": ".hidden.yaml"},
            {"cmd": "load_rig", "path": "default.yaml/.."}, {"cmd": "load_rig", "path": "a//b.yaml"},
            {"cmd": "save_rig", "path": "../escape.yaml"}, {"cmd": "save_rig", "path": "/tmp/x.yaml"},
            {"cmd": "save_rig", "path": "notyaml.txt"}, {"cmd": "save_rig", "path": "nodir/x.yaml"},
            {"cmd": "save_rig", "path": 5}, {"cmd": "save_rig", "path": "x\\..\\y.yaml"},
            {"cmd": "get_param", "node": "drive"}, {"cmd": "set_param", "id": {"a": 1}},
            {"cmd": "set_asset", "node": "drive", "asset": "ir", "path": "/etc/passwd"},
            {"cmd": "set_asset", "node": "drive", "asset": "model", "path": "default.yaml"},
            {"cmd": "add_branch", "split": "nosplit"}, {"cmd": "add_branch", "split": "drive"},
            {"cmd": "add_branch", "split": "amps", "branch": 99},
            {"cmd": "remove_branch", "split": "drive", "branch": 0},
            {"cmd": "scene_delete", "name": "no such scene"}, {"cmd": "get_scene", "name": "nope"},
            {"cmd": "asset_info", "path": "../../etc/passwd"}, {"cmd": "asset_info", "path": "/etc/passwd"},
            {"cmd": "asset_info", "path": "default.yaml"}, {"cmd": "asset_info", "path": ".x.wav"},
            {"cmd": "set_rig_info"}, {"cmd": "set_rig_info", "name": ""},
            {"cmd": "set_rig_info", "tags": "crunch"}, {"cmd": "set_rig_info", "author": "a\u0001b"},
            {"cmd": "set_rig_info", "tags": [1, 2]}, {"cmd": "set_rig_info", "notes": "x" * 20000},
        ]))

    def nul_escape():
        return rng.choice(['{"cmd": "load_rig", "path": "default.yaml\\u0000../../etc/passwd"}',
                           '{"cmd": "set_param\\u0000", "node": "drive", "param": "drive_db", "value": 1}',
                           '{"cmd": "set_tempo", "bpm": 100}\x00junk'])

    def duplicate_key():
        return rng.choice(['{"cmd": "set_tempo", "bpm": 100, "bpm": 110}',
                           '{"cmd": "set_param", "node": "drive", "node": "gate", "param": "drive_db", "value": 1}',
                           '{"cmd": "get_state", "cmd": "set_tempo", "bpm": 100}'])

    def trailing():
        return json.dumps(rng.choice(TEMPLATES)) + rng.choice([" x", "}", ",{}", " {\"cmd\":\"get_state\"}"])

    def flipped():
        # byte mutations of messages aimed at a node that does not exist, so
        # even a mutation that stays valid JSON cannot change anything
        t = bytearray(json.dumps({"cmd": "set_param", "node": "zz_no_node", "param": "drive_db", "value": 3}).encode())
        for _ in range(rng.randrange(1, 4)):
            i = rng.randrange(len(t))
            t[i] = rng.randrange(256)
        return bytes(t)

    gens = [truncated, random_bytes, wrong_type, missing_field, unknown_cmd, extra_field, huge_number,
            giant_string, deep, not_object, out_of_range, bad_names, nul_escape, duplicate_key, trailing, flipped]
    for i in range(n):
        out.append(gens[i % len(gens)]())
    rng.shuffle(out)
    return out


def snapshot(s, ws):
    st = s.state()
    for k in ("dsp_load_p50", "dsp_load_p99", "overruns", "callbacks", "overruns_engine",
              "overruns_machine", "overruns_unknown", "machine_stalls", "attribution"):
        st.pop(k, None)
    rig = ok(ws.call("get_rig"))["rig"]
    files = {}
    for root, _, names in os.walk(s.lib):
        for n in names:
            p = os.path.join(root, n)
            files[os.path.relpath(p, s.lib)] = open(p, "rb").read()
    return st, rig, files


@test
def hundreds_of_malformed_messages_change_nothing():
    rng = random.Random(20261125)
    msgs = hostile_messages(rng, 640)
    with Server() as s:
        ws = WS(s.port)
        before = snapshot(s, ws)
        t0 = time.time()
        rate_limited = 0
        for i, m in enumerate(msgs):
            raw = m if isinstance(m, bytes) else m.encode()
            if len(raw) > 65536:
                ws.send_raw(raw)
                r = ws.reply(None)
            else:
                r = ws.raw_call(raw)
            assert r.get("ok") is False and r.get("error"), (m[:200], r)
            rate_limited += "rate limit" in r["error"]
            if i % 100 == 99:
                time.sleep(0.3)  # stay under the rate limit so every message is judged
            assert time.time() - t0 < 60, "too slow"
        # half again through HTTP
        for m in msgs[:160]:
            raw = m if isinstance(m, bytes) else m.encode()
            status, data = s.http("POST", "/api/command", body=raw)
            assert status in (400, 413), (status, data[:200])
            r = json.loads(data)
            assert r["ok"] is False and r["error"], r
        after = snapshot(s, ws)
        assert rate_limited == 0, f"{rate_limited} messages were refused for rate only"
        assert after[0] == before[0], (before[0], after[0])
        assert after[1] == before[1], "get_rig changed"
        assert after[2] == before[2], "files in the library changed"
        assert ok(ws.call("hello"))["protocol"] == 1  # still answering
        ws.close()
        print(f"     {len(msgs)} WebSocket + 160 HTTP malformed messages refused in {time.time() - t0:.1f} s")


# -- security ---------------------------------------------------------------

@test
def dns_rebinding_and_cross_origin_requests_are_refused():
    with Server() as s:
        for host in (f"evil.example:{s.port}", "evil.example", f"127.0.0.1:{s.port + 1}", ""):
            status, data = s.http("GET", "/api/state", headers={"Host": host})
            assert status == 403 and b"Host" in data, (host, status, data)
        status, data = s.http("POST", "/api/command", body='{"cmd": "set_tempo", "bpm": 99}',
                              headers={"Origin": "http://evil.example"})
        assert status == 403, (status, data)
        assert s.state()["tempo"] == 120
        # the same-origin page may
        status, data = s.http("POST", "/api/command", body='{"cmd": "set_tempo", "bpm": 99}',
                              headers={"Origin": f"http://localhost:{s.port}", "Host": f"localhost:{s.port}"})
        assert status == 200, (status, data)
        for origin in ("http://evil.example", "null", f"http://127.0.0.1:{s.port}.evil.example",
                       f"https://127.0.0.1:{s.port}"):
            ws = WS(s.port, origin=origin)
            assert not ws.ok and " 403 " in ws.status_line, (origin, ws.response)
            ws.sock.close()
        ws = WS(s.port, host=f"evil.example:{s.port}")
        assert not ws.ok and " 403 " in ws.status_line, ws.response
        ws.sock.close()
        ws = WS(s.port, origin=f"http://127.0.0.1:{s.port}")
        assert ws.ok, ws.response
        ws.close()


@test
def rig_paths_stay_inside_the_library():
    with Server() as s:
        outside = tmp("outside")
        os.makedirs(outside, exist_ok=True)
        copy_rig(os.path.join(SRC, "rigs", "default.yaml"), os.path.join(outside, "other.yaml"))
        outside_text = open(os.path.join(outside, "other.yaml")).read()
        os.symlink(os.path.join(outside, "other.yaml"), os.path.join(s.lib, "link.yaml"))
        os.symlink(outside, os.path.join(s.lib, "linkdir"))
        ws = WS(s.port)
        refused(ws.call("load_rig", path="../../etc/passwd"), "'..'")
        refused(ws.call("load_rig", path="/etc/passwd"), "absolute")
        refused(ws.call("load_rig", path="link.yaml"), "outside")
        refused(ws.call("load_rig", path="linkdir/other.yaml"), "outside")
        refused(ws.call("save_rig", path="linkdir/x.yaml"), "outside")
        refused(ws.call("save_rig", path="link.yaml"), "outside")
        refused(ws.call("save_rig", path="../x.yaml"), "'..'")
        refused(ws.call("save_rig", path="/tmp/x.yaml"), "absolute")
        refused(ws.call("set_asset", node="drive", asset="ir", path="../../etc/passwd"), "'..'")
        refused(ws.call("set_asset", node="drive", asset="ir", path="/etc/passwd"), "absolute")
        refused(ws.call("set_asset", node="drive", asset="ir", path="linkdir/x.wav"))
        assert not os.path.exists(os.path.join(outside, "x.yaml"))
        assert open(os.path.join(outside, "other.yaml")).read() == outside_text
        os.makedirs(os.path.join(s.lib, "sub"))
        ok(ws.call("save_rig", path="sub/inside.yaml"))
        ok(ws.call("load_rig", path="sub/inside.yaml"))
        ws.close()
        # static files: no way out of the UI folder either
        for p in ("/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd", "/.git/config"):
            status, data = s.http("GET", p)
            assert status in (400, 403, 404) and b"root:" not in data, (p, status, data[:100])


@test
def oversized_and_flooding_messages_are_refused():
    with Server() as s:
        ws = WS(s.port)
        big = json.dumps({"cmd": "scene_store", "name": "x" * 100000})
        ws.send_raw(big)
        refused(ws.reply(None), "too large")
        # the same in fragments
        half = len(big) // 2
        ws.send_frame(0x1, big[:half].encode(), fin=False)
        ws.send_frame(0x0, big[half:].encode(), fin=True)
        refused(ws.reply(None), "too large")
        # a fragmented message within the limit is put together
        msg = json.dumps({"id": 77, "cmd": "get_state"}).encode()
        ws.send_frame(0x1, msg[:5], fin=False)
        ws.send_frame(0x0, msg[5:11], fin=False)
        ws.send_frame(0x0, msg[11:], fin=True)
        assert ok(ws.reply(77))["state"]["rig"] == "Default"
        # ping gets pong
        ws.send_frame(0x9, b"hi")
        ws.sock.settimeout(5)
        while True:
            op, data = ws.recv_frame()
            if op == 0xA:
                assert data == b"hi"
                break
        status, data = s.http("POST", "/api/command", body=big)
        assert status == 413, (status, data[:200])
        # a flood: 1500 messages sent at once; past the burst some are refused
        for i in range(1500):
            ws.send_raw(json.dumps({"id": 1000 + i, "cmd": "hello"}))
        limited = 0
        for i in range(1500):
            r = ws.recv_json()
            if "event" in r:
                continue
            limited += r.get("ok") is False and "rate limit" in r.get("error", "")
        assert limited > 0, "1500 messages at once were all accepted"
        print(f"     {limited} of 1500 flooding messages refused for rate")
        time.sleep(2.5)  # the bucket refills
        ok(ws.call("hello"))
        ws.close()


@test
def a_request_as_the_server_starts_reaches_its_handlers():
    # found by ThreadSanitizer's slower timing: civetweb listens before our
    # handlers are registered, and a request in between got civetweb's own 404.
    # The shim makes that moment 400 ms long; the server must hold such a
    # request until its handlers are in place.
    shim = os.path.join(BUILD, "libslow_handlers.so")
    with Server(env={"LD_PRELOAD": shim}) as s:
        t0 = time.time()
        status, data = s.http("GET", "/api/state")
        waited = time.time() - t0
        assert status == 200 and b'"rig"' in data, (status, data[:200])
        print(f"     a request sent inside a 400 ms gap waited {waited * 1000:.0f} ms and reached our handler")
        ws = WS(s.port)
        ok(ws.call("hello"))
        ws.close()


@test
def the_ui_folder_is_served_and_nothing_outside_it():
    ui = tmp("ui_dist")
    os.makedirs(os.path.join(ui, "assets"))
    open(os.path.join(ui, "index.html"), "w").write("<!doctype html><title>PyTone UI</title>")
    open(os.path.join(ui, "assets", "app.js"), "w").write("console.log('pytone')")
    open(os.path.join(ui, ".env"), "w").write("SECRET=1")
    secret = tmp("secret.txt")
    open(secret, "w").write("root:x:0:0")
    os.symlink(secret, os.path.join(ui, "leak.txt"))
    with Server(env={"PT_UI_DIR": ui}) as s:
        status, data = s.http("GET", "/")
        assert status == 200 and b"PyTone UI" in data, (status, data)
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        c.request("GET", "/assets/app.js", headers={"Host": f"127.0.0.1:{s.port}"})
        r = c.getresponse()
        assert r.status == 200 and r.read() == b"console.log('pytone')"
        assert r.getheader("Content-Type").startswith("text/javascript"), r.getheader("Content-Type")
        c.close()
        for p in ("/leak.txt", "/.env", "/../secret.txt", "/assets/../../secret.txt",
                  "/%2e%2e/secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/nothing.html", "/assets"):
            status, data = s.http("GET", p)
            assert status == 404 and b"root:" not in data and b"SECRET" not in data, (p, status, data[:100])
        status, _ = s.http("POST", "/index.html", body="x")
        assert status == 405


@test
def a_port_in_use_is_one_line_and_exit_code_2():
    with Server() as s:
        p = run("run", "--backend", "virtual", "--seconds", "5", "--port", s.port, timeout=30,
                env={"PT_RECOVERY_FILE": tmp("no-recovery.yaml")})
        assert p.returncode == 2, (p.returncode, p.stderr)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        assert len(lines) == 1 and str(s.port) in lines[0] and "in use" in lines[0], p.stderr


@test
def no_server_means_nothing_listens():
    port = free_port()
    proc = subprocess.Popen([PYTONE, "run", "--backend", "virtual", "--no-server", "--port", str(port),
                             "--seconds", "2"], cwd=SRC,
                            env=dict(os.environ, PT_SOURCE_DIR=SRC, PT_RECOVERY_FILE=tmp("no-recovery.yaml")),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        assert proc.poll() is None, proc.stderr.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            raise AssertionError("something listens with --no-server")
        except ConnectionRefusedError:
            pass
    finally:
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "stats:" in out


if __name__ == "__main__":
    main()
