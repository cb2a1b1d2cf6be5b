"""`pytone app`: the web UI in a native WebKitGTK window (pytone-window).

Run under a private Xvfb display with the virtual backend. Checks:
  - the window's page really connected to the engine: the kernel's socket
    table (/proc/net/tcp) holds an ESTABLISHED connection to the engine's
    port, lasting more than a second, whose client end belongs to a WebKit
    process started by this `pytone app` (the server turns HTTP keep-alive
    off, so only the page's WebSocket stays open; its JavaScript opens it);
  - the engine answers the control protocol (get_state: the default rig);
  - a screenshot of the display (build/test_app_window.png): the window has
    its default size, 1280 x 800 on a 1440 x 900 screen, and holds a rendered
    page (many colours), not a blank one;
  - closing the window (Ctrl+Q, sent with xdotool; SIGTERM to the window
    where there is no xdotool) stops the engine cleanly: exit code 0, the
    stats line, the port closed, no WebKit process left;
  - SIGTERM to `pytone app` closes the window and the engine, exit code 0;
    an engine killed with SIGKILL takes its window along (no orphan);
  - with an engine already on the port, `pytone app --port N` opens a window
    onto it, and closing that window leaves the engine running;
  - no display: a clear message and exit code 1, no engine started; a display
    that cannot be opened: the window's gtk_init_check fails, the engine it
    started stops, exit code 1; --attach with no engine, and engine options
    for a port already in use, are refused.
Exit 77 (skipped) when this build has no window (no libwebkit2gtk-4.1-dev),
there is no Xvfb, or the web UI cannot be built."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from ptest import BUILD, PYTONE, SRC, TMP, main, run, stop, test, tmp
from wsclient import WS, free_port

help_text = run("app", "--help").stdout
if "This build has no window" in help_text:
    print("SKIP: built without WebKitGTK (apt-get install libwebkit2gtk-4.1-dev)")
    sys.exit(77)
if subprocess.run([os.path.join(SRC, "scripts", "build_ui.sh")], cwd=SRC, capture_output=True).returncode != 0 \
        and not os.path.exists(os.path.join(SRC, "ui", "dist", "index.html")):
    print("SKIP: the web UI could not be built (no usable Node.js)")
    sys.exit(77)
if not shutil.which("Xvfb"):
    print("SKIP: no Xvfb (apt-get install xvfb)")
    sys.exit(77)
XDOTOOL = shutil.which("xdotool")
SCREEN = (1440, 900)
HOME = tempfile.mkdtemp(prefix="pytone-app-home-")
BASE_ENV = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
BASE_ENV.update(PT_SOURCE_DIR=SRC, HOME=HOME, XDG_CONFIG_HOME=os.path.join(HOME, "config"),
                XDG_CACHE_HOME=os.path.join(HOME, "cache"), XDG_DATA_HOME=os.path.join(HOME, "data"),
                PT_RECOVERY_FILE=tmp("app-recovery.yaml"), NO_AT_BRIDGE="1")
display = None


def start_xvfb():
    """A private X server; its display number comes back through -displayfd."""
    global display
    r, w = os.pipe()
    # -br: a black root window, so the screenshot's non-black box is the window
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                             "-br", "-nolisten", "tcp"], pass_fds=(w,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(w)
    got = b""
    while not got.endswith(b"\n"):
        chunk = os.read(r, 16)
        if not chunk:
            raise RuntimeError("Xvfb did not start")
        got += chunk
    os.close(r)
    display = ":" + got.decode().strip()
    return proc


def env(**extra):
    """The tests' environment on the Xvfb display; DISPLAY=None: none at all."""
    e = dict(BASE_ENV, DISPLAY=display)
    for k, v in extra.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return e


def start(*args, **extra_env):
    """pytone in the background, its output into files (a pipe would be held
    open by a window that outlives it, and reading it would never end)."""
    n = len(os.listdir(TMP))
    out, err = open(tmp(f"app{n}.out"), "w+"), open(tmp(f"app{n}.err"), "w+")
    proc = subprocess.Popen([PYTONE, *map(str, args)], cwd=SRC, env=env(**extra_env), stdout=out, stderr=err,
                            text=True)
    proc.out_file, proc.err_file = out, err
    return proc


def run_app(*args, timeout=60, **extra_env):
    """Run pytone with exactly env(**extra_env) (ptest.run would keep a DISPLAY of ours)."""
    return subprocess.run([PYTONE, *map(str, args)], cwd=SRC, env=env(**extra_env), capture_output=True,
                          text=True, timeout=timeout)


