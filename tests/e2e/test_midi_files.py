"""MIDI mapping files through the CLI: problems in a rig's `midi:` section
come from `pytone validate` as file:line:col (positions counted by hand in
the texts below); a broken global mapping file (--midi-map) is reported with
its positions when `pytone run` starts, and the rig still plays."""
from ptest import main, run, test, tmp

RIG = """version: 1
name: midi errors
chain:
  - {id: amp, type: drive}
midi:
  channel: 0
  map:
    - {cc: 7, param: amp.volume}
    - {cc: 8, bypass: amp, mode: toggle}
"""


@test
def validate_reports_midi_problems_at_their_positions():
    path = tmp("bad_midi_rig.yaml")
    with open(path, "w") as f:
        f.write(RIG)
    p = run("validate", path)
    assert p.returncode == 1, p.stdout
    lines = p.stdout.strip().splitlines()
    print("  ", "\n   ".join(lines))
    assert lines[0].startswith(f"{path}:6:12: 'channel' must be omni or 1 .. 16"), lines
    assert lines[1].startswith(f"{path}:8:22: node 'amp' (drive) has no parameter 'volume'"), lines
    assert lines[2].startswith(f"{path}:9:34: 'mode' must be one of latching, momentary"), lines
    assert len(lines) == 3, lines


@test
def run_reports_a_broken_global_file_and_plays_on():
    path = tmp("global_midi.yaml")
    with open(path, "w") as f:
        f.write("midi:\n  map:\n    - {cc: 300, tap: true}\n")
    p = run("run", "rigs/clean.yaml", "--backend", "virtual", "--seconds", "0.5", "--no-server", "--midi-map", path,
            env={"PT_RECOVERY_FILE": tmp("rec.yaml")})
    print("  ", p.stderr.strip().replace("\n", "\n   "))
    assert p.returncode == 0, p.stderr
    assert f"{path}:3:12: 'cc' = 300 is out of range 0 .. 127" in p.stderr, p.stderr
    assert "MIDI mappings not used" in p.stderr
    assert "stats:" in p.stdout


main()
