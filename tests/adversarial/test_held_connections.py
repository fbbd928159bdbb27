"""Connections that are opened and then held, against the real web process: a client that never
finishes its headers, or keeps an idle connection, is cut off, so a crowd of them cannot keep
Slack (or the health check) waiting for long. The bounds asserted are the ones promised to the
operator (headers within 30 s, idle keep-alive 15 s, health back within 35 s), not speeds."""

from __future__ import annotations

import resource
import socket
import time
from collections.abc import Iterator

import pytest

from tests.adversarial.test_hostile_http import exchange, signed_request, statuses
from tests.conftest import GUID
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import FakeSlack, command_body
from tests.support.web_process import WebProcess, web_with_fakes

HEADER_DEADLINE = 30.0
IDLE_DEADLINE = 15.0
HEALTH_BACK_WITHIN = 35.0
HELD = 2000


def _room_for_connections(count: int) -> None:
    """Both ends of `count` connections live on this machine: raise this process's soft limit on
    open files (the web process inherits it) when it is lower, as it is by default on many
    desktops (1,024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * count + 256
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


@pytest.fixture
def web(tmp_path) -> Iterator[tuple[WebProcess, FakeCometChat, FakeSlack]]:
    _room_for_connections(HELD)
    cometchat = FakeCometChat()
    cometchat.add_group(GUID, "Hiking Group", banned=57)
    with web_with_fakes(tmp_path, cometchat) as running:
        yield running.web, running.cometchat, running.slack


def closed_by_server_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed `sock` (it must, within `seconds`)."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {seconds} s")
    return time.monotonic() - started


def test_a_client_that_never_finishes_its_headers_is_cut_off(web):
    process, cometchat, _ = web
    with socket.create_connection(("127.0.0.1", process.port), timeout=5) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
        assert closed_by_server_within(sock, HEADER_DEADLINE) < HEADER_DEADLINE
    assert cometchat.requests == []


def test_an_idle_keep_alive_connection_is_closed(web):
    process, _, _ = web
    with socket.create_connection(("127.0.0.1", process.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert closed_by_server_within(sock, IDLE_DEADLINE) < IDLE_DEADLINE


def test_two_thousand_held_connections_do_not_keep_health_or_slack_waiting(web):
    process, cometchat, slack = web
    opened = time.monotonic()
    held = []
    try:
        for _ in range(HELD):
            sock = socket.create_connection(("127.0.0.1", process.port), timeout=10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # the request line, and nothing more
            held.append(sock)

        health = exchange(process.port, b"GET /healthz HTTP/1.0\r\n\r\n", timeout=40)
        assert statuses(health) == [200]
        assert time.monotonic() - opened < HEALTH_BACK_WITHIN

        # Slack is served at once now, while the held sockets are still open on our side.
        body = command_body(GUID, slack.url + "/response/c")
        command = exchange(process.port, signed_request(body, close=True))
        assert statuses(command) == [200]
        assert b"57 users banned" in command
        # Every held connection was closed by the server, none answered.
        for sock in held:
            assert closed_by_server_within(sock, HEADER_DEADLINE) < HEADER_DEADLINE
    finally:
        for sock in held:
            sock.close()
    # The command's page, read once (page 2 may be read ahead beside it).
    pages = [r.query["page"] for r in cometchat.requests if r.path.endswith("/bannedusers")]
    assert pages.count(["1"]) == 1
