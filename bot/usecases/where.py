"""Where is this user banned? Two answers, said apart: what the bot's history knows (one query,
instant) and a scan of every group in CometChat (slow, in the background).

The scan itself (bot.domain.where) reads every group's banned list through the client's bulk
path, so it stays inside CometChat's rate limit with COMETCHAT_RESERVE left to everyone else.

What the scan finds is recorded, so the next lookup is instant: a ban the history did not know
becomes a ban event (source SCAN); a ban the history believed in becomes an unban event (source
SCAN) only in a group whose whole list the scan read, held together, without the user. A group it
could not check keeps the history's word. Each group is recorded in a transaction of its own,
and only if the history has said nothing of that member since the scan started (by event id: a
webhook's time is CometChat's, and can be older than an event recorded after it). A scan's
events never touch a pending expiry: reading a list is not a moderator's decision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.cometchat import CometChatClient, Group
from bot.domain.errors import ScanRunning, ScansBusy
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.domain.slots import LeaseBook, UserSlots
from bot.domain.where import (
    Gap,
    ScanProgress,
    ScanReport,
    ScanResult,
    Unchecked,
    scan_all_groups,
)
from bot.logs import kv
from bot.store import ModerationStore, utc_now
from bot.store.scans import RecentScans

log = logging.getLogger("bot.requests")

# A scan reads every list of the app: one at a time in the whole app (every worker and dyno) is
# what the rate limit can spare.
MAX_SCANS_AT_ONCE = 1
# A lookup this soon after a scan of the same uid answers from the history, which the scan has
# just brought up to date: a second scan would read every list again to learn nothing.
SCAN_FRESH = 300.0
# A scan's lease: longer than a scan of every group takes; a worker that died holding one
# frees it after this.
SCAN_LEASE = timedelta(minutes=15)


class ScanSlots(UserSlots):
    """One scan per user and at most `limit` in the app (see UserSlots). Also remembers, in the
    shared database, when each uid was last scanned to the end, so a lookup soon after answers
    from the history alone, whichever process it reaches."""

    def __init__(
        self,
        book: LeaseBook,
        memory: RecentScans,
        limit: int = MAX_SCANS_AT_ONCE,
        *,
        fresh: float = SCAN_FRESH,
        clock: Callable[[], datetime] = utc_now,
    ):
        super().__init__(book, "scan", limit, ttl=SCAN_LEASE, running=ScanRunning, busy=ScansBusy)
        self._memory = memory
        self._fresh = timedelta(seconds=fresh)
        self._clock = clock

    def scanned(self, uid: str) -> None:
        """`uid` was scanned to the end and the result recorded."""
        try:
            self._memory.scanned(uid, self._clock(), keep=self._fresh)
        except SQLAlchemyError as exc:  # the next lookup scans again: slower, never wrong
            log.warning(kv(event="where_remember", uid=uid, outcome=type(exc).__name__))

    def fresh(self, uid: str) -> float | None:
        """Seconds since `uid`'s last recorded scan, if within `fresh`; else None."""
        try:
            at = self._memory.last_scan(uid)
        except SQLAlchemyError as exc:
            log.warning(kv(event="where_recall", uid=uid, outcome=type(exc).__name__))
            return None
        if at is None:
            return None
        age = (self._clock() - at).total_seconds()
        return age if 0 <= age < self._fresh.total_seconds() else None


def scan_events(
    result: ScanResult,
    states: dict[str, ModerationEvent],
    *,
    since: int,
    now: datetime,
) -> tuple[list[ModerationEvent], list[ModerationEvent]]:
    """(events to record, the history's bans the scan cleared). `states` is the history's latest
    word on the user in each group; a word with an id above `since` (the last event id when the
    scan started) is newer than what the scan read, so that group is left alone."""

    def newer(event: ModerationEvent | None) -> bool:
        return event is not None and (event.id is None or event.id > since)

    events: list[ModerationEvent] = []
    for hit in result.found:
        latest = states.get(hit.group.guid)
        if newer(latest):
            continue
        if latest is None or latest.action is not ModerationAction.BAN:
            events.append(
                ModerationEvent(
                    guid=hit.group.guid,
                    uid=result.uid,
                    action=ModerationAction.BAN,
                    source=EventSource.SCAN,
                    at=now,
                    name=hit.user.display_name[:200],
                )
            )
    gone = [
        latest
        for guid, latest in states.items()
        if guid in result.cleared and latest.action is ModerationAction.BAN and not newer(latest)
    ]
    for ban in gone:
        events.append(
            ModerationEvent(
                guid=ban.guid,
                uid=result.uid,
                action=ModerationAction.UNBAN,
                source=EventSource.SCAN,
                at=now,
                name=ban.name,
            )
        )
    return events, gone


