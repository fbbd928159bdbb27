"""The web process as the Procfile starts it (gunicorn), as a child process, for tests of the
real entry point.

Only loopback fakes are configured; the working directory has no `.env`, and the environment
carries nothing of the developer's but PATH. Output (stdout and stderr) is collected line by
line so a test can wait for a log line instead of sleeping.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.web import server
from tests.support.fakes.cometchat import API_KEY, FakeCometChat
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

ROOT = Path(__file__).resolve().parents[2]
SECRETS = (BOT_TOKEN, SIGNING_SECRET, API_KEY)


def procfile_command(kind: str = "web") -> list[str]:
    """The Procfile's line for `kind`, runnable from any directory with this interpreter."""
    argv = server.procfile_command(ROOT, kind)
    # The config file is named relative to the checkout, which is not the cwd here.
    return [str(ROOT / a) if a.endswith(".conf.py") else a for a in argv]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebProcess:
    def __init__(
        self,
        cwd: Path,
        *,
        cometchat_url: str,
        slack_url: str,
        command: list[str] | None = None,
        **settings: str,
    ):
        self.command = command or procfile_command()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "PORT": str(self.port),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_url + "/api/",
            "COMETCHAT_API_KEY": API_KEY,
            "COMETCHAT_BASE_URL": cometchat_url + "/v3",
            **settings,
        }
        self.cwd = cwd
        self.lines: list[str] = []
        self._closed = False  # the output has ended
        self._arrived = threading.Condition()
        self.process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> WebProcess:
        self.start()
        self.wait_for_line("event=listening")
        return self

    def start(self, **popen: Any) -> None:
        """Launch the command; its output is read line by line from then on."""
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            **popen,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            with self._arrived:
                self.lines.append(line.rstrip("\n"))
                self._arrived.notify_all()
        with self._arrived:
            self._closed = True
            self._arrived.notify_all()

    def wait_for_line(self, fragment: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for line in self.lines:
                    if fragment in line:
                        return line
                if self._closed:
                    raise AssertionError(f"process exited without {fragment!r}:\n{self.output}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {fragment!r} in {timeout} s:\n{self.output}")
                self._arrived.wait(remaining)

    def terminate(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float) -> int:
        """Exit status; also waits until every output line has been read."""
        assert self.process is not None and self._reader is not None
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return code

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Running:
    web: WebProcess
    cometchat: FakeCometChat
    slack: FakeSlack


@contextmanager
def web_with_fakes(cwd: Path, cometchat: FakeCometChat, **settings: str) -> Iterator[Running]:
    """The web process as the Procfile starts it, with `cometchat` and a FakeSlack served on
    loopback (`slack.url` set) for as long as the block runs."""
    slack = FakeSlack()
    with (
        cometchat.serve() as upstream,
        slack.serve() as slack_server,
        WebProcess(cwd, cometchat_url=upstream.url, slack_url=slack_server.url, **settings) as web,
    ):
        slack.url = slack_server.url
        yield Running(web, cometchat, slack)
