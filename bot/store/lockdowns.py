"""Groups locked down: the permissions to put back, and who puts them back. A lockdown's end is
claimed like an expiry (a conditional UPDATE: one caller wins in every process, on SQLite and
PostgreSQL alike); the row goes, with the end's record, in one transaction once CometChat has
put the permissions back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, or_, select, update

from bot.store.tables import lockdowns

# How long a claimed end is this process's: longer than one CometChat write can take.
LOCKDOWN_LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Lockdown:
    guid: str
    scope: str
    previous: dict[str, Any]
    actor: str
    reason: str
    started_at: datetime
    ends_at: datetime
    claim: str | None = None


def _lockdown(row: Any) -> Lockdown:
    return Lockdown(
        guid=row.guid,
        scope=row.scope,
        previous=json.loads(row.previous),
        actor=row.actor,
        reason=row.reason,
        started_at=row.started_at,
        ends_at=row.ends_at,
        claim=row.claim,
    )


class Lockdowns:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]):
        self.engine = engine
        self._clock = clock

    def current(self, guid: str) -> Lockdown | None:
        with self.engine.begin() as conn:
            row = conn.execute(select(lockdowns).where(lockdowns.c.guid == guid)).first()
        return _lockdown(row) if row is not None else None

    @staticmethod
    def begin(conn: Connection, lockdown: Lockdown) -> None:
        """Keep a new lockdown, in the caller's transaction (IntegrityError: the group has
        one)."""
        conn.execute(
            insert(lockdowns).values(
                guid=lockdown.guid,
                scope=lockdown.scope,
                previous=json.dumps(lockdown.previous, sort_keys=True),
                actor=lockdown.actor,
                reason=lockdown.reason,
                started_at=lockdown.started_at,
                ends_at=lockdown.ends_at,
            )
        )

    def claim(
        self, guid: str, *, due_only: bool, lease: timedelta = LOCKDOWN_LEASE
    ) -> Lockdown | None:
        """Take the group's lockdown for ending, for this caller alone: when it is due
        (`due_only`), or at once (a moderator lifts it). None when someone else holds it, it
        is not due, or there is none."""
        now = self._clock()
        token = str(uuid.uuid4())
        x = lockdowns
        free = or_(x.c.claim.is_(None), x.c.claimed_until < now)
        where = [x.c.guid == guid, free]
        if due_only:
            where.append(x.c.ends_at <= now)
        with self.engine.begin() as conn:
            won = conn.execute(
                update(x).where(*where).values(claim=token, claimed_until=now + lease)
            ).rowcount
            row = conn.execute(select(x).where(x.c.guid == guid)).first() if won else None
        return _lockdown(row) if row is not None else None

    def due(self, *, limit: int = 20) -> list[str]:
        """Groups whose lockdown has come to its end and nobody holds, soonest first."""
        now = self._clock()
        x = lockdowns
        query = (
            select(x.c.guid)
            .where(x.c.ends_at <= now, or_(x.c.claim.is_(None), x.c.claimed_until < now))
            .order_by(x.c.ends_at)
            .limit(limit)
        )
        with self.engine.begin() as conn:
            return list(conn.execute(query).scalars())

    def release(self, guid: str, claim: str) -> None:
        """CometChat did not put the permissions back: the end is due again at once."""
        with self.engine.begin() as conn:
            conn.execute(
                update(lockdowns)
                .where(lockdowns.c.guid == guid, lockdowns.c.claim == claim)
                .values(claim=None, claimed_until=None)
            )

    @staticmethod
    def finish(conn: Connection, guid: str, claim: str) -> bool:
        """Remove the ended lockdown, in the caller's transaction, if the claim still holds."""
        x = lockdowns
        return conn.execute(delete(x).where(x.c.guid == guid, x.c.claim == claim)).rowcount == 1
