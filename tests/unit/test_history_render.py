"""A user's moderation history as Block Kit: pure, events in, message out, within Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.button_values import CaseRef, HistoryRef
from bot.domain.moderation import (
    MAX_REASON_LENGTH,
    EventSource,
    HistoryPage,
    ModerationAction,
    ModerationEvent,
)
from bot.slack.history_blocks import (
    ACTION_CASE,
    ACTION_HISTORY_OLDER,
    MAX_EVENTS_SHOWN,
    render_history,
)
from bot.slack.text import date_token
from tests.support.slack_limits import assert_no_injected_markup, assert_valid_message
from tests.support.slack_messages import buttons

GUID = "cometchat-guid-1"
UID = "cometchat-uid-7"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOSTILE = "<!channel> <@U999> <https://evil.example|click> &amp; *bold*\nfake line"


def event(
    n: int, action=ModerationAction.BAN, source=EventSource.COMMAND, **extra
) -> ModerationEvent:
    values: dict = {
        "guid": GUID,
        "uid": UID,
        "action": action,
        "source": source,
        "at": T0 + timedelta(minutes=n),
        "actor": "UALICE",
        "name": "Pat Example",
        "id": n,
    }
    values.update(extra)
    return ModerationEvent(**values)


def render(events, *, before=None, asked_before=None) -> dict:
    ref = HistoryRef(guid=GUID, uid=UID, before=asked_before)
    return {
        "response_type": "ephemeral",
        **render_history(ref, HistoryPage(events, before)).to_dict(),
    }


def event_texts(message: dict) -> list[str]:
    return [
        b["text"]["text"]
        for b in message["blocks"]
        if b.get("block_id", "").startswith("history_event_")
    ]


def epoch(at: datetime) -> int:
    return int(at.timestamp())


def test_each_line_says_what_who_when_how_why_and_until_when():
    ban = event(
        2,
        source=EventSource.BUTTON,
        reason="spamming links",
        ends_at=T0 + timedelta(minutes=2, hours=24),
    )
    message = render([ban])
    (text,) = event_texts(message)
    assert "*Banned* for 24 h by <@UALICE>" in text
    assert date_token(epoch(ban.at)) in text
    assert "with a button in Slack" in text
    assert f"Until {date_token(epoch(ban.ends_at))}" in text
    assert "Reason: spamming links" in text
    assert message["blocks"][0]["text"]["text"] == "Moderation history of Pat Example"
    assert_valid_message(message)


def test_events_keep_the_store_s_order_newest_first():
    events = [
        event(5, ModerationAction.EXPIRE, EventSource.EXPIRY, actor=""),
        event(4, ModerationAction.UNBAN, EventSource.WEBHOOK, actor="cometchat-uid-1"),
        event(3, ModerationAction.KICK, EventSource.WEBHOOK, actor="cometchat-uid-1"),
        event(2, ModerationAction.SCOPE_CHANGE, EventSource.WEBHOOK, scope="moderator"),
        event(1),
    ]
    texts = event_texts(render(events))
    assert [t.split("*")[1] for t in texts] == [
        "Unbanned automatically",
        "Unbanned",
        "Kicked",
        "Scope changed",
        "Banned",
    ]
    assert "to `moderator`" in texts[3]
    assert "with `/banned`" in texts[4] and "Until" not in texts[4]  # permanent: no end


def test_a_cometchat_actor_is_code_even_when_it_looks_like_a_slack_id():
    (text,) = event_texts(render([event(1, source=EventSource.WEBHOOK, actor="UADMIN1")]))
    assert "by `UADMIN1` (in CometChat)" in text and "<@" not in text
    assert "reported by CometChat" in text


def test_an_expiry_names_nobody():
    (text,) = event_texts(render([event(1, ModerationAction.EXPIRE, EventSource.EXPIRY, actor="")]))
    assert " by " not in text and "Unbanned automatically" in text


def test_older_button_carries_the_cursor_only_when_more_exist():
    events = [event(n) for n in range(30, 10, -1)]
    with_more = render(events, before=11)
    (older,) = buttons(with_more, ACTION_HISTORY_OLDER)
    assert HistoryRef.decode(older["value"]) == HistoryRef(guid=GUID, uid=UID, before=11)
    assert buttons(render(events, before=None), ACTION_HISTORY_OLDER) == []


def test_each_line_names_its_case_and_has_a_case_button():
    events = [event(n) for n in range(30, 27, -1)]
    message = render(events, before=None)
    numbers = [CaseRef.decode(b["value"]).number for b in buttons(message, ACTION_CASE)]
    assert numbers == [30, 29, 28]
    assert [text.split(" ", 1)[0] for text in event_texts(message)] == ["#30", "#29", "#28"]


def test_an_unknown_user_gets_a_plain_answer_not_an_error():
    message = render([])
    text = message["blocks"][1]["text"]["text"]
    assert text.startswith(f"The bot has no record of `{UID}` in group `{GUID}`")
    assert "since it started recording" in text
    assert buttons(message) == [] and ":x:" not in message["text"]
    assert_valid_message(message)


def test_an_older_page_that_emptied_says_so():
    message = render([], asked_before=5)
    assert message["text"] == f"No older events for `{UID}` in group `{GUID}`."


def test_user_text_is_escaped_everywhere():
    hostile = event(
        1,
        source=EventSource.WEBHOOK,
        actor="<!here>",
        name=HOSTILE,
        reason=HOSTILE,
        scope=HOSTILE,
        action=ModerationAction.SCOPE_CHANGE,
    )
    banned = event(0, reason=HOSTILE)
    message = render([hostile, banned])
    assert_no_injected_markup(message, mentions=["UALICE"])
    assert_valid_message(message)
    (_, ban_text) = event_texts(message)
    assert "Reason: &lt;!channel&gt; &lt;@U999&gt;" in ban_text
    assert "\nfake line" not in ban_text  # one reason cannot fake a line of the layout


def test_a_long_page_of_long_reasons_stays_within_slack_limits():
    reason = ("&<>" * MAX_REASON_LENGTH)[:MAX_REASON_LENGTH]
    events = [
        event(n, reason=reason, ends_at=T0 + timedelta(days=400), actor="U" + "X" * 30)
        for n in range(60, 0, -1)
    ]
    message = render(events)
    assert_valid_message(message)
    assert len(event_texts(message)) == MAX_EVENTS_SHOWN
    # What was cut off is the next page, not lost.
    (older,) = buttons(message, ACTION_HISTORY_OLDER)
    assert HistoryRef.decode(older["value"]).before == 60 - MAX_EVENTS_SHOWN + 1
