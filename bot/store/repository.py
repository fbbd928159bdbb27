"""The moderation store: every query the bot makes, one `with engine.begin()` per unit of work.

Expiries are claimed so that two processes sharing one PostgreSQL database cannot both win a row:
the candidates are read `FOR UPDATE SKIP LOCKED` (a row another process is claiming is passed
over, not waited for), and each is taken by a conditional UPDATE that only succeeds while the row
is still due and unclaimed. SQLite has no row locks: there the conditional UPDATE alone decides,
and SQLite is meant for one process.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.domain.moderation import (
    HISTORY_PAGE_SIZE,
    EventSource,
    HistoryPage,
    ModerationAction,
    ModerationEvent,
    PendingExpiry,
)
from bot.store.tables import moderation_events, pending_expiries, webhook_deliveries

# How long a claimed expiry is ours: longer than one unban call with its retries can take, so a
# slow success is never retried by another process; short enough that a crash costs little.
CLAIM_LEASE = timedelta(minutes=2)
# The events that say whether a user is banned in a group (a kick or a scope change does not).
_STATE_ACTIONS = (
    ModerationAction.BAN.value,
    ModerationAction.UNBAN.value,
    ModerationAction.EXPIRE.value,
)
# CometChat retries a webhook after 10 s and 30 s: ten minutes is ample.
DELIVERY_TTL = timedelta(minutes=10)


def utc_now() -> datetime:
    return datetime.now(UTC)


class ModerationStore:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now):
        self.engine = engine
        self._clock = clock
        self._recorded: list[Callable[[ModerationEvent], None]] = []

    def on_record(self, callback: Callable[[ModerationEvent], None]) -> None:
        """Call `callback` with each event once it is stored (by `record` or `finish_expiry`),
        whoever recorded it: the Home tab refreshes on it. It must be quick and never raise."""
        self._recorded.append(callback)

    def _announce(self, event: ModerationEvent) -> None:
        for callback in self._recorded:
            try:
                callback(event)
            except Exception:
                # The event is stored; a listener's failure must not undo or hide that.
                logging.getLogger(__name__).warning("on_record callback failed", exc_info=True)

    def ping(self) -> None:
        """Raises if the database cannot be reached: asked before a ban that must end by itself."""
        with self.engine.connect() as conn:
            conn.execute(select(1))

    # -- events --------------------------------------------------------------------------------

    def record(self, event: ModerationEvent) -> ModerationEvent:
        """Store `event` (returned with its id) and apply its rule to the pending expiry, in one
        transaction: a temporary ban schedules (or replaces) it; a permanent ban or an unban
        cancels it."""
        return self.record_all([event])[0]

    def event(self, event_id: int) -> ModerationEvent | None:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(moderation_events).where(moderation_events.c.id == event_id)
            ).first()
        return _event(row) if row is not None else None

    def latest_bans(self, guid: str, uids: Sequence[str]) -> dict[str, ModerationEvent]:
        """The most recent ban recorded for each of `uids` in `guid`, in one query (a page of
        the list). Users never seen banned are absent.

        A plain range over the (guid, uid, id) index, newest first, the first row per user kept
        here: half the cost of a window function on SQLite, a third on PostgreSQL (a user has a
        few bans at most, so the rows read stay few)."""
        if not uids:
            return {}
        e = moderation_events
        query = (
            select(e)
            .where(
                e.c.guid == guid, e.c.uid.in_(set(uids)), e.c.action == ModerationAction.BAN.value
            )
            .order_by(e.c.id.desc())
        )
        found: dict[str, ModerationEvent] = {}
        with self.engine.begin() as conn:
            for row in conn.execute(query):
                if row.uid not in found:
                    found[row.uid] = _event(row)
        return found

    def history(
        self, guid: str, uid: str, *, before: int | None = None, limit: int = HISTORY_PAGE_SIZE
    ) -> HistoryPage:
        """One user's events in one group, newest first, `limit` at a time; pass the page's
        `before` to get the next (older) one."""
        e = moderation_events
        query = select(e).where(e.c.guid == guid, e.c.uid == uid)
        if before is not None:
            query = query.where(e.c.id < before)
        # One row more than asked says whether an older page exists without counting.
        query = query.order_by(e.c.id.desc()).limit(limit + 1)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
        events = [_event(row) for row in rows[:limit]]
        more = len(rows) > limit
        return HistoryPage(events, events[-1].id if more and events else None)

    # -- across groups (the Home tab, "where is this user banned?") ------------------------------

    def recent_events(self, limit: int = 20) -> list[ModerationEvent]:
        """The newest events of every group, newest first."""
        e = moderation_events
        with self.engine.begin() as conn:
            rows = conn.execute(select(e).order_by(e.c.id.desc()).limit(limit)).all()
        return [_event(row) for row in rows]

    def bans_ending(self, start: datetime, end: datetime) -> list[ModerationEvent]:
        """The bans whose pending end falls in [start, end), soonest first: each is the ban event
        that set it, with its `ends_at` as it stands."""
        e, x = moderation_events, pending_expiries
        query = (
            select(e, x.c.ends_at.label("pending_end"))
            .join(x, x.c.ban_id == e.c.id)
            .where(x.c.ends_at >= start, x.c.ends_at < end)
            .order_by(x.c.ends_at)
        )
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
        bans = []
        for row in rows:
            values = row._asdict()
            pending_end = values.pop("pending_end")
            event_id = values.pop("id")
            bans.append(_event_from({**values, "ends_at": pending_end}, event_id))
        return bans

    def daily_counts(self, since: datetime) -> dict[date, tuple[int, int]]:
        """Bans and unbans (automatic ends included) per UTC day from `since`, across groups;
        days with neither are absent."""
        e = moderation_events
        kinds = (
            ModerationAction.BAN.value,
            ModerationAction.UNBAN.value,
            ModerationAction.EXPIRE.value,
        )
        query = select(e.c.at, e.c.action).where(e.c.at >= since, e.c.action.in_(kinds))
        counts: dict[date, list[int]] = {}
        with self.engine.begin() as conn:
            for at, action in conn.execute(query):
                day = counts.setdefault(at.astimezone(UTC).date(), [0, 0])
                day[0 if action == ModerationAction.BAN.value else 1] += 1
        return {day: (bans, unbans) for day, (bans, unbans) in sorted(counts.items())}

    def bans_of(self, uid: str) -> list[ModerationEvent]:
        """Every group where the history's latest word on `uid` is a ban: that ban, newest first."""
        return self._latest_states(uid, bans_only=True)

    def states_of(self, uid: str) -> dict[str, ModerationEvent]:
        """The history's latest ban, unban or expiry of `uid` in each group it knows, by guid."""
        return {event.guid: event for event in self._latest_states(uid, bans_only=False)}

    def record_all(self, events: Sequence[ModerationEvent]) -> list[ModerationEvent]:
        """`record` each event, all in one transaction: every one is kept, or none is."""
        stored = []
        with self.engine.begin() as conn:
            for event in events:
                kept = self._insert_event(conn, event)
                if event.source is EventSource.SCAN:
                    pass  # a list read is no moderator's decision: it leaves the expiry be
                elif event.action is ModerationAction.BAN and event.ends_at is not None:
                    _upsert_expiry(conn, event.guid, event.uid, event.ends_at, kept.id)
                elif event.action in (ModerationAction.BAN, ModerationAction.UNBAN):
                    _delete_expiry(conn, event.guid, event.uid)
                stored.append(kept)
        for kept in stored:  # once committed: listeners (the Home tab) never see a rollback
            self._announce(kept)
        return stored

    def record_scan(self, event: ModerationEvent, *, since: int) -> ModerationEvent | None:
        """Record what a scan saw and return it with its id; or record nothing and return None
        when the history has said something newer of that member: a ban, unban or expiry with an
        id above `since`, the last id when the scan started. A transaction of its own, so one
        group's failure costs no other's; it never touches a pending expiry."""
        e = moderation_events
        newer = (
            select(e.c.id)
            .where(
                e.c.guid == event.guid,
                e.c.uid == event.uid,
                e.c.id > since,
                e.c.action.in_(_STATE_ACTIONS),
            )
            .limit(1)
        )
        with self.engine.begin() as conn:
            if conn.execute(newer).first() is not None:
                return None
            stored = self._insert_event(conn, event)
        self._announce(stored)
        return stored

    def _latest_states(self, uid: str, *, bans_only: bool) -> list[ModerationEvent]:
        e = moderation_events
        newest = (
            select(
                e, func.row_number().over(partition_by=e.c.guid, order_by=e.c.id.desc()).label("n")
            )
            .where(e.c.uid == uid, e.c.action.in_(_STATE_ACTIONS))
            .subquery()
        )
        query = select(*(newest.c[c.name] for c in e.columns)).where(newest.c.n == 1)
        if bans_only:
            query = query.where(newest.c.action == ModerationAction.BAN.value)
        with self.engine.begin() as conn:
            rows = conn.execute(query.order_by(newest.c.id.desc())).all()
        return [_event(row) for row in rows]

    def last_event_id(self, guid: str | None = None) -> int:
        """Grows with every event recorded (in `guid`, if named): what a cache of derived
        views keys on."""
        query = select(func.max(moderation_events.c.id))
        if guid is not None:
            query = query.where(moderation_events.c.guid == guid)
        with self.engine.begin() as conn:
            return int(conn.execute(query).scalar() or 0)

    # -- expiries ------------------------------------------------------------------------------

    def pending_expiry(self, guid: str, uid: str) -> datetime | None:
        """When the ban of `uid` in `guid` is due to end, if it is temporary."""
        p = pending_expiries
        with self.engine.begin() as conn:
            return conn.execute(
                select(p.c.ends_at).where(p.c.guid == guid, p.c.uid == uid)
            ).scalar_one_or_none()

    def claim_due_expiries(
        self, *, limit: int = 20, lease: timedelta = CLAIM_LEASE
    ) -> list[PendingExpiry]:
        """Take up to `limit` due expiries for this caller alone, oldest first. Each stays
        claimed for `lease`; settle it with `finish_expiry` or `retry_expiry`."""
        p = pending_expiries
        now = self._clock()
        free = or_(p.c.claimed_until.is_(None), p.c.claimed_until <= now)
        candidates = (
            select(p.c.guid, p.c.uid)
            .where(p.c.due_at <= now, free)
            .order_by(p.c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = []
        with self.engine.begin() as conn:
            for guid, uid in conn.execute(candidates).all():
                token = str(uuid.uuid4())
                taken = conn.execute(
                    update(p)
                    .where(p.c.guid == guid, p.c.uid == uid, p.c.due_at <= now, free)
                    .values(claim=token, claimed_until=now + lease, attempts=p.c.attempts + 1)
                    .returning(p.c.ends_at, p.c.attempts, p.c.ban_id)
                ).first()
                if taken is not None:
                    claimed.append(
                        PendingExpiry(guid, uid, taken.ends_at, taken.attempts, token, taken.ban_id)
                    )
        return claimed

    def finish_expiry(self, expiry: PendingExpiry) -> ModerationEvent | None:
        """The unban went through (or the user was no longer banned): drop the pending row and
        record the `expire` event, together. None if the claim was lost meanwhile (an unban by
        hand cancelled it, or a new ban replaced it): nothing is recorded then."""
        p = pending_expiries
        with self.engine.begin() as conn:
            gone = conn.execute(
                delete(p).where(p.c.guid == expiry.guid, p.c.uid == expiry.uid, _held(expiry))
            ).rowcount
            if not gone:
                return None
            name = ""
            if expiry.ban_id is not None:
                name = (
                    conn.execute(
                        select(moderation_events.c.name).where(
                            moderation_events.c.id == expiry.ban_id
                        )
                    ).scalar_one_or_none()
                    or ""
                )
            stored = self._insert_event(
                conn,
                ModerationEvent(
                    guid=expiry.guid,
                    uid=expiry.uid,
                    name=name,
                    action=ModerationAction.EXPIRE,
                    source=EventSource.EXPIRY,
                    at=self._clock(),
                ),
            )
        self._announce(stored)
        return stored

    def retry_expiry(self, expiry: PendingExpiry, at: datetime) -> bool:
        """The unban failed: release the claim and try again at `at`. False if the claim was
        lost meanwhile."""
        p = pending_expiries
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    update(p)
                    .where(p.c.guid == expiry.guid, p.c.uid == expiry.uid, _held(expiry))
                    .values(due_at=at, claim=None, claimed_until=None)
                ).rowcount
                > 0
            )

    # -- webhook deliveries --------------------------------------------------------------------

    def first_delivery(self, key: str, *, ttl: timedelta = DELIVERY_TTL) -> bool:
        """True, and remembered, the first time `key` is seen within `ttl` by any process
        sharing this database; False for a repeat. Keys older than `ttl` are purged."""
        w = webhook_deliveries
        now = self._clock()
        with self.engine.begin() as conn:
            conn.execute(delete(w).where(w.c.seen_at <= now - ttl))
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            # RETURNING, not rowcount: drivers need not count an INSERT's rows.
            added = conn.execute(
                dialect.insert(w)
                .values(key=_digest(key), seen_at=now)
                .on_conflict_do_nothing(index_elements=[w.c.key])
                .returning(w.c.key)
            ).first()
        return added is not None

    def forget_delivery(self, key: str) -> None:
        """Undo `first_delivery` for an event that could not be accepted, so its retry counts."""
        w = webhook_deliveries
        with self.engine.begin() as conn:
            conn.execute(delete(w).where(w.c.key == _digest(key)))

    def delivery_count(self, *, ttl: timedelta = DELIVERY_TTL) -> int:
        w = webhook_deliveries
        with self.engine.begin() as conn:
            return conn.execute(
                select(func.count()).select_from(w).where(w.c.seen_at > self._clock() - ttl)
            ).scalar_one()

    # -- helpers -------------------------------------------------------------------------------

    def _insert_event(self, conn: Connection, event: ModerationEvent) -> ModerationEvent:
        values = _row_values(event)
        new_id = conn.execute(
            insert(moderation_events).values(**values).returning(moderation_events.c.id)
        ).scalar_one()
        return _event_from(values, new_id)


