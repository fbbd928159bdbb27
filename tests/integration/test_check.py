"""`python -m bot check` against local fakes: Slack and CometChat stand-ins on loopback HTTP."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import httpx
import pytest

from bot import __main__ as entry
from bot.cli.check import Status, main, run_check
from tests.conftest import make_settings
from tests.support.fakes.cometchat import API_KEY, FakeCometChat
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

APP_TOKEN = "xapp-1-A0APP-0123456789-abcdef"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, API_KEY, APP_TOKEN)


@pytest.fixture
def cometchat_url(cometchat: FakeCometChat) -> Iterator[str]:
    with cometchat.serve() as server:
        yield server.url + "/v3"


def closed_port_url() -> str:
    """A loopback address where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def check(**overrides) -> tuple[int, str]:
    out = io.StringIO()
    status = main(out=out, load=lambda: make_settings(**overrides))
    return status, out.getvalue()


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_all_good_reports_each_part_and_exits_0(slack, cometchat, cometchat_url):
    slack.api_answers["auth.test"] = lambda _r: {"ok": True, "team": "Example", "user": "banned"}

    status, report = check(slack_api_url=slack.url + "/api/", cometchat_base_url=cometchat_url)

    assert status == 0
    assert "bot token accepted: banned in Example" in report
    assert "API key accepted by http://127.0.0.1" in report
    assert "All good" in report and "FAIL" not in report
    # auth.test was asked with the bot token; CometChat with the key, for one cheap page of groups.
    (call,) = [r for r in slack.received if r.path == "/api/auth.test"]
    assert call.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    (request,) = cometchat.requests
    assert request.path == "/v3/groups" and request.query["perPage"] == ["1"]
    assert_no_secret(report)


def test_bad_slack_token_names_slack_bot_token_and_exits_1(slack, cometchat_url):
    slack.api_answers["auth.test"] = lambda _r: {"ok": False, "error": "invalid_auth"}

    status, report = check(slack_api_url=slack.url + "/api/", cometchat_base_url=cometchat_url)

    assert status == 1
    assert "FAIL  Slack" in report and "invalid_auth" in report
    assert "fix: SLACK_BOT_TOKEN" in report
    assert "ok    CometChat" in report  # the other half is still checked and reported
    assert "1 problem found" in report
    assert_no_secret(report)


def test_bad_cometchat_key_names_cometchat_api_key_and_exits_1(slack, cometchat, cometchat_url):
    cometchat.api_key = "a-different-key"

    status, report = check(slack_api_url=slack.url + "/api/", cometchat_base_url=cometchat_url)

    assert status == 1
    assert "FAIL  CometChat" in report and "AUTH_ERR_APIKEY_NOT_FOUND" in report
    assert "fix: COMETCHAT_API_KEY" in report
    assert "ok    Slack" in report
    assert_no_secret(report)


def test_authonly_key_is_told_to_use_a_fullaccess_key(slack, cometchat, cometchat_url):
    cometchat.interceptor = lambda _r: (
        401,
        {"error": {"code": "AUTH_ERR_NO_ACCESS", "message": "no access"}},
        {},
    )

    status, report = check(slack_api_url=slack.url + "/api/", cometchat_base_url=cometchat_url)

    assert status == 1
    assert "fullAccess" in report and "fix: COMETCHAT_API_KEY" in report


def test_unreachable_hosts_are_reported_with_the_variable_to_fix(cometchat):
    dead = closed_port_url()

    status, report = check(slack_api_url=dead + "/api/", cometchat_base_url=dead + "/v3")

    assert status == 1
    assert f"cannot reach {dead}/api/" in report and "fix: SLACK_API_URL" in report
    assert f"cannot reach {dead}/v3" in report and "fix: COMETCHAT_BASE_URL" in report
    assert "2 problems found" in report
    assert cometchat.requests == []
    assert_no_secret(report)


def test_unreachable_cometchat_host_points_at_app_id_and_region_by_default(slack):
    attempts: list[str] = []
    findings = run_check(
        load=lambda: make_settings(
            slack_api_url=slack.url + "/api/", cometchat_base_url="", cometchat_app_id="nosuchapp"
        ),
        cometchat_transport=_refusing_transport(attempts),
    )

    (cometchat,) = [f for f in findings if f.subject == "CometChat"]
    assert cometchat.status is Status.FAIL
    assert "nosuchapp.api-us.cometchat.io" in cometchat.text
    assert cometchat.fix and cometchat.fix.startswith("COMETCHAT_APP_ID and COMETCHAT_REGION")
    assert attempts == ["https://nosuchapp.api-us.cometchat.io/v3/groups"]  # one try, no retries


def test_configuration_errors_are_listed_one_per_variable_without_calling_anyone(slack):
    status, report = check(
        slack_api_url=slack.url + "/api/", cometchat_timeout=99, page_size=0, slack_bot_token=None
    )

    assert status == 1
    assert "FAIL  Settings   COMETCHAT_TIMEOUT: " in report
    assert "FAIL  Settings   PAGE_SIZE: " in report
    assert "FAIL  Settings   SLACK_BOT_TOKEN: " in report
    assert "3 problems found" in report
    assert "not checked" in report
    assert slack.received == []


