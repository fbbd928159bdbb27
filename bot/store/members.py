"""One path for every change of one member's state (a group and a user): the bot's decisions,
what webhooks report and the end of a temporary ban queue up behind each other.

`MemberLocks` is the queue within a process; on PostgreSQL a transaction-scoped advisory lock on
the member, held from the first check to the commit, is the queue across processes (SQLite is
for one process, and holding its single write lock over a CometChat call would stall every
other member). What a change could not store while the database was unavailable waits in the
`Backlog`, in order, and is stored before anything else once the database answers again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.logs import kv

log = logging.getLogger("bot.store")

# Changes kept while the database is unavailable; past this the oldest are dropped (and logged).
BACKLOG_LIMIT = 10_000

# What a change does, given the store's `MemberChange` (kept to replay it after an outage).
Apply = Callable[[Any], Any]


def is_outage(exc: BaseException) -> bool:
    """The database could not be reached or went away: worth trying again later, unlike a
    statement the database refused."""
    if isinstance(exc, OperationalError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def advisory_key(guid: str, uid: str) -> int:
    """A signed 64-bit key for `pg_advisory_xact_lock`, the same in every process."""
    digest = hashlib.sha256(f"{guid}\0{uid}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_in_database(conn: Connection, guid: str, uid: str) -> None:
    """Wait for, then hold until the transaction ends, this member's lock (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(advisory_key(guid, uid))))


class MemberLocks:
    """One re-entrant lock per member in this process, forgotten when nobody holds or awaits it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], list[Any]] = {}  # [RLock, users]

    @contextmanager
    def hold(self, guid: str, uid: str) -> Iterator[None]:
        key = (guid, uid)
        with self._guard:
            entry = self._locks.setdefault(key, [threading.RLock(), 0])
            entry[1] += 1
        lock = entry[0]
        try:
            if not lock.acquire(blocking=False):
                # Another change of this member is in flight (an expiry's unban, a moderator's
                # click): this one goes after it.
                log.info(kv(event="member_busy", guid=guid, uid=uid))
                lock.acquire()
            try:
                yield
            finally:
                lock.release()
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]


@dataclass(frozen=True)
class Pending:
    guid: str
    uid: str
    apply: Apply
    what: str  # for the log


class Backlog:
    """Changes made while the database was unavailable, oldest first, in this process only."""

    def __init__(self, limit: int = BACKLOG_LIMIT):
        self._items: deque[Pending] = deque()
        self._limit = limit
        self._guard = threading.Lock()
        # One replay at a time, and a change waits for it: stored order is decision order.
        self.replaying = threading.Lock()

    def add(self, guid: str, uid: str, apply: Apply, what: str) -> None:
        with self._guard:
            self._items.append(Pending(guid, uid, apply, what))
            dropped = self._items.popleft() if len(self._items) > self._limit else None
        log.warning(kv(event="history_queued", what=what, guid=guid, uid=uid, queued=len(self)))
        if dropped is not None:
            log.error(
                kv(event="history_dropped", what=dropped.what, guid=dropped.guid, uid=dropped.uid)
            )

    def first(self) -> Pending | None:
        with self._guard:
            return self._items[0] if self._items else None

    def done(self, item: Pending) -> None:
        with self._guard:
            if self._items and self._items[0] is item:
                self._items.popleft()

    def __len__(self) -> int:
        with self._guard:
            return len(self._items)
