"""Unban asks first, with the user's card, and *Unban selected* asks for the users ticked on a
list page: through the real app (signed requests in, CometChat and Slack faked), the history in
the run's database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.domain.button_values import PageCursor, PickedRef, UnbanRef
from bot.domain.moderation import EventSource, ModerationAction
from bot.slack.moderation_blocks import (
    ACTION_ACT_CANCEL,
    ACTION_ACT_CONFIRM,
    ACTION_PICK,
    ACTION_PICKED,
    ACTION_PICKED_CANCEL,
    ACTION_PICKED_CONFIRM,
    ACTION_UNBAN,
    NOTICE_BLOCK_ID,
)
from bot.slack.user_card_blocks import CARD_BLOCK_ID, MESSAGES_BLOCK_ID, MISSING_BLOCK_ID
from tests.conftest import GUID
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import ticks
from tests.support.harness import MODERATOR, Harness, harness
from tests.support.slack_limits import assert_no_injected_markup, assert_valid_slack_post
from tests.support.slack_messages import block_text, buttons, listed_uids

AUDIT = "C0AUDIT"
VIEWER = "U0VIEWER"


@pytest.fixture
def app(database, engines) -> Iterator[Harness]:
    _backend, url = database
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=57)
    fake.add_message(GUID, "user-003", "buy cheap <https://evil.example|pills> *now*")
    with harness(fake, database_url=url, audit_channel_id=AUDIT) as built:
        yield built
        for item in list(built.slack.received):
            assert_valid_slack_post(item.path, item.body)


def _page(app: Harness) -> dict[str, Any]:
    (page,) = app.command(GUID).messages
    return page


def _unban_value(page: dict[str, Any], uid: str) -> str:
    (button,) = [b for b in buttons(page, ACTION_UNBAN) if UnbanRef.decode(b["value"]).uid == uid]
    return button["value"]


def _answer(reply) -> dict[str, Any]:
    """The click's own answer (an audit post may reach Slack beside it)."""
    (answer,) = [p.body for p in reply.posts if p.path.startswith("/response/")]
    return answer


def _deletes(app: Harness) -> list[str]:
    return [r.path for r in app.cometchat.requests if r.method == "DELETE"]


def _notice(message: dict) -> str:
    assert message["blocks"][0]["block_id"] == NOTICE_BLOCK_ID
    return message["blocks"][0]["text"]["text"]


# -- one user: the card first --------------------------------------------------------------------


def test_unban_from_the_list_shows_the_card_then_unbans_on_confirm(app):
    page = _page(app)

    asked = _answer(app.click(ACTION_UNBAN, _unban_value(page, "user-003"), answered=True))

    assert asked["replace_original"] is True  # in the list's place until Confirm or Cancel
    assert asked["blocks"][0]["text"]["text"] == f":warning: Unban `user-003` from group `{GUID}`?"
    assert block_text(asked, CARD_BLOCK_ID).startswith("*User 003* `user-003`")
    messages = block_text(asked, MESSAGES_BLOCK_ID)
    assert "buy cheap &lt;https://evil.example|pills&gt; *now*" in messages  # evidence, as text
    assert_no_injected_markup(asked)
    assert _deletes(app) == []  # nothing changed yet
    (confirm,) = buttons(asked, ACTION_ACT_CONFIRM)

    after = _answer(app.click(ACTION_ACT_CONFIRM, confirm["value"], answered=True))

    assert _deletes(app) == [f"/v3/groups/{GUID}/bannedusers/user-003"]
    assert after["replace_original"] is True
    assert "Unbanned `user-003`" in _notice(after)
    assert "user-003" not in listed_uids(after) and len(listed_uids(after)) == 10  # refreshed
    (event,) = app.services.store.history(GUID, "user-003").events
    assert (event.action, event.source, event.actor) == (
        ModerationAction.UNBAN,
        EventSource.BUTTON,
        MODERATOR,
    )
    app.settle()
    (audit,) = [p.body["text"] for p in app.slack.received if p.path == "/api/chat.postMessage"]
    assert f"<@{MODERATOR}> unbanned `user-003` from group `{GUID}`" in audit


