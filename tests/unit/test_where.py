"""`/banned user <uid>`: the grammar, the scan's slots, and the answers' shape at their largest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.cometchat.models import BannedUser, Group
from bot.domain.command import FindUser, ListBanned, parse_command
from bot.domain.errors import InvalidUid, ScanRunning, ScansBusy
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.domain.where import (
    MAX_BANNED_PAGES,
    Found,
    Gap,
    ListUnverified,
    ScanReport,
    ScanResult,
    Unchecked,
    banned_in,
)
from bot.slack.moderation_blocks import ACTION_UNBAN
from bot.slack.where_blocks import render_history_bans, render_scan_report
from bot.store.leases import WorkLeases
from bot.store.scans import RecentScans
from bot.usecases.where import ScanSlots, scan_events, unverified
from tests.support.clock import UtcClock
from tests.support.slack_limits import assert_no_injected_markup, assert_valid_message
from tests.support.slack_messages import buttons
from tests.unit.test_client import counting, make_client, ok

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_user_and_a_uid_is_a_lookup_and_nothing_else_is():
    assert parse_command("user troll-7") == FindUser(uid="troll-7")
    assert parse_command("USER troll-7") == FindUser(uid="troll-7")
    # Anything else keeps its meaning: a group called `user`, listed or searched.
    assert parse_command("user") == ListBanned(guid="user")
    assert parse_command("user troll 7") == ListBanned(guid="user", query="troll 7")


def test_a_malformed_uid_is_refused():
    with pytest.raises(InvalidUid):
        parse_command("user a/b")


def _slots(engine, clock=None, **kw) -> ScanSlots:
    clock = clock or UtcClock(T0)
    return ScanSlots(WorkLeases(engine, clock=clock), RecentScans(engine), clock=clock, **kw)


def test_one_scan_per_user_and_one_in_the_app(engine):
    slots = _slots(engine, limit=1)
    slots.take("U1")
    with pytest.raises(ScanRunning):
        slots.take("U1")
    with pytest.raises(ScansBusy):
        slots.take("U2")
    slots.release("U1")
    slots.take("U2")


def test_a_scan_is_fresh_for_five_minutes(engine):
    clock = UtcClock(T0)
    slots = _slots(engine, clock)
    assert slots.fresh("u") is None
    slots.scanned("u")
    clock.advance(timedelta(seconds=299))
    assert slots.fresh("u") == 299
    clock.advance(timedelta(seconds=2))
    assert slots.fresh("u") is None


def _ban(guid: str, at: datetime, **extra) -> ModerationEvent:
    values = dict(guid=guid, uid="u", action=ModerationAction.BAN, source=EventSource.COMMAND)
    return ModerationEvent(**{**values, "at": at, **extra})


def test_what_a_scan_records_and_what_it_leaves_to_newer_history():
    found = (
        Found(Group(guid="new"), BannedUser(uid="u", name="U")),
        Found(Group(guid="known"), BannedUser(uid="u")),
        Found(Group(guid="moved"), BannedUser(uid="u")),
        Found(Group(guid="late-webhook"), BannedUser(uid="u")),
    )
    result = ScanResult(
        uid="u",
        groups=9,
        found=found,
        cleared=frozenset({"gone", "rebanned"}),
        unchecked=(Gap(Group(guid="shifted"), Unchecked.CHANGED),),
    )
    since, now = 10, T0 + timedelta(minutes=2)
    states = {
        "known": _ban("known", T0 - timedelta(days=1), id=3),
        # Unbanned while the scan ran: the history is newer than what the scan read.
        "moved": _ban("moved", T0 + timedelta(minutes=1), action=ModerationAction.UNBAN, id=11),
        # Heard by webhook while the scan ran, timed by CometChat before it started: newer all
        # the same, by its id.
        "late-webhook": _ban(
            "late-webhook", T0 - timedelta(hours=1), action=ModerationAction.UNBAN, id=12
        ),
        "gone": _ban("gone", T0 - timedelta(days=2), id=4),
        "rebanned": _ban("rebanned", T0 + timedelta(minutes=1), id=13),
        # Absent from a list that shifted while it was read: not evidence of anything.
        "shifted": _ban("shifted", T0 - timedelta(days=3), id=5),
        # Not among the groups the scan read at all.
        "unlisted": _ban("unlisted", T0 - timedelta(days=4), id=6),
    }
    events, gone = scan_events(result, states, since=since, now=now)
    assert [(e.guid, e.action, e.source, e.at) for e in events] == [
        ("new", ModerationAction.BAN, EventSource.SCAN, now),
        ("gone", ModerationAction.UNBAN, EventSource.SCAN, now),
    ]
    assert [b.guid for b in gone] == ["gone"]
    gaps, standing = unverified(result, states)
    assert [(g.group.guid, g.why) for g in gaps] == [
        ("shifted", Unchecked.CHANGED),
        ("unlisted", Unchecked.NOT_LISTED),
    ]
    assert set(standing) == {"shifted", "unlisted"}


HOSTILE = "<!channel> *bold* `tick`"


def test_the_answers_at_their_largest_stay_valid_and_escape_what_users_wrote():
    bans = [
        _ban(f"g-{i}", T0, name=HOSTILE, reason=HOSTILE, actor="<!here>", ends_at=T0)
        for i in range(60)
    ]
    history = render_history_bans("u", bans, moderate=True, note="next")
    assert_valid_message(history.to_dict())
    assert_no_injected_markup(history.to_dict())
    assert len(buttons(history.to_dict(), ACTION_UNBAN)) == 40

    found = tuple(
        Found(Group(guid=f"g-{i}", name=HOSTILE), BannedUser(uid="u", name=HOSTILE))
        for i in range(60)
    )
    report = ScanReport(
        result=ScanResult(uid="u", groups=60, found=found),
        known={b.guid: b for b in bans},
        no_longer=tuple(bans),
        recorded=3,
    )
    scan = render_scan_report(report, moderate=False)
    assert_valid_message(scan.to_dict())
    assert_no_injected_markup(scan.to_dict())
    assert buttons(scan.to_dict(), ACTION_UNBAN) == []


# -- reading one group's banned list: when an absence can be trusted ----------------------------


def _page(first: int, count: int, total: int | None = None, *, with_user: bool = False):
    people = [{"uid": f"o{i}"} for i in range(first, first + count)]
    if with_user:
        people[-1] = {"uid": "u", "name": "U"}
    return ok(people, {"pagination": {"total": total}} if total is not None else None)


def _read(*answers, max_pages: int = MAX_BANNED_PAGES):
    handle, seen = counting(*answers)
    client, _clock = make_client(handle)
    try:
        return banned_in(client, "g", "u", max_pages=max_pages), len(seen)
    finally:
        client.close()


def test_a_whole_list_whose_pages_agree_vouches_for_an_absence():
    assert _read(_page(0, 100, 250), _page(100, 100, 250), _page(200, 50, 250)) == (None, 3)


def test_one_page_vouches_for_an_absence_without_any_total():
    assert _read(_page(0, 30)) == (None, 1)


@pytest.mark.parametrize(
    "answers, why",
    [
        # Someone was unbanned after page 1: the totals differ.
        ((_page(0, 100, 250), _page(101, 100, 249), _page(201, 49, 249)), Unchecked.CHANGED),
        # Someone was banned ahead of the reader: a user on two pages.
        ((_page(0, 100, 250), _page(99, 100, 250), _page(199, 50, 250)), Unchecked.CHANGED),
        # The pages run short of the total page 1 promised.
        ((_page(0, 100, 250), _page(100, 100, 250), _page(200, 30, 250)), Unchecked.CHANGED),
        # Several pages and no total to hold them to.
        ((_page(0, 100), _page(100, 100), _page(200, 50)), Unchecked.UNSIZED),
        # Never a short page: the cap comes first.
        ((_page(0, 100, 10**6),), Unchecked.TOO_LONG),
    ],
    ids=["totals_differ", "pages_overlap", "pages_run_short", "no_total", "page_cap"],
)
def test_a_list_that_cannot_vouch_for_an_absence_says_why(answers, why):
    with pytest.raises(ListUnverified) as raised:
        _read(*answers, max_pages=5)
    assert raised.value.why is why


def test_a_user_listed_in_a_list_that_moved_is_still_found():
    user, reads = _read(
        _page(0, 100, 250), _page(101, 100, 249), _page(201, 49, 249, with_user=True)
    )
    assert user is not None and user.uid == "u" and reads == 3
