"""Unban and ban through the real app: signed requests in, CometChat and Slack faked."""

from __future__ import annotations

import json
import logging

import pytest

from bot.domain.button_values import BanRef, UnbanRef
from bot.settings import MAX_PAGE_SIZE
from bot.slack.banned_page import ACTION_NEXT
from bot.slack.moderation_blocks import (
    ACTION_ACT_CONFIRM,
    ACTION_BAN_CANCEL,
    ACTION_BAN_CONFIRM,
    ACTION_BAN_OPEN,
    ACTION_UNBAN,
    NOTICE_BLOCK_ID,
    UID_ACTION_ID,
    UID_BLOCK_ID,
    VIEW_BAN,
    VIEW_BAN_CONFIRM,
)
from tests.conftest import GUID, make_settings
from tests.support.fakes.cometchat import make_user
from tests.support.fakes.slack import (
    action_body,
    block_actions_body,
    command_body,
    view_submission_body,
)
from tests.support.slack_limits import (
    assert_no_injected_markup,
    assert_valid_message,
    assert_valid_slack_post,
)
from tests.support.slack_messages import buttons, listed_uids

MOD, VIEWER, AUDIT = "U0MOD", "U0VIEW", "C0AUDIT"
SMALL = "eleven-group"  # 11 banned: page 2 holds a single user


@pytest.fixture
def settings(slack):
    return make_settings(
        slack_api_url=slack.url + "/api/", moderator_user_ids=MOD, audit_channel_id=AUDIT
    )


@pytest.fixture
def cometchat(cometchat):
    cometchat.add_group(SMALL, "Eleven <b>", banned=11)
    return cometchat


@pytest.fixture(autouse=True)
def everything_sent_to_slack_is_valid(slack):
    """Whatever a test does, each message and view the bot sent must be one Slack accepts."""
    yield
    for item in list(slack.received):
        assert_valid_slack_post(item.path, item.body)


# -- helpers -----------------------------------------------------------------------------------


def _unban_button(message: dict, uid: str) -> dict:
    (button,) = [b for b in buttons(message, ACTION_UNBAN) if json.loads(b["value"])["u"] == uid]
    return button


def _summary(message: dict) -> str:
    (block,) = [b for b in message["blocks"] if b.get("block_id") == "banned_summary"]
    return block["elements"][0]["text"]


def _notice(message: dict) -> str:
    assert message["blocks"][0]["block_id"] == NOTICE_BLOCK_ID
    return message["blocks"][0]["text"]["text"]


def _writes(cometchat) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in cometchat.requests if r.method in ("POST", "DELETE")]


def _list(live_app, slack, guid: str = GUID, user: str = MOD) -> dict:
    response = live_app.post(command_body(guid, slack.url + "/response/list", user_id=user))
    assert response.status_code == 200
    assert_valid_message(response.json(), where="ack")
    return response.json()


def _click(live_app, slack, action_id: str, value: str, name: str, user: str = MOD) -> dict:
    url = f"{slack.url}/response/{name}"
    assert live_app.post(action_body(action_id, value, url, user_id=user)).status_code == 200
    (delivered,) = slack.wait_for(1, path_prefix=f"/response/{name}")
    return delivered.body


def _unban(live_app, slack, value: str, name: str, user: str = MOD) -> dict:
    """Unban clicked, then Confirm on the confirmation it answers with: the Confirm's answer."""
    asked = _click(live_app, slack, ACTION_UNBAN, value, f"ask-{name}", user=user)
    (confirm,) = buttons(asked, ACTION_ACT_CONFIRM)
    return _click(live_app, slack, ACTION_ACT_CONFIRM, confirm["value"], name, user=user)


def _view_submission(callback_id: str, metadata: str, uid: str = "", user: str = MOD) -> bytes:
    values = {UID_BLOCK_ID: {UID_ACTION_ID: {"type": "plain_text_input", "value": uid}}}
    return view_submission_body(callback_id, metadata, values, user_id=user)


# -- who sees what -----------------------------------------------------------------------------


