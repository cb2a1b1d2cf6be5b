"""`pytone run --listen lan`: the UI on the local network, paired by a token
(issue #16, "remote control on stage"), tested inside a network namespace
this test makes for itself (never a real network).

The test re-runs itself under `unshare -n` (a new, empty network namespace:
only its own loopback and a veth pair 10.77.0.1 <-> 10.77.0.2 made here, so
nothing outside can reach the servers and they reach nothing outside). The
"phone" is a client bound to 10.77.0.2 talking to the engine at 10.77.0.1.
Checks, against the token printed in the engine's terminal URL:
  - the default (no --listen) serves loopback only: 10.77.0.1 is refused;
  - without the token every request is refused (page, API, WebSocket, POST),
    and nothing changes;
  - the URL with the token opens the page and sets an HttpOnly, SameSite
    cookie; with the cookie the API, POSTs and the WebSocket work;
  - a foreign Origin (with the cookie) and a foreign Host (DNS rebinding,
    with the token) are refused;
  - guessed tokens (random, one digit changed, a prefix, one digit more,
    upper case, empty) and a token replayed from an earlier run are refused.
"""
import base64
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time

import ptest
from wsclient import WS
from ptest import BUILD, PYTONE, SRC, main, test, tmp

ENGINE, PHONE = "10.77.0.1", "10.77.0.2"

