"""The WSGI handler CometChat POSTs its webhooks to.

Order matters: credentials are checked before the body is read, the size before it is parsed,
and everything after authentication answers 200 unless a retry could help, because CometChat
retries non-2xx answers and a malformed or unknown event will not get better by resending.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.domain.errors import JobQueueFull
from bot.domain.member_events import JoinEvent, MalformedEvent, UnsupportedTrigger, parse_delivery
from bot.logs import bound, kv, new_request_id
from bot.request_body import BodyTimeout, declared_length, read_body
from bot.slack.delivery import ShuttingDown
from bot.webhooks.auth import BasicAuth
from bot.webhooks.feed import Feed
from bot.webhooks.joins import Joins

log = logging.getLogger("bot.webhooks")

WEBHOOK_PATH = "/cometchat/webhooks"
# Documented member events are ~1-2 kB each; even hundreds of members fit comfortably.
MAX_BODY = 256 * 1024

StartResponse = Callable[..., Any]


class WebhookEndpoint:
    def __init__(
        self,
        auth: BasicAuth | None,
        feed: Feed | None,
        *,
        joins: Joins | None = None,
        disabled_reason: str = "",
        max_body: int = MAX_BODY,
        clock: Callable[[], float] = time.time,
    ):
        # Both or neither: an endpoint without credentials or without a channel stays shut.
        self._auth = auth if feed is not None else None
        self._feed = feed if auth is not None else None
        self._joins = joins  # None: the raid alert is off, joins are ignored
        self._disabled_reason = disabled_reason or "not configured"
        self._max_body = max_body
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return self._auth is not None

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        with bound(rid=new_request_id()):  # the delivery's feed post logs under the same id
            return self._respond(environ, start_response, started)

    def _respond(
        self, environ: dict, start_response: StartResponse, started: float
    ) -> Iterable[bytes]:
        status, body, fields = self._handle(environ)
        level = logging.INFO if status.startswith("200") else logging.WARNING
        log.log(
            level,
            kv(
                event="webhook",
                status=status.split()[0],
                **fields,
                ms=(time.perf_counter() - started) * 1000,
            ),
        )
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        if status.startswith("401"):
            headers.append(("WWW-Authenticate", 'Basic realm="cometchat-webhooks"'))
        elif status.startswith("405"):
            headers.append(("Allow", "POST"))
        start_response(status, headers)
        return [body]

    def _handle(self, environ: dict) -> tuple[str, bytes, dict[str, Any]]:
        if self._auth is None or self._feed is None:
            return (
                "404 Not Found",
                b"not found\n",
                {"outcome": "disabled", "hint": self._disabled_reason},
            )
        if environ.get("REQUEST_METHOD") != "POST":
            return "405 Method Not Allowed", b"POST only\n", {"outcome": "bad_method"}
        if not self._auth.check(environ.get("HTTP_AUTHORIZATION")):
            # Nothing is read, parsed or posted for an unauthenticated request.
            return "401 Unauthorized", b"unauthorized\n", {"outcome": "bad_auth"}
        length = declared_length(environ)
        if length is None:
            return "400 Bad Request", b"bad content-length\n", {"outcome": "bad_length"}
        if length > self._max_body:
            return (
                "413 Content Too Large",
                b"body too large\n",
                {"outcome": "too_large", "bytes": length},
            )
        if not _is_json(environ.get("CONTENT_TYPE")):
            return "415 Unsupported Media Type", b"JSON only\n", {"outcome": "not_json"}
        try:
            raw = read_body(environ, self._max_body)
        except BodyTimeout:
            return "408 Request Timeout", b"body too slow\n", {"outcome": "slow_body"}
        if raw is None:
            return "413 Content Too Large", b"body too large\n", {"outcome": "too_large"}

        received_at = self._clock()
        try:
            event = parse_delivery(raw, joins=self._joins is not None)
        except UnsupportedTrigger as exc:
            return (
                "200 OK",
                b"ignored\n",
                {"outcome": "ignored_trigger", "trigger": exc.trigger[:80]},
            )
        except MalformedEvent as exc:
            return "200 OK", b"ignored\n", {"outcome": "malformed", "reason": str(exc)}
        fields: dict[str, Any] = {
            "trigger": event.trigger.value,
            "guid": event.group.guid,
            "members": len(event.members),
            "webhook": event.webhook,
        }
        try:
            if isinstance(event, JoinEvent):
                assert self._joins is not None  # parsed as a join only when they are taken
                accepted = self._joins.accept(event)
            else:
                accepted = self._feed.accept(event, received_at)
        except ShuttingDown:
            # Another instance (or this one, restarted) can take CometChat's retry.
            return (
                "503 Service Unavailable",
                b"shutting down\n",
                {**fields, "outcome": "shutting_down"},
            )
        except JobQueueFull:
            # The job queue is at its bound: CometChat's retry (if enabled) comes back later.
            return "503 Service Unavailable", b"busy\n", {**fields, "outcome": "busy"}
        return "200 OK", f"{accepted.value}\n".encode(), {**fields, "outcome": accepted.value}


def _is_json(content_type: str | None) -> bool:
    # CometChat was seen sending `Application/json`: media types are case-insensitive.
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json"