def test_moderator_sees_unban_under_each_user_asking_with_the_card_in_the_list_s_place(
    live_app, slack, cometchat
):
    message = _list(live_app, slack)

    unban_buttons = buttons(message, ACTION_UNBAN)
    assert [json.loads(b["value"])["u"] for b in unban_buttons] == listed_uids(message)
    assert UnbanRef.decode(unban_buttons[0]["value"]).cursor.page == 1
    assert len(buttons(message, ACTION_BAN_OPEN)) == 1

    asked = _click(live_app, slack, ACTION_UNBAN, _unban_button(message, "user-003")["value"], "a")
    assert asked["replace_original"] is True  # in the list's place, until Confirm or Cancel
    assert asked["blocks"][0]["text"]["text"] == f":warning: Unban `user-003` from group `{GUID}`?"
    profile = {b["block_id"]: b for b in asked["blocks"]}["card_profile"]["text"]["text"]
    assert "*User 003* `user-003`" in profile  # the card: who they are, read from CometChat
    (confirm,) = buttons(asked, ACTION_ACT_CONFIRM)
    assert "User 003" not in confirm["confirm"]["text"]["text"]  # the dialog names the uid
    assert "user-003" in confirm["confirm"]["text"]["text"]
    assert _writes(cometchat) == []  # nothing changed yet


def test_non_moderator_sees_no_action_buttons_on_any_page(live_app, slack):
    message = _list(live_app, slack, user=VIEWER)
    assert listed_uids(message)  # the list itself is shown
    assert buttons(message, ACTION_UNBAN) == [] and buttons(message, ACTION_BAN_OPEN) == []

    (next_button,) = buttons(message, ACTION_NEXT)
    page2 = _click(live_app, slack, ACTION_NEXT, next_button["value"], "p2", user=VIEWER)
    assert listed_uids(page2) and buttons(page2, ACTION_UNBAN) == []
    assert buttons(page2, ACTION_BAN_OPEN) == []


class TestNoModerators:
    @pytest.fixture
    def settings(self, slack):
        return make_settings(slack_api_url=slack.url + "/api/")  # MODERATOR_USER_IDS unset

    def test_nobody_sees_action_buttons(self, live_app, slack):
        message = _list(live_app, slack)
        assert listed_uids(message)
        assert buttons(message, ACTION_UNBAN) == [] and buttons(message, ACTION_BAN_OPEN) == []

    def test_nobody_may_act_even_with_a_well_signed_click(self, live_app, slack, cometchat):
        value = UnbanRef(guid=GUID, uid="user-001").encode()
        answer = _click(live_app, slack, ACTION_UNBAN, value, "refused")
        assert "not allowed" in answer["text"] and cometchat.requests == []


def test_hostile_names_stay_text_for_moderators(live_app, slack, cometchat):
    cometchat.banned[GUID][0] = make_user(1, name="<!channel> <https://evil|click> *me*")
    message = _list(live_app, slack)
    assert_no_injected_markup(message)
    button = _unban_button(message, "user-001")
    assert button["text"]["type"] == "plain_text"
    assert button["text"]["text"].startswith("Unban <!channel>")  # plain text: shown as typed
    asked = _click(live_app, slack, ACTION_UNBAN, button["value"], "hostile")
    assert_no_injected_markup(asked)


# -- unban -------------------------------------------------------------------------------------


def test_unban_rerenders_the_page_in_place_without_the_user(live_app, slack, cometchat):
    message = _list(live_app, slack)
    value = _unban_button(message, "user-003")["value"]

    after = _unban(live_app, slack, value, "unban")

    assert after["replace_original"] is True
    assert "Unbanned `user-003`" in _notice(after)
    assert listed_uids(after) == [f"user-{i:03d}" for i in (1, 2, *range(4, 12))]
    assert "*56* banned" in _summary(after)
    assert [json.loads(b["value"])["u"] for b in buttons(after, ACTION_UNBAN)] == listed_uids(after)
    assert _writes(cometchat) == [("DELETE", f"/v3/groups/{GUID}/bannedusers/user-003")]
    assert all(u["uid"] != "user-003" for u in cometchat.banned[GUID])


def test_unbanning_the_last_user_of_a_page_steps_back_a_page(live_app, slack, cometchat):
    first = _list(live_app, slack, guid=SMALL)
    (next_button,) = buttons(first, ACTION_NEXT)
    page2 = _click(live_app, slack, ACTION_NEXT, next_button["value"], "p2")
    assert listed_uids(page2) == ["user-011"]

    after = _unban(live_app, slack, _unban_button(page2, "user-011")["value"], "u")

    assert "Unbanned `user-011`" in _notice(after)
    assert listed_uids(after) == [f"user-{i:03d}" for i in range(1, 11)]
    assert "page 1 of 1" in _summary(after) and "*10* banned" in _summary(after)
    assert buttons(after, ACTION_NEXT) == []  # nowhere further to go
    assert len(buttons(after, ACTION_UNBAN)) == 10


