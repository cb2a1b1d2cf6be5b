"""pytone installed like a program: the install rules that `make install`
runs (cmake --install of the build, PREFIX and DESTDIR), and the Debian
package `make deb` makes (scripts/make_deb.sh, unpacked with dpkg -x). The
installed pytone runs from another folder, with no source tree in sight, finds
its rigs, circuits, IRs, captures and DI clip, makes the user's library on
first run, and renders exactly what the build in the source tree renders
(the reference). `make install` itself also rebuilds pytone with the prefix
compiled in; this test installs the build as it is, so that it never relinks
build/pytone under the other tests' feet."""
import os
import shutil
import socket
import subprocess
import time

import numpy as np

from ptest import BUILD, PYTONE, SRC, main, read_wav, run, stop, test, tmp
from wsclient import WS, free_port

STAGE = tmp("stage")
PREFIX = "/opt/pytone-test"
ELSEWHERE = tmp("elsewhere")
os.makedirs(ELSEWHERE, exist_ok=True)


def installed(exe, *args, home):
    """Run an installed pytone from ELSEWHERE, without the tests' source tree."""
    env = {k: v for k, v in os.environ.items() if k not in ("PT_SOURCE_DIR", "PYTONE_DATA_DIR")}
    env.update(HOME=home, XDG_DATA_HOME="", XDG_STATE_HOME=os.path.join(home, "state"))
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=ELSEWHERE,
                          env=env)


def reference_render(rig, name):
    out = tmp(name)
    run("render", os.path.join(SRC, "rigs", rig), os.path.join(SRC, "assets/di/guitar_di.wav"), out, check=True)
    return read_wav(out)[1]


def plays_and_renders(exe, data, home):
    p = installed(exe, "run", "--seconds", "1", "--backend", "virtual", "--no-server", home=home)
    assert p.returncode == 0, p.stderr
    assert "playing 'Default'" in p.stderr, p.stderr
    assert os.path.join(data, "assets/di/guitar_di.wav") in p.stderr, p.stderr  # its own clip
    assert p.stdout.startswith("stats: callbacks="), p.stdout
    lib = os.path.join(home, ".local/share/pytone")
    assert os.path.isdir(os.path.join(lib, "rigs")), "no user library made"
    assert os.path.realpath(os.path.join(lib, "factory")) == os.path.realpath(data)
    assert "your rig library is " + os.path.join(lib, "rigs") in p.stderr, p.stderr
    # a rig file outside the source tree, by its path
    p = installed(exe, "run", os.path.join(data, "rigs/crunch.yaml"), "--seconds", "0.5", "--backend",
                  "virtual", "--no-server", home=home)
    assert p.returncode == 0 and "playing 'Crunch'" in p.stderr, p.stderr
    out = os.path.join(ELSEWHERE, "crunch.wav")
    p = installed(exe, "render", os.path.join(data, "rigs/crunch.yaml"), os.path.join(data, "assets/di/guitar_di.wav"),
                  "crunch.wav", home=home)
    assert p.returncode == 0, p.stderr
    y = read_wav(out)[1]
    ref = reference_render("crunch.yaml", "crunch_ref.wav")
    assert y.shape == ref.shape and np.array_equal(y, ref), "installed render differs from the build's"
    # bench finds the clip too (it says when it falls back to noise)
    p = installed(exe, "bench", os.path.join(data, "rigs/clean.yaml"), "--seconds", "0.2", home=home)
    assert p.returncode == 0 and "noise" not in p.stderr, p.stderr
    the_page_offers_the_factory(exe, data, home)


