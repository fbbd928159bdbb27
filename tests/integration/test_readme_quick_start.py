"""The README's quick start, run as a new user runs it.

Each command of the "Quick start" section runs, as written, in a copy of the repository (the files
a fresh clone has, nothing beside it), with `.env` made by the README's own `cp .env.example .env`
and then filled in the way a user fills it: the placeholders replaced, the lines for a local Slack
and CometChat uncommented. Slack and CometChat are loopback fakes. The copy reuses this test run's
virtual environment instead of installing a second one, so `make` finds `.venv` up to date.

A file that moves, a path computed from the wrong folder, a setting `.env` holds but the server
ignores: each fails here, not on the user's machine.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import GUID
from tests.support.fakes.cometchat import API_KEY, FakeCometChat
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, command_body, sign
from tests.support.fakes.socket_mode import FakeSocketMode
from tests.support.web_process import WebProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
APP_TOKEN = "xapp-1-A0APP-0123456789-abcdef"


def quick_start_commands(readme: str) -> list[str]:
    """The commands of the README's "Quick start" shell blocks, comments dropped."""
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            if command:
                commands.append(command)
    return commands


COMMANDS = quick_start_commands((ROOT / "README.md").read_text(encoding="utf-8"))


def repository_files() -> list[str]:
    """What a fresh clone holds: the files git tracks (and new ones it does not ignore)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def reuse_virtualenv(clone: Path) -> None:
    """`.venv` in the clone stands for this run's environment, already installed: its parts are
    links to it, and the Makefile's install marker is newer than pyproject.toml, so `make` does
    not install again."""
    venv = clone / ".venv"
    venv.mkdir()
    for part in Path(sys.prefix).iterdir():
        if part.name != ".installed":
            (venv / part.name).symlink_to(part)
    if sys.prefix == sys.base_prefix:  # not a virtual environment: the interpreter alone
        (venv / "bin").mkdir(exist_ok=True)
        (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / ".installed").touch()


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    copy = tmp_path / "banned"
    for name in repository_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)  # modification times kept, as in a clone
    reuse_virtualenv(copy)
    return copy


def user_environment(home: Path) -> dict[str, str]:
    """A user's shell: nothing of this test run's (no PYTHONPATH, no settings, no make levels)."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"}


def fill_in(env_file: Path, values: dict[str, str]) -> None:
    """Replace each named line of `.env` (commented out or not) by `NAME=value`, as a user
    editing the file does; a name `.env.example` does not offer fails the test."""
    text = env_file.read_text(encoding="utf-8")
    for name, value in values.items():
        text, found = re.subn(rf"(?m)^#? ?{name}=.*$", f"{name}={value}", text, count=1)
        assert found, f".env.example has no line for {name}"
    env_file.write_text(text, encoding="utf-8")


def run_step(command: str, clone: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        shell=True,
        cwd=clone,
        env=user_environment(clone.parent),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Started(WebProcess):
    """A quick-start command that keeps running (`make run`), its output read line by line."""

    def __init__(self, command: str, clone: Path) -> None:
        super().__init__(clone, cometchat_url="", slack_url="", command=["sh", "-c", command])
        self.env = user_environment(clone.parent)

    def __enter__(self) -> Started:
        self.start(start_new_session=True)  # its own process group, as in a terminal
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop_server(self) -> None:
        """SIGTERM to the server `make` started, as Heroku sends it to a dyno's process."""
        assert self.process is not None
        (make,) = descendants(self.process.pid, "make")
        (server,) = children(make)
        os.kill(server, signal.SIGTERM)


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


def descendants(pid: int, name: str) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        if Path(f"/proc/{current}/comm").read_text().strip() == name:
            found.append(current)
        frontier.extend(children(current))
    return found


@pytest.fixture
def fakes(cometchat: FakeCometChat, slack: FakeSlack) -> Iterator[tuple[str, FakeSlack]]:
    with cometchat.serve() as upstream:
        yield upstream.url, slack


def filled_env(clone: Path, cometchat_url: str, slack: FakeSlack, **extra: str) -> dict:
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url + "/api/",
        "COMETCHAT_APP_ID": "testapp",
        "COMETCHAT_API_KEY": API_KEY,
        "COMETCHAT_BASE_URL": cometchat_url + "/v3",
        "PORT": str(free_port()),
        **extra,
    }
    completed = run_step("cp .env.example .env", clone)
    assert completed.returncode == 0, completed.stderr
    fill_in(clone / ".env", values)
    return values


def test_the_quick_start_is_the_commands_tested_here():
    # A command added to the quick start needs a test below; one removed, its test removed.
    assert COMMANDS == ["cp .env.example .env", "make check", "make run", "make test"]


def test_make_check_in_a_fresh_clone_tries_the_settings_and_says_all_good(clone, fakes):
    cometchat_url, slack = fakes
    filled_env(clone, cometchat_url, slack)

    completed = run_step("make check", clone)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "All good" in completed.stdout
    assert [r.path for r in slack.received] == ["/api/auth.test"]


def test_make_run_in_a_fresh_clone_serves_http_on_the_port_env_names(clone, fakes):
    cometchat_url, slack = fakes
    values = filled_env(clone, cometchat_url, slack)
    port = values["PORT"]

    with Started("make run", clone) as run:
        listening = run.wait_for_line("event=listening", timeout=60)
        # The port .env names is the one bound and the one the line reports.
        assert f" port={port} " in f"{listening} "
        assert "database=sqlite:var/banned.sqlite3" in listening
        assert (clone / "var" / "banned.sqlite3").is_file()

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            assert http.get("/healthz").status_code == 200
            body = command_body(GUID, slack.url + "/response/quick-start")
            answer = http.post(
                "/slack/events",
                content=body,
                headers={"content-type": "application/x-www-form-urlencoded", **sign(body)},
            )
        assert answer.status_code == 200
        assert "57 users banned from Hiking Group" in answer.json()["text"]

        run.stop_server()
        assert run.wait_exit(timeout=40) == 0, run.output
    assert "event=stopped" in run.output
    assert "Traceback" not in run.output


def test_make_run_with_an_app_token_connects_over_socket_mode_and_answers(clone, fakes):
    cometchat_url, slack = fakes
    with FakeSocketMode() as socket_mode:
        slack.api_answers["apps.connections.open"] = lambda _r: {"ok": True, "url": socket_mode.url}
        filled_env(clone, cometchat_url, slack, SLACK_APP_TOKEN=APP_TOKEN)

        with Started("make run", clone) as run:
            try:
                socket_mode.wait_connected(timeout=90)
            except AssertionError as failed:
                raise AssertionError(f"{failed}; make run said:\n{run.output}") from None
            form = dict(
                httpx.QueryParams(command_body(GUID, slack.url + "/response/socket").decode())
            )
            ack = socket_mode.wait_for_ack(
                socket_mode.send_envelope("slash_commands", form), timeout=30
            )
            assert "57 users banned from Hiking Group" in ack["payload"]["text"]

            run.stop_server()
            assert run.wait_exit(timeout=40) == 0, run.output
    assert "mode=socket" in run.output
    assert "Traceback" not in run.output


def test_make_test_is_what_ci_runs():
    # The quick start's test command is the suite itself; CI runs it from a fresh clone.
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"(?m)^make test$", ci)
