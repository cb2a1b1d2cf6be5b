"""The rig library under attack (issue #16, findings 2-6 and 8), over the real socket.

A `pytone run --backend virtual` on a free port with a library of its own
(test_control.Server); an "outside" folder beside it stands for the rest of
the disk. Every name the server creates, reads, moves or lists is tried with
a link planted at it (to a file and to a folder outside, and inside), with a
FIFO and with a device; rigs loaded over the network or imported name files
outside the library. After each attempt the outside files are compared byte
for byte with what they were, and the library's links with what they
pointed at; each refusal must name the file and come within 5 s (the
server's reply), and the server must still answer afterwards. The counts
per class are printed for docs/RELIABILITY.md.
"""
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import ptest  # noqa: E402
from ptest import SRC, main, test, tmp  # noqa: E402
from test_control import Server, copy_rig, ok, refused  # noqa: E402
from wsclient import WS  # noqa: E402

ptest._tests.clear()  # importing test_control registered its tests; run only ours

COUNTS = {}


def count(cls, n=1):
    COUNTS[cls] = COUNTS.get(cls, 0) + n


def digest(path):
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(path)):
        for f in sorted(files):
            p = os.path.join(root, f)
            h.update(p.encode())
            h.update(open(p, "rb").read())
    return h.hexdigest()


def outside_folder():
    out = tmp(f"outside{os.getpid()}{time.time_ns()}")
    os.makedirs(out)
    copy_rig(os.path.join(SRC, "rigs", "clean.yaml"), os.path.join(out, "victim.yaml"))
    open(os.path.join(out, "secret.txt"), "w").write("root:x:0:0 a secret\n")
    with open(os.path.join(SRC, "irs", "synthetic_4x12.wav"), "rb") as f:
        open(os.path.join(out, "outside.wav"), "wb").write(f.read())
    return out


def quick(ws, cmd, **fields):
    """A command whose reply must come within 5 s (a hang fails the test)."""
    t0 = time.time()
    ws.sock.settimeout(5)
    r = ws.call(cmd, **fields)
    assert time.time() - t0 < 5, (cmd, fields, time.time() - t0)
    return r


@test
def links_at_every_name_the_server_writes():
    with Server() as s:
        out = outside_folder()
        before = digest(out)
        ws = WS(s.port)
        # finding 2: a link planted at save_rig's temporary name, and at its .bak
        for planted in ("mine.yaml.tmp", "mine.yaml.bak", "mine.yaml.bak.tmp"):
            os.symlink(os.path.join(out, "victim.yaml"), os.path.join(s.lib, planted))
        ok(quick(ws, "save_rig", path="mine.yaml"))
        ok(quick(ws, "save_rig", path="mine.yaml"))  # a second save: .bak made through link()
        assert os.path.isfile(os.path.join(s.lib, "mine.yaml")) and not os.path.islink(os.path.join(s.lib, "mine.yaml"))
        assert digest(out) == before, "a save wrote through a planted link"
        count("save_rig: links at PATH.tmp, PATH.bak, PATH.bak.tmp", 3)
        # a link out at the name itself, to a file and to a folder; a FIFO there
        os.symlink(os.path.join(out, "victim.yaml"), os.path.join(s.lib, "out.yaml"))
        os.symlink(out, os.path.join(s.lib, "outdir"))
        os.mkfifo(os.path.join(s.lib, "pipe.yaml"))
        refused(quick(ws, "save_rig", path="out.yaml"), "out.yaml", "outside")
        refused(quick(ws, "save_rig", path="outdir/new.yaml"), "outside")
        refused(quick(ws, "save_rig", path="pipe.yaml"), "pipe.yaml", "FIFO")
        refused(quick(ws, "copy_rig", **{"from": "default.yaml", "to": "out.yaml"}), "out.yaml")
        refused(quick(ws, "copy_rig", **{"from": "default.yaml", "to": "outdir/c.yaml"}), "outside")
        refused(quick(ws, "rename_rig", **{"from": "mine.yaml", "to": "out.yaml"}), "out.yaml")
        refused(quick(ws, "rename_rig", **{"from": "mine.yaml", "to": "outdir/m.yaml"}), "outside")
        count("save/copy/rename onto a link out, a folder link out, a FIFO", 7)
        assert digest(out) == before
        ws.close()


