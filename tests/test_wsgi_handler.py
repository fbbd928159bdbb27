"""bot.wsgi_handler: the request-header parser, alone and inside a real gevent WSGIServer."""

from __future__ import annotations

import io
import socket

import gevent
import pytest
from gevent.pywsgi import WSGIServer

from bot.http11 import MAX_HEADERS
from bot.wsgi_handler import LeanWSGIHandler, read_headers

SLACK_HEADERS = (
    b"Host: bot.example.com\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 12\r\n"
    b"X-Slack-Request-Timestamp: 1700000000\r\n"
    b"X-Slack-Signature:  v0=abc \r\n"
    b"\r\n"
)


def test_reads_what_gevent_asks_for():
    headers = read_headers(io.BytesIO(SLACK_HEADERS + b"body follows"))
    assert headers.status == ""
    assert headers.get("content-length") == "12"
    assert headers.getheader("CONTENT-LENGTH") == "12"
    assert headers.typeheader == "application/x-www-form-urlencoded"
    assert headers.get("x-slack-signature") == "v0=abc"  # surrounding space trimmed
    assert headers.get("missing", "dflt") == "dflt"
    assert next(iter(headers.headers)) == "Host: bot.example.com\r\n"
    del headers["content-length"]
    assert headers.get("content-length") is None
    del headers["not-there"]  # like email.message: no KeyError


def test_stops_at_the_blank_line_and_leaves_the_body():
    stream = io.BytesIO(SLACK_HEADERS + b"text=g1&x=y")
    read_headers(stream)
    assert stream.read() == b"text=g1&x=y"


def test_repeated_header_other_than_framing_keeps_the_first():
    headers = read_headers(io.BytesIO(b"Accept: a\r\naccept: b\r\n\r\n"))
    assert headers.status == ""
    assert headers.get("accept") == "a"
    assert len(list(headers.headers)) == 2


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n", "Repeated"),
        (b"Transfer-Encoding: chunked\r\ntransfer-encoding: identity\r\n\r\n", "Repeated"),
        (b"Host: a\r\nHost: b\r\n\r\n", "Repeated"),
        (b"X-A: 1\r\n  folded\r\n\r\n", "Folded"),
        (b"no colon\r\n\r\n", "Malformed"),
        (b": empty name\r\n\r\n", "Malformed"),
        (b"X-A : space before colon\r\n\r\n", "Malformed"),
        (b"X A: space inside the name\r\n\r\n", "Malformed"),
        (b"X-A\xa0: latin-1 no-break space\r\n\r\n", "Malformed"),
        (b"X-A: 1\r\nX-B: cut short", "cut short"),
        (b"X-A: " + b"y" * 70000 + b"\r\n\r\n", "too long"),
        (b"X-A: 1\r\n" * (MAX_HEADERS + 1) + b"\r\n", "Too many"),
    ],
)
def test_ambiguous_or_oversized_headers_are_refused(raw, why):
    headers = read_headers(io.BytesIO(raw))
    assert why in headers.status
    assert headers.get("content-length") is None


def exchange(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def served():
    """A real gevent WSGIServer with the lean handler; the app echoes what it was given."""
    seen: list[dict] = []

    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        seen.append({**{k: v for k, v in environ.items() if k.isupper()}, "body": body})
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = WSGIServer(("127.0.0.1", 0), app, log=None, handler_class=LeanWSGIHandler)
    server.start()

    def run(raw: bytes) -> bytes:
        # The server runs on this thread's gevent hub: do the client's I/O in a thread pool.
        return gevent.get_hub().threadpool.apply(exchange, (server.server_port, raw))

    yield run, seen
    server.stop()


def test_a_slack_request_reaches_the_app_with_its_headers_and_body(served):
    run, seen = served
    answer = run(
        b"POST /slack/events HTTP/1.1\r\n"
        + SLACK_HEADERS[:-2]
        + b"Connection: close\r\n\r\ntext=g1&x=yy"
    )
    assert answer.startswith(b"HTTP/1.1 200")
    (environ,) = seen
    assert environ["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert environ["CONTENT_LENGTH"] == "12"
    assert environ["HTTP_X_SLACK_SIGNATURE"] == "v0=abc"
    assert environ["HTTP_HOST"] == "bot.example.com"
    assert environ["body"] == b"text=g1&x=yy"


def test_a_smuggling_attempt_is_a_400_and_never_reaches_the_app(served):
    run, seen = served
    answer = run(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n"
        b"\r\nabcd"
    )
    assert answer.startswith(b"HTTP/1.1 400")
    assert seen == []


def test_chunked_body_still_works(served):
    run, seen = served
    answer = run(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 200")
    assert seen[0]["body"] == b"abcd"
