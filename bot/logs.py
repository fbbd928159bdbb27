"""Single-line, key=value logs, scrubbed of secrets before they are written.

What a request is about (its id, who asked, which command or button) is bound once, where the
request comes in, in a context variable; every line logged while it is handled carries those
fields, whatever module writes it, and background jobs inherit them from the request that
queued them (`bot.slack.delivery`).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pydantic import SecretStr

_NEEDS_QUOTES = re.compile(r'[ "=\n\t]')


def kv(**fields: object) -> str:
    """Render fields as `key=value` pairs; values with spaces or quotes are quoted."""
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        text = f"{value:.1f}" if isinstance(value, float) else str(value)
        if not text or _NEEDS_QUOTES.search(text):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


Fields = tuple[tuple[str, object], ...]
_request: ContextVar[Fields] = ContextVar("request_log_fields", default=())


# The id Heroku's router gave the request (its X-Request-ID header), while it is handled.
_router_id: ContextVar[str] = ContextVar("router_request_id", default="")

# Heroku's router passes on a client's X-Request-ID only when it is 20 to 200 of these
# characters (otherwise it sets a UUID of its own). The header is not authenticated: nothing else
# may reach a log line, where it could pass for fields of ours.
_ROUTER_ID = re.compile(r"[A-Za-z0-9+=/-]{20,200}")


def router_request_id(header: object) -> str:
    """The X-Request-ID header's value if it is one Heroku's router sets; "" otherwise."""
    return header if isinstance(header, str) and _ROUTER_ID.fullmatch(header) else ""


def new_request_id() -> str:
    """The router's id for the request being handled (so the router's log line and ours share
    it), or a new one."""
    return _router_id.get() or uuid.uuid4().hex[:12]


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Add `fields` to every line logged inside the block (this thread or green thread only)."""
    merged = dict(_request.get())
    merged.update(fields)
    token = _request.set(tuple(merged.items()))
    try:
        yield
    finally:
        _request.reset(token)


def bind_request(**fields: object) -> None:
    """Start the fields of a request being handled, replacing any an earlier one left behind.

    For Bolt's middleware, whose `next()` only marks the way on (the listener runs after the
    middleware has returned), so a `with` block there would end too soon. The HTTP entry point
    wraps each request in `request_scope()`, which takes the fields away again.
    """
    _request.set(tuple(fields.items()))


@contextmanager
def request_scope(x_request_id: object = None) -> Iterator[None]:
    """One request's lifetime: fields bound inside it are gone when it ends. `x_request_id`:
    the request's X-Request-ID header, if any (used as its id when it is a valid one)."""
    token = _request.set(())
    router = _router_id.set(router_request_id(x_request_id))
    try:
        yield
    finally:
        _router_id.reset(router)
        _request.reset(token)


def request_field(name: str) -> object:
    """A field bound for the request being handled, or None."""
    return dict(_request.get()).get(name)


def request_id() -> str:
    """The id of the request being handled: what a person quotes to the operator."""
    rid = request_field("rid")
    return rid if isinstance(rid, str) else ""


class Redactor:
    """Replaces every configured secret value in a text with `***`."""

    def __init__(self, secrets: Iterable[SecretStr | str]):
        values = (s.get_secret_value() if isinstance(s, SecretStr) else s for s in secrets)
        # Longest first: a secret that contains another is replaced whole.
        self.secrets = sorted({v for v in values if v and len(v) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class RedactSecrets(logging.Filter):
    """Replace any configured secret value in a record with `***` (defence in depth)."""

    def __init__(self, secrets: Iterable[SecretStr | str]):
        super().__init__()
        self._redact = Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._redact.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self._redact(message), None
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True


class SingleLineFormatter(logging.Formatter):
    """One record, one line: a traceback or multi-line message is folded in with `\\n`.

    Log routers (Heroku's Logplex, most drains) split on newlines; a traceback spread over
    twenty lines would become twenty unrelated entries without a request id.
    """

    _cached: tuple[int, str] = (-1, "")  # (second, its date and time): one tuple, swapped whole

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = _request.get()
        if fields:
            record.message = f"{kv(**dict(fields))} {record.message}"
        return super().formatMessage(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """logging's own format (`2026-11-26 09:16:23,512`), the date part made once a second."""
        if datefmt:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        cached_second, stamp = self._cached
        if second != cached_second:
            stamp = time.strftime(self.default_time_format, self.converter(second))
            self._cached = (second, stamp)
        return (self.default_msec_format or "%s,%03d") % (stamp, record.msecs)


LOG_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"


def configure_logging(level: str, secrets: Iterable[SecretStr | str] = ()) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(SingleLineFormatter(LOG_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; ours already says what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