def test_double_click_says_already_unbanned_and_refreshes_the_list(live_app, slack, cometchat):
    value = _unban_button(_list(live_app, slack), "user-002")["value"]
    _unban(live_app, slack, value, "first")

    second = _unban(live_app, slack, value, "second")

    assert second["replace_original"] is True
    assert "`user-002` is not banned from" in _notice(second)
    assert "someone may have unbanned them already" in _notice(second)
    assert "user-002" not in listed_uids(second) and "*56* banned" in _summary(second)


def test_forged_unban_click_changes_nothing_and_is_politely_refused(live_app, slack, cometchat):
    value = UnbanRef(guid=GUID, uid="user-001").encode()  # well-formed, well-signed, not allowed

    answer = _click(live_app, slack, ACTION_UNBAN, value, "forged", user="U0EVIL")

    assert "not allowed to ban or unban users" in answer["text"]
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert _writes(cometchat) == [] and cometchat.requests == []
    assert len(cometchat.banned[GUID]) == 57
    assert not [r for r in slack.since_startup() if r.path.startswith("/api/")]  # nothing audited


def test_forged_ban_confirm_changes_nothing(live_app, slack, cometchat):
    value = BanRef(guid=GUID, uid="newbie").encode()
    answer = _click(live_app, slack, ACTION_BAN_CONFIRM, value, "forged", user="U0EVIL")
    assert "not allowed" in answer["text"]
    assert cometchat.requests == []


def test_unban_from_a_feed_message_asks_beside_it_and_leaves_it_as_it_was(
    live_app, slack, cometchat
):
    value = UnbanRef(guid=GUID, uid="user-005").encode()  # no cursor: not from a list
    original = {
        "text": "user-005 was banned",
        "blocks": [
            {"type": "section", "block_id": "feed_event", "text": {"type": "mrkdwn", "text": "x"}},
            {"type": "actions", "block_id": "feed_actions", "elements": []},
        ],
    }
    payload = _feed_payload(value, slack.url + "/response/feed", original)
    assert live_app.post(payload).status_code == 200
    (delivered,) = slack.wait_for(1, path_prefix="/response/feed")

    asked = delivered.body  # the whole channel sees the feed: the card goes to the clicker only
    assert asked["replace_original"] is False and asked["response_type"] == "ephemeral"
    assert "*User 005* `user-005`" in json.dumps(asked["blocks"])
    assert _writes(cometchat) == []
    (confirm,) = buttons(asked, ACTION_ACT_CONFIRM)
    answer = _click(live_app, slack, ACTION_ACT_CONFIRM, confirm["value"], "ok-feed")
    assert answer["replace_original"] is True  # the spent confirmation
    assert "Unbanned `user-005`" in answer["text"]
    assert _writes(cometchat) == [("DELETE", f"/v3/groups/{GUID}/bannedusers/user-005")]


def test_unban_without_cursor_or_message_answers_beside(live_app, slack, cometchat):
    value = UnbanRef(guid=GUID, uid="user-006").encode()
    asked = _click(live_app, slack, ACTION_UNBAN, value, "plain")
    assert asked["replace_original"] is False and asked["response_type"] == "ephemeral"
    answer = _unban(live_app, slack, value, "ok-plain")
    assert "Unbanned `user-006`" in answer["text"]


def test_an_unconfirmed_unban_says_it_may_have_happened_and_is_not_retried(
    live_app, slack, cometchat
):
    def fail_writes(rec):
        return (503, {"error": {"code": "ERR_EXCEPTION"}}, {}) if rec.method == "DELETE" else None

    cometchat.interceptor = fail_writes
    message = _list(live_app, slack)
    after = _unban(live_app, slack, _unban_button(message, "user-002")["value"], "x")

    assert "may or may not have happened" in _notice(after)
    assert "user-002" in listed_uids(after)  # the list shows where things really stand
    assert [m for m, _ in _writes(cometchat)] == ["DELETE"]  # one try only
    (audit,) = slack.wait_for(1, path_prefix="/api/chat.postMessage")
    assert "tried to unban `user-002`" in audit.body["text"]
    assert "may or may not have happened" in audit.body["text"]


