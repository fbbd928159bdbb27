"""A user's moderation history through the real app: `/banned <guid> history <uid>`, a list
row's History button and Older, as signed requests; the per-test SQLite store of make_settings,
filled with `services.store.record(...)`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.button_values import HistoryRef
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.slack.history_blocks import ACTION_HISTORY, ACTION_HISTORY_OLDER
from bot.slack.text import date_token
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import command_body
from tests.support.harness import MODERATOR, Harness, Reply, harness
from tests.support.slack_limits import (
    assert_no_injected_markup,
    assert_valid_ack,
    assert_valid_slack_post,
)
from tests.support.slack_messages import buttons

GUID = "cometchat-guid-1"
UID = "cometchat-uid-7"
VIEWER, OUTSIDER = "U0VIEWER", "U0OUTSIDER"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _fake() -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=12)
    return fake


@pytest.fixture
def h() -> Iterator[Harness]:
    with harness(_fake(), viewer_user_ids=f"{MODERATOR},{VIEWER}") as built:
        yield built
        for item in list(built.slack.received):
            assert_valid_slack_post(item.path, item.body)


def record(h: Harness, minute: int, action=ModerationAction.BAN, **extra) -> ModerationEvent:
    values: dict = {
        "guid": GUID,
        "uid": UID,
        "action": action,
        "source": EventSource.COMMAND,
        "at": T0 + timedelta(minutes=minute),
        "actor": "UALICE",
        "name": "Pat Example",
    }
    values.update(extra)
    return h.services.store.record(ModerationEvent(**values))


def answer(reply: Reply) -> dict:
    """The one message a request produced (in its ack, or by response_url)."""
    assert reply.status == 200
    (message,) = reply.messages
    if reply.ack and "text" in reply.ack:
        assert_valid_ack(reply.ack)
    return message


def event_lines(message: dict) -> list[str]:
    return [
        b["text"]["text"]
        for b in message.get("blocks", [])
        if b.get("block_id", "").startswith("history_event_")
    ]


def epoch(at: datetime) -> int:
    return int(at.timestamp())


def test_the_command_answers_newest_first_with_who_when_why_and_until(h):
    ban = record(
        h, 0, source=EventSource.BUTTON, reason="spamming links", ends_at=T0 + timedelta(days=1)
    )
    record(h, 90, ModerationAction.EXPIRE, source=EventSource.EXPIRY, actor="")
    rebanned = record(h, 120, reason="again", actor="UBOB")
    record(h, 0, guid="another-group", reason="not this group's")
    record(h, 0, uid="someone-else", reason="not this user's")

    reply = h.command(f"{GUID} history {UID}")

    assert reply.ack is not None and "text" in reply.ack  # the store is local: in the ack
    message = answer(reply)
    assert message["response_type"] == "ephemeral"
    newest, expiry, first = event_lines(message)
    assert "*Banned* by <@UBOB>" in newest and "Reason: again" in newest
    assert date_token(epoch(rebanned.at)) in newest and "Until" not in newest
    assert "*Unbanned automatically*" in expiry and " by " not in expiry
    assert "*Banned* for 24 h by <@UALICE>" in first
    assert date_token(epoch(ban.at)) in first and "with a button in Slack" in first
    assert f"Until {date_token(epoch(ban.ends_at))}" in first
    assert "Reason: spamming links" in first
    assert "not this" not in str(message)
    assert buttons(message, ACTION_HISTORY_OLDER) == []  # all of it on one page
    assert h.cometchat.requests == []  # the history is the bot's own: CometChat is not asked


def test_older_pages_through_45_events_20_20_5_each_once(h):
    for n in range(45):
        record(h, n, reason=f"event {n:02d}")

    first = answer(h.command(f"{GUID} history {UID}"))
    pages = [first]
    while older := buttons(pages[-1], ACTION_HISTORY_OLDER):
        reply = h.click(ACTION_HISTORY_OLDER, older[0]["value"])
        (message,) = reply.messages
        assert message["replace_original"] is True  # the history is replaced in place
        pages.append(message)

    assert [len(event_lines(page)) for page in pages] == [20, 20, 5]
    reasons = [line.split("Reason: ")[1] for page in pages for line in event_lines(page)]
    assert reasons == [f"event {n:02d}" for n in range(44, -1, -1)]  # newest first, none twice
    assert "older events" in str(pages[1]) and "older events" not in str(pages[0])


def test_a_list_row_s_history_button_answers_beside_the_list(h):
    record(h, 0, reason="flooding")
    reply = h.click(ACTION_HISTORY, HistoryRef(guid=GUID, uid=UID).encode(), user_id=VIEWER)
    (message,) = reply.messages
    assert message["response_type"] == "ephemeral" and message["replace_original"] is False
    (line,) = event_lines(message)
    assert "Reason: flooding" in line


def test_the_history_button_the_list_renders_opens_that_user_s_history(h):
    record(h, 0, uid="user-003", reason="user three's ban")
    record(h, 0, uid="user-004", reason="user four's ban")
    (page,) = h.command(GUID, user_id=VIEWER).messages
    (row,) = [b for b in buttons(page, ACTION_HISTORY) if '"user-003"' in b["value"]]

    (message,) = h.click(ACTION_HISTORY, row["value"], user_id=VIEWER).messages

    (line,) = event_lines(message)
    assert "Reason: user three's ban" in line


def test_a_viewer_who_is_not_a_moderator_may_read_it(h):
    record(h, 0, reason="flooding")
    message = answer(h.command(f"{GUID} history {UID}", user_id=VIEWER))
    assert "Reason: flooding" in event_lines(message)[0]


@pytest.mark.parametrize("how", ["command", "history button", "older button"])
def test_a_refused_viewer_gets_the_refusal_and_no_history(h, how):
    for n in range(25):
        record(h, n, reason="private reason")
    value = HistoryRef(guid=GUID, uid=UID, before=10_000).encode()
    if how == "command":
        reply = h.command(f"{GUID} history {UID}", user_id=OUTSIDER)
    else:
        action = ACTION_HISTORY if how == "history button" else ACTION_HISTORY_OLDER
        reply = h.click(action, value, user_id=OUTSIDER)
    (message,) = reply.messages
    assert "not allowed to view banned users" in message["text"]
    assert "private reason" not in str(reply.messages) and "Pat Example" not in str(message)
    assert not message.get("replace_original")


def test_hostile_reasons_names_and_actors_are_escaped(h):
    hostile = "<!channel> <@U999> <https://evil.example|click here> &amp;"
    record(h, 0, reason=hostile, name=hostile)
    record(
        h,
        1,
        ModerationAction.SCOPE_CHANGE,
        source=EventSource.WEBHOOK,
        actor="<!here>",
        scope="<!everyone>",
    )
    message = answer(h.command(f"{GUID} history {UID}"))
    assert_no_injected_markup(message, mentions=["UALICE"])
    assert "&lt;!channel&gt; &lt;@U999&gt;" in event_lines(message)[1]


def test_an_unknown_user_gets_a_plain_no_record_answer(h):
    record(h, 0, uid="someone-else")
    message = answer(h.command(f"{GUID} history never-seen-here"))
    assert message["text"].startswith(
        f"The bot has no record of `never-seen-here` in group `{GUID}`."
    )
    assert ":x:" not in message["text"] and ":warning:" not in message["text"]
    assert buttons(message) == []


def test_a_malformed_uid_is_refused_before_anything_is_read(h):
    message = answer(h.command(f"{GUID} history bad/uid"))
    assert "is not a valid CometChat user id" in message["text"]


def test_a_slow_database_answers_by_response_url_after_the_ack(caplog):
    """The SQLite file is locked by a writer: the ack goes out empty within ACK_BUDGET, and the
    history follows once the lock is released."""
    with harness(_fake(), ack_budget=0.2) as h:
        record(h, 0, reason="late but here")
        url, path = h.new_response_url()
        mark = len(h.slack.received)
        with h.services.store.engine.begin():  # BEGIN IMMEDIATE: the write lock, held
            response = h.signed(command_body(f"{GUID} history {UID}", url))
            assert response.status == 200 and not response.body  # acknowledged empty
        (post,) = h.wait_after(mark, path, 5.0)
        assert "Reason: late but here" in event_lines(post.body)[0]


BROKEN_DATABASE = "postgresql://history:hunter2secret@127.0.0.1:1/banned"  # nothing listens


@pytest.fixture
def broken() -> Iterator[Harness]:
    with harness(_fake(), database_url=BROKEN_DATABASE) as built:
        yield built


def test_a_database_failure_says_so_clearly_and_logs_one_warning(broken, caplog):
    caplog.set_level(logging.INFO, logger="bot.requests")

    message = answer(broken.command(f"{GUID} history {UID}"))

    assert message["text"].startswith(":warning: The moderation history cannot be read right now")
    assert "The banned list still works" in message["text"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    (line,) = [r.getMessage() for r in warnings]
    assert "outcome=HistoryUnreadable" in line and "DATABASE_URL" in line
    assert "python -m bot check" in line
    assert "hunter2secret" not in caplog.text and "hunter2secret" not in str(message)


def test_a_database_failure_on_older_leaves_the_history_in_place(broken):
    reply = broken.click(ACTION_HISTORY_OLDER, HistoryRef(guid=GUID, uid=UID, before=21).encode())
    (message,) = reply.messages
    assert message["replace_original"] is False  # beside the page, which stays readable
    assert "cannot be read right now" in message["text"]


def test_the_list_still_works_when_the_history_cannot_be_read(broken):
    message = answer(broken.command(GUID))
    assert "Banned from Hiking Group" in message["blocks"][0]["text"]["text"]
