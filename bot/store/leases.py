"""Work leases in the shared database: the slots of `bot.domain.slots`, counted by every process.

No lock is taken: a lease is a row whose primary key is (kind, slot number below the limit) and
whose unique key is (kind, person), so two processes taking the last slot, or one person clicking
in two workers at once, meet a key conflict and exactly one insert wins, on PostgreSQL as on
SQLite. Leases past their `expires_at` are removed before each attempt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.domain.slots import Denied
from bot.store.repository import utc_now
from bot.store.tables import work_leases


class WorkLeases:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now):
        self._engine = engine
        self._clock = clock

    def take(self, kind: str, person: str, *, limit: int, ttl: timedelta) -> str | Denied:
        w = work_leases
        now = self._clock()
        token = str(uuid.uuid4())
        with self._engine.begin() as conn:
            conn.execute(delete(w).where(w.c.kind == kind, w.c.expires_at <= now))
            mine = select(w.c.slot).where(w.c.kind == kind, w.c.person == person)
            if conn.execute(mine).first() is not None:
                return Denied.RUNNING
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            for slot in range(limit):
                won = conn.execute(
                    dialect.insert(w)
                    .values(kind=kind, slot=slot, person=person, holder=token, expires_at=now + ttl)
                    .on_conflict_do_nothing()
                    .returning(w.c.slot)
                ).first()
                if won is not None:
                    return token
            # Another process may have taken this person's lease meanwhile: say so rather than busy.
            return Denied.RUNNING if conn.execute(mine).first() is not None else Denied.BUSY

    def release(self, kind: str, person: str, token: str) -> None:
        """Give the lease back; a lease that ran out and went to someone else is left alone."""
        w = work_leases
        with self._engine.begin() as conn:
            conn.execute(
                delete(w).where(w.c.kind == kind, w.c.person == person, w.c.holder == token)
            )

    def held(self, kind: str) -> int:
        w = work_leases
        query = select(func.count()).where(w.c.kind == kind, w.c.expires_at > self._clock())
        with self._engine.begin() as conn:
            return int(conn.execute(query).scalar_one())
