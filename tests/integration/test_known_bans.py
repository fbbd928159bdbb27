"""The list shows what the bot's history knows of each ban, and works on without it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.domain.button_values import PageCursor, UnbanRef
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from tests.conftest import GUID
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.harness import MODERATOR, harness
from tests.support.slack_messages import listed_uids


def _group() -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=12)
    return fake


def _rows(message: dict) -> dict[str, str]:
    """uid -> the text of its row."""
    return {
        block["text"]["text"].split("`")[1]: block["text"]["text"]
        for block in message["blocks"]
        if block.get("block_id", "").startswith("banned_user_")
    }


def test_a_ban_the_bot_recorded_shows_who_why_and_when_it_ends_on_the_list():
    with harness(_group()) as h:
        at = datetime.now(UTC) - timedelta(days=3)
        h.services.store.record(
            ModerationEvent(
                guid=GUID,
                uid="user-002",
                action=ModerationAction.BAN,
                source=EventSource.COMMAND,
                at=at,
                actor="U0ALICE",
                reason="spamming links",
                ends_at=at + timedelta(days=3, hours=5),
            )
        )
        (page,) = h.command(GUID).messages
    rows = _rows(page)
    assert "Banned by <@U0ALICE> <!date^" in rows["user-002"]
    assert "spamming links · ends <!date^" in rows["user-002"]
    assert all("Banned by" not in text for uid, text in rows.items() if uid != "user-002")


def test_an_unban_from_the_list_is_kept_in_the_history():
    with harness(_group()) as h:
        cursor = PageCursor(guid=GUID, page=1, per_page=10)
        value = UnbanRef(guid=GUID, uid="user-003", cursor=cursor).encode()
        (refreshed,) = h.unban(value).messages
        history = h.services.store.history(GUID, "user-003")
    assert "user-003" not in listed_uids(refreshed)
    (event,) = history.events
    assert (event.action, event.source, event.actor) == (
        ModerationAction.UNBAN,
        EventSource.BUTTON,
        MODERATOR,
    )


def test_without_its_database_the_list_still_works_and_says_so_once_in_the_log(caplog):
    caplog.set_level(logging.WARNING)
    # Nothing listens on port 1: every query fails at once, as with a database that is down.
    with harness(_group(), database_url="postgresql://postgres@127.0.0.1:1/banned") as h:
        (page,) = h.command(GUID).messages
    assert listed_uids(page)[:3] == ["user-001", "user-002", "user-003"]
    assert "Banned by" not in str(page)
    warnings = [
        r.getMessage() for r in caplog.records if "event=history_unavailable" in r.getMessage()
    ]
    assert len(warnings) == 1 and f"guid={GUID}" in warnings[0]