def the_page_offers_the_factory(exe, data, home):
    """The installed page lists the factory rigs beside the user's, loads one,
    will not write it (Save as makes it the user's), and lists the factory's
    IRs, captures and circuits as it does in the source tree."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PT_SOURCE_DIR", "PYTONE_DATA_DIR")}
    env.update(HOME=home, XDG_DATA_HOME="", XDG_STATE_HOME=os.path.join(home, "state"))
    proc = subprocess.Popen([exe, "run", "--backend", "virtual", "--port", str(port), "--seconds", "60"],
                            cwd=ELSEWHERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.time() < deadline and proc.poll() is None, "the installed server did not start"
                time.sleep(0.05)
        ws = WS(port)
        rigs = ws.call("list_rigs")["rigs"]
        factory = {r["file"]: r for r in rigs if r.get("factory")}
        shipped = sorted(f for f in os.listdir(os.path.join(data, "rigs")) if f.endswith(".yaml"))
        assert sorted(f.split("/")[-1] for f in factory) == shipped, (factory.keys(), shipped)
        crunch = factory["../factory/rigs/crunch.yaml"]
        assert crunch["name"] == "Crunch" and crunch["valid"] is True, crunch
        r = ws.call("load_rig", path="../factory/rigs/crunch.yaml")
        assert r.get("ok") is True, r
        assert ws.call("get_rig")["rig"]["name"] == "Crunch"
        r = ws.call("save_rig")
        assert r.get("ok") is False and "factory rig" in r["error"] and "Save as" in r["error"], r
        for bad in ("../factory/rigs/../../etc/passwd.yaml", "../factory/rigs/.hidden.yaml",
                    "../factory/rigs/nothere.yaml", "../factory/irs/synthetic_4x12.wav"):
            r = ws.call("load_rig", path=bad)
            assert r.get("ok") is False, (bad, r)
        r = ws.call("save_rig", path="my crunch.yaml")
        assert r.get("ok") is True, r
        assert ws.call("save_rig").get("ok") is True  # now the user's own
        r = ws.call("copy_rig", **{"from": "../factory/rigs/clean.yaml", "to": "my clean.yaml"})
        assert r.get("ok") is True, r
        lib = os.path.join(home, ".local/share/pytone/rigs")
        assert {"my crunch.yaml", "my clean.yaml"} <= set(os.listdir(lib))
        r = ws.call("load_rig", path="my clean.yaml")
        assert r.get("ok") is True, r
        files = ws.call("list_files")["files"]
        fac = {f["path"] for f in files if f["factory"]}
        for want in ("../irs/synthetic_4x12.wav", "../models/a1_standard.nam", "../circuits/ts808.yaml"):
            assert want in fac, (want, sorted(fac)[:10])
        ws.close()
    finally:
        stop(proc)


@test
def make_install_layout_runs_from_anywhere():
    env = dict(os.environ, DESTDIR=STAGE)
    subprocess.run(["cmake", "--install", BUILD, "--prefix", PREFIX], check=True, capture_output=True, env=env)
    root = STAGE + PREFIX
    data = os.path.join(root, "share/pytone")
    for f in ["bin/pytone", "share/pytone/rigs/default.yaml", "share/pytone/circuits/ts808.yaml",
              "share/pytone/irs/synthetic_4x12.wav", "share/pytone/models/a1_standard.nam",
              "share/pytone/assets/di/guitar_di.wav", "share/doc/pytone/parameters.md"]:
        assert os.path.exists(os.path.join(root, f)), f"not installed: {f}"
    if os.path.isfile(os.path.join(SRC, "ui/dist/index.html")):
        assert os.path.isfile(os.path.join(data, "ui/dist/index.html")), "the built UI was not installed"
    plays_and_renders(os.path.join(root, "bin/pytone"), data, tmp("home1"))


@test
def debian_package_installs_and_plays():
    if not shutil.which("dpkg-deb"):
        print("skip: no dpkg-deb")
        return
    out = tmp("deb")
    p = subprocess.run([os.path.join(SRC, "scripts/make_deb.sh"), BUILD, out], capture_output=True, text=True,
                       cwd=SRC)
    assert p.returncode == 0, p.stderr
    debs = [f for f in os.listdir(out) if f.endswith(".deb")]
    assert len(debs) == 1, debs
    deb = os.path.join(out, debs[0])
    info = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Depends"], capture_output=True, text=True).stdout
    assert "Package: pytone" in info and "libsndfile1" in info and "libc6" in info, info
    root = tmp("debroot")
    subprocess.run(["dpkg", "-x", deb, root], check=True)
    plays_and_renders(os.path.join(root, "usr/bin/pytone"), os.path.join(root, "usr/share/pytone"), tmp("home2"))


if __name__ == "__main__":
    main()
