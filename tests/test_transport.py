"""bot.transport.KeepAliveTransport against a scripted HTTP server on loopback."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot import transport as transport_module
from bot.transport import KeepAliveTransport, new_transport

TIMEOUT = {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}
# A self-signed certificate for localhost and 127.0.0.1, valid until 2126 (tests only).
FIXTURES = Path(__file__).parent / "fixtures"
CERT, KEY = FIXTURES / "localhost-cert.pem", FIXTURES / "localhost-key.pem"


@dataclass
class Seen:
    connection: int
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


def ok(body: bytes = b'{"ok":true}', *, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{extra}"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


@dataclass
class Script:
    """What the server does with the n-th request (0-based) it reads: (answer, then close?)."""

    answer: Callable[[int, Seen], tuple[bytes | None, bool]] = lambda n, seen: (ok(), False)
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0


class ScriptedServer:
    def __init__(self, script: Script, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.script = script
        self.tls = tls
        self.sock = socket.create_server((host, 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.script.connections += 1
                number = self.script.connections
            thread = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket, number: int) -> None:
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):  # the client refused our certificate
                conn.close()
                return
        reader = conn.makefile("rb")
        try:
            while True:
                start = reader.readline()
                if not start:
                    return
                try:
                    method, target, _ = start.decode("latin-1").split(" ", 2)
                except ValueError:  # not HTTP (a TLS hello): hang up, as a web server would
                    return
                headers: dict[str, str] = {}
                while (line := reader.readline()) not in (b"\r\n", b""):
                    key, _, value = line.decode().partition(":")
                    headers[key.strip().lower()] = value.strip()
                body = reader.read(int(headers.get("content-length") or 0))
                seen = Seen(number, method, target, headers, body)
                with self._lock:
                    self.script.seen.append(seen)
                    index = len(self.script.seen) - 1
                answer, close = self.script.answer(index, seen)
                if answer is not None:
                    conn.sendall(answer)
                if close:
                    return
        except OSError:
            return
        finally:
            reader.close()
            conn.close()

    def close(self) -> None:
        self.sock.close()
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def server():
    servers: list[ScriptedServer] = []

    def start(
        script: Script, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> ScriptedServer:
        servers.append(ScriptedServer(script, tls, host))
        return servers[-1]

    yield start
    for each in servers:
        each.close()


def call(
    transport: httpx.BaseTransport, method: str, url: str, content: bytes | None = None
) -> httpx.Response:
    request = httpx.Request(
        method, url, headers={"apikey": "k"}, content=content, extensions={"timeout": TIMEOUT}
    )
    return transport.handle_request(request)


def wait_until_closed_by_peer(transport: KeepAliveTransport) -> None:
    """Block until the server's FIN on the one idle connection has reached this side."""
    (idle,) = transport._idle.values()
    connection, _since = idle[-1]
    connection.sock.settimeout(5)
    # A FIN reads as EOF; peeking leaves nothing consumed and needs no sleep.
    assert connection.sock.recv(1, socket.MSG_PEEK) == b""


def test_three_requests_share_one_connection(server):
    script = Script()
    srv = server(script)
    transport = KeepAliveTransport()
    bodies = [call(transport, "GET", f"{srv.url}/v3/groups/g/bannedusers?page={n}") for n in (1, 2)]
    bodies.append(call(transport, "DELETE", f"{srv.url}/v3/groups/g/bannedusers/u"))
    assert [r.json() for r in bodies] == [{"ok": True}] * 3
    assert script.connections == 1
    assert [(s.method, s.target) for s in script.seen] == [
        ("GET", "/v3/groups/g/bannedusers?page=1"),
        ("GET", "/v3/groups/g/bannedusers?page=2"),
        ("DELETE", "/v3/groups/g/bannedusers/u"),
    ]
    assert script.seen[0].headers["apikey"] == "k"
    assert script.seen[0].headers["host"] == f"127.0.0.1:{srv.port}"
    transport.close()


def test_answer_keeps_status_headers_and_chunked_body(server):
    chunked = (
        b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\ntransfer-encoding: chunked\r\n\r\n"
        b'5\r\n{"a":\r\n2\r\n1}\r\n0\r\n\r\n'
    )
    srv = server(Script(answer=lambda n, seen: (chunked, False)))
    response = call(KeepAliveTransport(), "GET", srv.url + "/x")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json() == {"a": 1}


def test_post_body_is_sent_once(server):
    script = Script()
    srv = server(script)
    call(KeepAliveTransport(), "POST", srv.url + "/v3/x", content=b'{"uid":"u"}')
    assert [(s.method, s.body) for s in script.seen] == [("POST", b'{"uid":"u"}')]
    assert script.seen[0].headers["content-length"] == "11"


def test_connection_close_is_not_pooled(server):
    script = Script(answer=lambda n, seen: (ok(extra="connection: close\r\n"), True))
    srv = server(script)
    transport = KeepAliveTransport()
    for _ in range(2):
        assert call(transport, "GET", srv.url + "/x").status_code == 200
    assert script.connections == 2
    assert not any(transport._idle.values())


