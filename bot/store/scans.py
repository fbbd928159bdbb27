"""When each uid was last scanned to the end, in the shared database: a lookup soon after, in
any process, answers from the history that scan brought up to date."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.tables import recent_scans


class RecentScans:
    def __init__(self, engine: Engine):
        self._engine = engine

    def scanned(self, uid: str, at: datetime, *, keep: timedelta) -> None:
        """Remember the scan of `uid`; scans older than `keep` are forgotten."""
        r = recent_scans
        with self._engine.begin() as conn:
            conn.execute(delete(r).where(r.c.scanned_at < at - keep))
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(r).values(uid=uid, scanned_at=at)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[r.c.uid], set_={"scanned_at": statement.excluded.scanned_at}
                )
            )

    def last_scan(self, uid: str) -> datetime | None:
        r = recent_scans
        with self._engine.begin() as conn:
            return conn.execute(select(r.c.scanned_at).where(r.c.uid == uid)).scalar_one_or_none()
