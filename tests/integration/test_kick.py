"""Kick through the real app: `/banned <guid> kick <uid> [<reason…>]`, its confirmation, the
CometChat call, the history, the audit channel and the webhook echo; signed requests in,
CometChat and Slack faked."""

from __future__ import annotations

import json
import time

import pytest

from bot.domain.button_values import ActionRef
from bot.domain.moderation import EventSource, ModerationAction
from bot.slack.moderation_blocks import ACTION_ACT_CANCEL, ACTION_ACT_CONFIRM
from tests.conftest import GUID

# The moderation suite's settings (a moderator, an audit channel), its check that everything
# sent to Slack is valid, and its helpers.
from tests.integration.test_moderation_e2e import (  # noqa: F401 (fixtures)
    AUDIT,
    MOD,
    VIEWER,
    _click,
    _writes,
    everything_sent_to_slack_is_valid,
    settings,
)
from tests.integration.test_webhooks_http import feed, start  # noqa: F401 (fixtures)
from tests.support.fakes.slack import action_body, command_body, sign
from tests.support.slack_limits import assert_no_injected_markup, assert_valid_message
from tests.support.slack_messages import buttons
from tests.support.webhook_payloads import event, user

MEMBER = "member-7"
KICK_PATH = f"/v3/groups/{GUID}/members/{MEMBER}"


@pytest.fixture
def cometchat(cometchat):
    cometchat.add_member(GUID, MEMBER)
    return cometchat


def _ask(live_app, slack, text: str, user: str = MOD) -> dict:
    response = live_app.post(command_body(text, slack.url + "/response/cmd", user_id=user))
    assert response.status_code == 200
    assert_valid_message(response.json(), where="ack")
    return response.json()


def _audit_lines(live_app, slack, count: int) -> list[str]:
    posts = slack.wait_for(count, path_prefix="/api/chat.postMessage")
    assert all(p.body["channel"] == AUDIT for p in posts)
    return [p.body["text"] for p in posts]


def test_kick_asks_first_then_kicks_records_and_audits(live_app, slack, cometchat):
    question = _ask(live_app, slack, f"{GUID} kick {MEMBER} <!channel> flooding *the* chat")

    assert question["response_type"] == "ephemeral"
    assert f"Kick `{MEMBER}` from group `{GUID}`?" in question["text"]
    assert "&lt;!channel&gt; flooding *the* chat" in question["text"]
    assert_no_injected_markup(question)
    (button,) = buttons(question, ACTION_ACT_CONFIRM)
    dialog = button["confirm"]
    assert dialog["text"]["type"] == "plain_text" and MEMBER in dialog["text"]["text"]
    assert dialog["confirm"]["text"] == "Kick"
    assert _writes(cometchat) == []  # nothing changes before the confirmation (only reads)

    done = _click(live_app, slack, ACTION_ACT_CONFIRM, button["value"], "kick")

    assert done["replace_original"] is True
    assert done["text"].startswith(f":boot: Kicked `{MEMBER}` from `{GUID}`.")
    assert "Reason: &lt;!channel&gt; flooding *the* chat" in done["text"]
    assert _writes(cometchat) == [("DELETE", KICK_PATH)]
    assert MEMBER not in cometchat.members[GUID]
    (kept,) = live_app.services.store.history(GUID, MEMBER).events
    assert (kept.action, kept.source, kept.actor) == (
        ModerationAction.KICK,
        EventSource.COMMAND,
        MOD,
    )
    assert kept.reason == "<!channel> flooding *the* chat" and kept.ends_at is None
    (line,) = _audit_lines(live_app, slack, 1)
    assert line.startswith(f":boot: <@{MOD}> kicked `{MEMBER}` from group `{GUID}` · ")
    assert "&lt;!channel&gt; flooding" in line and "<!date^" in line