def idle_connection_closed_by_server(server) -> tuple[Script, ScriptedServer, KeepAliveTransport]:
    """A GET to /first answered on a connection the server then closed without saying so."""
    script = Script(answer=lambda n, seen: (ok(), True))
    srv = server(script)
    transport = KeepAliveTransport()
    call(transport, "GET", srv.url + "/first")
    wait_until_closed_by_peer(transport)
    return script, srv, transport


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_connection_the_server_closed_while_idle_is_not_used(server, method):
    # The FIN is seen (TCP_INFO) before the connection would be reused.
    script, srv, transport = idle_connection_closed_by_server(server)
    assert call(transport, method, srv.url + "/second", content=b"x").status_code == 200
    assert [(s.connection, s.target) for s in script.seen] == [(1, "/first"), (2, "/second")]


def test_dead_reused_connection_resends_a_get_once(server, monkeypatch):
    # Where TCP_INFO is missing (not Linux) a closed idle connection is only found on use.
    monkeypatch.setattr(transport_module, "_TCP_INFO", None)
    script, srv, transport = idle_connection_closed_by_server(server)
    assert call(transport, "GET", srv.url + "/again").json() == {"ok": True}
    assert [s.target for s in script.seen] == ["/first", "/again"]
    assert script.connections == 2


def test_dead_reused_connection_never_resends_a_write(server, monkeypatch):
    monkeypatch.setattr(transport_module, "_TCP_INFO", None)
    script, srv, transport = idle_connection_closed_by_server(server)
    with pytest.raises(httpx.RemoteProtocolError):
        call(transport, "POST", srv.url + "/ban", content=b"{}")
    assert [s.target for s in script.seen] == ["/first"]


def test_idle_connection_expires(server):
    now = [100.0]
    script = Script()
    srv = server(script)
    transport = KeepAliveTransport(keepalive_expiry=5.0, clock=lambda: now[0])
    call(transport, "GET", srv.url + "/a")
    now[0] += 4.9
    call(transport, "GET", srv.url + "/b")
    assert script.connections == 1
    now[0] += 5.1
    call(transport, "GET", srv.url + "/c")
    assert script.connections == 2


def test_refused_connection_is_a_connect_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        with pytest.raises(httpx.ConnectError):
            call(KeepAliveTransport(), "GET", f"http://127.0.0.1:{port}/x")


def test_silent_server_is_a_read_timeout(server):
    done = threading.Event()
    srv = server(Script(answer=lambda n, seen: (None, done.wait(5) and False)))
    request = httpx.Request(
        "GET", srv.url + "/slow", extensions={"timeout": {**TIMEOUT, "read": 0.05}}
    )
    try:
        with pytest.raises(httpx.ReadTimeout):
            KeepAliveTransport().handle_request(request)
    finally:
        done.set()


def test_garbage_answer_is_a_protocol_error(server):
    srv = server(Script(answer=lambda n, seen: (b"SSH-2.0-OpenSSH\r\n\r\n", True)))
    with pytest.raises(httpx.RemoteProtocolError):
        call(KeepAliveTransport(), "GET", srv.url + "/x")


def test_tls_to_a_plain_http_server_is_a_connect_error():
    # A plain HTTP server answers the TLS hello with text and hangs up.
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def answer_in_plain_text() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")

        thread = threading.Thread(target=answer_in_plain_text, daemon=True)
        thread.start()
        with pytest.raises(httpx.ConnectError):
            call(KeepAliveTransport(), "GET", f"https://127.0.0.1:{listener.getsockname()[1]}/x")
        thread.join(5)


def test_all_connections_busy_is_a_pool_timeout(server):
    arrived, release = threading.Event(), threading.Event()

    def hold(n: int, seen: Seen) -> tuple[bytes | None, bool]:
        arrived.set()
        return (ok() if release.wait(5) else None), False

    srv = server(Script(answer=hold))
    transport = KeepAliveTransport(max_connections=1)
    first = threading.Thread(target=call, args=(transport, "GET", srv.url + "/held"))
    first.start()
    try:
        request = httpx.Request("GET", srv.url + "/x", extensions={"timeout": {"pool": 0.05}})
        # The only slot is taken before the server sees /held.
        assert arrived.wait(5)
        with pytest.raises(httpx.PoolTimeout):
            transport.handle_request(request)
    finally:
        release.set()
        first.join(5)


def test_unsupported_scheme():
    with pytest.raises(httpx.UnsupportedProtocol):
        call(KeepAliveTransport(), "GET", "ftp://example.test/x")


def test_closed_transport_refuses_and_closes_idle_connections(server):
    script = Script()
    srv = server(script)
    transport = KeepAliveTransport()
    call(transport, "GET", srv.url + "/a")
    transport.close()
    assert not transport._idle
    with pytest.raises(httpx.ConnectError):
        call(transport, "GET", srv.url + "/b")


