"""gevent's WSGI request handler, with a lean request-header parser and no access log.

gevent's pywsgi parses request headers with the standard library's `email` package (about
40 us for a Slack request behind a router), and formats an access-log line for every request
even when there is no access log to write it to. This handler replaces both; everything else
(request line, bodies, keep-alive, the WSGI environment) is gevent's own.

The parser is stricter than `email`'s: a header block that bot.http11 refuses (a name that is
not a token, a folded line, a line over 64 KiB, more than 100 headers, the block cut short) or a
repeated Content-Length, Transfer-Encoding or Host makes the request a 400, so a request cannot
be read two ways (request smuggling).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from gevent.pywsgi import WSGIHandler

from bot.http11 import HeaderError, read_header_block

_SINGLE = frozenset({"content-length", "transfer-encoding", "host"})


class RequestHeaders:
    """The part of `http.client.HTTPMessage` that gevent's WSGIHandler uses."""

    __slots__ = ("_fields", "status")

    def __init__(self, fields: list[tuple[str, str]], status: str = ""):
        self._fields = fields  # (name as sent, value), in order
        self.status = status  # non-empty: gevent answers 400

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for key, value in self._fields:
            if key.lower() == wanted:
                return value
        return default

    getheader = get

    def __delitem__(self, name: str) -> None:
        wanted = name.lower()
        self._fields = [(k, v) for k, v in self._fields if k.lower() != wanted]

    @property
    def headers(self) -> Iterator[str]:
        for key, value in self._fields:
            yield f"{key}: {value}\r\n"

    @property
    def typeheader(self) -> str | None:
        return self.get("content-type")


def read_headers(fp: BinaryIO) -> RequestHeaders:
    try:
        lines = read_header_block(fp)
    except HeaderError as exc:
        return RequestHeaders([], str(exc))
    fields: list[tuple[str, str]] = []
    seen: set[str] = set()
    for raw_name, raw_value in lines:
        name = raw_name.decode("latin-1")
        lower = name.lower()
        if lower in _SINGLE:
            if lower in seen:
                return RequestHeaders([], f"Repeated {name} header")
            seen.add(lower)
        fields.append((name, raw_value.decode("latin-1").strip()))
    return RequestHeaders(fields)


class LeanWSGIHandler(WSGIHandler):
    def MessageClass(self, fp: BinaryIO, *_args: object) -> RequestHeaders:
        return read_headers(fp)

    def log_request(self) -> None:
        """No access log: bot.web and the listeners log one structured line per request."""
