"""What an unsigned request costs the web process, beside a signed command in the same run.

    .venv/bin/python bench/unsigned.py [N]

Starts the web process as the Procfile does (with loopback fakes), then sends N requests of each
kind, one at a time, and prints the worker's CPU per request (user + system, from /proc):

- a signed `/banned <guid>` command (the baseline: real work, one CometChat read);
- an unsigned 1 MB POST (refused by its Content-Length before a byte of the body is read);
- an unsigned 200 kB POST with a fresh timestamp and a wrong signature (read, then one HMAC);
- a request line the server cannot parse (`GET / HTTP/1`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import GUID  # noqa: E402
from tests.support.fakes.cometchat import FakeCometChat  # noqa: E402
from tests.support.fakes.slack import command_body, sign  # noqa: E402
from tests.support.web_process import web_with_fakes  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def exchange(port: int, head: bytes, body: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        # A request refused before its body is read is closed with the body unread: sending the
        # rest fails, and the kernel may reset the connection after the answer.
        with contextlib.suppress(OSError):
            sock.sendall(body)
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


def post(body_length: int, headers: dict[str, str], *, send_body: bool) -> tuple[bytes, bytes]:
    lines = ["POST /slack/events HTTP/1.1", "Host: bench", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {body_length}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return head, (b"x" * body_length if send_body else b"")


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    cometchat = FakeCometChat()
    cometchat.add_group(GUID, "Hiking Group", banned=57)
    with tempfile.TemporaryDirectory() as tmp, web_with_fakes(Path(tmp), cometchat) as running:
        web = running.web
        line = web.wait_for_line("event=listening")
        worker = int(line.split(" pid=")[1].split()[0])
        fresh = {"X-Slack-Request-Timestamp": str(int(time.time()))}
        wrong = {**fresh, "X-Slack-Signature": "v0=" + "0" * 64}

        def signed_command() -> bytes:
            body = command_body(GUID, running.slack.url + "/response/bench")
            head, _ = post(len(body), {**sign(body)}, send_body=False)
            return exchange(web.port, head, body)

        kinds = {
            "signed command (baseline)": signed_command,
            "unsigned 1 MB body": lambda: exchange(
                web.port, *post(1024 * 1024, wrong, send_body=True)
            ),
            "unsigned 200 kB body, wrong signature": lambda: exchange(
                web.port, *post(200 * 1024, wrong, send_body=True)
            ),
            "unparseable request line": lambda: exchange(web.port, b"GET / HTTP/1\r\n\r\n"),
        }
        print(f"{n} requests of each kind, one at a time; worker CPU per request:")
        for name, send in kinds.items():
            send()  # warm
            before = cpu_seconds(worker)
            statuses = set()
            for _ in range(n):
                statuses.add(send()[9:12].decode())
            spent = (cpu_seconds(worker) - before) * 1000 / n
            print(f"  {name:40} {spent:6.2f} ms   (answered {', '.join(sorted(statuses))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