def listening(port):
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def wait_for(cond, seconds, what):
    end = time.time() + seconds
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def descendants(pid):
    """pid and every process below it, from /proc/*/stat's parent ids."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open(f"/proc/{d}/stat").read()
                parent[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError):
                pass
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        out.add(p)
        todo.extend(c for c, pp in parent.items() if pp == p and c not in out)
    return out


def comm(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return ""


def state(pid):
    """R, S, Z, ... from /proc/pid/stat; "" when the process is gone."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
        return stat[stat.rindex(")") + 2]
    except (OSError, ValueError):
        return ""


def page_connections(pid, port):
    """The client ends of ESTABLISHED TCP connections to 127.0.0.1:port held by
    WebKit processes under pid: {client port: process name}."""
    client_ports = {}
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        local, remote, state, inode = f[1], f[2], f[3], f[9]
        if state == "01" and int(remote.split(":")[1], 16) == port:
            client_ports[inode] = int(local.split(":")[1], 16)
    found = {}
    for p in descendants(pid):
        try:
            fds = os.listdir(f"/proc/{p}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{p}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inode = link[8:-1]
                if inode in client_ports and "WebKit" in comm(p):
                    found[client_ports[inode]] = comm(p)
    return found


def wait_page_connected(pid, port, seconds=90):
    """A WebKit process of this app holds a connection to the engine for
    more than a second: the page's WebSocket."""
    def held():
        first = page_connections(pid, port)
        if not first:
            return None
        time.sleep(1.2)
        return set(first) & set(page_connections(pid, port))
    return wait_for(held, seconds, f"the page's WebSocket to port {port}")


def window_pid(app_pid):
    kids = [p for p in descendants(app_pid) if comm(p) == "pytone-window"]
    return kids[0] if kids else None


def all_ended(pids):
    """The window and WebKit's helpers among pids end (WebKit's when the
    window's connection to them closes) within 20 s."""
    def left():
        return [(p, comm(p), state(p)) for p in pids
                if (comm(p) == "pytone-window" or "WebKit" in comm(p)) and state(p) not in ("", "Z")]
    try:
        wait_for(lambda: not left(), 20, "the window's processes to end")
    except AssertionError:
        raise AssertionError(f"still running: {left()}") from None


def output(proc):
    proc.out_file.seek(0)
    proc.err_file.seek(0)
    return proc.out_file.read(), proc.err_file.read()


def finish(proc, seconds=20):
    """Wait for proc to end: (exit code, stdout, stderr)."""
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"did not stop within {seconds} s: {output(proc)[1]}") from None
    return (proc.returncode, *output(proc))


def engine_rig(port):
    ws = WS(port)
    try:
        reply = ws.call("get_state")
    finally:
        ws.close()
    assert reply.get("ok"), reply
    return reply["state"]["rig"]


def screenshot(name):
    """The whole X display, through Pillow's XCB grab; None where Pillow has no XCB."""
    try:
        from PIL import ImageGrab, features
        if not features.check("xcb"):
            return None
    except ImportError:
        return None
    im = ImageGrab.grab(xdisplay=display).convert("RGB")
    im.save(os.path.join(BUILD, name))
    return im


@test
def no_display_message_and_no_engine():
    port = free_port()
    p = run_app("app", "--backend", "virtual", "--port", port, DISPLAY=None, WAYLAND_DISPLAY=None)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "no display" in p.stderr and "DISPLAY" in p.stderr, p.stderr
    assert "playing" not in p.stderr and not listening(port), p.stderr


@test
def display_that_cannot_open_stops_the_engine():
    # passes the DISPLAY check, so the engine starts; the window's
    # gtk_init_check then fails and the engine must stop with it
    port = free_port()
    proc = start("app", "--backend", "virtual", "--port", port, DISPLAY=":987")
    rc, out, err = finish(proc, 60)
    assert rc == 1, (rc, err)
    assert "cannot open a window" in err and "could not stay open" in err, err
    assert "stats: callbacks=" in out, out
    assert not listening(port)


@test
def attach_needs_an_engine_and_busy_port_refuses_engine_options():
    port = free_port()
    p = run_app("app", "--attach", "--port", port, DISPLAY=":987")
    assert p.returncode == 1 and "no engine answers" in p.stderr, (p.returncode, p.stderr)
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(1)
    try:
        p = run_app("app", "--backend", "virtual", "--port", port, DISPLAY=":987")
        assert p.returncode == 2 and "already answers" in p.stderr, (p.returncode, p.stderr)
    finally:
        s.close()


