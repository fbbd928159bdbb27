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


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]


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
def request_scope() -> Iterator[None]:
    """One request's lifetime: fields bound inside it are gone when it ends."""
    token = _request.set(())
    try:
        yield
    finally:
        _request.reset(token)


def request_field(name: str) -> object:
    """A field bound for the request being handled, or None."""
    return dict(_request.get()).get(name)


def request_id() -> str:
    """The id of the request being handled: what a person quotes to the operator."""
    rid = request_field("rid")
    return rid if isinstance(rid, str) else ""


class RedactSecrets(logging.Filter):
    """Replace any configured secret value in a record with `***` (defence in depth)."""

    def __init__(self, secrets: Iterable[SecretStr | str]):
        super().__init__()
        values = (s.get_secret_value() if isinstance(s, SecretStr) else s for s in secrets)
        self._secrets = sorted({v for v in values if v and len(v) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        scrubbed, exc_text = message, record.exc_text or ""
        for secret in self._secrets:
            scrubbed = scrubbed.replace(secret, "***")
            exc_text = exc_text.replace(secret, "***")
        record.msg, record.args = scrubbed, None
        if record.exc_text:
            record.exc_text = exc_text
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