def test_tampered_unban_value_gets_a_clear_message_and_changes_nothing(live_app, slack, cometchat):
    value = json.dumps({"g": GUID, "u": "../../users/x"})
    answer = _click(live_app, slack, ACTION_UNBAN, value, "bad")
    assert "no longer works" in answer["text"]
    assert cometchat.requests == []


def _feed_payload(value: str, response_url: str, message: dict) -> bytes:
    button = {
        "type": "button",
        "action_id": ACTION_UNBAN,
        "block_id": "feed_actions",
        "value": value,
        "action_ts": "1.3",
    }
    return block_actions_body(
        button,
        response_url,
        user_id=MOD,
        container={"type": "message", "message_ts": "1.2", "channel_id": "C0FEED"},
        channel={"id": "C0FEED", "name": "feed"},
        message={"type": "message", "ts": "1.2", **message},
    )


# -- ban from the command ----------------------------------------------------------------------


def test_ban_command_asks_first_then_bans_on_the_confirmed_button(live_app, slack, cometchat):
    response = live_app.post(command_body(f"{GUID} ban newbie", slack.url + "/response/c"))
    question = response.json()

    assert question["response_type"] == "ephemeral"
    assert "Ban `newbie` from group `cometchat-guid-1`?" in question["text"]
    (button,) = buttons(question, ACTION_BAN_CONFIRM)
    assert button["confirm"]["text"]["type"] == "plain_text"
    assert "newbie" in button["confirm"]["text"]["text"]
    assert _writes(cometchat) == []  # nothing changes before the confirmation (only reads)

    done = _click(live_app, slack, ACTION_BAN_CONFIRM, button["value"], "ban")

    assert done["replace_original"] is True
    assert "Banned `newbie` from `cometchat-guid-1`" in done["text"]
    assert _writes(cometchat) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")]
    assert any(u["uid"] == "newbie" for u in cometchat.banned[GUID])


def test_ban_cancel_changes_nothing(live_app, slack, cometchat):
    question = live_app.post(command_body(f"{GUID} ban newbie", slack.url + "/r")).json()
    (cancel,) = buttons(question, ACTION_BAN_CANCEL)
    answer = _click(live_app, slack, ACTION_BAN_CANCEL, cancel["value"], "cancel")
    assert "Cancelled" in answer["text"] and answer["replace_original"] is True
    assert _writes(cometchat) == []


@pytest.mark.parametrize(
    ("guid", "uid", "expected"),
    [
        (GUID, "ghost-7", "There is no user `ghost-7` in this CometChat app"),
        (GUID, "user-001", "`user-001` is already banned from `cometchat-guid-1`"),
        ("no-such-group", "newbie", "There is no group `no-such-group`"),
    ],
)
def test_each_ban_failure_gets_a_clear_answer(live_app, slack, cometchat, guid, uid, expected):
    value = BanRef(guid=guid, uid=uid).encode()
    answer = _click(live_app, slack, ACTION_BAN_CONFIRM, value, "fail")
    assert expected in answer["text"]
    assert "Something went wrong" not in answer["text"]
    assert len(cometchat.banned[GUID]) == 57
    assert not [u for u in cometchat.banned[GUID] if u["uid"] in ("ghost-7", "newbie")]


def test_ban_command_from_a_non_moderator_is_refused_and_asks_nothing(live_app, slack, cometchat):
    body = command_body(f"{GUID} ban newbie", slack.url + "/r", user_id=VIEWER)
    answer = live_app.post(body).json()
    assert "not allowed to ban users" in answer["text"]
    assert buttons(answer, ACTION_BAN_CONFIRM) == []
    assert cometchat.requests == []


def test_ban_command_with_a_malformed_uid_says_so(live_app, slack, cometchat):
    answer = live_app.post(command_body(f"{GUID} ban a/b", slack.url + "/r")).json()
    assert "`a/b` is not a valid CometChat user id" in answer["text"]
    assert cometchat.requests == []


# -- ban from the modal ------------------------------------------------------------------------


