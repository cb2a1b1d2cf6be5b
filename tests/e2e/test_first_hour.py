"""A guitarist's first hour (issue #15): the words people read, the levels
render reports, and the messages for the cases that put a new user off.
Each check runs the real binary; references are the files themselves (the
parameter tables' generated docs, the WAV written) and numpy."""
import json
import os
import subprocess

from ptest import PYTONE, main, path, run, test, tmp


@test
def parameter_docs_are_the_tables_output():
    p = run("params", check=True)
    doc = open(path("docs", "parameters.md")).read()
    assert p.stdout == doc, "docs/parameters.md is out of date: run build/pytone params > docs/parameters.md"
    # people's words first: no label cell is an internal snake_case name
    rows = [l for l in doc.splitlines() if l.startswith("| ") and "`" in l]
    assert len(rows) >= 80, len(rows)
    for r in rows:
        label, name = [c.strip() for c in r.split("|")[1:3]]
        assert label != name.strip("`") and "_" not in label, r
    assert "| Drive | `drive_db` | 0.0 .. 24.0 dB | 12.0 dB |" in doc



@test
def run_help_and_readme_explain_the_overrun_count():
    p = run("run", "--help", check=True)
    h = p.stdout
    assert "overruns: blocks the engine did not finish in time" in h, h
    assert "click" in h and "preempted" in h and "overrun_cpu_max" in h, h
    assert "use more --frames" in h, h  # what to do about it
    readme = " ".join(open(path("README.md")).read().split())
    assert "overruns" in readme and "click or a dropout" in readme


def ui_with_path(path_dir):
    env = dict(os.environ, PATH=path_dir)
    p = subprocess.run([PYTONE, "ui", "--port", "9"], capture_output=True, text=True, env=env, timeout=30)
    lines = [l for l in (p.stdout + p.stderr).splitlines() if l.strip()]
    return p, lines


@test
def ui_without_a_browser_says_one_useful_line():
    # an xdg-open that finds no browser and says so seven times, as on a bare system
    fake = tmp("fakebin")
    os.makedirs(fake, exist_ok=True)
    opener = os.path.join(fake, "xdg-open")
    with open(opener, "w") as f:
        f.write("#!/bin/sh\nfor i in 1 2 3 4 5 6 7; do echo \"xdg-open: www-browser: not found\" >&2; done\nexit 3\n")
    os.chmod(opener, 0o755)
    p, lines = ui_with_path(fake)
    assert p.returncode == 1 and len(lines) == 1, lines
    assert "http://127.0.0.1:9/" in lines[0] and "no browser" in lines[0] and "pytone run" in lines[0], lines
    # no xdg-open at all
    p, lines = ui_with_path(tmp("empty_path"))
    assert p.returncode == 1 and len(lines) == 1 and "is not installed" in lines[0], lines


@test
def render_of_a_setlist_says_which_rig_it_renders():
    p = run("render", path("rigs/gig.yaml"), path("assets/di/guitar_di.wav"), tmp("gig.wav"), check=True)
    assert "rigs/gig.yaml is a setlist; using its first rig, 'Clean' (clean.yaml)" in p.stderr, p.stderr
    p = run("render", path("rigs/clean.yaml"), path("assets/di/guitar_di.wav"), tmp("clean.wav"), check=True)
    assert "setlist" not in p.stderr, p.stderr


@test
def newer_nam_inside_a_rig_is_reported_at_the_rigs_line():
    model = json.load(open(path("models/a1_standard.nam")))
    model["version"] = "0.9.0"
    nam = tmp("future.nam")
    json.dump(model, open(nam, "w"))
    rig = tmp("future_rig.yaml")
    open(rig, "w").write("version: 1\nname: Future\nchain:\n  - {id: gate, type: gate}\n"
                         f"  - {{id: amp, type: nam, model: {nam}}}\n")
    for cmd in (["validate", rig], ["render", rig, path("assets/di/guitar_di.wav"), tmp("f.wav")]):
        p = run(*cmd)
        assert p.returncode == 1, (cmd, p.returncode, p.stdout, p.stderr)
        out = p.stdout + p.stderr
        # line 5, column 5: where the rig declares the node
        assert f"{rig}:5:5: node 'amp'" in out and f"{nam}: .nam format version 0.9.0 is not supported" in out, out


@test
def aidax_json_given_as_rig_is_an_unsupported_model_format():
    aidax = tmp("amp.json")
    json.dump({"model_data": {"model": "SimpleRNN", "input_size": 1, "output_size": 1, "unit_type": "LSTM",
                              "num_layers": 1, "hidden_size": 16},
               "state_dict": {"rec.weight_ih_l0": [[0.0]]}}, open(aidax, "w"))
    for cmd in (["render", aidax, path("assets/di/guitar_di.wav"), tmp("a.wav")], ["validate", aidax]):
        p = run(*cmd)
        out = p.stdout + p.stderr
        assert p.returncode == 1, (cmd, out)
        assert "AIDA-X/RTNeural model (.json), a model format pytone does not play" in out, out
        assert "version" not in out, out  # not "a rig without 'version'"
    other = tmp("settings.json")
    open(other, "w").write('{"theme": "dark"}')
    p = run("validate", other)
    assert p.returncode == 1 and "a .json file is not something pytone plays" in p.stdout + p.stderr


if __name__ == "__main__":
    main()
