"""The WSGI application: Slack's request path, CometChat's webhook path, a health route.

On Slack's path the signature and timestamp are checked on the raw bytes before anything parses
them, and before Bolt sees the request: an unsigned request costs a header check (or, at most, one
bounded read and an HMAC), is answered 401, and never reaches a log line.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import Clock, SignatureVerifier

from bot.logs import kv, request_scope
from bot.request_body import BodyTimeout, declared_length, read_body
from bot.webhooks.endpoint import WEBHOOK_PATH

log = logging.getLogger("bot.web")

# What Bolt's request parsing raises on a signed body that is not a Slack payload.
_UNPARSEABLE = (ValueError, TypeError, AttributeError, KeyError, RecursionError)

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
CHARTS_PREFIX = "/charts/"
MAX_CHART_NAME = 200  # a token is about 70 characters
# Slack's payloads are a few kB (a view submission with every block, tens of kB).
MAX_BODY = 256 * 1024
# Slack's timestamps are Unix seconds; a longer "number" is refused before int() sees it.
_MAX_TIMESTAMP_DIGITS = 12

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]


def create_wsgi_app(
    app: App,
    *,
    signing_secret: str,
    webhooks: WSGIApp | None = None,
    charts: Callable[[str], bytes | None] | None = None,
    clock: Callable[[], float] = time.time,
) -> WSGIApp:
    """`webhooks` serves CometChat's deliveries (see `bot.webhooks`); None answers 404 there.
    `charts` turns a chart token into PNG bytes (None: no such chart) for `GET /charts/`."""
    slack = SlackRequestHandler(app, path=SLACK_PATH)
    verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))

    def slack_events(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _plain(start_response, "405 Method Not Allowed", b"POST only\n")
        if "HTTP_UPGRADE" in environ:
            # Slack never asks to switch protocols; a proxy and this server could disagree on
            # where the next request starts. The server closes the connection after this answer.
            return _plain(start_response, "400 Bad Request", b"no upgrades here\n")
        length = declared_length(environ)
        if length is None:
            return _plain(start_response, "400 Bad Request", b"bad content-length\n")
        if length > MAX_BODY:
            return _plain(start_response, "413 Content Too Large", b"body too large\n")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not _plausible(timestamp, signature) or not _fresh(timestamp, clock()):
            return _unauthorized(start_response)
        try:
            body = read_body(environ, MAX_BODY)
        except BodyTimeout:
            return _plain(start_response, "408 Request Timeout", b"body too slow\n")
        if body is None:
            return _plain(start_response, "413 Content Too Large", b"body too large\n")
        if not _is_utf8(body) or not verifier.is_valid(body, timestamp, signature):
            # Slack signs UTF-8 text; slack_sdk's verifier decodes the body before hashing.
            return _unauthorized(start_response)
        # Bolt reads the body again, and checks the signature again (cheap, and its own).
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        try:
            return slack(environ, start_response)
        except _UNPARSEABLE as exc:
            # A signed body that is not a Slack payload. The adapter starts its response only
            # after parsing, so none was sent.
            log.warning(kv(event="bad_slack_request", error=type(exc).__name__))
            return _plain(start_response, "400 Bad Request", b"malformed request\n")

    def wsgi(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        # A green thread serves one connection's requests in turn: none inherits another's
        # log fields. Every answer here is a list, complete when the scope ends. Heroku's router
        # names each request (X-Request-ID, in its own log line too): ours then carry that id.
        with request_scope(environ.get("HTTP_X_REQUEST_ID")):
            return route(environ, start_response)

    def route(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _plain(start_response, "200 OK", b"ok\n")
        if path == SLACK_PATH:
            return slack_events(environ, start_response)
        if path == WEBHOOK_PATH and webhooks is not None:
            return webhooks(environ, start_response)
        if path.startswith(CHARTS_PREFIX) and charts is not None:
            return chart(environ, start_response, path[len(CHARTS_PREFIX) :])
        return _plain(start_response, "404 Not Found", b"not found\n")

    def chart(environ: dict, start_response: StartResponse, name: str) -> Iterable[bytes]:
        """Outside Slack's signing only because Slack's image proxy cannot sign: the signed
        token in the path is the only key. The body is never read (nothing is expected)."""
        assert charts is not None
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return _plain(
                start_response, "405 Method Not Allowed", b"GET or HEAD\n", [("Allow", "GET, HEAD")]
            )
        if not name.endswith(".png") or len(name) > MAX_CHART_NAME:
            return _plain(start_response, "404 Not Found", b"not found\n")
        try:
            png = charts(name[: -len(".png")])
        except Exception as exc:
            log.warning(kv(event="chart", outcome="render_failed", error=type(exc).__name__))
            return _plain(start_response, "503 Service Unavailable", b"chart unavailable\n")
        if png is None:
            log.info(kv(event="chart", outcome="refused"))
            return _plain(start_response, "404 Not Found", b"not found\n")
        start_response(
            "200 OK",
            [
                ("Content-Type", "image/png"),
                ("Content-Length", str(len(png))),
                ("Cache-Control", "private, max-age=300"),
            ],
        )
        return [b"" if method == "HEAD" else png]

    return wsgi


def refuses_unread(headers: Iterable[tuple[str, str]]) -> bool:
    """True for a request this app answers without reading its body (too large, or asking to
    switch protocols). The server closes such a connection rather than read the body through
    to find the next request. `headers` are (name, value) pairs, names in any case."""
    # Every header is looked at: an Upgrade after the Content-Length still closes.
    for name, value in headers:
        upper = name.upper()
        if upper == "UPGRADE":
            return True
        if (
            upper == "CONTENT-LENGTH"
            and value.isascii()
            and value.isdigit()
            and int(value) > MAX_BODY
        ):
            return True
    return False


def _plausible(timestamp: str, signature: str) -> bool:
    return (
        0 < len(timestamp) <= _MAX_TIMESTAMP_DIGITS
        and timestamp.isascii()
        and timestamp.isdigit()
        and signature.startswith("v0=")
    )


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _fresh(timestamp: str, now: float) -> bool:
    # Slack's own rule (and slack_sdk's): five minutes either way. Checked before the body is
    # read, so a replayed or stale request costs no read.
    return abs(now - int(timestamp)) <= 60 * 5


class _Clock(Clock):
    """slack_sdk's SignatureVerifier takes its time from a Clock; tests pass a fake one."""

    def __init__(self, now: Callable[[], float]):
        self._now = now

    def now(self) -> float:
        return self._now()


def _unauthorized(start_response: StartResponse) -> list[bytes]:
    return _plain(start_response, "401 Unauthorized", b"invalid request\n")


def _plain(
    start_response: StartResponse,
    status: str,
    body: bytes,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status, headers + (extra or []))
    return [body]
