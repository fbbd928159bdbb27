"""A fake Slack Socket Mode endpoint on loopback: a minimal WebSocket server (RFC 6455).

Pair it with FakeSlack: `apps.connections.open` answers with this server's `ws://` URL. Once the
bot connects, `send_envelope()` pushes a request the way Slack does, and `wait_for_ack()` returns
the bot's acknowledgement envelope (with its payload, if the ack carried one).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time
import uuid

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's fixed handshake suffix


class FakeSocketMode:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=t"
        self.acks: dict[str, dict] = {}
        self.handshake_path: str | None = None
        self._conn: socket.socket | None = None
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        with self._cond:
            conn = self._conn
        for sock in (conn, self._listener):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    # -- test side ---------------------------------------------------------------------------

    def wait_connected(self, timeout: float = 10.0) -> None:
        self._wait(lambda: self._conn is not None, timeout, "the bot never connected")

    def send_envelope(self, kind: str, payload: dict) -> str:
        envelope_id = uuid.uuid4().hex
        self._send_text(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "type": kind,
                    "accepts_response_payload": kind != "events_api",
                    "payload": payload,
                }
            )
        )
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict:
        self._wait(lambda: envelope_id in self.acks, timeout, f"no ack for {envelope_id}")
        return self.acks[envelope_id]

    def _wait(self, ready, timeout: float, failure: str) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not ready():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(failure)
                self._cond.wait(remaining)

    # -- server side -------------------------------------------------------------------------

    def _serve(self) -> None:
        # Each (re)connection gets its own thread; the newest one is where envelopes go.
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        try:
            self._handshake(conn)
            with self._cond:
                self._conn = conn
                self._cond.notify_all()
            self._send_text(json.dumps({"type": "hello", "num_connections": 1}))
            while not self._closed:
                opcode, data = _read_frame(conn)
                if opcode == 0x1:
                    message = json.loads(data)
                    with self._cond:
                        self.acks[message.get("envelope_id", "")] = message
                        self._cond.notify_all()
                elif opcode == 0x9:  # ping -> pong
                    self._send(0xA, data)
                elif opcode == 0x8:
                    return
        except (OSError, ConnectionError, ValueError):
            return

    def _handshake(self, conn: socket.socket) -> None:
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = conn.recv(4096)
            if not chunk:
                raise ConnectionError("closed during handshake")
            raw += chunk
        lines = raw.split(b"\r\n\r\n")[0].decode().split("\r\n")
        self.handshake_path = lines[0].split(" ")[1]
        headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
        accept = base64.b64encode(
            hashlib.sha1((headers["sec-websocket-key"] + _GUID).encode()).digest()
        ).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )

    def _send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def _send(self, opcode: int, data: bytes) -> None:
        # Server frames are never masked.
        header = bytes([0x80 | opcode])
        if len(data) < 126:
            header += bytes([len(data)])
        elif len(data) < 65536:
            header += bytes([126]) + struct.pack("!H", len(data))
        else:
            header += bytes([127]) + struct.pack("!Q", len(data))
        assert self._conn is not None
        with self._send_lock:
            self._conn.sendall(header + data)


def _read_exact(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
    """One client frame (clients always mask). Fragmented messages are not needed here."""
    first, second = _read_exact(conn, 2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _read_exact(conn, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _read_exact(conn, 8))
    mask = _read_exact(conn, 4) if second & 0x80 else b"\0\0\0\0"
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(_read_exact(conn, length)))
    return first & 0x0F, data