def test_cancel_changes_nothing_and_gives_the_list_back(app):
    page = _page(app)
    asked = _answer(app.click(ACTION_UNBAN, _unban_value(page, "user-002"), answered=True))
    (cancel,) = buttons(asked, ACTION_ACT_CANCEL)

    back = _answer(app.click(ACTION_ACT_CANCEL, cancel["value"], answered=True))

    assert back["replace_original"] is True
    assert _notice(back) == ":heavy_multiplication_x: Cancelled. Nobody was unbanned."
    assert listed_uids(back) == listed_uids(page)
    assert _deletes(app) == []
    assert app.services.store.history(GUID, "user-002").events == []


def test_a_uid_cometchat_does_not_know_is_said_and_offers_no_confirm(app):
    cursor = PageCursor(guid=GUID, per_page=10)
    value = UnbanRef(guid=GUID, uid="ghost-1", cursor=cursor).encode()

    answer = _answer(app.click(ACTION_UNBAN, value, answered=True))

    assert answer["text"] == (
        ":mag: There is no user `ghost-1` in this CometChat app (or the user is deactivated)."
    )
    assert answer["replace_original"] is False  # beside the list, which stays as it was
    assert buttons(answer, ACTION_ACT_CONFIRM) == []
    assert _deletes(app) == []


def test_a_failing_card_read_is_named_and_the_unban_can_still_be_confirmed(app):
    refused = (403, {"error": {"code": "ERR_PLAN_RESTRICTION", "message": "upgrade"}}, {})
    app.cometchat.interceptor = lambda rec: refused if rec.path.startswith("/v3/users/") else None
    value = UnbanRef(guid=GUID, uid="user-004").encode()  # from the live feed: no list

    asked = _answer(app.click(ACTION_UNBAN, value, answered=True))

    assert asked["response_type"] == "ephemeral" and asked["replace_original"] is False
    assert block_text(asked, CARD_BLOCK_ID) is None
    assert block_text(asked, MISSING_BLOCK_ID) == (
        ":grey_question: Not shown: their profile (CometChat could not be read)."
    )
    (confirm,) = buttons(asked, ACTION_ACT_CONFIRM)
    app.cometchat.interceptor = None
    done = _answer(app.click(ACTION_ACT_CONFIRM, confirm["value"], answered=True))
    assert done["replace_original"] is True and "Unbanned `user-004`" in done["text"]
    assert _deletes(app) == [f"/v3/groups/{GUID}/bannedusers/user-004"]


# -- ticked users: Unban selected ----------------------------------------------------------------


def _picked(page: dict[str, Any]) -> str:
    (button,) = buttons(page, ACTION_PICKED)
    return button["value"]


def test_a_moderator_s_page_has_a_tick_per_user_and_unban_selected(app):
    page = _page(app)
    boxes = buttons(page, ACTION_PICK)
    assert [b["options"][0]["value"] for b in boxes] == listed_uids(page)
    assert all(len(b["options"]) == 1 for b in boxes)  # within Slack's 10 options each
    (button,) = buttons(page, ACTION_PICKED)
    assert button["text"]["text"] == "Unban selected"
    viewer_page = app.command(GUID, user_id=VIEWER).messages[0]
    assert buttons(viewer_page, ACTION_PICK) == buttons(viewer_page, ACTION_PICKED) == []


