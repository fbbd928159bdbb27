"""What a one-user-in-many-groups button carries: exactly the previewed groups, as many as a
Slack value holds, and only for the actions the table offers in many groups."""

from __future__ import annotations

import pytest

from bot.domain.button_values import MAX_VALUE_LENGTH, AcrossRef
from bot.domain.errors import BadCursor
from bot.domain.moderation import ModerationAction
from bot.slack.across_blocks import unban_all_preview


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
