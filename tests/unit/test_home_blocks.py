"""The Home tab's renderer: Slack's limits, escaping, and who gets Unban now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.charts import DailyCounts
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.slack.home_blocks import (
    ACTION_HOME_UNBAN,
    HomeSnapshot,
    render_home,
    render_home_refused,
)
from tests.support.slack_limits import assert_no_injected_markup, assert_valid_view
from tests.support.slack_messages import buttons

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOSTILE = "<!channel> *bold* <https://evil|click> & " + "x" * 600


def event(i: int, action=ModerationAction.BAN, **extra) -> ModerationEvent:
    values = {
        "guid": f"group-{i}",
        "uid": f"user-{i}",
        "action": action,
        "source": EventSource.BUTTON,
        "at": NOW - timedelta(minutes=i),
        "actor": "UALICE",
        "name": HOSTILE,
        "reason": HOSTILE[:500],
    }
    values.update(extra)
    return ModerationEvent(**values)


def snapshot(**extra) -> HomeSnapshot:
    values = {
        "now": NOW,
        "recent": [event(i) for i in range(20)],
        "ending": [event(i, ends_at=NOW + timedelta(hours=1)) for i in range(300)],
        "counts": DailyCounts.of(date(2026, 3, 1), 30, {date(2026, 2, 20): (3, 1)}),
        "moderate": True,
    }
    values.update(extra)
    return HomeSnapshot(**values)


def test_a_full_home_stays_within_slacks_limits_and_escapes_every_text():
    view = render_home(snapshot(chart_url="https://bot.example.com/charts/t.png"))
    assert_valid_view(view)
    assert len(view["blocks"]) <= 100
    assert_no_injected_markup(view, mentions=["UALICE"])
    assert len(buttons(view, ACTION_HOME_UNBAN)) == 25  # the rest are counted, not listed
    assert any("275 more" in str(b) for b in view["blocks"])


def test_only_moderators_get_unban_now():
    assert buttons(render_home(snapshot(moderate=False)), ACTION_HOME_UNBAN) == []


def test_without_a_chart_url_the_counts_are_text_and_no_image():
    view = render_home(snapshot())
    assert_valid_view(view)
    assert not [b for b in view["blocks"] if b["type"] == "image"]
    text = next(b for b in view["blocks"] if b.get("block_id") == "home_chart_text")
    assert "`Feb 20` 3 bans, 1 unban" in text["text"]["text"]


def test_an_empty_history_says_so():
    view = render_home(snapshot(recent=[], ending=[], counts=DailyCounts.of(NOW.date(), 30, {})))
    assert_valid_view(view)
    assert "Nothing recorded yet." in str(view)


def test_the_refused_view_is_short_and_valid():
    view = render_home_refused()
    assert_valid_view(view)
    assert len(view["blocks"]) == 2
