"""Fast loopback fakes for the benchmark, each run in its own process.

    python -m bench.fakes cometchat [--tls]   # FakeCometChat's answers, plus a delay
    python -m bench.fakes slack       # records when each response_url POST arrives

Each prints `port N` once listening. Control routes (benchmark only):
- CometChat `POST /_bench/delay?s=2` sets the delay before every answer; `GET /_bench/stats`
  returns the connections accepted and requests answered so far (the control routes' own
  excluded): {"connections": n, "requests": m}.
- Slack `GET /_bench/wait?phase=P&n=N&timeout=T` waits until N POSTs to `/response/P.<n>`
  have arrived (or T s pass), then returns and forgets them: {id: [time, replaced, has_blocks]}.
  Phase `upload` counts the files shared (`files.completeUploadExternal`) of the upload flow the
  fake answers as Slack does (`conversations.open`, `files.getUploadURLExternal`, the bytes).
  `time.monotonic()` is the system-wide CLOCK_MONOTONIC on Linux, so the load generator can
  compare it with its own send times.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.wire import serve
from tests.support.fakes.cometchat import FakeCometChat, Recorded

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
TLS_CA, TLS_KEY = str(FIXTURES / "localhost-cert.pem"), str(FIXTURES / "localhost-key.pem")

GROUP = "bench-group"
BANNED = 57
# Large groups for bench/upstream.py (search and export at network latency).
BIG_GROUPS = {"bench-2500": 2_500, "bench-20000": 20_000}


def cometchat_handler():
    fake = FakeCometChat()
    fake.add_group(GROUP, "Bench Group", banned=BANNED)
    for guid, banned in BIG_GROUPS.items():
        fake.add_group(guid, guid.title(), banned=banned)
    state = {"delay": 0.0}
    stats = {"connections": 0, "requests": 0}
    answers: dict[tuple, tuple[int, bytes]] = {}

    async def handle(method: str, target: str, headers: dict[str, str], body: bytes):
        split = urlsplit(target)
        query = parse_qs(split.query, keep_blank_values=True)
        if split.path == "/_bench/delay":
            state["delay"] = float(query["s"][0])
            stats["connections"] -= 1  # the control client's own connection
            return 200, b"{}"
        if split.path == "/_bench/stats":
            stats["connections"] -= 1
            return 200, json.dumps(stats).encode()
        stats["requests"] += 1
        if state["delay"]:
            await asyncio.sleep(state["delay"])
        # The data never changes during a run: encode each answer once, so the fake's CPU
        # (which shares the machine with the bot) stays small next to the bot's.
        key = (method, target, headers.get("apikey"))
        if key not in answers:
            status, answer, _headers = fake.answer(Recorded(method, split.path, query, headers))
            fake.requests.clear()  # the benchmark needs the answers, not the record
            answers[key] = status, json.dumps(answer).encode()
        return answers[key]

    def connected() -> None:
        stats["connections"] += 1

    handle.on_connect = connected  # type: ignore[attr-defined]
    return handle


def slack_handler():
    # phase -> id -> [arrival time, replace_original, has blocks]; ids are "<phase>.<n>"
    arrived: dict[str, dict[str, list]] = {}
    changed = asyncio.Condition()
    uploads = {"n": 0}
    auth_test = json.dumps(
        {"ok": True, "user_id": "UBOT", "team_id": "T0TEAM", "bot_id": "B0BOT", "user": "bot"}
    ).encode()

    async def handle(method: str, target: str, headers: dict[str, str], body: bytes):
        split = urlsplit(target)
        if split.path.startswith("/response/"):
            now = time.monotonic()
            message = json.loads(body or b"{}")
            rid = split.path[len("/response/") :]
            async with changed:
                arrived.setdefault(rid.split(".")[0], {})[rid] = [
                    now,
                    bool(message.get("replace_original")),
                    "blocks" in message,
                ]
                changed.notify_all()
            return 200, b'{"ok":true}'
        if split.path == "/api/conversations.open":
            return 200, b'{"ok":true,"channel":{"id":"D0BENCH"}}'
        if split.path == "/api/files.getUploadURLExternal":
            uploads["n"] += 1
            url = f"http://{headers.get('host', '127.0.0.1')}/upload/F{uploads['n']}"
            return 200, json.dumps({"ok": True, "upload_url": url, "file_id": "F1"}).encode()
        if split.path.startswith("/upload/"):
            return 200, b"{}"  # the file's bytes, read and dropped
        if split.path == "/api/files.completeUploadExternal":
            # A shared file counts as an arrival of phase "upload": `wait` can wait for it.
            async with changed:
                done = arrived.setdefault("upload", {})
                done[f"upload.{len(done)}"] = [time.monotonic(), False, False]
                changed.notify_all()
            return 200, b'{"ok":true,"files":[]}'
        if split.path.startswith("/api/"):
            return 200, auth_test
        if split.path == "/_bench/wait":
            query = parse_qs(split.query)
            phase, wanted = query["phase"][0], int(query["n"][0])
            async with changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        changed.wait_for(lambda: len(arrived.get(phase, ())) >= wanted),
                        float(query["timeout"][0]),
                    )
                found = arrived.pop(phase, {})
            return 200, json.dumps(found).encode()
        return 404, b"{}"

    return handle


async def main(kind: str, tls: bool = False) -> None:
    handler = cometchat_handler() if kind == "cometchat" else slack_handler()
    context = None
    if tls:  # the tests' localhost certificate: a client trusts it with TLS_CA
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(TLS_CA, TLS_KEY)
    on_connect = getattr(handler, "on_connect", None)
    server = await serve(handler, on_connect=on_connect, tls=context)()
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop  # optional: faster still, if installed

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(sys.argv[1], tls="--tls" in sys.argv[2:]))
