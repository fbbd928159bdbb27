"""The WSGI application: Slack's request path, CometChat's webhook path, a health route."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.logs import kv
from bot.webhooks.endpoint import WEBHOOK_PATH

log = logging.getLogger("bot.web")

# What Bolt's request parsing raises on a body that is not a Slack payload.
_UNPARSEABLE = (ValueError, TypeError, AttributeError, KeyError, RecursionError)

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1_000_000  # Slack payloads are far smaller; refuse anything absurd before reading it

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]


def create_wsgi_app(app: App, *, webhooks: WSGIApp | None = None) -> WSGIApp:
    """`webhooks` serves CometChat's deliveries (see `bot.webhooks`); None answers 404 there."""
    slack = SlackRequestHandler(app, path=SLACK_PATH)

    def wsgi(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return _plain(start_response, "200 OK", b"ok\n")
        if path == SLACK_PATH:
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", b"POST only\n")
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                return _plain(start_response, "413 Content Too Large", b"body too large\n")
            if not environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "0").isdecimal():
                # slack_sdk's verifier raises on a non-integer timestamp, which Bolt turns into
                # a 500 and an ERROR traceback: an unsigned request must not be able to do that.
                return _plain(start_response, "401 Unauthorized", b"invalid request\n")
            try:
                return slack(environ, start_response)
            except _UNPARSEABLE as exc:
                # Bolt parses the body before it checks the signature, so garbage (`payload=[[[…`,
                # bad UTF-8, JSON that is not an object) from anyone would be a 500 and an ERROR
                # traceback. The adapter starts its response only after parsing: none was sent.
                log.warning(kv(event="bad_slack_request", error=type(exc).__name__))
                return _plain(start_response, "400 Bad Request", b"malformed request\n")
        if path == WEBHOOK_PATH and webhooks is not None:
            return webhooks(environ, start_response)
        return _plain(start_response, "404 Not Found", b"not found\n")

    return wsgi


def _plain(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