@test
def links_and_fifos_at_every_name_the_server_moves_or_lists():
    with Server() as s:
        out = outside_folder()
        before = digest(out)
        ws = WS(s.port)
        # finding 6: delete_rig on a link inside removes the link, never its target
        copy_rig(os.path.join(SRC, "rigs", "clean.yaml"), os.path.join(s.lib, "target.yaml"))
        target_text = open(os.path.join(s.lib, "target.yaml")).read()
        os.symlink("target.yaml", os.path.join(s.lib, "alias.yaml"))
        ok(quick(ws, "delete_rig", path="alias.yaml"))
        assert not os.path.lexists(os.path.join(s.lib, "alias.yaml"))
        assert open(os.path.join(s.lib, "target.yaml")).read() == target_text
        assert os.path.islink(os.path.join(s.lib, ".trash", "alias.yaml"))
        # a link out is not deleted (nor is what it points at)
        os.symlink(os.path.join(out, "victim.yaml"), os.path.join(s.lib, "out.yaml"))
        refused(quick(ws, "delete_rig", path="out.yaml"), "out.yaml", "outside")
        assert os.path.islink(os.path.join(s.lib, "out.yaml"))
        # rename of a link inside renames the link
        os.symlink("target.yaml", os.path.join(s.lib, "alias2.yaml"))
        ok(quick(ws, "rename_rig", **{"from": "alias2.yaml", "to": "alias3.yaml"}))
        assert os.readlink(os.path.join(s.lib, "alias3.yaml")) == "target.yaml"
        count("delete/rename of a link inside, delete of a link out", 3)
        # finding 3: .trash a link to a folder outside
        import shutil
        shutil.rmtree(os.path.join(s.lib, ".trash"))
        os.symlink(out, os.path.join(s.lib, ".trash"))
        refused(quick(ws, "delete_rig", path="target.yaml"), "trash", "link")
        assert os.path.isfile(os.path.join(s.lib, "target.yaml"))
        listed = ok(quick(ws, "list_trash"))["rigs"]
        assert listed == [], listed
        refused(quick(ws, "restore_rig", path="victim.yaml"))
        assert not os.path.exists(os.path.join(s.lib, "victim.yaml"))
        os.unlink(os.path.join(s.lib, ".trash"))
        open(os.path.join(s.lib, ".trash"), "w").write("a file, not a folder\n")
        refused(quick(ws, "delete_rig", path="target.yaml"), "trash")
        os.unlink(os.path.join(s.lib, ".trash"))
        count(".trash a link out (delete, list, restore), .trash a file", 4)
        # restore onto a link planted at the rig's old name
        ok(quick(ws, "delete_rig", path="target.yaml"))
        os.symlink(os.path.join(out, "victim.yaml"), os.path.join(s.lib, "target.yaml"))
        refused(quick(ws, "restore_rig", path="target.yaml"), "exists")
        assert os.path.islink(os.path.join(s.lib, "target.yaml"))
        # links and FIFOs inside the trash are not listed or restored
        os.symlink(os.path.join(out, "victim.yaml"), os.path.join(s.lib, ".trash", "planted.yaml"))
        os.mkfifo(os.path.join(s.lib, ".trash", "fifo.yaml"))
        names = [r["file"] for r in ok(quick(ws, "list_trash"))["rigs"]]
        assert "planted.yaml" not in names and "fifo.yaml" not in names, names
        os.unlink(os.path.join(s.lib, "target.yaml"))
        refused(quick(ws, "restore_rig", path="planted.yaml"), "no 'planted.yaml'")
        refused(quick(ws, "restore_rig", path="fifo.yaml"), "no 'fifo.yaml'")
        assert not os.path.lexists(os.path.join(s.lib, "planted.yaml"))
        count("restore onto a link, restore of a link or FIFO in the trash", 3)
        # finding 5: list_rigs with /dev/zero, a FIFO, a link out and a device under rig names
        os.symlink("/dev/zero", os.path.join(s.lib, "zero.yaml"))
        os.symlink("/dev/urandom", os.path.join(s.lib, "random.yml"))
        os.mkfifo(os.path.join(s.lib, "pipe.yaml"))
        os.symlink(os.path.join(out, "victim.yaml"), os.path.join(s.lib, "outrig.yaml"))
        open(os.path.join(s.lib, "huge.yaml"), "wb").truncate(64 << 20)  # sparse: 64 MiB of nothing
        files = [r["file"] for r in ok(quick(ws, "list_rigs"))["rigs"]]
        for bad in ("zero.yaml", "random.yml", "pipe.yaml", "outrig.yaml", "out.yaml", "huge.yaml"):
            assert bad not in files, (bad, files)
        assert "default.yaml" in files, files
        for bad in ("zero.yaml", "random.yml", "pipe.yaml"):
            refused(quick(ws, "load_rig", path=bad), bad)
        refused(quick(ws, "load_rig", path="huge.yaml"), "too large")
        ok(quick(ws, "get_state"))
        count("list_rigs with /dev/zero, /dev/urandom, a FIFO, a link out, a 64 MiB file", 5)
        count("load_rig of /dev/zero, /dev/urandom, a FIFO, a 64 MiB file", 4)
        # asset commands on FIFOs and devices
        os.makedirs(os.path.join(s.lib, "irs"), exist_ok=True)
        os.mkfifo(os.path.join(s.lib, "irs", "pipe.wav"))
        os.symlink("/dev/zero", os.path.join(s.lib, "irs", "zero.wav"))
        for p in ("irs/pipe.wav", "irs/zero.wav"):
            refused(quick(ws, "asset_info", path=p), p.split("/")[1])
            refused(quick(ws, "set_asset", node="cab", asset="ir", path=p))
            refused(quick(ws, "add_node", type="cab", node="c2", assets={"ir": p}))
        count("asset_info/set_asset/add_node with a FIFO and /dev/zero", 6)
        ok(quick(ws, "get_state"))
        assert digest(out) == before
        ws.close()


