"""What a one-user-in-many-groups button carries: exactly the previewed groups, as many as a
Slack value holds, and only for the actions the table offers in many groups."""

from __future__ import annotations

import pytest

from bot.domain.across import AcrossReport, BanEverywherePreview, GroupOutcome, InGroup
from bot.domain.button_values import MAX_VALUE_LENGTH, AcrossRef
from bot.domain.errors import BadCursor
from bot.domain.moderation import ModerationAction
from bot.slack.across_blocks import (
    across_report,
    ban_everywhere_modal,
    ban_everywhere_preview,
    unban_all_preview,
)
from bot.slack.payloads import new_ephemeral
from tests.support.slack_limits import assert_valid_message, assert_valid_view


def test_a_preview_carries_as_many_groups_as_fit_and_says_how_many_are_left():
    guids = [f"group-with-a-rather-long-id-{n:03d}" for n in range(100)]
    ref = AcrossRef(action=ModerationAction.UNBAN, uid="troll-7", response_url="https://x/" * 10)

    planned, left_out = ref.with_groups(guids)

    assert planned.guids is not None and 0 < len(planned.guids) < 100
    assert list(planned.guids) == guids[: len(planned.guids)]  # in order, none skipped
    assert left_out == 100 - len(planned.guids)
    assert len(planned.encode()) <= MAX_VALUE_LENGTH
    assert AcrossRef.decode(planned.encode()) == planned
    preview = unban_all_preview(planned, left_out).text
    assert f"{left_out} more groups do not fit one confirmation" in preview


def test_a_few_groups_all_fit():
    ref = AcrossRef(action=ModerationAction.BAN, uid="troll-7", minutes=60, reason="raid")
    planned, left_out = ref.with_groups(["g-1", "g-2"])
    assert (planned.guids, left_out) == (("g-1", "g-2"), 0)


@pytest.mark.parametrize(
    "value",
    [
        '{"a":"kick","u":"troll-7"}',  # not offered in many groups
        '{"a":"unban","u":"troll-7","t":60}',  # an unban does not end
        '{"a":"ban","u":"a/b"}',  # not a uid CometChat issues
    ],
)
def test_values_the_bot_never_writes_are_refused(value):
    with pytest.raises(BadCursor):
        AcrossRef.decode(value)


def test_the_largest_previews_and_reports_stay_within_slacks_limits():
    guids = [f"{n:03d}" + "g" * 97 for n in range(200)]  # the longest ids a guid may have
    ban = AcrossRef(action=ModerationAction.BAN, uid="u" * 100, minutes=60, reason="r" * 500)
    planned, left_out = ban.with_groups(guids)
    preview = BanEverywherePreview(
        uid=ban.uid, targets=guids, already=guids[:50], privileged=guids[50:100]
    )
    assert_valid_view(ban_everywhere_preview(preview, planned, left_out))
    assert_valid_view(ban_everywhere_modal(ban))
    unban, unban_left = ban.model_copy(
        update={"action": ModerationAction.UNBAN, "minutes": None, "reason": None}
    ).with_groups(guids)
    assert_valid_message(new_ephemeral(unban_all_preview(unban, unban_left)))
    report = AcrossReport(
        action=ModerationAction.UNBAN,
        uid=ban.uid,
        groups=[InGroup(g, GroupOutcome.FAILED, words=":x: " + "w" * 300) for g in guids],
    )
    assert_valid_message(new_ephemeral(across_report(report)))
    assert "…and 170 more groups" in across_report(report).text
