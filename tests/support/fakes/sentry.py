"""A Sentry project on loopback: receives what sentry-sdk's own transport sends to a DSN
`http://key@127.0.0.1:PORT/1` and keeps each envelope, raw and parsed (sentry-sdk's Envelope)."""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from sentry_sdk.envelope import Envelope

from tests.support.fakes.cometchat import LocalServer

PUBLIC_KEY = "0123456789abcdef0123456789abcdef"


@dataclass
class Delivery:
    path: str
    raw: bytes  # the envelope as sent, decompressed
    envelope: Envelope

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for e in (item.get_event() for item in self.envelope.items) if e is not None]


class FakeSentry:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._cond = threading.Condition()
        self.url = ""

    def dsn(self, project: int = 1) -> str:
        return self.url.replace("http://", f"http://{PUBLIC_KEY}@") + f"/{project}"

    def wait_for_event(self, timeout: float = 20.0) -> tuple[Delivery, dict[str, Any]]:
        """The first error event to arrive (and the delivery that carried it)."""

        def first() -> tuple[Delivery, dict[str, Any]] | None:
            for delivery in self.deliveries:
                for event in delivery.events:
                    return delivery, event
            return None

        with self._cond:
            found = self._cond.wait_for(first, timeout)
        assert found, f"no event reached the fake Sentry in {timeout} s"
        return found

    def serve(self) -> LocalServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                delivery = Delivery(self.path, body, Envelope.deserialize(body))
                with fake._cond:
                    fake.deliveries.append(delivery)
                    fake._cond.notify_all()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        server = LocalServer(Handler)
        fake.url = server.url
        return server
