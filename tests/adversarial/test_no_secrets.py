"""No secret ever leaves where it belongs: not into a log line, not into anything sent to Slack.

Every path of the bot (tests/support/tour.py: success, each error, clicks, search, picker, share,
export, ban/unban with modals, webhooks, refusals, CometChat failures) runs with known, distinctive
secret values. Then every log record (DEBUG and up, every logger: ours, slack_bolt, slack_sdk,
httpx, httpcore) and every request to Slack (paths, headers, bodies, acks) is scanned for them. The
only place a secret may travel is its own: the bot token as `Authorization: Bearer` on Web API calls
(never to a response_url or an upload URL), the CometChat key as the `apikey` header to CometChat.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import STEP_TOKEN
from tests.support.harness import Harness, harness
from tests.support.tour import Step, run_tour, tour_settings

# A marker inside each value: a leak of any part around it is still caught.
SECRETS = {
    "slack_bot_token": "xoxb-1111-LEAKMARKBOT-2222aaaa",
    "slack_signing_secret": "e3b0c442LEAKMARKSIGN98fc1c149afbf4",
    "cometchat_api_key": "ccfull-LEAKMARKCCKEY-0123456789abcdef",
    "webhook_password": "hunter2-LEAKMARKHOOK-pass",
    "slack_app_token": "xapp-1-A0APP-LEAKMARKAPP-3333",
}
# A workflow step's token comes in its event (tests.support.fakes.slack.STEP_TOKEN).
MARKERS = [
    "LEAKMARKBOT",
    "LEAKMARKSIGN",
    "LEAKMARKCCKEY",
    "LEAKMARKHOOK",
    "LEAKMARKAPP",
    "LEAKMARKSTEP",
]
LOGGERS = ["", "bot", "slack_bolt", "slack_sdk", "httpx", "httpcore", "urllib3"]


def _fake() -> FakeCometChat:
    fake = FakeCometChat(api_key=SECRETS["cometchat_api_key"])
    fake.add_group("cometchat-guid-1", "Hiking Group", banned=57)
    fake.add_group("empty-group", "Quiet Corner", banned=0)
    return fake


@pytest.fixture
def app() -> Iterator[Harness]:
    settings = tour_settings(
        webhook_password=SECRETS["webhook_password"],
        slack_bot_token=SECRETS["slack_bot_token"],
        slack_signing_secret=SECRETS["slack_signing_secret"],
        cometchat_api_key=SECRETS["cometchat_api_key"],
        slack_app_token=SECRETS["slack_app_token"],
    )
    with harness(_fake(), **settings) as built:
        yield built


def _leaks(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


def _tour(app: Harness) -> list[Step]:
    steps = run_tour(app, webhook_password=SECRETS["webhook_password"])
    assert len(steps) > 40, "the tour should walk every path"
    return steps


def _assert_nothing_sent_to_slack_leaks(app: Harness, steps: list[Step]) -> None:
    bearer = "Bearer " + SECRETS["slack_bot_token"]
    api_calls = 0
    for step in steps:
        for acked in step.acked:
            assert not _leaks(json.dumps(acked)), (
                f"{step.name}: ack leaks {_leaks(json.dumps(acked))}"
            )
        for item in step.sent:
            headers = dict(item.headers)
            auth = headers.pop("authorization", None)
            if item.path.startswith("/api/"):
                api_calls += 1
                # A step answers with the token its event carried; everything else, the bot's.
                step_answer = item.path.startswith("/api/functions.complete")
                expected = f"Bearer {STEP_TOKEN}" if step_answer else bearer
                assert auth == expected, f"{step.name}: {item.path} without the bot token"
            else:
                # response_url and upload URLs need no token: sending one would hand it out.
                assert auth is None, f"{step.name}: Authorization sent to {item.path}"
            sent = item.path + json.dumps(headers) + json.dumps(item.body, default=str)
            sent += item.raw.decode("utf-8", "replace") if getattr(item, "raw", b"") else ""
            assert not _leaks(sent), f"{step.name}: {item.path} carries {_leaks(sent)}"
    assert api_calls, "the tour made no Web API call: the bearer check proved nothing"
    for rec in app.cometchat.requests:
        headers = dict(rec.headers)
        assert headers.pop("apikey") == SECRETS["cometchat_api_key"]
        other = rec.path + json.dumps(rec.query) + json.dumps(headers)
        assert not _leaks(other), f"{rec.method} {rec.path} carries {_leaks(other)}"


def test_no_secret_in_any_log_record_or_anything_sent_to_slack(app, caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    steps = _tour(app)

    assert len(caplog.records) > 100, "logging was not captured"
    for record in caplog.records:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        if record.stack_info:
            text += record.stack_info
        assert not _leaks(text), f"{record.name} {record.levelname}: {text[:500]}"
    _assert_nothing_sent_to_slack_leaks(app, steps)


def test_the_operators_log_stream_is_clean_at_debug(app, monkeypatch):
    # What the operator sees: the product's own logging set-up (with its redaction filter), at
    # DEBUG, written to stdout. Restored afterwards so other tests keep pytest's handlers.
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in LOGGERS if name}
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        configure_logging("DEBUG", secrets=[v for k, v in SECRETS.items()])
        for name in LOGGERS[1:]:
            logging.getLogger(name).setLevel(logging.DEBUG)
        _tour(app)
    finally:
        root.handlers[:], root.level = saved
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    output = stream.getvalue()
    assert output.count("\n") > 100
    assert not _leaks(output), [line for line in output.splitlines() if _leaks(line)][:3]


def test_the_operator_commands_print_no_secret(caplog):
    # `python -m bot check` and `python -m bot list`: good settings, a refused Slack token, a
    # refused CometChat key, and a secret pasted into the wrong variable.
    from bot.cli import check
    from bot.cli import list_banned as cli_list
    from tests.conftest import make_settings
    from tests.support.harness import running_slack

    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    secrets = {
        "slack_bot_token": SECRETS["slack_bot_token"],
        "slack_signing_secret": SECRETS["slack_signing_secret"],
        "cometchat_api_key": SECRETS["cometchat_api_key"],
        "slack_app_token": SECRETS["slack_app_token"],
    }
    printed: list[str] = []
    with running_slack() as slack:
        for slack_ok, key in ((True, SECRETS["cometchat_api_key"]), (False, "another-key")):
            answer = (
                {"ok": True, "team": "T", "user": "u"}
                if slack_ok
                else {
                    "ok": False,
                    "error": "invalid_auth",
                }
            )
            slack.api_answers["auth.test"] = lambda _r, answer=answer: answer
            slack.api_answers["apps.connections.open"] = lambda _r: {"ok": True, "url": "wss://x"}
            fake = _fake()
            fake.api_key = key
            settings = make_settings(slack_api_url=slack.url + "/api/", **secrets)
            out = io.StringIO()
            check.main(out=out, load=lambda s=settings: s, cometchat_transport=fake.transport())
            printed.append(out.getvalue())
            out, err = io.StringIO(), io.StringIO()
            cli_list.main(
                ["cometchat-guid-1"], settings, transport=fake.transport(), out=out, err=err
            )
            printed += [out.getvalue(), err.getvalue()]
        for variable in ("port", "page_size", "cometchat_region", "slack_api_url"):
            out = io.StringIO()
            misplaced = {**secrets, variable: SECRETS["slack_bot_token"]}
            check.main(out=out, load=lambda m=misplaced: make_settings(**m))
            printed.append(out.getvalue())
    assert any("FAIL" in text for text in printed) and any("user-001" in t for t in printed)
    for text in printed:
        assert not _leaks(text), text
    for record in caplog.records:
        assert not _leaks(record.getMessage()), record.getMessage()[:300]
    for item in slack.received:
        headers = {k: v for k, v in item.headers.items() if k != "authorization"}
        assert not _leaks(item.path + json.dumps(headers) + json.dumps(item.body)), item.path