def write(path, text):
    open(path, "w").write(text)


@test
def rigs_from_the_network_read_nothing_outside():
    with Server() as s:
        out = outside_folder()
        ws = WS(s.port)
        circuit = os.path.join(out, "ts.yaml")
        with open(os.path.join(SRC, "circuits", "ts808.yaml")) as f:
            write(circuit, f.read())
        names = {
            "abs_exists.yaml": ("cab", "ir", os.path.join(out, "outside.wav")),
            "abs_missing.yaml": ("cab", "ir", os.path.join(out, "none.wav")),
            "etc.yaml": ("cab", "ir", "/etc/passwd"),
            "dotdot.yaml": ("cab", "ir", os.path.relpath(os.path.join(out, "outside.wav"), s.lib)),
            "circuit.yaml": ("circuit", "circuit", circuit),
            "shadow.yaml": ("cab", "ir", "/etc/shadow"),
        }
        messages = set()
        for rig, (typ, key, path) in names.items():
            write(os.path.join(s.lib, rig),
                  f"version: 1\nname: R\nchain:\n  - {{id: n, type: {typ}, {key}: {json.dumps(path)}}}\n")
            r = refused(quick(ws, "load_rig", path=rig), rig)
            assert "root:" not in r["error"] and "a secret" not in r["error"], r
            # what the refusal says, less the name itself: one message for all
            messages.add(r["error"].split(path)[-1])
        assert len(messages) == 1, messages
        count("load_rig of a rig naming outside files (exists, missing, /etc, .., a circuit, /etc/shadow)", len(names))
        # a link inside the library to an outside asset is outside too
        os.makedirs(os.path.join(s.lib, "irs"), exist_ok=True)
        os.symlink(os.path.join(out, "outside.wav"), os.path.join(s.lib, "irs", "linked.wav"))
        write(os.path.join(s.lib, "linked.yaml"), "version: 1\nname: R\nchain:\n  - {id: n, type: cab, ir: irs/linked.wav}\n")
        refused(quick(ws, "load_rig", path="linked.yaml"), "linked.wav", "not a file in the rig library")
        # factory content and files in the library itself are fine
        write(os.path.join(s.lib, "factory.yaml"),
              f"version: 1\nname: R\nchain:\n  - {{id: n, type: cab, ir: {os.path.join(SRC, 'irs', 'synthetic_4x12.wav')}}}\n")
        ok(quick(ws, "load_rig", path="factory.yaml"))
        # a setlist in the library naming a rig outside
        write(os.path.join(s.lib, "set.yaml"), f"version: 1\nname: S\nrigs:\n  - {os.path.join(out, 'victim.yaml')}\n")
        refused(quick(ws, "load_rig", path="set.yaml"), "victim.yaml", "not a file in the rig library")
        count("a link in irs/ to an outside IR; a setlist naming an outside rig", 2)
        # copy_rig of a rig that names outside files
        refused(quick(ws, "copy_rig", **{"from": "etc.yaml", "to": "etc2.yaml"}), "not a file in the rig library")
        assert not os.path.exists(os.path.join(s.lib, "etc2.yaml"))
        count("copy_rig of a rig naming /etc/passwd")
        # POST /api/import of such rigs: refused, nothing left behind
        for rig in ("abs_exists.yaml", "etc.yaml", "circuit.yaml"):
            body = open(os.path.join(s.lib, rig), "rb").read()
            status, data = s.http("POST", f"/api/import?name=imp_{rig}&kind=rig", body=body,
                                  headers={"Content-Type": "application/octet-stream"})
            assert status == 400 and b"not a file in the rig library" in data, (status, data)
            assert not os.path.exists(os.path.join(s.lib, f"imp_{rig}"))
        count("POST /api/import of rigs naming outside files", 3)
        ok(quick(ws, "get_state"))
        ws.close()


