"""Rig validation: every kind of problem is reported, all at once, each at
its exact file:line:col (the position of the offending key or value in the
file, counted from 1 as editors do)."""
import os
import textwrap

from ptest import main, path, run, test, tmp


def validate(name, text):
    f = tmp(name)
    with open(f, "w") as fh:
        fh.write(textwrap.dedent(text).lstrip("\n"))
    p = run("validate", f)
    return f, p


def expect(f, p, *lines):
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    got = p.stdout.strip().splitlines()
    want = [f"{f}:{l}" for l in lines]
    assert got == want, "\n".join(["got:"] + got + ["want:"] + want)


@test
def unknown_node_type_names_the_nearest():
    f, p = validate("t1.yaml", """
        version: 1
        name: t
        chain:
          - {id: a, type: dirve}
    """)
    expect(f, p, "4:19: unknown node type 'dirve' (did you mean 'drive'?)")


@test
def unknown_parameter_lists_the_known_ones():
    f, p = validate("t2.yaml", """
        version: 1
        name: t
        chain:
          - id: a
            type: level
            params:
              volume: 3
    """)
    expect(f, p, "7:7: unknown parameter 'volume' for node 'a' (level has: gain_db)")


@test
def out_of_range_gives_range_and_unit():
    f, p = validate("t3.yaml", """
        version: 1
        name: t
        chain:
          - id: g
            type: gate
            params: {threshold_db: 12, attack_ms: 0}
    """)
    expect(f, p,
           "6:28: g.threshold_db = 12 is out of range -96 .. 0 dB",
           "6:43: g.attack_ms = 0 is out of range 0.05 .. 50 ms")


@test
def duplicate_id_points_at_both():
    f, p = validate("t4.yaml", """
        version: 1
        name: t
        chain:
          - {id: x, type: level}
          - {id: x, type: eq}
    """)
    expect(f, p, "5:5: duplicate id 'x' (first used at line 4, column 5)")


@test
def split_without_branches():
    f, p = validate("t5.yaml", """
        version: 1
        name: t
        chain:
          - split:
              branches: []
    """)
    expect(f, p, "5:7: a split with no branch (give it at least one under 'branches')")


@test
def missing_and_wrong_version():
    f, p = validate("t6.yaml", """
        name: t
        chain: []
    """)
    expect(f, p, "1:1: missing 'version' (this program writes version 1)")
    f, p = validate("t7.yaml", """
        version: one
        name: t
        chain: []
    """)
    expect(f, p, "1:10: 'version' must be a whole number, not 'one'")


@test
def newer_version_is_refused():
    f, p = validate("t8.yaml", """
        version: 7
        name: t
        chain: []
    """)
    expect(f, p, "1:10: rig version 7 is newer than this program understands (1); update PyTone")


@test
def missing_asset_file_is_named():
    f, p = validate("t9.yaml", """
        version: 1
        name: t
        chain:
          - {id: c, type: cab, ir: no/such/ir.wav}
    """)
    expect(f, p, f"4:28: ir file 'no/such/ir.wav' not found (looked for {os.path.dirname(f)}/no/such/ir.wav)")


@test
def enum_values_and_bad_scene_references():
    f, p = validate("t10.yaml", """
        version: 1
        name: t
        chain:
          - {id: e, type: eq, params: {shape: wobble}}
        scenes:
          - name: lead
            params: {e.gain_db: 3, ghost.gain_db: 1, e.nope: 2}
            bypass: {e: maybe}
    """)
    expect(f, p,
           "4:39: e.shape: 'wobble' is not one of lowpass, highpass, bandpass, notch, peak, lowshelf, highshelf",
           "7:28: scene 'lead' names node 'ghost', which is not in the chain",
           "7:46: unknown parameter 'nope' for node 'e' (eq)",
           "8:17: bypass of 'e' must be true or false")


@test
def all_problems_at_once_and_yaml_syntax():
    f, p = validate("t11.yaml", """
        version: 1
        name: t
        colour: red
        chain:
          - {id: a, type: levl}
          - {id: a b, type: level}
    """)
    expect(f, p,
           "3:1: unknown key 'colour' in a rig (known: version, name, author, tags, tempo_bpm, notes, input_trim_db, output_level_db, chain, scenes, midi)",
           "5:19: unknown node type 'levl' (did you mean 'level'?)",
           "6:10: node id must be letters, digits, '_' or '-' (at most 63), not 'a b'")
    f, p = validate("t12.yaml", "version: 1\nname: [unclosed\n")
    assert p.returncode == 1 and p.stdout.startswith(f + ":3:1: YAML:"), p.stdout


@test
def v0_fixture_migrates_and_plays():
    p = run("validate", path("tests/data/rigs/v0_legacy.yaml"))
    assert p.returncode == 0, p.stdout
    o = tmp("v0.wav")
    run("render", path("tests/data/rigs/v0_legacy.yaml"), path("assets/di/guitar_di.wav"), o, check=True)


if __name__ == "__main__":
    main()
