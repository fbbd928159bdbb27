"""Settings that must not start the bot: a blank signing secret, credentials sent over plain http.

Checked three ways: `load_settings()`, `python -m bot check` and `python -m bot serve` as child
processes with a clean environment (tests/support/web_process.py): each names the variable in
one line, prints no secret, and nothing reaches Slack or CometChat.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.serve import run_socket_mode
from bot.settings import ConfigError
from tests.conftest import make_settings
from tests.support.fakes.cometchat import API_KEY, FakeCometChat
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.support.web_process import SECRETS, WebProcess, procfile_command

BLANK_SECRET = "SLACK_SIGNING_SECRET: blank: copy the Signing Secret from the Slack app's Basic"
IN_CLEAR = "COMETCHAT_BASE_URL: must start with https://"


def problems(**overrides: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        make_settings(**overrides)
    return caught.value.problems


# -- load_settings ----------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["", " ", "\t \n"], ids=["empty", "space", "whitespace"])
def test_a_blank_signing_secret_is_refused_in_one_line(secret):
    (line,) = problems(slack_signing_secret=secret)
    assert line.startswith(BLANK_SECRET)


@pytest.mark.parametrize(
    "url",
    [
        "http://cometchat.example/v3",
        "http://myapp.api-us.cometchat.io/v3",
        "http://10.0.0.5:8080/v3",
        "http://0.0.0.0:8080/v3",
        "http://localhost.tracker.example/v3",
        "http://127.0.0.1.nip.io/v3",
        "http://[2001:db8::1]/v3",
    ],
)
def test_plain_http_to_a_host_that_is_not_loopback_is_refused(url):
    (line,) = problems(cometchat_base_url=url)
    assert line.startswith(IN_CLEAR) and "CometChat API key in clear" in line
    assert url not in line


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9999/v3",
        "http://127.8.9.10/v3",
        "http://localhost:8080/v3",
        "http://LOCALHOST/v3",
        "http://[::1]:8080/v3",
        "https://cometchat.example/v3",
    ],
)
def test_loopback_http_and_any_https_are_accepted(url):
    assert make_settings(cometchat_base_url=url).cometchat_url == url


def test_the_slack_api_url_is_held_to_the_same_rule():
    (line,) = problems(slack_api_url="http://slack-proxy.example/api/")
    assert line.startswith("SLACK_API_URL: must start with https://") and "bot token" in line
    assert make_settings(slack_api_url="http://127.0.0.1:9/api/").slack_api_base.startswith("http")


def test_a_base_url_without_a_host_is_refused():
    (line,) = problems(cometchat_base_url="https:///v3")
    assert line.startswith("COMETCHAT_BASE_URL: ") and "host" in line


@pytest.mark.parametrize("variable", ["moderator_user_ids", "viewer_user_ids"])
@pytest.mark.parametrize(
    "entry", ["alice", "@mods", "C0CHANNEL", "u0lower", "xoxb-pasted-token", "U0MOD;rm"]
)
def test_an_allowlist_entry_that_is_neither_a_user_nor_a_user_group_is_refused(variable, entry):
    (line,) = problems(**{variable: f"U0MOD, {entry} ,S0MODS"})
    assert line == (
        f"{variable.upper()}: entry 2 of 3 is neither a Slack user id (U…, W…) nor a user "
        "group id (S…)"
    )
    assert entry not in line


def test_users_and_user_groups_are_accepted():
    settings = make_settings(moderator_user_ids="U0MOD,W0GRID, S0MODS", viewer_user_ids="")
    assert settings.moderator_user_ids == {"U0MOD", "W0GRID", "S0MODS"}
    assert settings.viewer_user_ids == frozenset()


def test_both_problems_are_reported_together_without_their_values():
    lines = problems(
        slack_signing_secret="   ", cometchat_base_url="http://user:hunter22@cometchat.example/v3"
    )
    assert sorted(line.split(":")[0] for line in lines) == [
        "COMETCHAT_BASE_URL",
        "SLACK_SIGNING_SECRET",
    ]
    assert not [line for line in lines if "hunter22" in line or "cometchat.example" in line]


# -- the URL in log lines ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "shown"),
    [
        (
            "https://user:hunter22@proxy.example:8443/v3?key=hunter22#x",
            "https://proxy.example:8443/v3",
        ),
        ("https://:hunter22@proxy.example/v3/", "https://proxy.example/v3"),
        ("http://[::1]:8080/v3?key=hunter22", "http://[::1]:8080/v3"),
        ("https://cometchat.test/v3", "https://cometchat.test/v3"),
    ],
)
def test_cometchat_url_for_log_drops_credentials_and_query(base_url, shown):
    assert make_settings(cometchat_base_url=base_url).cometchat_url_for_log == shown


def test_default_cometchat_url_for_log_is_the_url():
    settings = make_settings(cometchat_base_url="", cometchat_app_id="myapp123")
    assert settings.cometchat_url_for_log == "https://myapp123.api-us.cometchat.io/v3"


def test_the_socket_mode_listening_line_shows_no_credentials(services, caplog):
    class Connects:
        def __init__(self, app, settings):
            pass

        def connect(self):
            stop.set()

        def close(self):
            pass

    stop = threading.Event()
    settings = make_settings(
        cometchat_base_url="https://bot:hunter22@proxy.example/v3?key=hunter22",
        slack_app_token="xapp-1-A0APP-0123456789-abcdef",
    )
    with caplog.at_level(logging.INFO, logger="bot.socket_mode"):
        assert (
            run_socket_mode(settings, services=services, handler_factory=Connects, stop=stop) == 0
        )

    (line,) = [r.getMessage() for r in caplog.records if "event=listening" in r.getMessage()]
    assert "cometchat=https://proxy.example/v3" in line and "hunter22" not in line


# -- the real entry points, as child processes ------------------------------------------------


def run_bot(command: str, cwd: Path, slack: FakeSlack, cometchat_url: str, **env: str):
    """`python -m bot <command>` (or, for "procfile", the Procfile's web line) with only the
    given settings in its environment."""
    process = WebProcess(cwd, cometchat_url=cometchat_url, slack_url=slack.url, **env)
    argv = procfile_command() if command == "procfile" else [sys.executable, "-m", "bot", command]
    return subprocess.run(
        argv,
        cwd=cwd,
        env=process.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def served(cometchat: FakeCometChat) -> Iterator[str]:
    """The conftest fake CometChat over loopback HTTP, for a child process; its root URL."""
    with cometchat.serve() as server:
        yield server.url


REFUSALS = [
    pytest.param({"SLACK_SIGNING_SECRET": "  "}, BLANK_SECRET, id="blank-signing-secret"),
    pytest.param({"SLACK_SIGNING_SECRET": ""}, BLANK_SECRET, id="empty-signing-secret"),
    pytest.param(
        {"COMETCHAT_BASE_URL": "http://cometchat.example/v3"}, IN_CLEAR, id="http-cometchat"
    ),
]


@pytest.mark.parametrize("entry", ["serve", "procfile"])
@pytest.mark.parametrize(("env", "line"), REFUSALS)
def test_serve_refuses_to_start_naming_the_variable(
    tmp_path, slack, cometchat, served, env, line, entry
):
    result = run_bot(entry, tmp_path, slack, served, **env)

    assert result.returncode == 2
    listed = [entry.strip()[2:] for entry in result.stderr.splitlines() if "  - " in entry]
    assert len(listed) == 1 and listed[0].startswith(line), result.stderr  # that one, alone
    assert "Traceback" not in result.stderr and "event=listening" not in result.stdout
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr
    assert slack.received == [] and cometchat.requests == []


@pytest.mark.parametrize(("env", "line"), REFUSALS)
def test_check_says_the_same_and_asks_nobody(tmp_path, slack, cometchat, served, env, line):
    result = run_bot("check", tmp_path, slack, served, **env)

    assert result.returncode == 1
    (failure,) = [entry for entry in result.stdout.splitlines() if "FAIL" in entry]
    assert failure.split("Settings", 1)[1].strip().startswith(line)
    assert "1 problem found" in result.stdout
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr
    assert slack.received == [] and cometchat.requests == []


def test_the_web_server_stops_when_slack_refuses_the_token(tmp_path, slack, cometchat, served):
    """The Procfile's server, when auth.test says no: one line naming the setting, no traceback,
    and the master stops instead of forking workers that fail again and again."""
    slack.api_answers["auth.test"] = lambda _r: {"ok": False, "error": "invalid_auth"}

    result = run_bot("procfile", tmp_path, slack, served)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    (line,) = [entry for entry in output.splitlines() if "event=cannot_start" in entry]
    assert "invalid_auth" in line and "SLACK_BOT_TOKEN" in line
    assert "Traceback" not in output and "event=listening" not in output
    for secret in SECRETS:
        assert secret not in output
    assert [r.path for r in slack.received] == ["/api/auth.test"]  # once: no respawn loop
    assert cometchat.requests == []


def test_the_same_environment_with_good_values_does_start(tmp_path, slack, served):
    """The refusals above are about the one variable: the rest of the environment is fine."""
    with WebProcess(tmp_path, cometchat_url=served, slack_url=slack.url) as web:
        line = web.wait_for_line("event=listening")
    assert f"cometchat={served}/v3" in line
    assert SIGNING_SECRET not in web.output and BOT_TOKEN not in web.output
    assert API_KEY not in web.output
