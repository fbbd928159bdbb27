"""A minimal asyncio HTTP/1.1 server and keep-alive client for the benchmark.

Both ends are deliberately tiny: the fakes and the load generator must cost far less CPU than
the bot they measure, on a 2-core machine where all of them share the cores.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable

Handler = Callable[[str, str, dict[str, str], bytes], Awaitable[tuple[int, bytes]]]

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


async def _read_message(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        return lines[0], headers, bytes(body)
    length = int(headers.get("content-length") or 0)
    body = await reader.readexactly(length) if length else b""
    return lines[0], headers, body


def serve(
    handler: Handler,
    host: str = "127.0.0.1",
    on_connect: Callable[[], None] | None = None,
    tls: ssl.SSLContext | None = None,
) -> Callable[[], Awaitable[asyncio.Server]]:
    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if on_connect is not None:
            on_connect()
        try:
            while True:
                start, headers, body = await _read_message(reader)
                method, target, _version = start.split(" ", 2)
                status, payload = await handler(method, target, headers, body)
                close = headers.get("connection", "").lower() == "close"
                writer.write(
                    f"HTTP/1.1 {status} {REASONS.get(status, 'X')}\r\n"
                    f"content-type: application/json\r\ncontent-length: {len(payload)}\r\n"
                    f"{'connection: close' + chr(13) + chr(10) if close else ''}\r\n".encode()
                    + payload
                )
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(connection, host, 0, backlog=4096, ssl=tls)

    return start


class Client:
    """One keep-alive connection; `request` returns (status, body)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self._writer is None:
            await self.connect()
        assert self._reader is not None and self._writer is not None
        head = f"{method} {path} HTTP/1.1\r\nhost: {self.host}\r\ncontent-length: {len(body)}\r\n"
        for key, value in (headers or {}).items():
            head += f"{key}: {value}\r\n"
        self._writer.write(head.encode() + b"\r\n" + body)
        start, resp_headers, payload = await _read_message(self._reader)
        if resp_headers.get("connection", "").lower() == "close":
            await self.close()
        return int(start.split(" ", 2)[1]), payload

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
