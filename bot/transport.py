"""A lean keep-alive HTTP/1.1 transport for httpx.

Why: every `/banned` command makes one GET to CometChat, and httpx's default stack (Client,
httpcore, h11) spent about 0.5 ms of CPU on it against the benchmark's fake; this transport,
called directly, about 0.15 ms. That was a fifth of the bot's whole CPU per command (see
bench/load.py and the README's Performance section).

It is an `httpx.BaseTransport`, so callers keep httpx's Request/Response types and errors, and
tests swap it for `httpx.MockTransport` as before. What it does:

- pools connections per origin (most recently used first), at most `max_connections` in use;
- drops an idle connection after `keepalive_expiry` seconds, or when the peer has closed it
  (checked with TCP_INFO where the OS has it, without a trip through an event loop);
- resends a GET or HEAD once on a fresh connection when a reused one turns out dead before any
  answer arrived; any other method is never resent (a POST may have reached the server);
- frames HTTP/1.1 itself: one write per request; answers with Content-Length, chunked, or
  read-to-close bodies, interim 1xx answers skipped; lines, header count and body size capped;
- maps socket, TLS and protocol failures to httpx's exception types;
- reads each answer whole (what it serves is small JSON documents).

Forward proxies from the environment (HTTPS_PROXY…) are not spoken here: `new_transport`
returns httpx's own transport when one applies.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from typing import BinaryIO

import httpx

from bot.http11 import MAX_LINE, HeaderError, read_header_block

_DEFAULT_TIMEOUT = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
_RESENDABLE = frozenset({"GET", "HEAD"})
_TCP_ESTABLISHED = 1  # tcp_info.tcpi_state, include/net/tcp_states.h
_TCP_INFO = getattr(socket, "TCP_INFO", None)
MAX_BODY = 16 * 1024 * 1024


class _Dead(Exception):
    """A reused connection failed before any answer arrived (the peer had closed it)."""


class _Protocol(Exception):
    """The answer is not HTTP/1.x as we can read it."""


class _Connection:
    __slots__ = ("reader", "sock")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.reader: BinaryIO = sock.makefile("rb")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


Origin = tuple[str, str, int]


class KeepAliveTransport(httpx.BaseTransport):
    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 100,
        keepalive_expiry: float = 5.0,
        max_body: int = MAX_BODY,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._ssl_context = ssl_context
        self._keepalive_expiry = keepalive_expiry
        self._max_body = max_body
        self._clock = clock
        self._slots = threading.BoundedSemaphore(max_connections)
        # origin -> idle connections, most recently used last: (connection, idle since)
        self._idle: dict[Origin, deque[tuple[_Connection, float]]] = {}
        self._closed = False

    # -- httpx.BaseTransport ------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        if self._closed:
            raise httpx.ConnectError("transport is closed", request=request)
        timeout = request.extensions.get("timeout") or _DEFAULT_TIMEOUT
        message = _request_bytes(request)
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        if not self._slots.acquire(timeout=timeout.get("pool")):
            raise httpx.PoolTimeout("no free connection in time", request=request)
        try:
            connection = self._reuse(origin)
            if connection is not None:
                try:
                    return self._exchange(connection, origin, request, message, timeout, True)
                except _Dead as dead:
                    if request.method not in _RESENDABLE:
                        raise _closed_by_server(dead, request) from None
            connection = self._connect(origin, timeout, request)
            try:
                return self._exchange(connection, origin, request, message, timeout, False)
            except _Dead as dead:
                raise _closed_by_server(dead, request) from None
        finally:
            self._slots.release()

    def close(self) -> None:
        self._closed = True
        while self._idle:
            _origin, idle = self._idle.popitem()
            while idle:
                idle.pop()[0].close()

    # -- connections ----------------------------------------------------------------------------

    def _reuse(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = self._clock()
        while idle:
            try:
                connection, since = idle.pop()
            except IndexError:  # another thread took the last one
                return None
            if now - since <= self._keepalive_expiry and _open(connection.sock):
                return connection
            connection.close()
        return None

    def _connect(self, origin: Origin, timeout: dict, request: httpx.Request) -> _Connection:
        scheme, host, port = origin
        sock = None
        try:
            sock = socket.create_connection((host, port), timeout=timeout.get("connect"))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                context = self._ssl_context or ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=host)
        except TimeoutError as exc:
            if sock is not None:
                sock.close()
            raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from None
        except OSError as exc:  # refused, unreachable, DNS, TLS handshake (ssl.SSLError)
            if sock is not None:
                sock.close()
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}", request=request) from None
        return _Connection(sock)

    def _exchange(
        self,
        connection: _Connection,
        origin: Origin,
        request: httpx.Request,
        message: bytes,
        timeout: dict,
        reused: bool,
    ) -> httpx.Response:
        sock = connection.sock
        stage = "write"
        try:
            sock.settimeout(timeout.get("write"))
            sock.sendall(message)
            stage = "read"
            sock.settimeout(timeout.get("read"))
            status, reason, headers, content, keep = _read_answer(
                connection.reader, request.method, self._max_body, reused
            )
        except _Dead:
            connection.close()
            raise
        except (ConnectionResetError, BrokenPipeError) as exc:
            connection.close()
            if reused and stage == "write":
                raise _Dead(type(exc).__name__) from None
            raise _transport_error(exc, stage, request) from None
        except (OSError, _Protocol) as exc:
            connection.close()
            raise _transport_error(exc, stage, request) from None
        if keep and not self._closed:
            self._idle.setdefault(origin, deque()).append((connection, self._clock()))
        else:
            connection.close()
        return httpx.Response(
            status,
            headers=headers,
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )


# -- HTTP/1.1 framing ---------------------------------------------------------------------------


def _request_bytes(request: httpx.Request) -> bytes:
    """The whole request as one write: request line, headers (Host included), body."""
    parts = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name:
            raise httpx.LocalProtocolError(f"line break in header {name!r}", request=request)
        parts += (name, b": ", value, b"\r\n")
    parts.append(b"\r\n")
    parts.append(request.read())
    return b"".join(parts)


def _read_answer(
    reader: BinaryIO, method: str, max_body: int, reused: bool
) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes, bool]:
    """(status, reason, headers, body, keep the connection) of one answer."""
    while True:
        try:
            line = reader.readline(MAX_LINE + 1)
        except ConnectionResetError as exc:
            if reused:
                raise _Dead(type(exc).__name__) from None
            raise
        if not line:
            if reused:
                raise _Dead("closed before answering")
            raise _Protocol("server closed the connection without answering")
        reused = False  # from here on a failure is the answer's, not a stale connection's
        version, status, reason = _status_line(line)
        headers = _header_lines(reader)
        if not (100 <= status < 200) or status == 101:
            break  # 1xx are interim answers (100 Continue…): the real one follows
    fields: dict[bytes, bytes] = {}
    for name, value in headers:
        lower = name.lower()
        fields[lower] = (fields[lower] + b", " + value) if lower in fields else value
    tokens = {t.strip() for t in fields.get(b"connection", b"").lower().split(b",")}
    keep = b"close" not in tokens and (version == b"HTTP/1.1" or b"keep-alive" in tokens)
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif b"chunked" in fields.get(b"transfer-encoding", b"").lower():
        body = _chunked(reader, max_body)
    elif b"content-length" in fields:
        body = _sized(reader, fields[b"content-length"], max_body)
    else:
        body, keep = reader.read(max_body + 1), False  # the body runs to the close
        if len(body) > max_body:
            raise _Protocol(f"answer body over {max_body} bytes")
    return status, reason, headers, body, keep


def _status_line(line: bytes) -> tuple[bytes, int, bytes]:
    if len(line) > MAX_LINE or not line.endswith(b"\n"):
        raise _Protocol("status line too long or cut short")
    version, _, rest = line.rstrip(b"\r\n").partition(b" ")
    code, _, reason = rest.partition(b" ")
    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise _Protocol(f"not an HTTP/1.x status line: {line[:40]!r}")
    return version, int(code), reason


def _header_lines(reader: BinaryIO) -> list[tuple[bytes, bytes]]:
    try:
        return read_header_block(reader)
    except HeaderError as exc:
        raise _Protocol(str(exc)) from None


def _sized(reader: BinaryIO, declared: bytes, max_body: int) -> bytes:
    lengths = {part.strip() for part in declared.split(b",")}
    if len(lengths) != 1 or not (length := lengths.pop()).isdigit():
        raise _Protocol(f"bad content-length {declared[:40]!r}")
    size = int(length)
    if size > max_body:
        raise _Protocol(f"answer body over {max_body} bytes")
    body = reader.read(size)
    if len(body) != size:
        raise _Protocol(f"body cut short: {len(body)} of {size} bytes")
    return body


def _chunked(reader: BinaryIO, max_body: int) -> bytes:
    body = bytearray()
    while True:
        line = reader.readline(MAX_LINE + 1)
        size_text = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not size_text:
            raise _Protocol("chunk size line cut short")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _Protocol(f"bad chunk size {size_text[:20]!r}") from None
        if size == 0:
            _header_lines(reader)  # trailers, ignored
            return bytes(body)
        if len(body) + size > max_body:
            raise _Protocol(f"answer body over {max_body} bytes")
        chunk = reader.read(size + 2)
        if len(chunk) != size + 2 or not chunk.endswith(b"\r\n"):
            raise _Protocol("chunk cut short")
        body += chunk[:-2]


def _open(sock: socket.socket) -> bool:
    """False when the peer has closed an idle connection (its FIN or RST has arrived)."""
    if _TCP_INFO is None:
        return True  # not Linux: rely on the expiry, and on resending a GET once
    try:
        state = struct.unpack_from("B", sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, 8))[0]
    except OSError:
        return False
    return state == _TCP_ESTABLISHED


def _closed_by_server(dead: _Dead, request: httpx.Request) -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError(f"connection closed by the server: {dead}", request=request)


def _transport_error(exc: Exception, stage: str, request: httpx.Request) -> httpx.TransportError:
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, TimeoutError):
        kind: type[httpx.TransportError] = (
            httpx.WriteTimeout if stage == "write" else httpx.ReadTimeout
        )
    elif isinstance(exc, _Protocol):
        kind = httpx.RemoteProtocolError
    else:
        kind = httpx.WriteError if stage == "write" else httpx.ReadError
    return kind(detail, request=request)


def environment_proxy(url: str) -> str | None:
    """The HTTP(S)_PROXY / ALL_PROXY from the environment that applies to `url`, if any."""
    parsed = httpx.URL(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parsed.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parsed.host):
        return None
    return proxy


def new_transport(
    url: str, *, ssl_context: ssl.SSLContext, max_connections: int = 100
) -> httpx.BaseTransport:
    """The lean transport for `url`, or httpx's own when an environment proxy applies to it."""
    proxy = environment_proxy(url)
    if proxy:
        return httpx.HTTPTransport(
            verify=ssl_context,
            proxy=proxy,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        )
    return KeepAliveTransport(ssl_context=ssl_context, max_connections=max_connections)
