"""Reading a request's body from WSGI within a size and a time limit.

The server (gunicorn) frames the body; this only decides how much of it the app is willing to
read, and for how long, so that a client that declares a body and never sends it cannot hold a
connection slot forever.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

# Slack sends a whole payload at once; ten seconds is generous for any honest client.
READ_TIMEOUT = 10.0


class BodyTimeout(Exception):
    """The client did not send its body in time."""


def declared_length(environ: dict) -> int | None:
    """The declared Content-Length; 0 when absent (a chunked body is measured as it is read);
    None when it is not a number (the server refuses those already; this is defence in depth)."""
    raw = environ.get("CONTENT_LENGTH")
    if raw in (None, ""):
        return 0
    if not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)


def read_body(environ: dict, limit: int, *, timeout: float = READ_TIMEOUT) -> bytes | None:
    """Read the body, never more than `limit` + 1 bytes; None if it is larger than `limit`.

    Raises BodyTimeout when the client stalls for `timeout` seconds in all.
    """
    stream = environ["wsgi.input"]
    length = declared_length(environ) or 0
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not length and not chunked:
        return b""  # no declared body: reading would wait on a connection that sends nothing
    want = length if length else limit + 1
    parts, got = [], 0
    with _deadline(timeout):
        while got < want:
            chunk = stream.read(min(65536, want - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    body = b"".join(parts)
    return None if len(body) > limit else body


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """A deadline on blocking reads under gevent (the production server's workers); elsewhere
    (tests' threaded servers, which read from memory or loopback) nothing."""
    gevent = sys.modules.get("gevent")
    if gevent is None or not _socket_is_green():
        yield
        return
    with gevent.Timeout(seconds, BodyTimeout):
        yield


def _socket_is_green() -> bool:
    from gevent import monkey

    return monkey.is_module_patched("socket")
