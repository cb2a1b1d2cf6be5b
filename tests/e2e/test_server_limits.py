"""The control server's bounds against hostile clients (issue #16, findings
1 and 7), over the real socket of `pytone run --backend virtual`.

  - Oversized WebSocket frames of every length form: a 64-bit length claiming
    0x7FFF0000 (masked, unmasked), 2^63-1 and 2^64-1, a non-minimal 64-bit
    encoding, messages fragmented into 16-bit and 7-bit frames past 64 KiB,
    and eight connections at once each claiming 2 GiB and sending 4 MiB. The
    reference is the engine's own /proc/PID/status: VmPeak may not grow by
    more than 64 MiB (civetweb 1.15 reserved the 2 GiB a header claimed, so
    VmPeak grew by gigabytes), and the engine answers /api/state after each.
    The same attacks again with the engine under `prlimit --as` 1 GiB
    (ulimit -v): it survives every one and still answers.
  - Slow and idle clients: 1,000 idle connections, 20 POST bodies trickling
    one byte every 3 s and 20 requests whose headers trickle; a fresh
    /api/state must answer within 2 s (the goal is 100 ms; the figure is
    printed) while they hold on, and the server closes each of them by its
    timeout (server.h: 5 s idle or for headers, 10 s for a command's body).
"""
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import ptest
from ptest import BUILD, PYTONE, SRC, main, test, tmp
from wsclient import WS, free_port

import test_control  # noqa: E402  (its Server; its tests are not ours)

ptest._tests.clear()

try:
    if "LWS_FOUND:INTERNAL=1" not in open(os.path.join(BUILD, "CMakeCache.txt")).read():
        print("built without libwebsockets (libwebsockets-dev): skipped")
        sys.exit(77)
except OSError:
    pass

MiB = 1 << 20