def test_kick_shows_in_the_user_s_history(live_app, slack, cometchat):
    (button,) = buttons(_ask(live_app, slack, f"{GUID} kick {MEMBER}"), ACTION_ACT_CONFIRM)
    _click(live_app, slack, ACTION_ACT_CONFIRM, button["value"], "kick")
    url = slack.url + "/response/history"
    ack = live_app.post(command_body(f"{GUID} history {MEMBER}", url)).json()
    # The history comes in the acknowledgement when it is quick, else through response_url.
    history = (
        ack if ack.get("blocks") else slack.wait_for(1, path_prefix="/response/history")[0].body
    )
    lines = [
        b["text"]["text"] for b in history["blocks"] if b["block_id"].startswith("history_event_")
    ]
    (line,) = lines
    (kept,) = live_app.services.store.history(GUID, MEMBER).events
    assert line.startswith(f"#{kept.id} :boot: *Kicked* by <@{MOD}> · <!date^")
    assert "with `/banned`" in line


def test_kick_cancel_changes_nothing(live_app, slack, cometchat):
    (cancel,) = buttons(_ask(live_app, slack, f"{GUID} kick {MEMBER}"), ACTION_ACT_CANCEL)
    answer = _click(live_app, slack, ACTION_ACT_CANCEL, cancel["value"], "cancel")
    assert answer["text"] == ":heavy_multiplication_x: Cancelled. Nobody was kicked."
    assert answer["replace_original"] is True
    assert _writes(cometchat) == [] and MEMBER in cometchat.members[GUID]


@pytest.mark.parametrize(
    ("guid", "uid", "expected", "audited"),
    [
        (
            GUID,
            "not-in-it",
            "`not-in-it` is not a member of `cometchat-guid-1`: they may have left, or been "
            "removed already. Nobody was kicked.",
            "not done: the user was not a member of the group",
        ),
        (
            GUID,
            "ghost-7",
            "There is no user `ghost-7` in this CometChat app (or the user is deactivated). "
            "Nobody was kicked.",
            "not done: no such user",
        ),
        ("no-such-group", MEMBER, "There is no group `no-such-group`", "not done: no such group"),
    ],
)
def test_each_kick_failure_is_worded_for_the_moderator_and_audited(
    live_app, slack, cometchat, guid, uid, expected, audited
):
    value = ActionRef(action=ModerationAction.KICK, guid=guid, uid=uid).encode()
    answer = _click(live_app, slack, ACTION_ACT_CONFIRM, value, "fail")
    assert expected in answer["text"]
    assert "Something went wrong" not in answer["text"] and "Kicked" not in answer["text"]
    assert _writes(cometchat) == [("DELETE", f"/v3/groups/{guid}/members/{uid}")]
    assert MEMBER in cometchat.members[GUID]
    assert live_app.services.store.history(guid, uid).events == []
    (line,) = _audit_lines(live_app, slack, 1)
    assert f"<@{MOD}> tried to kick `{uid}`" in line and line.endswith(audited)


def test_a_kick_cometchat_does_not_confirm_says_it_may_have_happened(live_app, slack, cometchat):
    cometchat.interceptor = lambda rec: (503, b"<html>down</html>", {})
    value = ActionRef(action=ModerationAction.KICK, guid=GUID, uid=MEMBER).encode()
    answer = _click(live_app, slack, ACTION_ACT_CONFIRM, value, "down")
    assert f"CometChat did not confirm the kick of `{MEMBER}` in `{GUID}`" in answer["text"]
    assert len(_writes(cometchat)) == 1  # a write is never retried


def test_kick_command_from_a_non_moderator_is_refused_and_asks_nothing(live_app, slack, cometchat):
    answer = _ask(live_app, slack, f"{GUID} kick {MEMBER}", user=VIEWER)
    assert "not allowed to kick users" in answer["text"]
    assert buttons(answer, ACTION_ACT_CONFIRM) == []
    assert cometchat.requests == []


