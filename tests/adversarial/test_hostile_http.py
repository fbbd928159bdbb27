"""Hostile traffic against the real web process (gunicorn, as the Procfile starts it), over real
sockets: requests that could be read two ways, oversized or unsigned requests, request shapes
that used to raise. Each is refused, nothing reaches CometChat, and nothing the sender wrote
reaches the log.

Where a request smuggles a second one, the second is a *signed* `/banned` command: had the
server read it as a request of its own, CometChat would have been asked for a page.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.web.wsgi import MAX_BODY
from tests.conftest import GUID
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import FakeSlack, command_body, sign
from tests.support.web_process import WebProcess, web_with_fakes

# What an outsider would like to see in our log: it must never appear there.
FORGED = "event=audit actor=U0MOD action=unban"
STATUS = re.compile(rb"(?:^|\n)HTTP/1\.[01] (\d{3}) ")


@dataclass
class Server:
    web: WebProcess
    cometchat: FakeCometChat
    slack: FakeSlack
    syncs: int = 0

    @property
    def port(self) -> int:
        return self.web.port

    def sync(self) -> None:
        """Wait until every line logged before now has been read: send a signed command and wait
        for its own log line (the process writes its log in order)."""
        self.syncs += 1
        guid = f"sync-{self.syncs}"
        body = command_body(guid, self.slack.url + "/response/sync")
        answer = exchange(self.port, signed_request(body, close=True))
        assert statuses(answer) == [200], answer
        self.web.wait_for_line(f"guid={guid}")


def signed_request(body: bytes, *, close: bool = False) -> bytes:
    headers = sign(body)
    lines = [
        b"POST /slack/events HTTP/1.1",
        b"Host: bot.example.com",
        b"Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body)}".encode(),
        f"X-Slack-Request-Timestamp: {headers['X-Slack-Request-Timestamp']}".encode(),
        f"X-Slack-Signature: {headers['X-Slack-Signature']}".encode(),
    ]
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def exchange(port: int, data: bytes, *, timeout: float = 15.0) -> bytes:
    """Send `data`, then read until the server closes the connection (or `timeout` passes, which
    fails the test: every exchange here must end with the server closing)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # Closed before we finished sending? What is read below says why.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def statuses(answer: bytes) -> list[int]:
    return [int(code) for code in STATUS.findall(answer)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    cometchat = FakeCometChat()
    cometchat.add_group(GUID, "Hiking Group", banned=57)
    # The log of CometChat's requests proves what forged requests never reached: no page is
    # read ahead in the background to add to it.
    with web_with_fakes(
        tmp_path_factory.mktemp("hostile"), cometchat, READ_AHEAD="false"
    ) as running:
        yield Server(running.web, running.cometchat, running.slack)


@pytest.fixture
def clean(server: Server) -> Iterator[Server]:
    """The server, with CometChat's request log emptied; afterwards: CometChat was asked for
    nothing but the sync commands' pages, and nothing the tests forged is in the log."""
    server.cometchat.requests.clear()
    yield server
    server.sync()
    asked = [r.path for r in server.cometchat.requests]
    assert all("/groups/sync-" in path for path in asked), asked
    assert FORGED not in server.web.output
    assert "Traceback" not in server.web.output


# -- one request read two ways ------------------------------------------------------------------

INNER = command_body(GUID, "http://127.0.0.1:9/response/smuggled")


def smuggled_requests() -> list[tuple[str, bytes]]:
    inner = signed_request(INNER)
    head = b"POST /slack/events HTTP/1.1\r\nHost: bot.example.com\r\n"
    return [
        (
            "gzip, chunked with a Content-Length",
            head + b"Transfer-Encoding: gzip, chunked\r\nContent-Length: 4\r\n\r\n"
            b"0\r\n\r\n" + inner,
        ),
        (
            "Transfer-Encoding: identity, a request in the body",
            head + b"Transfer-Encoding: identity\r\n\r\n" + inner,
        ),
        (
            "chunked and a Content-Length",
            head
            + b"Transfer-Encoding: chunked\r\nContent-Length: "
            + str(len(inner) + 5).encode()
            + b"\r\n\r\n0\r\n\r\n"
            + inner,
        ),
        ("Content-Length +4", head + b"Content-Length: +4\r\n\r\nabcd" + inner),
        ("Content-Length 0_4", head + b"Content-Length: 0_4\r\n\r\nabcd" + inner),
        ("Content-Length 4 and 40", head + b"Content-Length: 4\r\nContent-Length: 40\r\n\r\n"),
        (
            "a bare CR inside a header value",
            head + b"X-Note: one\rContent-Length: 4\r\n\r\nabcd" + inner,
        ),
        (
            "a folded header line",
            head + b"X-Note: one\r\n two\r\nContent-Length: 0\r\n\r\n" + inner,
        ),
        (
            "Upgrade: websocket on a POST, a request pipelined behind it",
            head
            + b"Upgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n"
            + inner,
        ),
        (
            "Upgrade after the Content-Length, a request pipelined behind it",
            head
            + b"Content-Length: 0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
            + inner,
        ),
        ("a header name with a space", head + b"Content Length: 4\r\n\r\nabcd" + inner),
    ]


@pytest.mark.parametrize(
    ("why", "raw"), smuggled_requests(), ids=[w for w, _ in smuggled_requests()]
)
def test_a_request_that_could_be_read_two_ways_is_refused_and_the_connection_closed(
    clean, why, raw
):
    answer = exchange(clean.port, raw)

    # One answer, a refusal, then the connection ends: the smuggled command is never read.
    assert len(statuses(answer)) == 1, (why, answer)
    assert statuses(answer)[0] in {400, 501}, (why, answer)


def test_content_length_with_surrounding_space_is_read_one_way(clean):
    """`Content-Length:  4` (optional whitespace, RFC 9110 §5.5) is 4 to any conforming reader:
    the four bytes are the body, and what follows is read as the next request, once."""
    inner = signed_request(INNER, close=True)
    raw = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length:  4 \r\n\r\nabcd" + inner
    answer = exchange(clean.port, raw)
    assert statuses(answer) == [401, 200]  # the first is unsigned; the second is the command
    clean.cometchat.requests.clear()  # the command was a real, signed one


# -- size ---------------------------------------------------------------------------------------


def test_an_unsigned_body_over_the_limit_is_refused_before_it_is_read(clean):
    # Headers only: the answer comes without a byte of the 1 MB body having been sent.
    raw = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n"
        b"X-Slack-Request-Timestamp: " + str(int(time.time())).encode() + b"\r\n"
        b"X-Slack-Signature: v0=" + b"0" * 64 + b"\r\n\r\n"
    )
    answer = exchange(clean.port, raw)
    assert statuses(answer) == [413]