class Engine(test_control.Server):
    """test_control's Server, the engine started through `launcher` (e.g.
    prlimit) and with extra arguments."""

    def __init__(self, launcher=(), extra=()):
        import random
        self.lib = tmp(f"lib{random.randrange(1 << 30)}")
        os.makedirs(self.lib)
        test_control.copy_rig(os.path.join(SRC, "rigs", "default.yaml"), os.path.join(self.lib, "default.yaml"))
        self.port = free_port()
        env = dict(os.environ, PT_SOURCE_DIR=SRC, PT_RECOVERY_FILE=os.path.join(self.lib, ".recovery.yaml"))
        self.proc = subprocess.Popen(
            [*launcher, PYTONE, "run", "--backend", "virtual", "--port", str(self.port), "--seconds", "120",
             os.path.join(self.lib, "default.yaml"), *extra],
            cwd=SRC, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 15
        while time.time() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the control server did not come up within 15 s")


def status_kb(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def header(opcode, length, fin=True, masked=True, form=None):
    """A frame header (RFC 6455 5.2) with `length` in the given form: 7, 16
    or 64 bits (default: the shortest), the mask key after it."""
    b0 = bytes([(0x80 if fin else 0) | opcode])
    m = 0x80 if masked else 0
    form = form or (7 if length < 126 else 16 if length < 65536 else 64)
    if form == 7:
        h = b0 + bytes([m | length])
    elif form == 16:
        h = b0 + bytes([m | 126]) + struct.pack(">H", length)
    else:
        h = b0 + bytes([m | 127]) + struct.pack(">Q", length)
    return h + (b"\x11\x22\x33\x44" if masked else b"")


def state_ok(s):
    status, data = s.http("GET", "/api/state")
    assert status == 200 and b'"rig"' in data, (status, data[:200])


def send_quietly(sock, data):
    try:
        sock.sendall(data)
        return True
    except OSError:  # the server closed it: allowed
        return False


def claim_and_send(port, claim, payload_bytes, masked=True):
    """A text frame whose header claims `claim` bytes, then payload_bytes of it."""
    ws = WS(port)
    assert ws.ok, ws.response
    send_quietly(ws.sock, header(0x1, claim, masked=masked, form=64))
    chunk = b"x" * 65536
    for _ in range(payload_bytes // len(chunk)):
        if not send_quietly(ws.sock, chunk):
            break
    return ws


def attacks(s, pid):
    """Every oversized-frame form; the engine answers after each. Returns
    how many were tried."""
    tried = 0
    for claim, masked in ((0x7FFF0000, True), (0x7FFF0000, False), ((1 << 63) - 1, True),
                          ((1 << 64) - 1, True)):
        ws = claim_and_send(s.port, claim, 4 * MiB, masked)
        time.sleep(0.2)
        ws.sock.close()
        state_ok(s)
        tried += 1
    # a non-minimal 64-bit encoding of a small, good message is still judged
    ws = WS(s.port)
    msg = json.dumps({"id": 5, "cmd": "hello"}).encode()
    ws.sock.sendall(header(0x1, len(msg), form=64) + bytes(b ^ k for b, k in zip(msg, b"\x11\x22\x33\x44" * 99)))
    r = ws.reply(5)
    assert r.get("ok") is True, r
    ws.close()
    tried += 1
    # a message past 64 KiB in 16-bit frames, then in 7-bit frames: refused as too large
    for size, count in ((65535, 20), (125, 600)):
        ws = WS(s.port)
        piece = b"a" * size
        ws.send_frame(0x1, b"[" + piece[1:], fin=False)
        for _ in range(count - 1):
            ws.send_frame(0x0, piece, fin=False)
        ws.send_frame(0x0, b"]", fin=True)
        r = ws.reply(None)
        assert r.get("ok") is False and "too large" in r.get("error", ""), r
        assert WS.call(ws, "hello").get("ok") is True  # the connection goes on
        ws.close()
        tried += 1
    # eight at once, each claiming 2 GiB and sending 4 MiB, held open together
    held = [claim_and_send(s.port, 0x7FFF0000, 4 * MiB) for _ in range(8)]
    state_ok(s)
    for ws in held:
        ws.sock.close()
    tried += 1
    state_ok(s)
    return tried


@test
def oversized_frames_of_every_length_form_allocate_nothing():
    with test_control.Server() as s:
        pid = s.proc.pid
        state_ok(s)
        before = status_kb(pid, "VmPeak")
        n = attacks(s, pid)
        after = status_kb(pid, "VmPeak")
        rss = status_kb(pid, "VmRSS")
        print(f"     {n} attacks: VmPeak {before // 1024} -> {after // 1024} MiB, VmRSS {rss // 1024} MiB")
        assert after - before < 64 * 1024, f"VmPeak grew by {(after - before) // 1024} MiB"
        assert s.proc.poll() is None


@test
def under_ulimit_v_1_gib_the_engine_survives_every_attempt():
    # prlimit sets RLIMIT_AS (ulimit -v) for the engine alone
    with Engine(launcher=["prlimit", f"--as={1 << 30}", "--"]) as s:
        n = attacks(s, s.proc.pid)
        assert s.proc.poll() is None, "the engine died"
        state_ok(s)
        print(f"     {n} attacks under RLIMIT_AS = 1 GiB: the engine lives and answers")


def trickle(sock, data, gap_s, stop, closed):
    """Send data a byte at a time every gap_s until the server closes the
    connection (recorded in closed) or stop is set."""
    for b in data:
        if stop.is_set():
            return
        try:
            sock.sendall(bytes([b]))
        except OSError:
            closed.append(time.time())
            return
        if stop.wait(gap_s):
            return
    closed.append(None)


def closed_by_server(sock, wait_s):
    """True when the peer closes within wait_s (reads return b'' or reset)."""
    sock.settimeout(wait_s)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


@test
def slow_and_idle_clients_cannot_starve_the_control_plane():
    with test_control.Server() as s:
        host = f"127.0.0.1:{s.port}"
        idle = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(1000)]
        stop = threading.Event()
        closed, threads, slow = [], [], []
        for i in range(20):  # POST bodies, a byte every 3 s
            c = socket.create_connection(("127.0.0.1", s.port), timeout=30)
            c.sendall((f"POST /api/command HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1000\r\n\r\n").encode())
            slow.append(c)
            threads.append(threading.Thread(target=trickle, args=(c, b"{" * 1000, 3.0, stop, closed)))
        for i in range(20):  # headers, a byte every 3 s
            c = socket.create_connection(("127.0.0.1", s.port), timeout=30)
            slow.append(c)
            threads.append(threading.Thread(
                target=trickle, args=(c, f"GET /api/state HTTP/1.1\r\nHost: {host}\r\nX-Slow: {'y' * 200}\r\n\r\n".encode(),
                                      3.0, stop, closed)))
        t0 = time.time()
        for t in threads:
            t.start()
        worst = 0.0
        for _ in range(8):
            t = time.time()
            state_ok(s)
            worst = max(worst, time.time() - t)
            time.sleep(0.25)
        print(f"     /api/state beside 1000 idle, 20 slow-body and 20 slow-header clients: worst {worst * 1000:.0f} ms")
        # starved, it took 23 s (finding 7); 5 s is far below that and far
        # above what a stalled 2-core VM adds to a reply
        assert worst < 5.0, f"/api/state took {worst:.2f} s"
        # The idle ones are closed after PT_SERVER_IDLE_S (5 s), the slow
        # headers after PT_SERVER_HEADER_S (5 s), the slow bodies after
        # PT_SERVER_BODY_S (10 s): a trickling client is closed on its first
        # byte past the deadline, so within 13 s here. Waited for up to 30 s
        # (a stalled machine closes them late; a starved server never does).
        waiting = list(enumerate(idle[:50])) + [(50 + i, c) for i, c in enumerate(slow)]
        while waiting and time.time() < t0 + 30:
            waiting = [(i, c) for i, c in waiting if not closed_by_server(c, 0.01)]
            if waiting:
                time.sleep(0.25)
        took = time.time() - t0
        stop.set()
        for t in threads:
            t.join()
        idle_open = [i for i, _ in waiting if i < 50]
        slow_open = [i - 50 for i, _ in waiting if i >= 50]
        assert not idle_open, f"{len(idle_open)} of 50 idle connections still open after 30 s"
        assert not slow_open, f"slow clients {slow_open} still open after 30 s"
        print(f"     50 idle and all 40 slow clients closed by the server within {took:.1f} s")
        for c in idle + slow:
            c.close()
        state_ok(s)


@test
def bad_content_lengths_are_refused():
    with test_control.Server() as s:
        for cl in ("-1", "-5", "abc", "5x", "99999999999999999999"):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(f"POST /api/command HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\nContent-Length: {cl}\r\n\r\n".encode())
            head = c.recv(4096).split(b"\r\n")[0]
            c.close()
            assert head.startswith(b"HTTP/1.1 400"), (cl, head)
        state_ok(s)


if __name__ == "__main__":
    main()
