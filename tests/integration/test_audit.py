"""The audit trail against the fake Slack Web API: posted, logged, and never in the way."""

from __future__ import annotations

import logging
import socket
import threading
from concurrent.futures import Future

import pytest
from slack_sdk import WebClient

from bot.domain.audit import AuditEntry
from bot.services import new_web_client
from bot.slack.audit_channel import AuditTrail, build_audit_trail
from tests.support.fakes.slack import BOT_TOKEN

ENTRY = AuditEntry("U0MOD", "ban", "cometchat-guid-1", "user-001", 1_700_000_000, "done")


def _trail(slack, channel: str = "C0AUDIT", **kw) -> AuditTrail:
    # The production client, as services builds it.
    client = new_web_client(token=BOT_TOKEN, base_url=slack.url + "/api/")
    return build_audit_trail(channel, client=client, **kw)


def test_entry_is_posted_to_the_audit_channel_with_the_bot_token(slack):
    assert _trail(slack).post(ENTRY) is True
    (posted,) = slack.wait_for(1, path_prefix="/api/chat.postMessage")
    assert posted.body["channel"] == "C0AUDIT"
    assert posted.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert posted.body["text"].startswith(":no_entry_sign: <@U0MOD> banned `user-001`")
    assert "<!date^1700000000^" in posted.body["text"]


def test_record_logs_every_entry_and_posts_in_the_background(slack, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    submitted: list[Future] = []
    ran = threading.Event()

    def submit(work):
        future: Future = Future()
        submitted.append(future)

        def run():
            future.set_result(work())
            ran.set()

        threading.Thread(target=run).start()
        return future

    _trail(slack, submit=submit).record(ENTRY)

    assert ran.wait(10) and submitted[0].result() is True
    (line,) = [r.getMessage() for r in caplog.records]
    for part in (
        "event=audit",
        "actor=U0MOD",
        "action=ban",
        "guid=cometchat-guid-1",
        "uid=user-001",
        "at=1700000000",
        "outcome=done",
        "channel=C0AUDIT",
    ):
        assert part in line
    slack.wait_for(1, path_prefix="/api/chat.postMessage")


def test_unset_channel_logs_only(slack, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    trail = _trail(slack, channel="  ")
    assert trail.posts_to_slack is False
    trail.record(ENTRY)
    assert [r.getMessage() for r in caplog.records if "event=audit" in r.getMessage()]
    assert slack.received == []


def test_a_slack_refusal_is_logged_with_a_hint_and_not_raised(slack, caplog):
    slack.api_answers["chat.postMessage"] = lambda _r: {"ok": False, "error": "channel_not_found"}
    caplog.set_level(logging.WARNING, logger="bot.audit")
    assert _trail(slack).post(ENTRY) is False
    (line,) = [r.getMessage() for r in caplog.records]
    assert "audit_post_failed" in line and "channel_not_found" in line
    assert "check AUDIT_CHANNEL_ID" in line
    assert BOT_TOKEN not in line


def test_an_unreachable_slack_is_logged_and_not_raised(caplog):
    with socket.socket() as sock:  # a port nobody listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = WebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{port}/api/", timeout=2)
    client.retry_handlers = []  # one attempt is enough to prove the point
    caplog.set_level(logging.WARNING, logger="bot.audit")
    assert AuditTrail("C0AUDIT", client).post(ENTRY) is False
    assert any("audit_post_failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("outcome", ["already_banned", "user_not_found", "failed"])
def test_failed_attempts_are_audited_too(slack, outcome):
    entry = AuditEntry("U0MOD", "ban", "g", "u", 1_700_000_000, outcome, error="ERR_X")
    assert _trail(slack).post(entry) is True
    (posted,) = slack.wait_for(1, path_prefix="/api/chat.postMessage")
    assert "tried to ban `u` in group `g`" in posted.body["text"]