def test_unban_selected_confirms_then_reports_each_user(app, monkeypatch):
    client, bulk = app.services.cometchat, []
    unban = client.unban

    def spy(guid: str, uid: str, **kw: Any) -> None:
        bulk.append(kw.get("bulk", False))
        unban(guid, uid, **kw)

    monkeypatch.setattr(client, "unban", spy)
    page = _page(app)
    picked = ticks(("user-001", "User 001"), ("user-002", "User 002"))

    asked = _answer(app.click(ACTION_PICKED, _picked(page), state=picked, answered=True))

    assert asked["replace_original"] is True
    question = asked["blocks"][0]["text"]["text"]
    assert question.startswith(f":warning: Unban these 2 users from group `{GUID}`?")
    assert "• *User 001* `user-001`" in question and "• *User 002* `user-002`" in question
    assert _deletes(app) == []
    (confirm,) = buttons(asked, ACTION_PICKED_CONFIRM)
    assert confirm["text"]["text"] == "Unban 2"
    # Someone else unbans user-002 meanwhile (in the chat app's dashboard, say).
    app.cometchat.banned[GUID] = [u for u in app.cometchat.banned[GUID] if u["uid"] != "user-002"]

    after = _answer(app.click(ACTION_PICKED_CONFIRM, confirm["value"], answered=True))

    notice = _notice(after)
    assert "Unbanned 1: `user-001`." in notice
    assert (
        "Already unbanned (by someone else meanwhile, or before), nothing to do for 1: "
        "`user-002`." in notice
    )
    assert listed_uids(after)[:2] == ["user-003", "user-004"]  # the list, refreshed
    assert _deletes(app) == [
        f"/v3/groups/{GUID}/bannedusers/user-001",
        f"/v3/groups/{GUID}/bannedusers/user-002",
    ]  # one call each, like single unbans
    assert bulk == [True, True]  # each waits its turn in the rate-limit governor
    (event,) = app.services.store.history(GUID, "user-001").events
    assert (event.action, event.actor) == (ModerationAction.UNBAN, MODERATOR)
    assert app.services.store.history(GUID, "user-002").events == []
    app.settle()
    audit = sorted(p.body["text"] for p in app.slack.received if p.path == "/api/chat.postMessage")
    assert len(audit) == 2  # each attempt, as for single unbans
    assert any("unbanned `user-001`" in line for line in audit)
    assert any("tried to unban `user-002`" in line for line in audit)


def test_a_failed_unban_among_the_selected_is_worded_and_the_rest_go_ahead(app):
    def fail_one(rec):
        if rec.method == "DELETE" and rec.path.endswith("/user-005"):
            return (503, {"error": {"code": "ERR_EXCEPTION"}}, {})
        return None

    app.cometchat.interceptor = fail_one
    value = PickedRef(
        action=ModerationAction.UNBAN,
        guid=GUID,
        cursor=PageCursor(guid=GUID, per_page=10),
        uids=("user-005", "user-006"),
    ).encode()

    after = _answer(app.click(ACTION_PICKED_CONFIRM, value, answered=True))

    notice = _notice(after)
    assert "Unbanned 1: `user-006`." in notice
    assert "`user-005`" in notice and "may or may not have happened" in notice
    assert len(_deletes(app)) == 2  # never retried


def test_cancel_of_unban_selected_changes_nothing(app):
    page = _page(app)
    picked = ticks(("user-001", "User 001"))
    asked = _answer(app.click(ACTION_PICKED, _picked(page), state=picked, answered=True))
    (cancel,) = buttons(asked, ACTION_PICKED_CANCEL)

    back = _answer(app.click(ACTION_PICKED_CANCEL, cancel["value"], answered=True))

    assert _notice(back) == ":heavy_multiplication_x: Cancelled. Nobody was unbanned."
    assert listed_uids(back) == listed_uids(page)
    assert _deletes(app) == []


def test_nothing_selected_is_said_and_nothing_changes(app):
    page = _page(app)

    answer = _answer(app.click(ACTION_PICKED, _picked(page), state={}, answered=True))

    assert answer["replace_original"] is False  # the list stays as it was
    assert answer["text"].startswith(":point_up: Nothing selected: tick the users to unban")
    assert buttons(answer, ACTION_PICKED_CONFIRM) == []
    assert [r for r in app.cometchat.requests if r.method != "GET"] == []


def test_a_non_moderator_can_neither_ask_nor_confirm(app):
    page = _page(app)
    picked = ticks(("user-001", "User 001"))
    confirm = PickedRef(
        action=ModerationAction.UNBAN, guid=GUID, uids=("user-001", "user-002")
    ).encode()

    for action, value, state in (
        (ACTION_PICKED, _picked(page), picked),
        (ACTION_PICKED_CONFIRM, confirm, None),
        (ACTION_UNBAN, _unban_value(page, "user-001"), None),
    ):
        answer = _answer(app.click(action, value, user_id=VIEWER, state=state, answered=True))
        assert "not allowed" in answer["text"], action
        assert json.dumps(answer).count(ACTION_PICKED_CONFIRM) == 0
    assert _deletes(app) == []
    assert len(app.cometchat.banned[GUID]) == 57
