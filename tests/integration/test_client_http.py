"""The CometChat client over real sockets: a scripted HTTP server on loopback stands in for
CometChat (or a proxy), so pooling, dead connections, TLS, timeouts and proxies are httpx's own
behaviour as the client configures it, not a MockTransport's."""

from __future__ import annotations

import re
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.cometchat import CometChatClient, RetryPolicy, Unavailable
from bot.cometchat.client import USER_AGENT
from tests.support.fakes.clock import FakeClock

KEY = "cc-secret-key-for-http-tests"
PAGE = b'{"data":[{"uid":"u1","name":"User 1"}]}'
# A self-signed certificate for localhost and 127.0.0.1, valid until 2126 (tests only).
FIXTURES = Path(__file__).parents[1] / "fixtures"
CERT, KEY_FILE = FIXTURES / "localhost-cert.pem", FIXTURES / "localhost-key.pem"


@dataclass
class Seen:
    connection: int
    method: str
    target: str
    headers: dict[str, str]


def ok(body: bytes = PAGE) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    ) + body


@dataclass
class Script:
    """What the server does with the n-th request (0-based) it reads: (answer, then hang up?).
    An answer of None sends nothing."""

    answer: Callable[[int, Seen], tuple[bytes | None, bool]] = lambda n, seen: (ok(), False)
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    closed: int = 0


class ScriptedServer:
    def __init__(self, script: Script, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.script = script
        self.tls = tls
        self.sock = socket.create_server((host, 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}"
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def wait_closed(self, count: int) -> None:
        """Until the server has closed `count` connections (its FIN sent)."""
        with self._changed:
            assert self._changed.wait_for(lambda: self.script.closed >= count, timeout=5)

    def wait_seen(self, count: int) -> None:
        """Until the server has read `count` requests."""
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.script.seen) >= count, timeout=5)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._changed:
                self.script.connections += 1
                number = self.script.connections
            thread = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket, number: int) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            with conn.makefile("rb") as reader:
                self._answer(conn, reader, number)
        except OSError:  # ssl.SSLError included: the client refused our certificate
            pass
        finally:
            conn.close()
            with self._changed:
                self.script.closed += 1
                self._changed.notify_all()

    def _answer(self, conn: socket.socket, reader, number: int) -> None:
        while start := reader.readline():
            method, target, _ = start.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            reader.read(int(headers.get("content-length") or 0))
            seen = Seen(number, method, target, headers)
            with self._changed:
                self.script.seen.append(seen)
                index = len(self.script.seen) - 1
                self._changed.notify_all()
            answer, hang_up = self.script.answer(index, seen)
            if answer is not None:
                conn.sendall(answer)
            if hang_up:
                return

    def close(self) -> None:
        self.sock.close()
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def server():
    servers: list[ScriptedServer] = []

    def start(script: Script, **kw) -> ScriptedServer:
        servers.append(ScriptedServer(script, **kw))
        return servers[-1]

    yield start
    for each in servers:
        each.close()


def make_client(
    base: str, *, attempts: int = 4, timeout: float = 2.0, verify: ssl.SSLContext | None = None
) -> tuple[CometChatClient, FakeClock]:
    clock = FakeClock()  # back-off waits are recorded, not slept
    client = CometChatClient(
        base + "/v3",
        SecretStr(KEY),
        timeout=timeout,
        verify=verify,
        retry=RetryPolicy(attempts=attempts, budget=60),
        sleep=clock.sleep,
        clock=clock,
    )
    return client, clock


def targets(script: Script) -> list[tuple[int, str, str]]:
    return [(s.connection, s.method, s.target.split("?")[0]) for s in script.seen]


# -- keep-alive -------------------------------------------------------------------------------


def test_reads_and_a_write_share_one_pooled_connection(server):
    script = Script()
    srv = server(script)
    client, _ = make_client(srv.url)

    client.list_banned_users("g", page=1)
    client.list_banned_users("g", page=2)
    client.unban("g", "u")

    assert script.connections == 1
    assert [(s.method, s.target) for s in script.seen] == [
        ("GET", "/v3/groups/g/bannedusers?page=1&perPage=10"),
        ("GET", "/v3/groups/g/bannedusers?page=2&perPage=10"),
        ("DELETE", "/v3/groups/g/bannedusers/u"),
    ]
    first = script.seen[0].headers
    assert first["apikey"] == KEY and first["user-agent"] == USER_AGENT
    assert first["host"] == f"127.0.0.1:{srv.port}"
    client.close()


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_idle_connection_the_server_closed_is_replaced_without_an_error(server, method):
    # The server answers, then hangs up without `connection: close`; httpx sees the closed
    # socket before reusing it, so nothing fails and nothing is retried.
    script = Script(answer=lambda n, seen: (ok(), True))
    srv = server(script)
    client, clock = make_client(srv.url)
    client.list_banned_users("first")
    srv.wait_closed(1)

    if method == "GET":
        client.list_banned_users("second")
    else:
        client.unban("second", "u")

    assert targets(script) == [
        (1, "GET", "/v3/groups/first/bannedusers"),
        (2, method, "/v3/groups/second/bannedusers" + ("/u" if method == "DELETE" else "")),
    ]
    assert clock.sleeps == []


def dies_on_second_request(n: int, seen: Seen) -> tuple[bytes | None, bool]:
    """The second request meets a connection that dies before answering (a proxy's idle
    timeout firing just as it is sent): read, then hang up."""
    return (None, True) if n == 1 else (ok(), False)


