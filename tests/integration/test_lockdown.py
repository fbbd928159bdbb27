"""Lockdown through the real app: `/banned <guid> lockdown <duration> [<reason…>]` denies
participants sendMessage, keeping what they had; *Lift lockdown*, or the expiry loop's chore
when the time is over, puts exactly that back, once, even across processes and a database
outage. Signed requests in, CometChat faked, a database of each test's own (SQLite, and
PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.domain.moderation import EventSource, ModerationAction
from bot.slack.lockdown_blocks import ACTION_LOCKDOWN_LIFT
from bot.store.tables import lockdowns
from tests.conftest import GUID
from tests.support.databases import BACKENDS
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.harness import Harness, harness
from tests.support.outage import Outage, own_database
from tests.support.slack_messages import buttons

AUDIT = "C0AUDIT"


def _cometchat(send: str = "allow") -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group")
    fake.permissions[GUID] = {"participant": {"sendMessage": send, "addReaction": "allow"}}
    return fake


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path) -> Iterator[str]:
    with own_database(request.param, tmp_path) as own:
        yield own


@pytest.fixture
def app(url) -> Iterator[Harness]:
    with harness(_cometchat(), database_url=url, audit_channel_id=AUDIT) as built:
        yield built


def _participants(app: Harness) -> dict[str, Any]:
    return app.cometchat.permissions[GUID]["participant"]


def _puts(fake: FakeCometChat) -> list[dict]:
    return [json.loads(r.body)["permissions"] for r in fake.requests if r.method == "PUT"]


def _lock(app: Harness, text: str = "30m raid in progress") -> dict[str, Any]:
    """The command; its answer (posted to its response_url once the lockdown is done)."""
    mark = len(app.slack.received)
    assert app.command(f"{GUID} lockdown {text}").status == 200
    app.settle()
    (answer,) = [r.body for r in app.slack.received[mark:] if r.path.startswith("/response/")]
    return answer


def _lift(app: Harness, value: str) -> dict[str, Any]:
    """*Lift lockdown* pressed; its answer (an audit line may reach Slack before it)."""
    mark = len(app.slack.received)
    assert app.click(ACTION_LOCKDOWN_LIFT, value).status == 200
    app.settle()
    (answer,) = [r.body for r in app.slack.received[mark:] if r.path.startswith("/response/")]
    return answer


def _group_events(app: Harness) -> list[tuple[ModerationAction, EventSource]]:
    return [
        (e.action, e.source)
        for e in reversed(app.services.store.recent_events(50))
        if e.guid == GUID and e.uid == ""
    ]


def _make_due(app: Harness) -> None:
    with app.services.store.engine.begin() as conn:
        conn.execute(
            update(lockdowns)
            .where(lockdowns.c.guid == GUID)
            .values(ends_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def test_lockdown_denies_participants_and_lifting_puts_back_what_they_had(app):
    answer = _lock(app)

    assert "Locked down group `cometchat-guid-1` for 30 min" in answer["text"]
    assert "Reason: raid in progress" in answer["text"]
    assert _participants(app) == {"sendMessage": "deny", "addReaction": "allow"}
    assert _puts(app.cometchat) == [{"sendMessage": "deny"}]  # nothing else touched
    assert _group_events(app) == [(ModerationAction.LOCKDOWN, EventSource.COMMAND)]
    audit = [r.body["text"] for r in app.slack.received if r.body.get("channel") == AUDIT]
    assert any(":lock: Locked down: group `cometchat-guid-1`" in line for line in audit)

    (lift,) = buttons(answer, ACTION_LOCKDOWN_LIFT)
    lifted = _lift(app, lift["value"])

    assert (
        "Lockdown lifted in group `cometchat-guid-1`: `sendMessage` `allow` again"
        in (lifted["text"])
    )
    assert _participants(app)["sendMessage"] == "allow"
    assert _group_events(app)[-1] == (ModerationAction.LOCKDOWN_END, EventSource.BUTTON)
    assert app.services.store.lockdowns.current(GUID) is None
    again = _lift(app, lift["value"])
    assert "not locked down" in again["text"]
    assert len(_puts(app.cometchat)) == 2


def test_a_lockdown_s_case_reads_as_the_group_s(app):
    _lock(app)
    (lockdown,) = [
        e for e in app.services.store.recent_events(10) if e.action is ModerationAction.LOCKDOWN
    ]
    (view,) = app.command(f"case {lockdown.id}").messages
    assert view["text"] == f"Case #{lockdown.id}: locked down group `{GUID}`"
    assert "Reason:* raid in progress" in str(view["blocks"])
    # Nobody's history to open, no one user's ban to edit.
    ids = [
        e["action_id"] for b in view["blocks"] for e in b.get("elements", []) if "action_id" in e
    ]
    assert ids == []


def test_what_was_denied_before_stays_denied_after(url):
    with harness(_cometchat(send="deny"), database_url=url) as app:
        _lock(app)
        _make_due(app)
        app.services.expiries.run_chores()
        assert _puts(app.cometchat) == [{"sendMessage": "deny"}, {"sendMessage": "deny"}]
        assert _participants(app)["sendMessage"] == "deny"


def test_a_second_lockdown_of_the_same_group_changes_nothing(app):
    _lock(app)
    answer = _lock(app, "1h again")
    assert "locked down already" in answer["text"]
    assert _puts(app.cometchat) == [{"sendMessage": "deny"}]


@pytest.mark.parametrize("text", ["permanent", "0m", "400d", "2x spam"])
def test_a_lockdown_without_a_usable_duration_is_refused_and_changes_nothing(app, text):
    reply = app.command(f"{GUID} lockdown {text}")
    assert reply.ack is not None
    assert f"`{text.split()[0]}` is no length for a lockdown" in reply.ack["text"]
    assert "Nothing was changed" in reply.ack["text"]
    assert app.cometchat.requests == []
    assert app.services.store.lockdowns.current(GUID) is None


def test_a_viewer_cannot_lock_a_group_down(app):
    reply = app.command(f"{GUID} lockdown 30m", user_id="U0VIEWER")
    assert reply.ack is not None and "lock down groups" in reply.ack["text"]
    assert app.cometchat.requests == []


def test_a_lockdown_ending_while_the_database_is_down_ends_once_it_is_back_in_one_process(url):
    fake = _cometchat()
    with (
        harness(fake, database_url=url) as one,
        harness(fake, database_url=url) as other,
    ):
        _lock(one)
        _make_due(one)
        outage = Outage(url)
        outage.start()
        try:
            one.services.expiries.run_chores()  # due, but the database is unreachable
            other.services.expiries.run_chores()
            assert _participants(one)["sendMessage"] == "deny"  # nothing put back blind
            assert len(_puts(fake)) == 1
        finally:
            outage.end()

        # Back: both processes run their chore at once; one of them puts the values back.
        start = threading.Barrier(2)

        def chore(app: Harness) -> None:
            start.wait()
            app.services.expiries.run_chores()

        threads = [threading.Thread(target=chore, args=(app,)) for app in (one, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert _puts(fake) == [{"sendMessage": "deny"}, {"sendMessage": "allow"}]
        assert _participants(one)["sendMessage"] == "allow"
        ends = [e for e in _group_events(one) if e[0] is ModerationAction.LOCKDOWN_END]
        assert ends == [(ModerationAction.LOCKDOWN_END, EventSource.EXPIRY)]
        one.services.expiries.run_chores()
        assert len(_puts(fake)) == 2