def test_a_non_moderator_s_well_signed_kick_click_changes_nothing(live_app, slack, cometchat):
    value = ActionRef(action=ModerationAction.KICK, guid=GUID, uid=MEMBER).encode()
    answer = _click(live_app, slack, ACTION_ACT_CONFIRM, value, "forged", user=VIEWER)
    assert "not allowed to unban or kick users" in answer["text"]
    assert _writes(cometchat) == [] and MEMBER in cometchat.members[GUID]


@pytest.mark.parametrize(
    "value",
    [
        json.dumps({"a": "scope_change", "g": GUID, "u": MEMBER}),  # heard of, never asked for
        json.dumps({"a": "expire", "g": GUID, "u": MEMBER}),
        json.dumps({"a": "ban", "g": GUID, "u": MEMBER}),  # a ban travels with its duration
        json.dumps({"a": "kick", "g": GUID, "u": "a/b"}),
    ],
)
def test_a_confirm_value_for_what_no_command_asks_changes_nothing(
    live_app, slack, cometchat, value
):
    answer = _click(live_app, slack, ACTION_ACT_CONFIRM, value, "odd")
    assert "Something went wrong" not in answer["text"]
    assert cometchat.requests == []


def test_kick_with_a_malformed_uid_says_so(live_app, slack, cometchat):
    answer = _ask(live_app, slack, f"{GUID} kick a/b")
    assert "`a/b` is not a valid CometChat user id" in answer["text"]
    assert cometchat.requests == []


def test_kick_without_a_uid_is_still_a_search(live_app, slack, cometchat):
    answer = _ask(live_app, slack, f"{GUID} kick")
    assert buttons(answer, ACTION_ACT_CONFIRM) == []
    assert _writes(cometchat) == []


def test_the_echo_of_the_bot_s_own_kick_is_not_recorded_twice(feed, cometchat):  # noqa: F811
    cometchat.add_member(GUID, MEMBER)

    def signed(body: bytes):
        headers = {"content-type": "application/x-www-form-urlencoded", **sign(body)}
        return feed.http.post("/slack/events", content=body, headers=headers)

    asked = signed(command_body(f"{GUID} kick {MEMBER} spam", feed.slack.url + "/response/c"))
    (button,) = buttons(asked.json(), ACTION_ACT_CONFIRM)
    url = feed.slack.url + "/response/kick"
    assert signed(action_body(ACTION_ACT_CONFIRM, button["value"], url)).status_code == 200
    feed.slack.wait_for(1, path_prefix="/response/kick")
    assert MEMBER not in cometchat.members[GUID]

    heard = event(
        "group_member_kicked", members=[user(MEMBER)], by=user("app"), updated_at=int(time.time())
    )
    assert feed.deliver(heard).text.strip() == "queued"
    assert feed.services.responder.drain(5)
    (only,) = feed.services.store.history(GUID, MEMBER).events
    assert (only.action, only.source, only.reason) == (
        ModerationAction.KICK,
        EventSource.COMMAND,
        "spam",
    )


def test_a_kick_heard_minutes_after_the_bot_s_own_is_a_kick_of_its_own(feed):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    from bot.domain.moderation import ModerationEvent

    store = feed.services.store
    store.record(
        ModerationEvent(
            guid=GUID,
            uid=MEMBER,
            action=ModerationAction.KICK,
            source=EventSource.COMMAND,
            at=datetime.now(UTC) - timedelta(minutes=5),
            actor=MOD,
        )
    )
    # They rejoined, and someone kicked them in the app: not the echo of the bot's kick.
    again = event(
        "group_member_kicked",
        members=[user(MEMBER)],
        by=user("a-moderator"),
        updated_at=int(time.time()),
    )
    assert feed.deliver(again).text.strip() == "queued"
    assert feed.services.responder.drain(5)
    latest, first = store.history(GUID, MEMBER).events
    assert (latest.source, latest.actor) == (EventSource.WEBHOOK, "a-moderator")
    assert (first.source, first.actor) == (EventSource.COMMAND, MOD)
