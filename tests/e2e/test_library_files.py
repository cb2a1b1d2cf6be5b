"""list_files and factory paths (issue #15, "one library, browsable"), over
the real socket against `pytone run --backend virtual` on a free port.

A tree laid out as the repository and an installed copy are: the rig
library `rigs/` with the user's files in it, and the factory folders
`irs/`, `models/`, `circuits/` beside it. Checks, against the file system
itself (os.walk, os.path.getsize) and the files' own contents:
  - list_files lists every user file of each kind (rigs too) with its size,
    then every factory capture, IR and circuit as "../irs/…" etc., each
    marked factory, each group sorted; a README, a hidden file and a
    symbolic link are left out; `kind` filters; a bad kind is refused;
  - a factory IR named "../irs/…" is accepted by asset_info (frames and
    rate as scipy reads the file) and set_asset, and a rig saved in the
    library then refers to it by that same relative path (read back by
    PyYAML), which the rig loader finds again;
  - paths that leave the factory folders are refused, naming the path:
    "../rigs/…", "../irs/../x", a hidden name, a link leading out, a wrong
    ending, a missing file.
"""
import os
import shutil
import sys

import scipy.io.wavfile

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


def make_tree(root):
    """rigs/ (the library: two rigs, a user IR, a user capture) beside the
    factory folders, copied from the source tree, plus things to leave out."""
    for d in ("rigs/irs", "rigs/captures", "irs", "models", "circuits"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for f in ("default.yaml", "crunch.yaml"):
        shutil.copy(os.path.join(SRC, "rigs", f), os.path.join(root, "rigs", f))
    for d in ("irs", "models", "circuits"):  # with their subfolders (circuits/amps/)
        shutil.copytree(os.path.join(SRC, d), os.path.join(root, d), dirs_exist_ok=True)
    shutil.copy(os.path.join(SRC, "irs", "synthetic_4x12.wav"), os.path.join(root, "rigs", "irs", "mine.wav"))
    shutil.copy(os.path.join(SRC, "models", "a1_standard.nam"), os.path.join(root, "rigs", "captures", "mine.nam"))
    shutil.copy(os.path.join(SRC, "irs", "synthetic_4x12.wav"), os.path.join(root, "irs", ".hidden.wav"))
    outside = os.path.join(root, "outside.wav")
    shutil.copy(os.path.join(SRC, "irs", "synthetic_4x12.wav"), outside)
    os.symlink(outside, os.path.join(root, "irs", "link.wav"))


def expected(root):
    """What list_files must say, from the file system."""
    ends = {".nam": "nam", ".wav": "ir", ".flac": "ir", ".aif": "ir", ".aiff": "ir"}
    user, factory = [], []
    lib = os.path.join(root, "rigs")
    for dirpath, dirs, files in os.walk(lib):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            full = os.path.join(dirpath, f)
            if f.startswith(".") or os.path.islink(full):
                continue
            ext = os.path.splitext(f)[1].lower()
            kind = ends.get(ext) or ("rig" if ext in (".yaml", ".yml") else None)
            if kind:
                user.append({"path": os.path.relpath(full, lib), "kind": kind, "bytes": os.path.getsize(full), "factory": False})
    for d in ("irs", "models", "circuits"):
        top = os.path.join(root, d)
        for dirpath, dirs, files in os.walk(top):
            dirs[:] = [x for x in dirs if not x.startswith(".")]
            for f in files:
                full = os.path.join(dirpath, f)
                if f.startswith(".") or os.path.islink(full):
                    continue
                ext = os.path.splitext(f)[1].lower()
                kind = ends.get(ext) or ("circuit" if ext in (".yaml", ".yml") else None)
                if kind:
                    factory.append({"path": f"../{d}/{os.path.relpath(full, top)}", "kind": kind,
                                    "bytes": os.path.getsize(full), "factory": True})
    key = lambda x: x["path"]  # noqa: E731
    return sorted(user, key=key), sorted(factory, key=key)


@test
def list_files_lists_user_and_factory_files_by_kind():
    root = tmp("libtree")
    shutil.rmtree(root, ignore_errors=True)
    make_tree(root)
    user, factory = expected(root)
    with Server(rig=os.path.join(root, "rigs", "default.yaml")) as s:
        ws = WS(s.port)
        files = ok(ws.call("list_files"))["files"]
        assert files == user + factory, (files, user + factory)
        assert any(f["path"] == "../circuits/ts808.yaml" for f in factory)
        assert any(f["path"] == "../models/a1_standard.nam" for f in factory)
        for kind in ("rig", "nam", "ir", "circuit"):
            got = ok(ws.call("list_files", kind=kind))["files"]
            assert got == [f for f in user + factory if f["kind"] == kind], (kind, got)
        print(f"  {len(user)} user files, {len(factory)} factory files listed as the file system has them")
        refused(ws.call("list_files", kind="mp3"), "kind must be")
        ws.close()


@test
def factory_files_are_used_by_their_relative_path():
    root = tmp("libtree2")
    shutil.rmtree(root, ignore_errors=True)
    make_tree(root)
    with Server(rig=os.path.join(root, "rigs", "default.yaml")) as s:
        ws = WS(s.port)
        info = ok(ws.call("asset_info", path="../irs/plate_2s_stereo.wav"))
        rate, x = scipy.io.wavfile.read(os.path.join(root, "irs", "plate_2s_stereo.wav"))
        assert info["kind"] == "ir" and info["rate"] == rate and info["frames"] == len(x), info
        assert info["channels"] == (1 if x.ndim == 1 else x.shape[1]), info
        ok(ws.call("set_asset", node="cab", asset="ir", path="../irs/plate_2s_stereo.wav"))
        cab = [n for n in ok(ws.call("get_rig"))["rig"]["chain"] if n.get("id") == "cab"][0]
        assert cab["assets"]["ir"] == "../irs/plate_2s_stereo.wav", cab
        ok(ws.call("save_rig", path="plate.yaml"))
        if yaml:
            doc = yaml.safe_load(open(os.path.join(root, "rigs", "plate.yaml")))
            irs = [n.get("ir") for n in doc["chain"] if n.get("type") == "cab"]
            assert "../irs/plate_2s_stereo.wav" in irs, doc["chain"]
        ok(ws.call("load_rig", path="plate.yaml"))
        ok(ws.call("add_node", type="nam", node="amp2", assets={"model": "../models/a1_standard.nam"}))
        assert ok(ws.call("asset_info", path="../circuits/ts808.yaml"))["kind"] == "circuit"
        for bad, words in [
            ("../rigs/default.yaml", "only the factory folders"),
            ("../irs/../outside.wav", "not allowed"),
            ("../irs/.hidden.wav", "not allowed"),
            ("../irs/link.wav", "outside the factory folder"),
            ("../irs/README.md", "must end in"),
            ("../irs/none.wav", "not there"),
            ("../../etc/passwd.wav", "only the factory folders"),
        ]:
            r = ws.call("asset_info", path=bad)
            refused(r, words)
            assert bad in r["error"], r
            refused(ws.call("set_asset", node="cab", asset="ir", path=bad), words)
        ws.close()


if __name__ == "__main__":
    main()
