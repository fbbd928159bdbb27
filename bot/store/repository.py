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
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Engine,
    Row,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot.domain.cases import Case, CaseEdit
from bot.domain.errors import UnknownCase
from bot.domain.evidence import UserCard
from bot.domain.moderation import (
    HISTORY_PAGE_SIZE,
    EventSource,
    HistoryPage,
    ModerationAction,
    ModerationEvent,
    PendingExpiry,
)
from bot.logs import kv
from bot.store.cases import Keep, apply_edit, insert_edit, read_case
from bot.store.evidence import cards_for, insert_card
from bot.store.lockdowns import Lockdown, Lockdowns
from bot.store.mass import MassActions
from bot.store.members import Apply, Backlog, MemberLocks, is_outage, lock_in_database
from bot.store.tables import moderation_events, pending_expiries, webhook_deliveries

log = logging.getLogger("bot.store")

# How long a claimed expiry is ours: longer than one unban call with its retries can take, so a
# slow success is never retried by another process; short enough that a crash costs little.
CLAIM_LEASE = timedelta(minutes=2)
# The events that say whether a user is banned in a group (a kick or a scope change does not).
_STATE_ACTIONS = (
    ModerationAction.BAN.value,
    ModerationAction.UNBAN.value,
    ModerationAction.EXPIRE.value,
)
# CometChat retries a webhook after 10 s and 30 s; a delivery seen longer ago than this is not
# a retry, so the same body again (a user kicked twice) is a new event.
DELIVERY_TTL = timedelta(minutes=2)


def utc_now() -> datetime:
    return datetime.now(UTC)


