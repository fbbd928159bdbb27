"""`/banned <guid> unban <uid> [<reason…>]`: the same confirmation as the list's Unban button
(the user's card first), then the one path; signed requests in, CometChat and Slack faked."""

from __future__ import annotations

from bot.domain.moderation import EventSource, ModerationAction
from bot.slack.moderation_blocks import ACTION_ACT_CANCEL, ACTION_ACT_CONFIRM
from tests.conftest import GUID
from tests.integration.test_kick import _ask
from tests.integration.test_moderation_e2e import (  # noqa: F401 (fixtures)
    MOD,
    VIEWER,
    _click,
    _writes,
    everything_sent_to_slack_is_valid,
    settings,
)
from tests.support.slack_messages import buttons

BANNED = "user-007"


def _banned(cometchat, uid: str) -> bool:
    return uid in {u["uid"] for u in cometchat.banned[GUID]}


def test_unban_by_command_shows_the_user_then_unbans_once_confirmed(live_app, slack, cometchat):
    question = _ask(live_app, slack, f"{GUID} unban {BANNED} appeal accepted")

    assert question["response_type"] == "ephemeral"
    assert f"Unban `{BANNED}` from group `{GUID}`?" in question["text"]
    assert "User 007" in str(question["blocks"])  # the card: who it is about
    assert _writes(cometchat) == [] and _banned(cometchat, BANNED)

    (button,) = buttons(question, ACTION_ACT_CONFIRM)
    done = _click(live_app, slack, ACTION_ACT_CONFIRM, button["value"], "unban")

    assert f"Unbanned `{BANNED}`" in done["text"]
    assert _writes(cometchat) == [("DELETE", f"/v3/groups/{GUID}/bannedusers/{BANNED}")]
    assert not _banned(cometchat, BANNED)
    (kept,) = live_app.services.store.history(GUID, BANNED).events
    assert (kept.action, kept.source, kept.actor, kept.reason) == (
        ModerationAction.UNBAN,
        EventSource.COMMAND,
        MOD,
        "appeal accepted",
    )


def test_unban_by_command_cancelled_changes_nothing(live_app, slack, cometchat):
    (cancel,) = buttons(_ask(live_app, slack, f"{GUID} unban {BANNED}"), ACTION_ACT_CANCEL)
    answer = _click(live_app, slack, ACTION_ACT_CANCEL, cancel["value"], "cancel")
    assert answer["text"] == ":heavy_multiplication_x: Cancelled. Nobody was unbanned."
    assert _writes(cometchat) == [] and _banned(cometchat, BANNED)


def test_unban_by_command_from_a_viewer_is_refused_and_asks_nothing(live_app, slack, cometchat):
    answer = _ask(live_app, slack, f"{GUID} unban {BANNED}", user=VIEWER)
    assert "not allowed to unban" in answer["text"]
    assert buttons(answer, ACTION_ACT_CONFIRM) == []
    assert _writes(cometchat) == [] and _banned(cometchat, BANNED)


def test_unban_of_a_user_cometchat_does_not_know_is_worded_with_no_confirm(
    live_app, slack, cometchat
):
    answer = _ask(live_app, slack, f"{GUID} unban ghost-7")
    assert "There is no user `ghost-7`" in answer["text"]
    assert buttons(answer, ACTION_ACT_CONFIRM) == []
    assert _writes(cometchat) == []
