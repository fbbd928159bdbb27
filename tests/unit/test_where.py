"""`/banned user <uid>`: the grammar, the scan's slots, and the answers' shape at their largest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.cometchat.models import BannedUser, Group
from bot.domain.command import FindUser, ListBanned, parse_command
from bot.domain.errors import InvalidUid, ScanRunning, ScansBusy
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.domain.where import Found, ScanReport, ScanResult
from bot.slack.moderation_blocks import ACTION_UNBAN
from bot.slack.where_blocks import render_history_bans, render_scan_report
from bot.store.leases import WorkLeases
from bot.store.scans import RecentScans
from bot.usecases.where import ScanSlots, scan_events
from tests.support.clock import UtcClock
from tests.support.slack_limits import assert_no_injected_markup, assert_valid_message
from tests.support.slack_messages import buttons

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
    )
    result = ScanResult(uid="u", groups=9, found=found)
    started, now = T0, T0 + timedelta(minutes=2)
    states = {
        "known": _ban("known", T0 - timedelta(days=1)),
        # Unbanned while the scan ran: the history is newer than what the scan read.
        "moved": _ban("moved", T0 + timedelta(minutes=1), action=ModerationAction.UNBAN),
        "gone": _ban("gone", T0 - timedelta(days=2)),
        "rebanned": _ban("rebanned", T0 + timedelta(minutes=1)),
    }
    events, gone = scan_events(result, states, started=started, now=now)
    assert [(e.guid, e.action, e.source, e.at) for e in events] == [
        ("new", ModerationAction.BAN, EventSource.SCAN, now),
        ("gone", ModerationAction.UNBAN, EventSource.SCAN, now),
    ]
    assert [b.guid for b in gone] == ["gone"]


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
