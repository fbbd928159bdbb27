"""Who a ban or kick is about, before it is confirmed: the user's CometChat profile and latest
messages in the group, read at once within the command's acknowledgement budget, through the
real app (signed requests in, CometChat and Slack faked)."""

from __future__ import annotations

import threading

import pytest

from bot.domain.button_values import BanRef
from bot.slack.moderation_blocks import (
    ACTION_ACT_CONFIRM,
    ACTION_BAN_CONFIRM,
    UID_BLOCK_ID,
    VIEW_BAN,
)
from bot.slack.user_card_blocks import CARD_BLOCK_ID, MESSAGES_BLOCK_ID, MISSING_BLOCK_ID
from tests.conftest import GUID, make_settings
from tests.integration.test_moderation_e2e import (  # noqa: F401 (fixtures)
    AUDIT,
    MOD,
    _view_submission,
    _writes,
    everything_sent_to_slack_is_valid,
)
from tests.support.fakes.cometchat import make_user
from tests.support.fakes.slack import command_body
from tests.support.slack_limits import (
    assert_no_injected_markup,
    assert_valid_message,
    assert_valid_view,
)
from tests.support.slack_messages import block_text, buttons

UID = "cometchat-uid-7"
BUDGET = 0.3  # the acknowledgement budget: short, so a held read is given up on quickly


@pytest.fixture
def settings(slack):
    return make_settings(
        slack_api_url=slack.url + "/api/",
        moderator_user_ids=MOD,
        audit_channel_id=AUDIT,
        ack_budget=BUDGET,
    )


@pytest.fixture
def cometchat(cometchat):
    cometchat.users[UID] = make_user(
        7, uid=UID, name="<!channel> Mallory", role="default", createdAt=1_600_000_000
    )
    for n in range(7):
        cometchat.add_message(GUID, UID, f"spam link {n} <https://evil.example|click> *now*")
    cometchat.add_message(GUID, UID, "", kind="image")
    cometchat.add_message(GUID, "someone-else", "an innocent bystander")
    return cometchat


def _ask(live_app, slack, text: str) -> dict:
    answer = live_app.post(command_body(text, slack.url + "/response/c", user_id=MOD)).json()
    assert_valid_message(answer, where="ack")
    return answer


def _reads(cometchat) -> list[str]:
    return sorted(r.path for r in cometchat.requests if r.method == "GET")


@pytest.mark.parametrize(
    ("verb", "button"), [("ban", ACTION_BAN_CONFIRM), ("kick", ACTION_ACT_CONFIRM)]
)
def test_the_confirmation_shows_who_it_is_about_and_their_latest_messages(
    live_app, slack, cometchat, verb, button
):
    answer = _ask(live_app, slack, f"{GUID} {verb} {UID} flooding")

    profile = block_text(answer, CARD_BLOCK_ID)
    assert profile is not None
    assert profile.startswith(f"*&lt;!channel&gt; Mallory* `{UID}` · role `default` · offline")
    assert "account created <!date^1600000000^" in profile and "days ago)" in profile
    latest = block_text(answer, MESSAGES_BLOCK_ID)
    assert latest is not None
    lines = latest.split("\n")
    assert lines[0] == "*Latest messages in this group:*"
    # The five newest text messages, newest first; not the image, not someone else's.
    assert [line.split(": ", 1)[1].split(" ")[2] for line in lines[1:]] == ["6", "5", "4", "3", "2"]
    assert "&lt;https://evil.example|click&gt;" in lines[1]
    assert block_text(answer, MISSING_BLOCK_ID) is None
    assert_no_injected_markup(answer)
    assert len(buttons(answer, button)) == 1
    assert _reads(cometchat) == [f"/v3/groups/{GUID}/messages", f"/v3/users/{UID}"]
    assert _writes(cometchat) == []


def test_a_user_with_no_messages_is_said_so(live_app, slack, cometchat):
    cometchat.users["quiet-1"] = make_user(8, uid="quiet-1", name="Quiet")
    answer = _ask(live_app, slack, f"{GUID} kick quiet-1")
    assert block_text(answer, MESSAGES_BLOCK_ID) == "No text messages from `quiet-1` in this group."
    assert block_text(answer, CARD_BLOCK_ID).startswith("*Quiet* `quiet-1`")


@pytest.mark.parametrize("verb", ["ban", "kick"])
def test_a_mistyped_or_deleted_user_is_caught_before_anything_is_confirmed(
    live_app, slack, cometchat, verb
):
    answer = _ask(live_app, slack, f"{GUID} {verb} ghost-3 spam")
    assert answer["text"] == (
        ":mag: There is no user `ghost-3` in this CometChat app (or the user is deactivated)."
    )
    assert buttons(answer, ACTION_BAN_CONFIRM) + buttons(answer, ACTION_ACT_CONFIRM) == []
    assert _writes(cometchat) == []