def test_ban_via_the_modal_then_the_list_is_refreshed(live_app, slack, cometchat):
    (open_button,) = buttons(_list(live_app, slack), ACTION_BAN_OPEN)
    list_url = slack.url + "/response/list-msg"
    response = live_app.post(action_body(ACTION_BAN_OPEN, open_button["value"], list_url))
    assert response.status_code == 200
    (opened,) = slack.wait_for(1, path_prefix="/api/views.open")
    assert opened.body["trigger_id"] == "123.456.abc"
    view = opened.body["view"]
    assert view["callback_id"] == VIEW_BAN
    assert _writes(cometchat) == []

    step1 = live_app.post(_view_submission(VIEW_BAN, view["private_metadata"], uid=" newbie "))
    update = step1.json()
    assert update["response_action"] == "update"
    assert update["view"]["callback_id"] == VIEW_BAN_CONFIRM
    assert (
        "Ban `newbie` from group `cometchat-guid-1`?" in update["view"]["blocks"][0]["text"]["text"]
    )
    assert _writes(cometchat) == []  # still nothing changed

    step2 = live_app.post(_view_submission(VIEW_BAN_CONFIRM, update["view"]["private_metadata"]))
    assert step2.status_code == 200 and step2.content == b""  # closes the modal
    (delivered,) = slack.wait_for(1, path_prefix="/response/list-msg")
    after = delivered.body
    assert after["replace_original"] is True
    assert "Banned `newbie`" in _notice(after)
    assert "*58* banned" in _summary(after)
    assert _writes(cometchat) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")]


def test_a_form_slack_will_not_open_gets_a_clear_message(live_app, slack, cometchat):
    slack.api_answers["views.open"] = lambda _r: {"ok": False, "error": "expired_trigger_id"}
    value = BanRef(guid=GUID, cursor=None).encode()
    answer = _click(live_app, slack, ACTION_BAN_OPEN, value, "noform")
    assert "would not open the ban form" in answer["text"]
    assert answer["replace_original"] is False
    assert cometchat.requests == []


def test_modal_shows_a_malformed_uid_in_the_form(live_app, slack, cometchat):
    meta = BanRef(guid=GUID, response_url=slack.url + "/response/x", channel_id="C0CHAN").encode()
    answer = live_app.post(_view_submission(VIEW_BAN, meta, uid="two words")).json()
    assert answer["response_action"] == "errors"
    assert "Not a CometChat user id" in answer["errors"][UID_BLOCK_ID]
    assert cometchat.requests == []


def test_forged_modal_submission_changes_nothing(live_app, slack, cometchat):
    meta = BanRef(
        guid=GUID, uid="newbie", response_url=slack.url + "/response/evil", channel_id="C0CHAN"
    ).encode()
    response = live_app.post(_view_submission(VIEW_BAN_CONFIRM, meta, user="U0EVIL"))
    assert response.status_code == 200
    (refusal,) = slack.wait_for(1, path_prefix="/response/evil")
    assert "not allowed to ban users" in refusal.body["text"]
    assert cometchat.requests == []


class TestChannelAllowlist:
    @pytest.fixture
    def settings(self, slack):
        return make_settings(
            slack_api_url=slack.url + "/api/", moderator_user_ids=MOD, viewer_channel_ids="C0OTHER"
        )

    def test_modal_submission_is_checked_against_the_list_s_channel(
        self, live_app, slack, cometchat
    ):
        meta = BanRef(
            guid=GUID, uid="newbie", response_url=slack.url + "/response/chan", channel_id="C0CHAN"
        ).encode()
        live_app.post(_view_submission(VIEW_BAN_CONFIRM, meta))
        (refusal,) = slack.wait_for(1, path_prefix="/response/chan")
        assert "not allowed" in refusal.body["text"]
        assert cometchat.requests == []

    def test_the_same_submission_from_an_allowed_channel_bans(self, live_app, slack, cometchat):
        meta = BanRef(
            guid=GUID, uid="newbie", response_url=slack.url + "/response/ok", channel_id="C0OTHER"
        ).encode()
        live_app.post(_view_submission(VIEW_BAN_CONFIRM, meta))
        (done,) = slack.wait_for(1, path_prefix="/response/ok")
        assert "Banned `newbie`" in done.body["text"]
        assert _writes(cometchat) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")]


