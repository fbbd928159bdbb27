"""Where is this user banned? Two answers, said apart: what the bot's history knows (one query,
instant) and a scan of every group in CometChat (slow, in the background).

The scan itself (bot.domain.where) reads every group's banned list through the client's bulk
path, so it stays inside CometChat's rate limit with COMETCHAT_RESERVE left to everyone else.

What the scan finds is recorded, so the next lookup is instant: a ban the history did not know
becomes a ban event (source SCAN), a ban the history believed in but the scan did not find an
unban event (source SCAN); all in one transaction, and only once the scan has finished. A group
whose history changed while the scan ran is left as the history says (it is newer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.cometchat import CometChatClient
from bot.domain.errors import ScanRunning, ScansBusy
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.domain.slots import LeaseBook, UserSlots
from bot.domain.where import ScanProgress, ScanReport, ScanResult, scan_all_groups
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
    started: datetime,
    now: datetime,
) -> tuple[list[ModerationEvent], list[ModerationEvent]]:
    """(events to record, the history's bans the scan no longer found). `states` is the
    history's latest word on the user in each group; a word said since `started` is newer than
    what the scan read, so that group is left alone."""
    found = {f.group.guid: f for f in result.found}
    events: list[ModerationEvent] = []
    for guid, hit in found.items():
        latest = states.get(guid)
        if latest is not None and latest.at >= started:
            continue
        if latest is None or latest.action is not ModerationAction.BAN:
            events.append(
                ModerationEvent(
                    guid=guid,
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
        if guid not in found and latest.action is ModerationAction.BAN and latest.at < started
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


def scan_and_record(
    cometchat: CometChatClient,
    history: ModerationStore,
    uid: str,
    *,
    progress: ScanProgress | None = None,
    now: Callable[[], datetime] = utc_now,
) -> ScanReport:
    """Scan every group for `uid` and record what the history did not know. Raises CometChat
    errors, and then nothing is recorded. A database that fails only costs the recording (and
    the who/why of each ban): the scan's answer stands."""
    started = now()
    result = scan_all_groups(cometchat, uid, progress=progress)
    try:
        events, gone = scan_events(result, history.states_of(uid), started=started, now=now())
        history.record_all(events)
        known = {ban.guid: ban for ban in history.bans_of(uid)}
    except SQLAlchemyError as exc:
        log.warning(kv(event="where_record", uid=uid, outcome=type(exc).__name__))
        return ScanReport(result=result, known={}, no_longer=(), recorded=None)
    log.info(
        kv(
            event="where_scan",
            uid=uid,
            groups=result.groups,
            found=len(result.found),
            recorded=len(events),
        )
    )
    return ScanReport(result=result, known=known, no_longer=tuple(gone), recorded=len(events))


def history_bans(history: ModerationStore, uid: str) -> Sequence[ModerationEvent]:
    """The history's answer: every group where its latest word on `uid` is a ban, newest first.
    Raises SQLAlchemy errors."""
    return history.bans_of(uid)