@test
def window_shows_the_ui_and_closing_it_stops_the_engine():
    port = free_port()
    proc = start("app", "--backend", "virtual", "--port", port)
    try:
        conns = wait_page_connected(proc.pid, port)
        print(f"     page connected: client port(s) {sorted(conns)}")
        assert engine_rig(port) == "Default"
        # the page is painted a moment after its script has connected (on a
        # loaded machine the window shows only its background at first)
        end = time.time() + 30
        while True:
            im = screenshot("test_app_window.png")
            if im is None:
                print("     no screenshot: Pillow cannot grab the X display (no XCB)")
                break
            box = im.getbbox()  # the root window is black; the window is not
            colours = len(im.crop(box).getcolors(1 << 24)) if box else 0
            if colours > 100 or time.time() > end:
                break
            time.sleep(0.5)
        if im is not None:
            print(f"     screenshot {os.path.join(BUILD, 'test_app_window.png')}: window box {box}, "
                  f"{colours} colours")
            assert box == (0, 0, 1280, 800), box  # the default size, 1280 x 800
            assert colours > 100, colours  # a rendered page, not a blank one
        below = descendants(proc.pid) - {proc.pid}
        win = window_pid(proc.pid)
        assert win, "no pytone-window process"
        if XDOTOOL:
            wid = subprocess.run([XDOTOOL, "search", "--name", "^PyTone FX$"], env=env(), capture_output=True,
                                 text=True).stdout.split()
            assert wid, "no window titled 'PyTone FX'"
            subprocess.run([XDOTOOL, "windowfocus", "--sync", wid[0]], env=env(), check=True)
            subprocess.run([XDOTOOL, "key", "ctrl+q"], env=env(), check=True)
        else:
            print("     no xdotool: closing the window with SIGTERM")
            os.kill(win, signal.SIGTERM)
        rc, out, err = finish(proc)
    finally:
        stop(proc, hard=True)
    assert rc == 0, (rc, err)
    assert "the window was closed; stopping the engine" in err, err
    assert "stats: callbacks=" in out, out
    assert not listening(port)
    all_ended(below)


@test
def sigterm_closes_window_and_engine():
    port = free_port()
    proc = start("app", "--backend", "virtual", "--port", port)
    try:
        wait_page_connected(proc.pid, port)
        below = descendants(proc.pid) - {proc.pid}
        assert any("WebKit" in comm(p) for p in below), [comm(p) for p in below]
        proc.send_signal(signal.SIGTERM)
        rc, out, err = finish(proc)
    finally:
        stop(proc, hard=True)
    assert rc == 0, (rc, err)
    assert "stats: callbacks=" in out, out
    assert not listening(port)
    all_ended(below)


@test
def engine_killed_takes_the_window_along():
    # SIGKILL: the engine cannot close the window; the kernel tells the window
    # (PR_SET_PDEATHSIG) and it closes rather than outliving its engine
    port = free_port()
    proc = start("app", "--backend", "virtual", "--port", port)
    try:
        wait_page_connected(proc.pid, port)
        below = descendants(proc.pid) - {proc.pid}
    finally:
        stop(proc, hard=True)
    all_ended(below)


@test
def attach_to_a_running_engine_leaves_it_running():
    port = free_port()
    engine = start("run", "--backend", "virtual", "--port", port)
    try:
        wait_for(lambda: listening(port), 30, "the engine")
        app = start("app", "--port", port)
        try:
            wait_page_connected(app.pid, port)
            assert comm(app.pid) == "pytone-window"  # pytone app became the window
            app.send_signal(signal.SIGTERM)
            rc, out, err = finish(app)
        finally:
            stop(app, hard=True)
        assert rc == 0, (rc, err)
        assert "leaves it running" in err, err
        assert engine.poll() is None and engine_rig(port) == "Default"
        engine.send_signal(signal.SIGTERM)
        rc, out, err = finish(engine)
        assert rc == 0 and "stats: callbacks=" in out, (rc, err)
    finally:
        stop(engine, hard=True)


if __name__ == "__main__":
    xvfb = start_xvfb()
    try:
        main()
    finally:
        xvfb.terminate()
        xvfb.wait()
        shutil.rmtree(HOME, ignore_errors=True)
