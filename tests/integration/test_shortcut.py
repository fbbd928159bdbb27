"""The global shortcut "Ban a CometChat user…", through the real app: signed requests in, the
form Slack is asked to open, its submission, and the ban it leads to (CometChat faked, the
history in the run's database, SQLite and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.domain.moderation import EventSource, ModerationAction
from bot.slack.moderation_blocks import (
    DURATION_ACTION_ID,
    DURATION_BLOCK_ID,
    GROUP_BLOCK_ID,
    REASON_ACTION_ID,
    REASON_BLOCK_ID,
    SHORTCUT_BAN,
    UID_ACTION_ID,
    UID_BLOCK_ID,
    VIEW_BAN_ANYWHERE,
    VIEW_BAN_CONFIRM,
    VIEW_NOTICE,
)
from bot.slack.picker import ACTION_PICK_GROUP
from tests.conftest import GUID
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import Received, global_shortcut_body
from tests.support.harness import MODERATOR, Harness, harness
from tests.support.slack_limits import assert_valid_slack_post, assert_valid_view

OUTSIDER = "U0NOBODY"


@pytest.fixture
def app(database, engines) -> Iterator[Harness]:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=1)
    _backend, url = database
    with harness(fake, database_url=url) as built:
        yield built
        # Every view and message the bot sent is one Slack accepts.
        for item in list(built.slack.received):
            assert_valid_slack_post(item.path, item.body)


def _shortcut(app: Harness, user_id: str = MODERATOR) -> Received:
    """Choose the shortcut; return the views.open it leads to."""
    mark = len(app.slack.received)
    response = app.signed(global_shortcut_body(SHORTCUT_BAN, user_id=user_id))
    assert response.status == 200
    app.settle()
    (opened,) = [r for r in app.slack.received[mark:] if r.path == "/api/views.open"]
    assert opened.body["trigger_id"] == "123.456.shortcut"
    return opened


def _view(opened: Received) -> dict[str, Any]:
    view = opened.body["view"]
    return json.loads(view) if isinstance(view, str) else view


def _values(guid: str | None, uid: str, duration: str, reason: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        UID_BLOCK_ID: {UID_ACTION_ID: {"type": "plain_text_input", "value": uid}},
        DURATION_BLOCK_ID: {
            DURATION_ACTION_ID: {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": duration},
            }
        },
        REASON_BLOCK_ID: {REASON_ACTION_ID: {"type": "plain_text_input", "value": reason}},
    }
    chosen = None
    if guid is not None:
        chosen = {"text": {"type": "plain_text", "text": guid}, "value": guid}
    values[GROUP_BLOCK_ID] = {
        ACTION_PICK_GROUP: {"type": "external_select", "selected_option": chosen}
    }
    return values


def _writes(app: Harness) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in app.cometchat.requests if r.method in ("POST", "DELETE")]


def test_the_shortcut_opens_the_ban_form_with_the_group_picker_first(app):
    view = _view(_shortcut(app))

    assert_valid_view(view, where="shortcut")
    assert view["callback_id"] == VIEW_BAN_ANYWHERE
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ids == [GROUP_BLOCK_ID, UID_BLOCK_ID, DURATION_BLOCK_ID, REASON_BLOCK_ID]
    group = view["blocks"][0]["element"]
    assert (group["type"], group["action_id"]) == ("external_select", ACTION_PICK_GROUP)
    assert app.cometchat.requests == []  # nothing is read before a group is typed


def test_the_forms_group_menu_loads_the_apps_groups(app):
    payload = {
        "type": "block_suggestion",
        "user": {"id": MODERATOR, "username": "mod", "team_id": "T0TEAM"},
        "container": {"type": "view", "view_id": "V0VIEW"},
        "view": {"id": "V0VIEW", "type": "modal", "callback_id": VIEW_BAN_ANYWHERE},
        "api_app_id": "A0APP",
        "token": "deprecated",
        "action_id": ACTION_PICK_GROUP,
        "block_id": GROUP_BLOCK_ID,
        "value": "hik",
        "team": {"id": "T0TEAM", "domain": "example"},
    }
    response = app.signed(urlencode({"payload": json.dumps(payload)}).encode())

    assert response.status == 200
    options = json.loads(response.body)["options"]
    assert [o["value"] for o in options] == [GUID]


def test_a_submitted_form_is_confirmed_then_bans_and_tells_the_moderator_in_a_dm(app):
    view = _view(_shortcut(app))
    step1 = app.submit_view(
        VIEW_BAN_ANYWHERE, "", _values(GUID, " newbie ", "24h", "spamming links")
    )

    assert step1 is not None and step1["response_action"] == "update"
    confirm = step1["view"]
    assert confirm["callback_id"] == VIEW_BAN_CONFIRM
    assert "Ban `newbie` from group `cometchat-guid-1`?" in confirm["blocks"][0]["text"]["text"]
    assert _writes(app) == []  # nothing is done before the confirmation
    assert view["callback_id"] == VIEW_BAN_ANYWHERE

    mark = len(app.slack.received)
    assert app.submit_view(VIEW_BAN_CONFIRM, confirm["private_metadata"], {}) is None
    (posted,) = app.slack.wait_for(1, path_prefix="/api/chat.postMessage")

    assert _writes(app) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")]
    (event,) = app.services.store.history(GUID, "newbie").events
    assert (event.action, event.source) == (ModerationAction.BAN, EventSource.BUTTON)
    assert (event.actor, event.reason) == (MODERATOR, "spamming links")
    assert event.ends_at == event.at + timedelta(hours=24)
    opened = [r for r in app.slack.received[mark:] if r.path == "/api/conversations.open"]
    assert [r.body["users"] for r in opened] == [MODERATOR]
    assert posted.body["text"] == (
        ":no_entry_sign: Banned `newbie` from `cometchat-guid-1` for 24 h. Reason: spamming links"
    )


def test_a_form_without_a_group_is_sent_back_and_bans_nobody(app):
    _shortcut(app)
    ack = app.submit_view(VIEW_BAN_ANYWHERE, "", _values(None, "newbie", "1h", ""))

    assert ack is not None and ack["response_action"] == "errors"
    assert list(ack["errors"]) == [GROUP_BLOCK_ID]
    assert app.cometchat.requests == [] and app.services.store.history(GUID, "newbie").events == []


def test_an_unknown_user_is_said_beside_the_uid_before_anything_is_confirmed(app):
    ack = app.submit_view(VIEW_BAN_ANYWHERE, "", _values(GUID, "ghost-1", "permanent", ""))

    assert ack is not None and ack["response_action"] == "errors"
    assert "ghost-1" in ack["errors"][UID_BLOCK_ID]
    assert _writes(app) == []


def test_someone_who_is_not_a_moderator_is_told_so_and_gets_no_form(app):
    view = _view(_shortcut(app, OUTSIDER))

    assert view["callback_id"] == VIEW_NOTICE
    assert "not allowed to ban users" in view["blocks"][0]["text"]["text"]
    # A hand-made submission of the form is refused all the same.
    app.submit_view(VIEW_BAN_ANYWHERE, "", _values(GUID, "newbie", "1h", ""), user_id=OUTSIDER)
    assert app.cometchat.requests == [] and app.services.store.history(GUID, "newbie").events == []