def test_a_read_that_meets_a_dead_connection_is_retried_on_a_new_one(server):
    script = Script(answer=dies_on_second_request)
    srv = server(script)
    client, clock = make_client(srv.url)
    client.list_groups()

    assert [u.uid for u in client.list_banned_users("g").users] == ["u1"]

    assert targets(script) == [
        (1, "GET", "/v3/groups"),
        (1, "GET", "/v3/groups/g/bannedusers"),
        (2, "GET", "/v3/groups/g/bannedusers"),
    ]
    assert len(clock.sleeps) == 1


@pytest.mark.parametrize("operation", ["ban", "unban"])
def test_a_write_that_meets_a_dead_connection_is_never_sent_twice(server, operation):
    script = Script(answer=dies_on_second_request)
    srv = server(script)
    client, clock = make_client(srv.url)
    client.list_groups()

    with pytest.raises(Unavailable):
        getattr(client, operation)("g", "u")

    assert [s.method for s in script.seen] == ["GET", "POST" if operation == "ban" else "DELETE"]
    assert clock.sleeps == []


# -- TLS --------------------------------------------------------------------------------------


def tls_server_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY_FILE)
    return context


def trusting_client_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(CERT))


def test_https_with_a_trusted_certificate_reuses_one_connection(server):
    script = Script()
    srv = server(script, tls=tls_server_context())
    base = f"https://localhost:{srv.port}"
    client, _ = make_client(base, verify=trusting_client_context())

    for _ in range(2):
        assert client.list_banned_users("g").users[0].uid == "u1"

    assert script.connections == 1
    assert script.seen[0].headers["host"] == f"localhost:{srv.port}"


def certificate_refusal(client: CometChatClient) -> str:
    with pytest.raises(Unavailable) as raised:
        client.list_groups()
    cause = raised.value.__cause__  # what the client turned into Unavailable
    assert isinstance(cause, httpx.ConnectError)
    return str(cause)


def test_https_with_an_untrusted_certificate_is_refused(server):
    script = Script()
    srv = server(script, tls=tls_server_context())
    # The production trust store (certifi) does not know this self-signed certificate.
    client, _ = make_client(f"https://localhost:{srv.port}", attempts=1)
    assert "CERTIFICATE_VERIFY_FAILED" in certificate_refusal(client)
    assert script.seen == []


def test_https_to_an_address_the_certificate_does_not_name_is_refused(server):
    script = Script()
    # Linux routes all of 127/8 to loopback; the certificate names only localhost and 127.0.0.1.
    srv = server(script, tls=tls_server_context(), host="127.0.0.2")
    client, _ = make_client(srv.url, attempts=1, verify=trusting_client_context())
    assert re.search(r"mismatch|not valid for '127\.0\.0\.2'", certificate_refusal(client))
    assert script.seen == []


# -- timeouts and refusals ----------------------------------------------------------------------


@pytest.fixture
def silent(server):
    """A server that reads each request and never answers (until the test ends)."""
    release = threading.Event()
    script = Script(answer=lambda n, seen: (None, release.wait(10)))
    yield script, server(script)
    release.set()


def test_a_silent_server_ends_a_read_in_unavailable_after_its_retries(silent):
    script, srv = silent
    client, clock = make_client(srv.url, attempts=2, timeout=0.2)
    with pytest.raises(Unavailable) as raised:
        client.list_banned_users("g")
    assert isinstance(raised.value.__cause__, httpx.ReadTimeout)
    srv.wait_seen(2)
    assert len(script.seen) == 2 and len(clock.sleeps) == 1


def test_a_silent_server_ends_a_write_in_unavailable_sent_once(silent):
    script, srv = silent
    client, clock = make_client(srv.url, attempts=2, timeout=0.2)
    with pytest.raises(Unavailable) as raised:
        client.ban("g", "u")
    assert isinstance(raised.value.__cause__, httpx.ReadTimeout)
    srv.wait_seen(1)
    assert [s.method for s in script.seen] == ["POST"] and clock.sleeps == []


def test_a_refused_connection_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        client, _ = make_client(f"http://127.0.0.1:{sock.getsockname()[1]}", attempts=1)
        with pytest.raises(Unavailable) as raised:
            client.list_groups()
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


# -- proxies from the environment ---------------------------------------------------------------

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxy_environment(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def test_http_proxy_from_the_environment_is_used(server, no_proxy_environment):
    proxy = Script()
    srv = server(proxy)
    no_proxy_environment.setenv("HTTP_PROXY", srv.url)
    client, _ = make_client("http://cometchat.example")  # never resolved: the proxy answers

    client.list_groups(per_page=1)

    ((seen,),) = [proxy.seen]
    assert seen.target == "http://cometchat.example/v3/groups?page=1&perPage=1"  # absolute form
    assert seen.headers["host"] == "cometchat.example" and seen.headers["apikey"] == KEY


def test_no_proxy_sends_straight_to_the_host(server, no_proxy_environment):
    proxy, direct = Script(), Script()
    proxy_srv, direct_srv = server(proxy), server(direct)
    no_proxy_environment.setenv("HTTP_PROXY", proxy_srv.url)
    no_proxy_environment.setenv("NO_PROXY", "127.0.0.1")
    client, _ = make_client(direct_srv.url)

    client.list_groups(per_page=1)

    assert proxy.seen == [] and [s.target for s in direct.seen] == ["/v3/groups?page=1&perPage=1"]