@test
def graphs_stop_at_the_limits():
    with Server() as s:
        ws = WS(s.port)
        accepted = 0
        for i in range(100):
            r = ws.call("add_node", type="level", node=f"x{i}")
            if r.get("ok"):
                accepted += 1
            else:
                refused(r, "nodes, the most a rig may have")
                break
        n_default = 0
        rig = ok(ws.call("get_rig"))["rig"]

        def walk(j):
            nonlocal n_default
            if isinstance(j, dict):
                if "type" in j and "id" in j:
                    n_default += 1
                for v in j.values():
                    walk(v)
            elif isinstance(j, list):
                for v in j:
                    walk(v)
        walk(rig["chain"])
        assert n_default == 64, n_default
        print(f"     add_node accepted {accepted}, then refused at 64 nodes")
        # a 1,000-node rig in the library is refused at file:line:col, the old sound goes on
        lines = "".join(f"  - {{id: n{i}, type: level}}\n" for i in range(1000))
        write(os.path.join(s.lib, "big.yaml"), "version: 1\nname: Big\nchain:\n" + lines)
        r = refused(quick(ws, "load_rig", path="big.yaml"), "big.yaml:68:5", "more than 64 nodes")
        count("add_node past the cap; a 1,000-node rig", 2)
        ws.close()


if __name__ == "__main__":
    try:
        main()
    finally:
        for k, v in COUNTS.items():
            print(f"     attacks: {v:2d}  {k}")
        print(f"     attacks in all: {sum(COUNTS.values())}")
