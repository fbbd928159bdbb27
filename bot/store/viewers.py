"""Who has the Home tab open, in the shared database: whichever process records an event
refreshes every viewer, not only those who opened the tab through it.

Each claim is a conditional UPDATE, so when two processes record events at once, only one of
them publishes a given viewer's refresh (or schedules the deferred one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.tables import home_viewers


@dataclass(frozen=True)
class Refreshes:
    """Whom to publish now, and whom later: (person, when their minute is up)."""

    now: list[str]
    later: list[tuple[str, datetime]]


class HomeViewers:
    def __init__(self, engine: Engine):
        self._engine = engine

    def opened(self, person: str, at: datetime) -> None:
        v = home_viewers
        values = {"person": person, "opened_at": at, "published_at": at, "deferred_at": None}
        with self._engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(v).values(**values)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[v.c.person],
                    set_={"opened_at": at, "published_at": at},
                )
            )

    def published(self, person: str, at: datetime) -> None:
        """`person`'s view was (or is about to be) published at `at`."""
        v = home_viewers
        with self._engine.begin() as conn:
            conn.execute(update(v).where(v.c.person == person).values(published_at=at))

    def claim_refreshes(self, now: datetime, *, window: timedelta, every: timedelta) -> Refreshes:
        """An event was recorded at `now`: viewers who opened the tab within `window` and were
        last published `every` ago or more are claimed for a refresh now; the others, once each,
        for a deferred one when their `every` is up. Viewers past `window` are forgotten."""
        v = home_viewers
        due, later = [], []
        with self._engine.begin() as conn:
            conn.execute(delete(v).where(v.c.opened_at < now - window))
            rows = conn.execute(select(v.c.person, v.c.published_at)).all()
            for person, published_at in rows:
                if published_at is None or now - published_at >= every:
                    ready = or_(v.c.published_at.is_(None), v.c.published_at <= now - every)
                    claimed = conn.execute(
                        update(v)
                        .where(v.c.person == person, ready)
                        .values(published_at=now, deferred_at=None)
                    ).rowcount
                    if claimed:
                        due.append(person)
                    continue
                claimed = conn.execute(
                    update(v)
                    .where(v.c.person == person, v.c.deferred_at.is_(None))
                    .values(deferred_at=now)
                ).rowcount
                if claimed:
                    later.append((person, published_at + every))
        return Refreshes(due, later)

    def claim_deferred(self, person: str, now: datetime) -> bool:
        """The deferred refresh of `person` is due: True if it must still be published (nothing
        was published since the event it waits for)."""
        v = home_viewers
        with self._engine.begin() as conn:
            row = conn.execute(
                select(v.c.published_at, v.c.deferred_at).where(v.c.person == person)
            ).first()
            if row is None or row.deferred_at is None:
                return False
            stale = row.published_at is None or row.published_at <= row.deferred_at
            taken = conn.execute(
                update(v)
                .where(v.c.person == person, v.c.deferred_at == row.deferred_at)
                .values(deferred_at=None, **({"published_at": now} if stale else {}))
            ).rowcount
        return bool(taken) and stale