def _held(expiry: PendingExpiry) -> Any:
    return pending_expiries.c.claim == expiry.claim


def _upsert_expiry(
    conn: Connection, guid: str, uid: str, ends_at: datetime, ban_id: int | None
) -> None:
    # Replacing also drops any claim: a process mid-attempt on the old row then finds it lost.
    values = {
        "guid": guid,
        "uid": uid,
        "ends_at": ends_at,
        "due_at": ends_at,
        "attempts": 0,
        "claim": None,
        "claimed_until": None,
        "ban_id": ban_id,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(pending_expiries).values(**values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[pending_expiries.c.guid, pending_expiries.c.uid],
            set_={k: statement.excluded[k] for k in values if k not in ("guid", "uid")},
        )
    )


def _delete_expiry(conn: Connection, guid: str, uid: str) -> int:
    p = pending_expiries
    return conn.execute(delete(p).where(p.c.guid == guid, p.c.uid == uid)).rowcount


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _row_values(event: ModerationEvent) -> dict[str, Any]:
    return {
        "guid": event.guid,
        "uid": event.uid,
        "name": event.name,
        "action": event.action.value,
        "actor": event.actor,
        "source": event.source.value,
        "reason": event.reason,
        "scope": event.scope,
        "at": event.at,
        "ends_at": event.ends_at,
    }


def _event_from(values: dict[str, Any], event_id: int) -> ModerationEvent:
    return ModerationEvent(
        **{
            **values,
            "action": ModerationAction(values["action"]),
            "source": EventSource(values["source"]),
        },
        id=event_id,
    )


def _event(row: Row[Any]) -> ModerationEvent:
    values = row._asdict()
    event_id = values.pop("id")
    values.pop("n", None)
    return _event_from(values, event_id)
