"""The raid alert's pure parts: join events parsed, join times believed or not, the threshold,
the window the mass ban form is given, and the alert rendered (valid, escaped, its buttons as
the raid stands)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.button_values import RaidRef
from bot.domain.member_events import (
    JoinEvent,
    JoinTrigger,
    MemberEvent,
    UnsupportedTrigger,
    parse_delivery,
    parse_event,
)
from bot.domain.raids import (
    Joiner,
    RaidAlert,
    RaidPicture,
    account_created,
    is_raid,
    join_time,
)
from bot.slack.raid_blocks import (
    ACTION_RAID_DISMISS,
    ACTION_RAID_LOCKDOWN,
    ACTION_RAID_REVIEW,
    render_raid_alert,
)
from tests.support.slack_messages import buttons
from tests.support.webhook_payloads import assert_valid, encode, event, user

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def alert(**changes) -> RaidAlert:
    values = {
        "guid": "cometchat-guid-1",
        "raid": "3f1c2f7e-0000-4000-8000-000000000001",
        "group_name": "Hiking <!channel> *Group*",
        "started_at": NOW - timedelta(seconds=50),
        "last_raid_at": NOW,
        "last_join_at": NOW,
        "channel": "C0FEED",
        "ts": "1.1",
        **changes,
    }
    return RaidAlert(**values)


def picture(**changes) -> RaidPicture:
    newest = tuple(
        Joiner(f"raider-{n}", f"<@U{n}> bot", NOW - timedelta(seconds=n)) for n in range(5)
    )
    return RaidPicture(
        alert=alert(**changes),
        last_minute=17,
        total=40,
        young=12,
        unknown_age=3,
        newest=newest,
        now=NOW,
    )


@pytest.mark.parametrize("trigger", ["group_member_joined", "group_member_added"])
def test_join_triggers_parse_as_join_events_with_the_account_age(trigger):
    body = event(trigger, members=[user("u-1", createdAt=1_700_000_000, joinedAt=1_700_000_500)])
    parsed = parse_delivery(encode(body))
    assert isinstance(parsed, JoinEvent) and parsed.trigger is JoinTrigger(trigger)
    assert (parsed.members[0].created_at, parsed.members[0].joined_at) == (
        1_700_000_000,
        1_700_000_500,
    )
    # The feed's parser does not take them: they are never posted one by one.
    with pytest.raises(UnsupportedTrigger):
        parse_event(encode(body))
    with pytest.raises(UnsupportedTrigger):
        parse_delivery(encode(body), joins=False)


def test_moderation_triggers_still_parse_as_member_events():
    assert isinstance(parse_delivery(encode(event("group_member_banned"))), MemberEvent)


def test_a_join_and_a_ban_of_the_same_user_have_different_delivery_keys():
    joined = parse_delivery(encode(event("group_member_joined")))
    banned = parse_delivery(encode(event("group_member_banned")))
    assert joined.dedupe_key() != banned.dedupe_key()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (None, NOW),  # CometChat's example has no joinedAt: the receipt
        (int((NOW - timedelta(seconds=30)).timestamp()), NOW - timedelta(seconds=30)),
        (int((NOW - timedelta(days=2)).timestamp()), NOW),  # a stale value is not this join
        (int((NOW + timedelta(seconds=30)).timestamp()), NOW),  # never in the future
        (10**15, NOW),  # milliseconds, or nonsense
    ],
)
def test_join_time_is_the_payloads_only_when_it_is_plausible(payload, expected):
    assert join_time(payload, NOW) == expected


def test_account_age_is_unknown_unless_the_payload_gives_a_plausible_one():
    assert account_created(None, NOW) is None
    assert account_created(0, NOW) is None
    assert account_created(10**15, NOW) is None
    made = int((NOW - timedelta(hours=3)).timestamp())
    assert account_created(made, NOW) == NOW - timedelta(hours=3)


@pytest.mark.parametrize(
    ("joins", "threshold", "raid"),
    [(15, 15, False), (16, 15, True), (1000, 0, False)],
)
def test_a_raid_is_more_joins_than_the_threshold_and_zero_turns_it_off(joins, threshold, raid):
    assert is_raid(joins, threshold) is raid


@pytest.mark.parametrize(
    ("since", "minutes"),
    [(timedelta(seconds=1), 1), (timedelta(minutes=2, seconds=1), 3), (timedelta(days=9), 1440)],
)
def test_the_form_window_is_minutes_since_the_raid_began_rounded_up(since, minutes):
    assert alert(started_at=NOW - since).window_minutes(NOW) == minutes


def test_an_open_alert_shows_the_counts_and_offers_all_three_buttons():
    message = render_raid_alert(picture()).to_dict()
    assert_valid(message)
    assert "17 joins in the last minute, 40 joins since" in message["text"]
    assert "12 accounts younger than a day, 3 of unknown age" in message["text"]
    assert [b["action_id"] for b in buttons(message)] == [
        ACTION_RAID_REVIEW,
        ACTION_RAID_LOCKDOWN,
        ACTION_RAID_DISMISS,
    ]
    value = RaidRef.decode(buttons(message)[0]["value"])
    assert (value.guid, value.raid) == ("cometchat-guid-1", picture().alert.raid)


def test_names_from_the_payload_are_escaped_where_slack_parses_them():
    message = render_raid_alert(picture()).to_dict()
    texts = [message["text"]]
    for block in message["blocks"]:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        if block["type"] == "context":
            texts.extend(e["text"] for e in block["elements"])
    parsed = "\n".join(texts)
    assert "<!channel>" not in parsed and "<@U1>" not in parsed
    assert "&lt;!channel&gt;" in parsed and "&lt;@U1&gt; bot" in parsed


def test_a_calmed_alert_keeps_only_review_and_says_the_total():
    calmed = picture(calmed_at=NOW, total=40, last_raid_at=NOW - timedelta(minutes=3))
    message = render_raid_alert(calmed).to_dict()
    assert_valid(message)
    assert "calmed down" in message["text"] and "40 joins in total" in message["text"]
    assert [b["action_id"] for b in buttons(message)] == [ACTION_RAID_REVIEW]


def test_a_dismissed_alert_says_who_and_has_no_buttons():
    message = render_raid_alert(picture(dismissed_by="U0MOD", dismissed_at=NOW)).to_dict()
    assert_valid(message)
    assert "Dismissed by <@U0MOD>" in str(message["blocks"])
    assert buttons(message) == []


@pytest.mark.parametrize(
    ("young", "unknown", "filled"),
    [(21, 0, True), (20, 0, False), (21, 19, True), (20, 20, False), (0, 40, False)],
)
def test_the_age_filter_is_filled_in_only_when_most_of_the_raid_is_known_to_be_young(
    young, unknown, filled
):
    # Of 40 joiners: accounts of unknown age count against it, like the old ones.
    seen = replace(picture(), total=40, young=young, unknown_age=unknown)
    assert seen.mostly_young is filled