def test_app_token_is_checked_with_apps_connections_open(slack, cometchat_url):
    slack.api_answers["apps.connections.open"] = lambda _r: {"ok": False, "error": "invalid_auth"}

    status, report = check(
        slack_api_url=slack.url + "/api/",
        cometchat_base_url=cometchat_url,
        slack_app_token=APP_TOKEN,
    )

    assert status == 1
    assert "Socket Mode" in report
    assert "apps.connections.open refused the app-level token (invalid_auth)" in report
    assert "fix: SLACK_APP_TOKEN" in report
    (call,) = [r for r in slack.received if r.path == "/api/apps.connections.open"]
    assert call.headers["authorization"] == f"Bearer {APP_TOKEN}"
    assert_no_secret(report)


def test_socket_mode_on_a_heroku_dyno_is_warned_about(slack, cometchat):
    findings = run_check(
        load=lambda: make_settings(slack_api_url=slack.url + "/api/", slack_app_token=APP_TOKEN),
        cometchat_transport=cometchat.transport(),
        environ={"DYNO": "web.1"},
    )

    (warning,) = [f for f in findings if f.status is Status.WARN and f.subject == "Settings"]
    assert "$PORT" in warning.text and warning.fix and warning.fix.startswith("SLACK_APP_TOKEN")


def test_a_token_pasted_into_the_signing_secret_is_caught(slack, cometchat_url):
    status, report = check(
        slack_api_url=slack.url + "/api/",
        cometchat_base_url=cometchat_url,
        slack_signing_secret="xoxb-pasted-in-the-wrong-place",
    )

    assert status == 1
    assert "fix: SLACK_SIGNING_SECRET" in report
    assert "xoxb-pasted-in-the-wrong-place" not in report


def test_python_m_bot_check_reads_the_environment(monkeypatch, tmp_path, capsys, cometchat_url):
    slack = FakeSlack()
    slack.api_answers["auth.test"] = lambda _r: {"ok": False, "error": "token_revoked"}
    monkeypatch.chdir(tmp_path)  # no developer's .env gets in the way
    with slack.serve() as server:
        for name, value in {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": server.url + "/api/",
            "COMETCHAT_API_KEY": API_KEY,
            "COMETCHAT_BASE_URL": cometchat_url,
        }.items():
            monkeypatch.setenv(name, value)
        status = entry.main(["check"])

    out = capsys.readouterr().out
    assert status == 1
    assert "token_revoked" in out and "reinstall" in out
    assert_no_secret(out)


def _refusing_transport(attempts: list[str]) -> httpx.MockTransport:
    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(str(request.url.copy_with(query=None)))
        raise httpx.ConnectError("connection refused", request=request)

    return httpx.MockTransport(refuse)


def test_sqlite_on_a_heroku_dyno_is_warned_about(slack, cometchat):
    findings = run_check(
        load=lambda: make_settings(slack_api_url=slack.url + "/api/"),
        cometchat_transport=cometchat.transport(),
        environ={"DYNO": "web.1"},
    )

    (warning,) = [f for f in findings if f.subject == "Database" and f.status is Status.WARN]
    assert "wiped on every restart" in warning.text
    assert warning.fix and warning.fix.startswith("DATABASE_URL")


def test_sqlite_off_heroku_is_fine_and_migrated_at_start(slack, cometchat):
    findings = run_check(
        load=lambda: make_settings(slack_api_url=slack.url + "/api/"),
        cometchat_transport=cometchat.transport(),
        environ={},
    )

    (database,) = [f for f in findings if f.subject == "Database"]
    assert database.status is Status.OK and "migrated when the bot starts" in database.text


def test_an_unreachable_database_fails_the_check_without_its_password(slack, cometchat):
    url = "postgres://bot:hunter2secret@127.0.0.1:1/banned"
    findings = run_check(
        load=lambda: make_settings(slack_api_url=slack.url + "/api/", database_url=url),
        cometchat_transport=cometchat.transport(),
        environ={},
    )

    (database,) = [f for f in findings if f.subject == "Database"]
    assert database.status is Status.FAIL
    assert "127.0.0.1" in database.text and "hunter2secret" not in database.text
    assert database.fix and database.fix.startswith("DATABASE_URL")


def test_check_lists_who_resolves_to_moderator_and_viewer(slack, cometchat_url):
    slack.user_groups = {"S0MODS": ["U0ALICE", "U0BOB"], "S0VIEWERS": ["U0CAROL"]}

    status, report = check(
        slack_api_url=slack.url + "/api/",
        cometchat_base_url=cometchat_url,
        moderator_user_ids="U0DAVE,S0MODS",
        viewer_user_ids="S0VIEWERS",
    )

    assert status == 0
    assert "ok    Access     moderators: 3 (U0ALICE, U0BOB, U0DAVE)" in report
    assert "viewers: 4 (U0ALICE, U0BOB, U0CAROL, U0DAVE) (moderators included)" in report
    asked = sorted(r.body["usergroup"] for r in slack.received if "usergroups" in r.path)
    assert asked == ["S0MODS", "S0VIEWERS"]


def test_check_names_a_user_group_slack_does_not_list(slack, cometchat_url):
    status, report = check(
        slack_api_url=slack.url + "/api/",
        cometchat_base_url=cometchat_url,
        moderator_user_ids="S0TYPO",
    )

    assert status == 1
    assert "FAIL  Access     Slack did not list the members of user group S0TYPO" in report
    assert "fix: MODERATOR_USER_IDS: no such user group" in report


def test_check_says_when_nobody_may_act_and_anyone_may_look(slack, cometchat_url):
    status, report = check(slack_api_url=slack.url + "/api/", cometchat_base_url=cometchat_url)

    assert status == 0
    assert "moderators: nobody may ban or unban" in report
    assert "viewers: anyone in the workspace (VIEWER_USER_IDS unset)" in report