def test_an_unknown_group_is_caught_too(live_app, slack, cometchat):
    answer = _ask(live_app, slack, f"no-such-group kick {UID}")
    assert "There is no group `no-such-group`" in answer["text"]
    assert buttons(answer, ACTION_ACT_CONFIRM) == []


def test_both_reads_are_in_flight_at_once(live_app, slack, cometchat):
    both = threading.Barrier(2)

    def hold_until_both_arrive(rec):
        if "/users/" in rec.path or rec.path.endswith("/messages"):
            both.wait(timeout=5)  # one after the other would never meet here
        return None

    cometchat.interceptor = hold_until_both_arrive
    answer = _ask(live_app, slack, f"{GUID} ban {UID}")
    assert not both.broken
    assert block_text(answer, CARD_BLOCK_ID) is not None
    assert block_text(answer, MESSAGES_BLOCK_ID) is not None


def test_a_slow_read_is_given_up_and_the_confirmation_says_what_is_missing(
    live_app, slack, cometchat
):
    release = threading.Event()

    def hold_messages(rec):
        if rec.path.endswith("/messages"):
            release.wait(timeout=10)  # past the acknowledgement budget
        return None

    cometchat.interceptor = hold_messages
    try:
        answer = _ask(live_app, slack, f"{GUID} kick {UID}")
    finally:
        release.set()
    assert block_text(answer, CARD_BLOCK_ID) is not None
    assert block_text(answer, MESSAGES_BLOCK_ID) is None
    assert block_text(answer, MISSING_BLOCK_ID) == (
        ":grey_question: Not shown: their recent messages (CometChat did not answer in time)."
    )
    assert len(buttons(answer, ACTION_ACT_CONFIRM)) == 1  # it can still be confirmed


def test_a_failed_read_still_gives_the_confirmation_with_what_is_known(live_app, slack, cometchat):
    refused = (403, {"error": {"code": "ERR_PLAN_RESTRICTION", "message": "upgrade"}}, {})
    cometchat.interceptor = lambda rec: refused if "/users/" in rec.path else None
    answer = _ask(live_app, slack, f"{GUID} ban {UID}")
    assert block_text(answer, CARD_BLOCK_ID) is None
    assert block_text(answer, MESSAGES_BLOCK_ID) is not None
    assert block_text(answer, MISSING_BLOCK_ID) == (
        ":grey_question: Not shown: their profile (CometChat could not be read)."
    )
    assert len(buttons(answer, ACTION_BAN_CONFIRM)) == 1


def test_the_ban_form_shows_the_card_at_its_confirm_step(live_app, slack, cometchat):
    meta = BanRef(guid=GUID).encode()
    step = live_app.post(_view_submission(VIEW_BAN, meta, UID)).json()
    assert step["response_action"] == "update"
    view = step["view"]
    assert_valid_view(view)
    ids = [b.get("block_id") for b in view["blocks"]]
    assert CARD_BLOCK_ID in ids and MESSAGES_BLOCK_ID in ids


def test_the_ban_form_catches_an_unknown_user_beside_its_field(live_app, slack, cometchat):
    meta = BanRef(guid=GUID).encode()
    step = live_app.post(_view_submission(VIEW_BAN, meta, "ghost-9")).json()
    assert step == {
        "response_action": "errors",
        "errors": {
            UID_BLOCK_ID: "There is no user ghost-9 in this CometChat app (or the user is "
            "deactivated)."
        },
    }
    assert _writes(cometchat) == []


def test_what_was_shown_is_kept_with_the_kick_even_once_the_messages_are_gone(
    live_app, slack, cometchat
):
    from tests.integration.test_moderation_e2e import _click

    cometchat.add_member(GUID, UID)
    (button,) = buttons(_ask(live_app, slack, f"{GUID} kick {UID} spam"), ACTION_ACT_CONFIRM)
    _click(live_app, slack, ACTION_ACT_CONFIRM, button["value"], "kick")
    cometchat.messages[GUID].clear()  # deleted in the chat app afterwards

    url = slack.url + "/response/history"
    ack = live_app.post(command_body(f"{GUID} history {UID}", url)).json()
    history = (
        ack if ack.get("blocks") else slack.wait_for(1, path_prefix="/response/history")[0].body
    )
    (line,) = [b["text"]["text"] for b in history["blocks"] if b["block_id"] == "history_event_0"]
    (kick,) = live_app.services.store.history(GUID, UID).events
    assert line.startswith(f"#{kick.id} :boot: *Kicked*")  # its case number first
    assert "_Shown before confirming (<!date^" in line and "*&lt;!channel&gt; Mallory*" in line
    kept = [row for row in line.split("\n") if row.startswith("   • ")]
    assert len(kept) == 5 and "spam link 6" in kept[0] and "spam link 2" in kept[-1]
    assert_no_injected_markup(history, mentions=[MOD])