def test_environment_proxy_gets_httpx_transport(monkeypatch):
    context = transport_module.ssl.create_default_context()
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    plain = new_transport("https://app.api-us.cometchat.io/v3", ssl_context=context)
    assert isinstance(plain, KeepAliveTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    proxied = new_transport("https://app.api-us.cometchat.io/v3", ssl_context=context)
    assert isinstance(proxied, httpx.HTTPTransport)
    monkeypatch.setenv("NO_PROXY", "cometchat.io")
    bypassed = new_transport("https://app.api-us.cometchat.io/v3", ssl_context=context)
    assert isinstance(bypassed, KeepAliveTransport)


@pytest.mark.parametrize(
    ("raw", "body", "pooled"),
    [
        # HTTP/1.0 without keep-alive: the connection ends with the answer.
        (b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}", b"{}", False),
        # No length at all: the body runs to the close.
        (b'HTTP/1.1 200 OK\r\n\r\n{"to":"close"}', b'{"to":"close"}', False),
        # An interim 100 Continue comes before the real answer.
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]",
            b"[]",
            True,
        ),
        # 204 has no body whatever the headers say.
        (b"HTTP/1.1 204 No Content\r\n\r\n", b"", True),
        # Folded duplicates of one length are fine.
        (b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\n{}", b"{}", True),
    ],
)
def test_answer_framing(server, raw, body, pooled):
    script = Script(answer=lambda n, seen: (raw, not pooled))
    srv = server(script)
    transport = KeepAliveTransport()
    assert call(transport, "GET", srv.url + "/x").content == body
    assert bool(any(transport._idle.values())) == pooled


def test_head_answer_has_no_body_and_keeps_the_connection(server):
    script = Script(
        answer=lambda n, seen: (b"HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n", False)
    )
    srv = server(script)
    transport = KeepAliveTransport()
    assert call(transport, "HEAD", srv.url + "/x").content == b""
    assert call(transport, "HEAD", srv.url + "/y").status_code == 200
    assert script.connections == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{}",  # body cut short
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}",  # disagree
        b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",  # bad chunk size
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{}",  # chunk cut short
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-",  # headers cut short
        b"HTTP/1.1 200 OK\r\n" + b"x: y\r\n" * 101 + b"\r\n",  # too many headers
        b"HTTP/1.1 200 OK\r\nx: " + b"y" * 70000 + b"\r\n\r\n",  # header line too long
    ],
)
def test_malformed_answers_are_protocol_errors(server, raw):
    srv = server(Script(answer=lambda n, seen: (raw, True)))
    transport = KeepAliveTransport()
    with pytest.raises(httpx.RemoteProtocolError):
        call(transport, "GET", srv.url + "/x")
    assert not any(transport._idle.values())


def test_body_over_the_cap_is_refused(server):
    big = ok(b"x" * 2000)
    srv = server(Script(answer=lambda n, seen: (big, True)))
    with pytest.raises(httpx.RemoteProtocolError, match="over 1000 bytes"):
        call(KeepAliveTransport(max_body=1000), "GET", srv.url + "/x")


def test_header_with_a_line_break_is_never_sent(server):
    script = Script()
    srv = server(script)
    request = httpx.Request("GET", srv.url + "/x", headers={"apikey": "k"})
    # httpx accepts the value; putting it on the wire would inject a header.
    request.headers["onbehalfof"] = "u\r\nx-admin: yes"
    with pytest.raises(httpx.LocalProtocolError):
        KeepAliveTransport().handle_request(request)
    assert script.seen == []


def tls_server_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    return context


def trusting_client_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(CERT))


def test_https_with_a_trusted_certificate_reuses_one_connection(server):
    script = Script()
    srv = server(script, tls=tls_server_context())
    transport = KeepAliveTransport(ssl_context=trusting_client_context())
    for host in ("localhost", "localhost"):
        response = call(transport, "GET", f"https://{host}:{srv.port}/v3/groups")
        assert response.json() == {"ok": True}
    assert script.connections == 1
    assert script.seen[0].headers["host"] == f"localhost:{srv.port}"


def test_https_with_an_untrusted_certificate_is_a_connect_error(server):
    script = Script()
    srv = server(script, tls=tls_server_context())
    # The system's CAs do not know this self-signed certificate.
    transport = KeepAliveTransport(ssl_context=ssl.create_default_context())
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        call(transport, "GET", f"https://localhost:{srv.port}/x")
    assert script.seen == []


def test_https_to_an_address_the_certificate_does_not_name_is_a_connect_error(server):
    script = Script()
    # Linux routes all of 127/8 to loopback; the certificate names only localhost and 127.0.0.1.
    srv = server(script, tls=tls_server_context(), host="127.0.0.2")
    transport = KeepAliveTransport(ssl_context=trusting_client_context())
    with pytest.raises(httpx.ConnectError, match=r"mismatch|doesn't match|not valid for"):
        call(transport, "GET", f"https://127.0.0.2:{srv.port}/x")
    assert script.seen == []