def test_a_header_block_over_the_limit_is_refused_and_the_connection_closed(clean):
    headers = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"y" * 8000) for i in range(40))
    raw = b"POST /slack/events HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    answer = exchange(clean.port, raw)
    assert statuses(answer) in ([431], [400]), answer[:200]


def test_a_single_header_line_over_the_limit_is_refused(clean):
    raw = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + b"y" * 20000 + b"\r\n\r\n"
    assert statuses(exchange(clean.port, raw)) in ([431], [400])


def test_held_requests_with_the_largest_header_block_accepted_stay_within_memory(clean):
    """40 requests with the largest header block the server accepts, each holding its body
    back: the worker must not grow by more than 50 MB (it grew 95 MB with 8 before)."""
    worker = worker_pid(clean.web)
    before = rss_mb(worker)
    # Just under the server's limits: 22 headers of 8,000 bytes, plus the Slack headers.
    pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"y" * 8000) for i in range(22))
    held = []
    try:
        for _ in range(40):
            sock = socket.create_connection(("127.0.0.1", clean.port), timeout=10)
            sock.sendall(
                b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                + f"X-Slack-Request-Timestamp: {int(time.time())}\r\n".encode()
                + b"X-Slack-Signature: v0="
                + b"0" * 64
                + b"\r\n"
                + pad
                + b"\r\n"
                + b"x" * 10  # of the 100 bytes promised
            )
            held.append(sock)
        # Every request has been accepted and its headers parsed: a fresh request is served.
        assert statuses(exchange(clean.port, b"GET /healthz HTTP/1.0\r\n\r\n")) == [200]
        assert rss_mb(worker) - before < 50
    finally:
        for sock in held:
            sock.close()


# -- unsigned requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no signature at all
        {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=" + "0" * 64},  # stale
        {"X-Slack-Signature": "v0=" + "0" * 64},  # fresh timestamp added below, wrong signature
    ],
    ids=["unsigned", "stale", "wrong signature"],
)
def test_an_unsigned_request_is_refused_and_nothing_it_sent_is_logged(clean, headers):
    headers = {"X-Slack-Request-Timestamp": str(int(time.time())), **headers}
    body = f"command=/banned&text={GUID}&payload={FORGED}".encode()
    lines = [f"POST /slack/events?{FORGED.replace(' ', '&')} HTTP/1.1", "Host: x"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"X-Forged: {FORGED}", f"Content-Length: {len(body)}", "Connection: close"]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    assert statuses(exchange(clean.port, raw)) == [401]


def test_a_timestamp_of_4301_digits_is_a_401_not_a_traceback(clean):
    body = b"command=/banned&text=x"
    raw = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"X-Slack-Request-Timestamp: " + b"9" * 4301 + b"\r\n"
        b"X-Slack-Signature: v0=" + b"0" * 64 + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    assert statuses(exchange(clean.port, raw)) == [401]


@pytest.mark.parametrize(
    "line",
    [b"GET / HTTP/1", b"POST " + FORGED.encode() + b" HTTP/1.1", b"\x16\x03\x01\x02\x00\x01"],
    ids=["HTTP/1", "forged request line", "TLS hello"],
)
def test_a_malformed_request_line_is_a_400_in_one_log_line_without_its_content(clean, line):
    answer = exchange(clean.port, line + b"\r\nHost: x\r\n\r\n")
    assert statuses(answer) == [400]
    clean.sync()
    refused = [ln for ln in clean.web.lines if "event=invalid_http_request" in ln]
    assert refused, clean.web.output
    assert all("logger=gunicorn.error" in ln for ln in refused)


def test_the_process_writes_nothing_but_log_lines(server):
    """stdout and stderr both: every line is one record in the log format (tracebacks folded)."""
    log_line = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} level=[A-Z]+ logger=\S+ \S")
    server.sync()
    strays = [line for line in server.web.lines if not log_line.match(line)]
    assert strays == []


# -- helpers: the worker process ----------------------------------------------------------------


def worker_pid(web: WebProcess) -> int:
    line = web.wait_for_line("event=listening")
    return int(re.search(r" pid=(\d+)", line)[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_the_body_limit_fits_slack_payloads():
    # A modal submission with every block filled is tens of kB; a command is under 1 kB.
    assert 64 * 1024 <= MAX_BODY <= 1024 * 1024
