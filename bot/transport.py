"""A lean keep-alive HTTP/1.1 transport for httpx, built on the standard library's http.client.

Why: every `/banned` command makes one GET to CometChat, and httpx's default stack (Client,
httpcore, h11) spends about 0.3 ms of CPU on it, against 0.1 ms for http.client: a fifth of
the bot's whole per-command CPU (see bench/load.py and the README's Performance section).

It is an `httpx.BaseTransport`, so callers keep httpx's Request/Response types and errors, and
tests swap it for `httpx.MockTransport` exactly as before. What it does:

- pools connections per origin (most recently used first), at most `max_connections` in use;
- drops an idle connection after `keepalive_expiry` seconds, or when the peer has closed it
  (checked with TCP_INFO where the OS has it, without touching the event loop);
- retries a GET or HEAD once on a fresh connection when a reused one turns out dead before any
  answer arrived; any other method is never resent (a POST may have reached the server);
- maps socket, TLS and protocol failures to httpx's exception types;
- reads each answer whole (the bodies it serves are small JSON documents).

Forward proxies from the environment (HTTPS_PROXY…) are not spoken here: `new_transport`
returns httpx's own transport when one applies.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import struct
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable

import httpx

_DEFAULT_TIMEOUT = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
_RESENDABLE = frozenset({"GET", "HEAD"})
_TCP_ESTABLISHED = 1  # tcp_info.tcpi_state, include/net/tcp_states.h
_TCP_INFO = getattr(socket, "TCP_INFO", None)


class _Dead(Exception):
    """A reused connection failed before any answer arrived (the peer had closed it)."""


class KeepAliveTransport(httpx.BaseTransport):
    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 100,
        keepalive_expiry: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._ssl_context = ssl_context
        self._keepalive_expiry = keepalive_expiry
        self._clock = clock
        self._slots = threading.BoundedSemaphore(max_connections)
        # origin -> idle connections, most recently used last: (connection, idle since)
        self._idle: dict[tuple[str, str, int], deque] = {}
        self._closed = False

    # -- httpx.BaseTransport ------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        if self._closed:
            raise httpx.ConnectError("transport is closed", request=request)
        timeout = request.extensions.get("timeout") or _DEFAULT_TIMEOUT
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        if not self._slots.acquire(timeout=timeout.get("pool") or None):
            raise httpx.PoolTimeout("no free connection in time", request=request)
        try:
            connection = self._reuse(origin)
            if connection is not None:
                try:
                    return self._exchange(connection, origin, request, timeout, reused=True)
                except _Dead as dead:
                    if request.method not in _RESENDABLE:
                        raise httpx.RemoteProtocolError(
                            f"connection closed by the server: {dead}", request=request
                        ) from None
            connection = self._connect(origin, timeout, request)
            try:
                return self._exchange(connection, origin, request, timeout, reused=False)
            except _Dead as dead:
                raise httpx.RemoteProtocolError(
                    f"connection closed by the server: {dead}", request=request
                ) from None
        finally:
            self._slots.release()

    def close(self) -> None:
        self._closed = True
        while self._idle:
            _origin, idle = self._idle.popitem()
            while idle:
                idle.pop()[0].close()

    # -- connections ----------------------------------------------------------------------------

    def _reuse(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection | None:
        idle = self._idle.get(origin)
        now = self._clock()
        while idle:
            try:
                connection, since = idle.pop()
            except IndexError:  # another thread took the last one
                return None
            if now - since <= self._keepalive_expiry and _open(connection):
                return connection
            connection.close()
        return None

    def _connect(
        self, origin: tuple[str, str, int], timeout: dict, request: httpx.Request
    ) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connect_timeout = timeout.get("connect")
        if scheme == "https":
            context = self._ssl_context or ssl.create_default_context()
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=connect_timeout, context=context
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=connect_timeout)
        try:
            connection.connect()
        except TimeoutError as exc:
            connection.close()
            raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from None
        except OSError as exc:  # refused, unreachable, DNS, TLS handshake (ssl.SSLError)
            connection.close()
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}", request=request) from None
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        origin: tuple[str, str, int],
        request: httpx.Request,
        timeout: dict,
        *,
        reused: bool,
    ) -> httpx.Response:
        sock = connection.sock
        stage = "write"
        try:
            sock.settimeout(timeout.get("write"))
            connection.putrequest(
                request.method,
                request.url.raw_path.decode("ascii"),
                skip_host=True,
                skip_accept_encoding="accept-encoding" in request.headers,
            )
            for name, value in request.headers.raw:
                connection.putheader(name, value)
            connection.endheaders(request.read() or None)
            stage = "read"
            sock.settimeout(timeout.get("read"))
            answer = connection.getresponse()
            content = answer.read()
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as exc:
            connection.close()
            # RemoteDisconnected: the server closed without a byte of answer.
            if reused and (stage == "write" or isinstance(exc, http.client.RemoteDisconnected)):
                raise _Dead(type(exc).__name__) from None
            raise _transport_error(exc, stage, request) from None
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise _transport_error(exc, stage, request) from None
        if answer.will_close or self._closed:
            connection.close()
        else:
            self._idle.setdefault(origin, deque()).append((connection, self._clock()))
        return httpx.Response(
            answer.status,
            headers=answer.getheaders(),
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason.encode()},
        )


def _open(connection: http.client.HTTPConnection) -> bool:
    """False when the peer has closed an idle connection (its FIN or RST has arrived)."""
    sock = connection.sock
    if sock is None:
        return False
    if _TCP_INFO is None:
        return True  # not Linux: rely on the expiry, and on resending a GET once
    try:
        state = struct.unpack_from("B", sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, 8))[0]
    except OSError:
        return False
    return state == _TCP_ESTABLISHED


def _transport_error(exc: Exception, stage: str, request: httpx.Request) -> httpx.TransportError:
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, TimeoutError):
        kind = httpx.WriteTimeout if stage == "write" else httpx.ReadTimeout
        return kind(detail, request=request)
    if isinstance(exc, http.client.HTTPException):
        return httpx.RemoteProtocolError(detail, request=request)
    kind = httpx.WriteError if stage == "write" else httpx.ReadError
    return kind(detail, request=request)


def environment_proxy(url: str) -> bool:
    """Whether HTTP(S)_PROXY / ALL_PROXY in the environment would apply to `url`."""
    parsed = httpx.URL(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parsed.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parsed.host)


def new_transport(
    url: str,
    *,
    ssl_context: ssl.SSLContext,
    max_connections: int = 100,
) -> httpx.BaseTransport:
    """The lean transport for `url`, or httpx's own when an environment proxy applies to it."""
    if environment_proxy(url):
        proxy = urllib.request.getproxies()
        return httpx.HTTPTransport(
            verify=ssl_context,
            proxy=proxy.get(httpx.URL(url).scheme) or proxy.get("all"),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        )
    return KeepAliveTransport(ssl_context=ssl_context, max_connections=max_connections)
