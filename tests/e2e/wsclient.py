"""wsclient.py — a minimal WebSocket client (RFC 6455: handshake, masked
frames, fragments, ping) over the standard library, for tests that drive
`pytone run`'s control server on 127.0.0.1."""
import base64
import hashlib
import json
import os
import socket
import struct
import time

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class WS:
    """A minimal RFC 6455 client: handshake, masked frames out, frames in."""

    def __init__(self, port, origin=None, host=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET /ws HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if origin:
            lines.append(f"Origin: {origin}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n")[0].decode(errors="replace")
        self.response = head.decode(errors="replace") + "\r\n\r\n" + self.buf.decode(errors="replace")
        self.ok = " 101 " in self.status_line
        if self.ok:
            accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
            fields = dict(l.split(": ", 1) for l in head.decode().split("\r\n")[1:] if ": " in l)
            got = {k.lower(): v for k, v in fields.items()}.get("sec-websocket-accept")
            assert got == accept, (got, accept, head)
        self.next_id = 1

    def close(self):
        try:
            self.send_frame(0x8, b"\x03\xe8")
        except OSError:
            pass
        self.sock.close()

    def send_frame(self, opcode, payload, fin=True):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._read(8))[0]
        assert not (b1 & 0x80), "server frames must not be masked"
        return b0 & 0x0F, self._read(n)

    def recv_json(self, timeout=10):
        self.sock.settimeout(timeout)
        while True:
            op, data = self.recv_frame()
            if op == 0x1:
                return json.loads(data)
            if op == 0x8:
                raise ConnectionError("closed")

    def send_raw(self, text):
        self.send_frame(0x1, text if isinstance(text, bytes) else text.encode())

    def call(self, cmd, **fields):
        """Send a command; return its reply (events that arrive first are skipped)."""
        msg = {"id": self.next_id, "cmd": cmd, **fields}
        self.next_id += 1
        self.send_raw(json.dumps(msg))
        return self.reply(msg["id"])

    def reply(self, id_):
        while True:
            m = self.recv_json()
            if "event" not in m and m.get("id") == id_:
                return m
            if "event" not in m and m.get("id") is None:
                return m  # an error about the message itself (no id could be read)

    def raw_call(self, text):
        """Send raw text; return the next reply (not an event)."""
        self.send_raw(text)
        while True:
            m = self.recv_json()
            if "event" not in m:
                return m

    def events(self, kind, seconds):
        out, end = [], time.time() + seconds
        while time.time() < end:
            try:
                m = self.recv_json(timeout=max(0.01, end - time.time()))
            except socket.timeout:
                break
            if m.get("event") == kind:
                out.append(m)
        return out
