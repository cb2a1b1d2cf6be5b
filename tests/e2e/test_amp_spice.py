"""test_amp_spice.py — what is common to the amplifiers: every file in
circuits/amps/ has its own test program (test_amp_NAME.py, the checks of
ampcheck.py against ngspice), the amps not ready to play still reach
ngspice's operating point, and bad amp files are refused at file:line:col."""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from ptest import main, path, run, test, tmp  # noqa: E402
import ampcheck  # noqa: E402

AMPS = sorted(glob.glob(path("circuits", "amps", "*.yaml")))
# amps that load and reach their operating point but are not ready to play (see their README)
EXPERIMENTAL = sorted(glob.glob(path("tests", "data", "amps_wip", "*.yaml")))


@test
def there_are_amps():
    names = [os.path.basename(a) for a in AMPS]
    print("   amps:", ", ".join(names))
    assert "champ_5f1.yaml" in names
    text = " ".join(open(p).read() for p in glob.glob(path("tests", "e2e", "test_amp_*.py")))
    for a in AMPS:
        assert "circuits/amps/" + os.path.basename(a) in text, f"{a} has no test_amp_*.py program"


@test
def unfinished_amps_reach_the_ngspice_operating_point():
    ampcheck.AMPS[:] = EXPERIMENTAL
    ampcheck.operating_point_matches_ngspice_op()


BAD = [
    ("unknown tube", "  V1A:  {type: triode, tube: 12AX7, nodes: [p1, g1, k1]}",
     "  V1A:  {type: triode, tube: 12AQ7, nodes: [p1, g1, k1]}", "unknown tube type '12AQ7'"),
    ("pentode named as triode", "  V2:   {type: pentode, tube: 6V6GT, nodes: [pa, bs, g3, k3]}",
     "  V2:   {type: pentode, tube: 12AX7, nodes: [pa, bs, g3, k3]}", "is a triode"),
    ("missing terminal", "  V2:   {type: pentode, tube: 6V6GT, nodes: [pa, bs, g3, k3]}",
     "  V2:   {type: pentode, tube: 6V6GT, nodes: [pa, bs, g3]}", "'V2' is a pentode"),
    ("part with no nodes", "  Rk1:  {type: resistor, R: 1.5k, nodes: [k1, gnd]}",
     "  Rk1:  {type: resistor, R: 1.5k}", "part 'Rk1' has no `nodes:`"),
    ("dangling node", "  Rg3:  {type: resistor, R: 220k, nodes: [g3, gnd]}",
     "  Rg3:  {type: resistor, R: 220k, nodes: [g3, gx]}", "node 'gx' is dangling"),
]


@test
def bad_amp_files_are_refused_at_file_line_col():
    src = open(path("circuits", "amps", "champ_5f1.yaml")).read()
    for what, old, new, msg in BAD:
        assert old in src, old
        bad = src.replace(old, new)
        f = tmp("bad_" + what.replace(" ", "_") + ".yaml")
        open(f, "w").write(bad)
        p = run("validate", f)
        line = bad.splitlines().index(new) + 1
        assert p.returncode != 0, what
        err = p.stderr + p.stdout
        assert msg in err, (what, err)
        assert f"{f}:{line}:" in err, (what, line, err)
        print(f"   {what}: {err.strip().splitlines()[0][len(tmp('')):]}")
    # a loop with no solution: the supply shorted by a second source of other voltage
    bad = src.replace("  Cf1:  {type: capacitor, C: 8u, nodes: [ba, gnd]}",
                      "  Cf1:  {type: capacitor, C: 8u, nodes: [ba, gnd]}\n"
                      "  Vx:   {type: voltage_source, V: 10, R: 0, nodes: [ba, gnd]}")
    f = tmp("bad_loop.yaml")
    open(f, "w").write(bad)
    p = run("validate", f)
    assert p.returncode != 0 and "Vx" in p.stderr + p.stdout, p.stderr



if __name__ == "__main__":
    main()