class TestFullPages:
    @pytest.fixture
    def settings(self, slack):
        return make_settings(
            slack_api_url=slack.url + "/api/", moderator_user_ids=MOD, page_size=MAX_PAGE_SIZE
        )

    def test_a_full_page_after_an_unban_stays_within_slack_s_limits(self, live_app, slack):
        message = _list(live_app, slack)
        assert len(buttons(message, ACTION_UNBAN)) == MAX_PAGE_SIZE
        value = _unban_button(message, "user-001")["value"]
        after = _unban(live_app, slack, value, "full")
        assert len(buttons(after, ACTION_UNBAN)) == MAX_PAGE_SIZE  # the next user moved up
        assert len(after["blocks"]) <= 50
        assert_valid_message(after)


# -- audit -------------------------------------------------------------------------------------


def test_every_attempt_is_posted_to_the_audit_channel(live_app, slack, cometchat):
    value = UnbanRef(guid=GUID, uid="user-004").encode()
    _unban(live_app, slack, value, "one")
    _unban(live_app, slack, value, "two")  # stale: audited too

    posts = slack.wait_for(2, path_prefix="/api/chat.postMessage")
    texts = sorted(p.body["text"] for p in posts)
    assert all(p.body["channel"] == AUDIT for p in posts)
    assert all(
        p.headers["authorization"]
        == "Bearer " + live_app.services.settings.slack_bot_token.get_secret_value()
        for p in posts
    )
    done = next(t for t in texts if "unbanned" in t)
    stale = next(t for t in texts if "tried to unban" in t)
    for text in (done, stale):
        assert f"<@{MOD}>" in text and "`user-004`" in text and f"`{GUID}`" in text
        assert "<!date^" in text
    assert "the user was not banned" in stale
    for post in posts:
        assert_no_injected_markup(post.body, mentions=[MOD])


def test_audit_failure_does_not_break_the_action(live_app, slack, cometchat, caplog):
    slack.api_answers["chat.postMessage"] = lambda _r: {"ok": False, "error": "not_in_channel"}
    caplog.set_level(logging.INFO)
    value = UnbanRef(guid=GUID, uid="user-008", cursor=None).encode()

    answer = _unban(live_app, slack, value, "x")
    slack.wait_for(1, path_prefix="/api/chat.postMessage")
    live_app.services.responder.drain(5)

    assert "Unbanned `user-008`" in answer["text"]
    assert all(u["uid"] != "user-008" for u in cometchat.banned[GUID])
    failed = [r.getMessage() for r in caplog.records if "audit_post_failed" in r.getMessage()]
    assert failed and "not_in_channel" in failed[0] and "invite the bot" in failed[0]


class TestViewerAllowlist:
    @pytest.fixture
    def settings(self, slack):
        return make_settings(
            slack_api_url=slack.url + "/api/", moderator_user_ids=MOD, viewer_user_ids="U0FRIEND"
        )

    def test_a_refused_command_gets_its_explanation_in_the_ack(self, live_app, slack, cometchat):
        response = live_app.post(command_body(GUID, slack.url + "/r", user_id="U0STRANGER"))
        assert response.status_code == 200  # not Bolt's 404 "unhandled request"
        assert response.json()["response_type"] == "ephemeral"
        assert "not allowed to view banned users" in response.json()["text"]
        assert cometchat.requests == []

    def test_a_moderator_may_look_even_when_not_on_the_viewer_list(self, live_app, slack):
        message = _list(live_app, slack)
        assert listed_uids(message) and buttons(message, ACTION_UNBAN)


class TestAuditUnset:
    @pytest.fixture
    def settings(self, slack):
        return make_settings(slack_api_url=slack.url + "/api/", moderator_user_ids=MOD)

    def test_attempts_are_logged_only(self, live_app, slack, cometchat, caplog):
        caplog.set_level(logging.INFO, logger="bot.audit")
        value = BanRef(guid=GUID, uid="ghost-1").encode()
        answer = _click(live_app, slack, ACTION_BAN_CONFIRM, value, "b")
        live_app.services.responder.drain(5)

        assert "There is no user `ghost-1`" in answer["text"]
        (line,) = [r.getMessage() for r in caplog.records if r.name == "bot.audit"]
        assert "event=audit" in line and f"actor={MOD}" in line and "action=ban" in line
        assert "uid=ghost-1" in line and "outcome=user_not_found" in line
        assert not [r for r in slack.since_startup() if r.path.startswith("/api/")]