def unverified(
    result: ScanResult, states: dict[str, ModerationEvent]
) -> tuple[tuple[Gap, ...], dict[str, ModerationEvent]]:
    """(every group the scan could not check, the history's ban in each of them). A group the
    history bans the user in that `GET /groups` did not list was not checked either."""
    read = {hit.group.guid for hit in result.found} | result.cleared
    read |= {gap.group.guid for gap in result.unchecked}
    unlisted = tuple(
        Gap(Group(guid=guid), Unchecked.NOT_LISTED)
        for guid, latest in sorted(states.items())
        if guid not in read and latest.action is ModerationAction.BAN
    )
    gaps = result.unchecked + unlisted
    standing = {
        gap.group.guid: states[gap.group.guid]
        for gap in gaps
        if gap.group.guid in states and states[gap.group.guid].action is ModerationAction.BAN
    }
    return gaps, standing


def scan_and_record(
    cometchat: CometChatClient,
    history: ModerationStore,
    uid: str,
    *,
    progress: ScanProgress | None = None,
    now: Callable[[], datetime] = utc_now,
) -> ScanReport:
    """Scan every group for `uid` and record what the history did not know. Raises CometChat
    errors from listing the groups, and then nothing is recorded; a group whose read fails is
    reported unchecked, and the others stand. A database that fails only costs the recording
    (and the who/why of each ban): the scan's answer stands."""
    since: int | None = None
    states: dict[str, ModerationEvent] | None = None
    try:
        since = history.last_event_id()  # before the first read: what is newer, by id
    except SQLAlchemyError as exc:
        log.warning(kv(event="where_record", uid=uid, outcome=type(exc).__name__))
    result = scan_all_groups(cometchat, uid, progress=progress)
    if since is not None:
        try:
            states = history.states_of(uid)
        except SQLAlchemyError as exc:
            log.warning(kv(event="where_record", uid=uid, outcome=type(exc).__name__))
    if since is None or states is None:
        gaps, _ = unverified(result, {})
        return ScanReport(result=result, known={}, no_longer=(), recorded=None, unchecked=gaps)
    gaps, standing = unverified(result, states)
    events, gone = scan_events(result, states, since=since, now=now())
    recorded, refused = record_each(history, events, since=since)
    try:
        known = {ban.guid: ban for ban in history.bans_of(uid)}
    except SQLAlchemyError:
        known = {}
    log.info(
        kv(
            event="where_scan",
            uid=uid,
            groups=result.groups,
            found=len(result.found),
            unchecked=len(gaps),
            recorded=len(recorded),
            refused=refused or None,
        )
    )
    cleared = {event.guid for event in recorded if event.action is ModerationAction.UNBAN}
    return ScanReport(
        result=result,
        known=known,
        no_longer=tuple(ban for ban in gone if ban.guid in cleared),
        recorded=len(recorded),
        unchecked=gaps,
        standing=standing,
        unrecorded=refused,
    )


def record_each(
    history: ModerationStore, events: Sequence[ModerationEvent], *, since: int
) -> tuple[list[ModerationEvent], int]:
    """(the events recorded, how many the database refused). Each in its own transaction: one
    group's failure never costs another's outcome."""
    recorded: list[ModerationEvent] = []
    refused = 0
    for event in events:
        try:
            stored = history.record_scan(event, since=since)
        except SQLAlchemyError as exc:
            refused += 1
            log.warning(
                kv(event="where_record", uid=event.uid, guid=event.guid, outcome=type(exc).__name__)
            )
            continue
        if stored is not None:
            recorded.append(stored)
    return recorded, refused


def history_bans(history: ModerationStore, uid: str) -> Sequence[ModerationEvent]:
    """The history's answer: every group where its latest word on `uid` is a ban, newest first.
    Raises SQLAlchemy errors."""
    return history.bans_of(uid)
