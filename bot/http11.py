"""Reading an HTTP/1.1 header block: one set of rules and limits for the requests the server
takes in (bot.wsgi_handler) and the answers CometChat sends back (bot.transport)."""

from __future__ import annotations

import re
from typing import BinaryIO

MAX_LINE = 65536
MAX_HEADERS = 100
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a header name (RFC 9110 token)


class HeaderError(ValueError):
    """The header block cannot be read one way only; the message says why."""


def read_header_block(reader: BinaryIO) -> list[tuple[bytes, bytes]]:
    """Header lines up to the blank line, as (name, value) with spaces around the value trimmed.

    Refused: a line over MAX_LINE bytes or cut short by the end of the stream, more than
    MAX_HEADERS lines, a folded (obsolete) continuation line, a name that is not a token.
    """
    headers: list[tuple[bytes, bytes]] = []
    while True:
        line = reader.readline(MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return headers
        if len(line) > MAX_LINE:
            raise HeaderError("Line too long")
        if not line.endswith(b"\n"):
            raise HeaderError("Headers cut short")
        if len(headers) >= MAX_HEADERS:
            raise HeaderError("Too many headers")
        if line[:1] in (b" ", b"\t"):
            raise HeaderError("Folded header line")
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise HeaderError(f"Malformed header line: {line[:40]!r}")
        headers.append((name, value.strip()))