class ModerationStore:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now):
        self.engine = engine
        self._clock = clock
        self._recorded: list[Callable[[ModerationEvent], None]] = []
        self._locks = MemberLocks()
        self._backlog = Backlog()
        self.mass = MassActions(engine, clock)  # mass actions' drafts and their users
        self.lockdowns = Lockdowns(engine, clock)  # groups locked down
        # The same pool, its connections lent in autocommit mode (SQLAlchemy restores the
        # default when they come back).
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def _one_read(self) -> Iterator[Connection]:
        """A connection for a single SELECT on the request path. On PostgreSQL without BEGIN
        and COMMIT (autocommit: one statement is its own snapshot), two round trips fewer;
        SQLite keeps its usual transaction."""
        if self.engine.dialect.name == "postgresql":
            with self._autocommit.connect() as conn:
                yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

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
                log.warning("on_record callback failed", exc_info=True)

    def ping(self) -> None:
        """Raises if the database cannot be reached: asked before a ban that must end by itself."""
        with self.engine.connect() as conn:
            conn.execute(select(1))

    # -- one member's changes, in order (bot.store.members) -------------------------------------

    @contextmanager
    def member(self, guid: str, uid: str, *, replaying: bool = False) -> Iterator[MemberChange]:
        """Hold the member's lock (this process, and PostgreSQL's for all of them) around a check,
        a CometChat call and what it records. While the database is unavailable the change goes
        ahead all the same: what it records waits in the backlog (`MemberChange.queued`)."""
        if not replaying:
            self.replay()
        with self._locks.hold(guid, uid), ExitStack() as stack:
            conn = None
            if self.engine.dialect.name == "postgresql":
                try:
                    conn = stack.enter_context(self.engine.connect())
                    conn.begin()
                    lock_in_database(conn, guid, uid)
                except Exception as exc:
                    if replaying or not is_outage(exc):
                        raise
                    conn = None
            change = MemberChange(self, guid, uid, conn, queue=not replaying)
            try:
                yield change
            except BaseException:
                if conn is not None:
                    with suppress(Exception):
                        conn.rollback()
                raise
            if conn is not None and change.queued:
                with suppress(Exception):
                    conn.rollback()
            elif conn is not None:
                try:
                    conn.commit()
                except Exception as exc:
                    if replaying or not is_outage(exc):
                        raise
                    change.lose()
        for event in change.stored:
            self._announce(event)

    def change(self, guid: str, uid: str, apply: Apply, what: str) -> Any:
        """`apply(change)` under the member's lock; while the database is unavailable it waits in
        the backlog and None is returned."""
        try:
            with self.member(guid, uid) as change:
                return apply(change)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self._backlog.add(guid, uid, apply, what)
            return None

    def replay(self) -> bool:
        """Store what waited while the database was unavailable, oldest first. True when nothing
        is left waiting. Never raises."""
        if not len(self._backlog):
            return True
        stored = 0
        with self._backlog.replaying:
            while (item := self._backlog.first()) is not None:
                try:
                    with self.member(item.guid, item.uid, replaying=True) as change:
                        item.apply(change)
                except Exception as exc:
                    if is_outage(exc):
                        break
                    log.error(
                        kv(event="history_replay_failed", what=item.what, guid=item.guid),
                        exc_info=exc,
                    )
                self._backlog.done(item)
                stored += 1
        left = len(self._backlog)
        if stored:
            log.info(kv(event="history_replayed", count=stored, queued=left or None))
        return not left

    @property
    def queued(self) -> int:
        """Changes waiting for the database in this process."""
        return len(self._backlog)

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

    def case(self, number: int) -> Case:
        """The recorded event numbered `number`, with its evidence and edits; UnknownCase if
        there is none."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(moderation_events).where(moderation_events.c.id == number)
            ).first()
            if row is None:
                raise UnknownCase(number)
            return read_case(conn, _event(row))

    def latest_bans(self, guid: str, uids: Sequence[str]) -> dict[str, ModerationEvent]:
        """The most recent ban recorded for each of `uids` in `guid`, in one query (a page of
        the list). Users never seen banned are absent.

        A plain range over the (guid, uid, id) index, newest first, the first row per user kept
        here: half the cost of a window function on SQLite, a third on PostgreSQL (a user has a
        few bans at most, so the rows read stay few)."""
        if not uids:
            return {}
        found: dict[str, ModerationEvent] = {}
        with self._one_read() as conn:
            for row in conn.execute(_LATEST_BANS, {"guid": guid, "uids": sorted(set(uids))}):
                if row.uid not in found:
                    found[row.uid] = _event(row)
        return found

    def history(
        self, guid: str, uid: str, *, before: int | None = None, limit: int = HISTORY_PAGE_SIZE
    ) -> HistoryPage:
        """One user's events in one group, newest first, `limit` at a time; pass the page's
        `before` to get the next (older) one. With each confirmed action, the card its moderator
        was shown (one more query)."""
        e = moderation_events
        query = select(e).where(e.c.guid == guid, e.c.uid == uid)
        if before is not None:
            query = query.where(e.c.id < before)
        # One row more than asked says whether an older page exists without counting.
        query = query.order_by(e.c.id.desc()).limit(limit + 1)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            events = [_event(row) for row in rows[:limit]]
            cards = cards_for(conn, guid, uid, events)
        more = len(rows) > limit
        return HistoryPage(events, events[-1].id if more and events else None, cards)

    def lock_down(self, lockdown: Lockdown, event: ModerationEvent) -> ModerationEvent | None:
        """Keep a lockdown and its record in one transaction; None if the group has one."""
        try:
            with self.engine.begin() as conn:
                self.lockdowns.begin(conn, lockdown)
                kept = self._insert_event(conn, event)
        except IntegrityError:
            return None  # the group's primary key: it is locked down already
        self._announce(kept)
        return kept

    def end_lockdown(self, guid: str, claim: str, event: ModerationEvent) -> ModerationEvent | None:
        """The lockdown's row goes and its end is recorded, in one transaction, if `claim` still
        holds it; None (nothing recorded) otherwise."""
        with self.engine.begin() as conn:
            if not self.lockdowns.finish(conn, guid, claim):
                return None
            kept = self._insert_event(conn, event)
        self._announce(kept)
        return kept

    def note_case_edit(self, edit: CaseEdit) -> CaseEdit:
        """Keep an edit that was made by other means (a ban ended now, by an unban)."""
        with self.engine.begin() as conn:
            return insert_edit(conn, edit)

    def keep_card(self, card: UserCard) -> int:
        """Keep what a moderator is shown before confirming; its id."""
        with self.engine.begin() as conn:
            return insert_card(conn, card)

    # -- across groups (the Home tab, "where is this user banned?") ------------------------------

    def recent_events(self, limit: int = 20) -> list[ModerationEvent]:
        """The newest events of every group, newest first."""
        e = moderation_events
        with self.engine.begin() as conn:
            rows = conn.execute(select(e).order_by(e.c.id.desc()).limit(limit)).all()
        return [_event(row) for row in rows]

    def history_batches(
        self, *, guid: str | None = None, since: datetime | None = None, batch: int = 1000
    ) -> Iterator[list[ModerationEvent]]:
        """Every event (of `guid`, from `since`, when given), oldest first, `batch` at a time:
        each batch one short read (keyset on the id), so an export of a long history holds
        neither a transaction nor the whole history."""
        e = moderation_events
        after = 0
        while True:
            query = select(e).where(e.c.id > after)
            if guid is not None:
                query = query.where(e.c.guid == guid)
            if since is not None:
                query = query.where(e.c.at >= since)
            with self.engine.begin() as conn:
                rows = conn.execute(query.order_by(e.c.id).limit(batch)).all()
            if not rows:
                return
            events = [_event(row) for row in rows]
            yield events
            after = events[-1].id or after
            if len(rows) < batch:
                return

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
        # Counted by the database, one row per day and action: a month of a busy app is tens of
        # thousands of events, which need not cross the wire.
        with self.engine.begin() as conn:
            day: ColumnElement[Any] = (
                cast(func.timezone("UTC", e.c.at), Date)
                if conn.dialect.name == "postgresql"
                else func.date(e.c.at)  # SQLite keeps UTC text: date() reads its day
            )
            query = (
                select(day.label("day"), e.c.action, func.count())
                .where(e.c.at >= since, e.c.action.in_(kinds))
                .group_by(day, e.c.action)
            )
            counts: dict[date, list[int]] = {}
            for on, action, n in conn.execute(query):
                key = on if isinstance(on, date) else date.fromisoformat(on)
                counts.setdefault(key, [0, 0])[
                    0 if action == ModerationAction.BAN.value else 1
                ] += n
        return {day: (bans, unbans) for day, (bans, unbans) in sorted(counts.items())}

    def bans_of(self, uid: str) -> list[ModerationEvent]:
        """Every group where the history's latest word on `uid` is a ban: that ban, newest first."""
        return self._latest_states(uid, bans_only=True)

    def states_of(self, uid: str) -> dict[str, ModerationEvent]:
        """The history's latest ban, unban or expiry of `uid` in each group it knows, by guid."""
        return {event.guid: event for event in self._latest_states(uid, bans_only=False)}

    def record_all(self, events: Sequence[ModerationEvent]) -> list[ModerationEvent]:
        """`record` each event, all in one transaction: every one is kept, or none is."""
        self.replay()
        members = sorted({(event.guid, event.uid) for event in events})
        stored = []
        with ExitStack() as held:
            for guid, uid in members:  # always in this order: two callers never deadlock
                held.enter_context(self._locks.hold(guid, uid))
            with self.engine.begin() as conn:
                for guid, uid in members:
                    lock_in_database(conn, guid, uid)
                stored = [self._apply(conn, event) for event in events]
        for kept in stored:  # once committed: listeners (the Home tab) never see a rollback
            self._announce(kept)
        return stored

    def _apply(self, conn: Connection, event: ModerationEvent) -> ModerationEvent:
        """Insert `event` and apply its rule to the pending expiry."""
        kept = self._insert_event(conn, event)
        if event.source is EventSource.SCAN:
            pass  # a list read is no moderator's decision: it leaves the expiry be
        elif event.action is ModerationAction.BAN and event.ends_at is not None:
            _upsert_expiry(conn, event.guid, event.uid, event.ends_at, kept.id)
        elif event.action in (ModerationAction.BAN, ModerationAction.UNBAN):
            _delete_expiry(conn, event.guid, event.uid)
        return kept

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
        # In the member's queue, like every other change of them: nothing lands between the
        # check and the insert.
        with self._locks.hold(event.guid, event.uid), self.engine.begin() as conn:
            lock_in_database(conn, event.guid, event.uid)
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
        with self._one_read() as conn:
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
        with self.engine.begin() as conn:
            stored = self._finish(conn, expiry)
        if stored is not None:
            self._announce(stored)
        return stored

    def retry_expiry(self, expiry: PendingExpiry, at: datetime) -> bool:
        """The unban failed: release the claim and try again at `at`. False if the claim was
        lost meanwhile."""
        with self.engine.begin() as conn:
            return _retry(conn, expiry, at)

    def _finish(self, conn: Connection, expiry: PendingExpiry) -> ModerationEvent | None:
        p = pending_expiries
        gone = conn.execute(
            delete(p).where(p.c.guid == expiry.guid, p.c.uid == expiry.uid, _held(expiry))
        ).rowcount
        if not gone:
            return None
        name = ""
        if expiry.ban_id is not None:
            name = (
                conn.execute(
                    select(moderation_events.c.name).where(moderation_events.c.id == expiry.ban_id)
                ).scalar_one_or_none()
                or ""
            )
        return self._insert_event(
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

    # -- webhook deliveries --------------------------------------------------------------------

    def first_delivery(self, key: str, *, subject: str = "", ttl: timedelta = DELIVERY_TTL) -> bool:
        """True, and remembered, the first time `key` is seen within `ttl` by any process
        sharing this database; False for a repeat. Keys older than `ttl` are purged, and so are
        earlier keys about the same `subject` once a new one is seen: the same key again after
        another event about them is a new event, not a retry."""
        w = webhook_deliveries
        now = self._clock()
        digest = _digest(key)
        with self.engine.begin() as conn:
            conn.execute(delete(w).where(w.c.seen_at <= now - ttl))
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            # RETURNING, not rowcount: drivers need not count an INSERT's rows.
            added = conn.execute(
                dialect.insert(w)
                .values(key=digest, subject=_digest(subject) if subject else None, seen_at=now)
                .on_conflict_do_nothing(index_elements=[w.c.key])
                .returning(w.c.key)
            ).first()
            if added is not None and subject:
                conn.execute(delete(w).where(w.c.subject == _digest(subject), w.c.key != digest))
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


class MemberChange:
    """What one holder of a member's lock reads and writes (`ModerationStore.member`). On
    PostgreSQL all of it is one transaction; on SQLite each write is its own. A write that meets
    an unavailable database waits in the backlog, with every write after it (`queued`)."""

    def __init__(
        self, store: ModerationStore, guid: str, uid: str, conn: Connection | None, *, queue: bool
    ):
        self.guid, self.uid = guid, uid
        self._store = store
        self._conn = conn
        self._queue = queue  # False while replaying: a failure then leaves the backlog as it is
        self._writes: list[tuple[Apply, str]] = []  # this transaction's, to queue if it is lost
        self._stored: list[ModerationEvent] = []
        self.queued = False

    @property
    def stored(self) -> list[ModerationEvent]:
        """The events stored (committed), once the change is over."""
        return [] if self.queued and self._conn is not None else list(self._stored)

    def latest(self) -> ModerationEvent | None:
        """The latest ban, unban or expiry recorded for this member (its latest decision)."""
        return self.latest_of(_STATE_ACTIONS)

    def latest_of(self, actions: Sequence[str]) -> ModerationEvent | None:
        """The latest of these actions (their values) recorded for this member."""
        e = moderation_events
        query = (
            select(e)
            .where(e.c.guid == self.guid, e.c.uid == self.uid, e.c.action.in_(actions))
            .order_by(e.c.id.desc())
            .limit(1)
        )
        row = self._read(lambda conn: conn.execute(query).first())
        return _event(row) if row is not None else None

    def holds(self, expiry: PendingExpiry) -> bool:
        """Is this claim still on the row, and the ban it ends still the latest decision?"""
        p = pending_expiries
        query = select(p.c.claim).where(p.c.guid == self.guid, p.c.uid == self.uid)
        if self._read(lambda conn: conn.execute(query).scalar_one_or_none()) != expiry.claim:
            return False
        latest = self.latest()
        return expiry.ban_id is None or (latest is not None and latest.id == expiry.ban_id)

    def record(self, event: ModerationEvent) -> ModerationEvent | None:
        return self._write(
            lambda conn: self._store._apply(conn, event),
            lambda change: change.record(event),
            event.action.value,
        )

    def finish_expiry(self, expiry: PendingExpiry) -> ModerationEvent | None:
        return self._write(
            lambda conn: self._store._finish(conn, expiry),
            lambda change: change.finish_expiry(expiry),
            ModerationAction.EXPIRE.value,
        )

    def edit_case(
        self,
        number: int,
        *,
        actor: str,
        at: datetime,
        reason: str | None,
        ends_at: datetime | Keep | None,
    ) -> list[CaseEdit]:
        """Correct case `number` of this member (bot.store.cases.apply_edit), in one
        transaction, its pending expiry moved with it; the edits made."""

        def work(conn: Connection) -> list[CaseEdit]:
            row = conn.execute(
                select(moderation_events).where(
                    moderation_events.c.id == number,
                    moderation_events.c.guid == self.guid,
                    moderation_events.c.uid == self.uid,
                )
            ).first()
            if row is None:
                raise UnknownCase(number)
            return apply_edit(
                conn,
                _event(row),
                actor=actor,
                at=at,
                reason=reason,
                ends_at=ends_at,
                move_expiry=_move_expiry,
            )

        edits = self._write(
            work,
            lambda change: change.edit_case(
                number, actor=actor, at=at, reason=reason, ends_at=ends_at
            ),
            "case_edit",
        )
        return edits or []

    def retry_expiry(self, expiry: PendingExpiry, at: datetime) -> None:
        # Not worth keeping in the backlog: the claim's lease ends and the expiry is due again.
        self._read(lambda conn: _retry(conn, expiry, at))

    def lose(self) -> None:
        """The transaction did not commit: what it wrote waits in the backlog."""
        if self.queued or not self._queue:
            return
        self.queued = True
        for again, what in self._writes:
            self._store._backlog.add(self.guid, self.uid, again, what)

    def _read(self, work: Callable[[Connection], Any]) -> Any:
        if self._conn is not None:
            return work(self._conn)
        with self._store.engine.begin() as conn:
            return work(conn)

    def _write(self, work: Callable[[Connection], Any], again: Apply, what: str) -> Any:
        if self.queued:
            self._store._backlog.add(self.guid, self.uid, again, what)
            return None
        try:
            if self._conn is not None:
                self._writes.append((again, what))
                result = work(self._conn)
            else:
                with self._store.engine.begin() as conn:
                    result = work(conn)
        except Exception as exc:
            if not (self._queue and is_outage(exc)):
                raise
            if self._conn is None:
                self._writes = [(again, what)]
            self.lose()
            return None
        if isinstance(result, ModerationEvent):
            self._stored.append(result)
        return result


def _retry(conn: Connection, expiry: PendingExpiry, at: datetime) -> bool:
    p = pending_expiries
    return (
        conn.execute(
            update(p)
            .where(p.c.guid == expiry.guid, p.c.uid == expiry.uid, _held(expiry))
            .values(due_at=at, claim=None, claimed_until=None)
        ).rowcount
        > 0
    )


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


def _move_expiry(conn: Connection, ban: ModerationEvent, ends_at: datetime | None) -> None:
    """A ban's end corrected: its pending expiry follows. Replacing the row drops any claim on
    it, so an expiry claimed for the old end finds its claim gone (under the member's lock)
    and sends nothing."""
    if ends_at is None:
        _delete_expiry(conn, ban.guid, ban.uid)
    else:
        _upsert_expiry(conn, ban.guid, ban.uid, ends_at, ban.id)


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


# Built once: on every page of the list, building the statement and binding each uid cost
# more than running it (the uids travel as one expanding parameter instead).
_LATEST_BANS = (
    select(moderation_events)
    .where(
        moderation_events.c.guid == bindparam("guid"),
        moderation_events.c.uid.in_(bindparam("uids", expanding=True)),
        moderation_events.c.action == ModerationAction.BAN.value,
    )
    .order_by(moderation_events.c.id.desc())
)


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