if os.environ.get("PT_LAN_TEST_NETNS") != "1":
    if not shutil.which("unshare") or not shutil.which("ip"):
        print("unshare or ip (util-linux, iproute2) missing: skipped")
        sys.exit(77)
    env = dict(os.environ, PT_LAN_TEST_NETNS="1")
    p = subprocess.run(["unshare", "-n", sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env=env)
    if p.returncode not in (0, 1, 77):  # unshare itself refused (no privilege for namespaces)
        print(f"cannot make a network namespace (unshare exit {p.returncode}): skipped")
        sys.exit(77)
    sys.exit(p.returncode)

# inside the namespace: a loopback and a veth pair of our own
for cmd in (["ip", "link", "set", "lo", "up"],
            ["ip", "link", "add", "pt0", "type", "veth", "peer", "name", "pt1"],
            ["ip", "addr", "add", f"{ENGINE}/24", "dev", "pt0"],
            ["ip", "addr", "add", f"{PHONE}/24", "dev", "pt1"],
            ["ip", "link", "set", "pt0", "up"], ["ip", "link", "set", "pt1", "up"]):
    subprocess.run(cmd, check=True)


class Engine:
    """pytone run in this namespace; its terminal lines are collected."""

    def __init__(self, lan=True):
        self.lib = tmp(f"lanlib{random.randrange(1 << 30)}")
        os.makedirs(self.lib)
        shutil.copy(os.path.join(SRC, "rigs", "default.yaml"), os.path.join(self.lib, "default.yaml"))
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        env = dict(os.environ, PT_SOURCE_DIR=SRC, PT_RECOVERY_FILE=os.path.join(self.lib, ".recovery.yaml"))
        env.pop("PT_SERVER_TOKEN", None)
        self.proc = subprocess.Popen(
            [PYTONE, "run", "--backend", "virtual", "--port", str(self.port), "--seconds", "60",
             *(["--listen", "lan"] if lan else []), os.path.join(SRC, "rigs", "default.yaml")],
            cwd=SRC, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.time() + 15
        while time.time() < deadline:
            assert self.proc.poll() is None, "\n".join(self.lines)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError("the control server did not come up within 15 s")
        self.token = None
        if lan:
            while time.time() < deadline and not any(ENGINE in l for l in self.lines):
                time.sleep(0.05)
            urls = [m for l in self.lines for m in re.findall(r"http://[^\s]+", l)]
            want = re.compile(rf"http://{re.escape(ENGINE)}:{self.port}/\?token=([0-9a-f]{{32}})$")
            found = [want.match(u) for u in urls]
            assert any(found), ("no URL with a token for the LAN address", self.lines)
            self.token = next(f for f in found if f).group(1)

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def stop(self):
        ptest.stop(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()

    def http(self, method, path, body=None, headers=None, host=None):
        """A request from the phone's address to the engine's."""
        c = http.client.HTTPConnection(ENGINE, self.port, timeout=10, source_address=(PHONE, 0))
        h = {"Host": host or f"{ENGINE}:{self.port}"}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data, r

    def upgrade(self, headers=None, path="/ws"):
        """A WebSocket handshake from the phone: the status line."""
        s = socket.create_connection((ENGINE, self.port), timeout=10, source_address=(PHONE, 0))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {ENGINE}:{self.port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
        s.close()
        return head.split(b"\r\n")[0].decode(errors="replace")

    def tempo(self):
        status, data, _ = self.http("GET", "/api/state", headers={"Cookie": f"pt_token={self.token}"})
        assert status == 200, (status, data)
        return json.loads(data)["tempo"]


def refused(status, data):
    assert status == 403 and b"token" in data, (status, data[:200])


@test
def loopback_is_the_default():
    with Engine(lan=False) as e:
        try:
            socket.create_connection((ENGINE, e.port), timeout=2, source_address=(PHONE, 0)).close()
            raise AssertionError(f"the default server answered on {ENGINE}")
        except ConnectionRefusedError:
            pass
        s = socket.create_connection(("127.0.0.1", e.port), timeout=2)
        s.close()
        deadline = time.time() + 10
        while time.time() < deadline and not any("control server" in l for l in e.lines):
            time.sleep(0.05)
        assert any(f"http://127.0.0.1:{e.port}/" in l for l in e.lines), e.lines
        ws = WS(e.port)
        pair = ws.call("pairing")
        ws.close()
        assert pair["ok"] is True and pair["lan"] is False and pair["urls"] == [] and "qr" not in pair, pair


@test
def lan_mode_needs_the_token_and_pairs_with_it():
    with Engine() as e:
        print(f"     the terminal shows: {[l for l in e.lines if 'token=' in l][:2]}")
        tempo = e.tempo()
        # without the token: nothing
        for path in ("/", "/api/state", "/index.html", "/assets/x.js"):
            refused(*e.http("GET", path)[:2])
        status, data, _ = e.http("POST", "/api/command", body='{"cmd": "set_tempo", "bpm": 99}')
        refused(status, data)
        assert " 403 " in e.upgrade(), e.upgrade()
        assert e.tempo() == tempo
        # the URL pairs: the page, and a cookie for what follows
        status, data, r = e.http("GET", f"/?token={e.token}")
        assert status == 200 and b"<html" in data.lower(), (status, data[:200])
        cookie = r.getheader("Set-Cookie") or ""
        assert cookie.startswith(f"pt_token={e.token}") and "HttpOnly" in cookie and "SameSite=Strict" in cookie, cookie
        jar = {"Cookie": f"pt_token={e.token}"}
        status, data, _ = e.http("GET", "/api/state", headers=jar)
        assert status == 200 and b'"rig"' in data, (status, data[:200])
        status, data, _ = e.http("POST", "/api/command", body='{"cmd": "set_tempo", "bpm": 99}',
                                 headers={**jar, "Origin": f"http://{ENGINE}:{e.port}"})
        assert status == 200, (status, data)
        assert e.tempo() == 99
        assert " 101 " in e.upgrade(jar), e.upgrade(jar)
        # the page shows the pairing address and its QR code, as the terminal does
        status, data, _ = e.http("POST", "/api/command", body='{"cmd": "pairing"}',
                                 headers={**jar, "Origin": f"http://{ENGINE}:{e.port}"})
        pair = json.loads(data)
        want = f"http://{ENGINE}:{e.port}/?token={e.token}"
        assert status == 200 and pair["lan"] is True and want in pair["urls"], (status, pair)
        assert pair["qr_url"].startswith("http://") and "127.0.0.1" not in pair["qr_url"], pair
        qr = pair["qr"]
        assert len(qr) in (21, 25, 29, 33, 37, 41) and all(len(r) == len(qr) for r in qr), qr
        assert qr[0][:7] == "1111111" and qr[6][:7] == "1111111" and qr[3][:7] == "1011101", qr[:7]
        assert " 101 " in e.upgrade({**jar, "Origin": f"http://{ENGINE}:{e.port}"})
        # a foreign page, even with the cookie; a foreign Host, even with the token
        status, data, _ = e.http("POST", "/api/command", body='{"cmd": "set_tempo", "bpm": 77}',
                                 headers={**jar, "Origin": "http://evil.example"})
        assert status == 403, (status, data)
        assert " 403 " in e.upgrade({**jar, "Origin": "http://evil.example"})
        status, data, _ = e.http("GET", f"/api/state?token={e.token}", host=f"evil.example:{e.port}")
        assert status == 403 and b"Host" in data, (status, data)
        assert e.tempo() == 99


@test
def guessed_and_replayed_tokens_are_refused():
    with Engine() as first:
        old = first.token
    with Engine() as e:
        assert e.token != old, "the token must be new each run"
        t = e.token
        flip = lambda c: "0" if c != "0" else "1"
        guesses = [secrets.token_hex(16) for _ in range(20)]
        guesses += [t[:-1] + flip(t[-1]), flip(t[0]) + t[1:], t[:31], t + "0", t.upper(), "", old]
        for g in guesses:
            refused(*e.http("GET", f"/api/state?token={g}")[:2])
            refused(*e.http("GET", "/api/state", headers={"Cookie": f"pt_token={g}"})[:2])
            assert " 403 " in e.upgrade({"Cookie": f"pt_token={g}"})
        status, _, _ = e.http("GET", "/api/state", headers={"Cookie": f"other=1; pt_token={t}"})
        assert status == 200
        print(f"     {len(guesses)} guessed or replayed tokens refused by URL, cookie and WebSocket")


if __name__ == "__main__":
    main()
