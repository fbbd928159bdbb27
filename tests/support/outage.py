"""Real database outages for tests, on a database the test owns.

PostgreSQL: the database stops accepting connections and the bot's are cut
(`pg_terminate_backend`), as in a failover. SQLite: another connection holds the file's exclusive
lock, so every read and write fails with "database is locked" once the bot's short busy timeout
(`?timeout=` in its URL, see `sqlite_url`) runs out.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.store import build_engine, database_url
from bot.store.migrate import upgrade
from tests.support.databases import fresh_database

# How long the bot's SQLite connection waits for a lock before it fails, during these tests.
SQLITE_BUSY_SECONDS = 0.2


class Outage:
    def __init__(self, url: str):
        self.url = url
        self._sqlite: sqlite3.Connection | None = None

    def start(self) -> None:
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite":
            self._sqlite = sqlite3.connect(str(parsed.database), isolation_level=None)
            self._sqlite.execute("BEGIN EXCLUSIVE")
            return
        with _admin(self.url) as admin:
            name = parsed.database
            admin.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )

    def end(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("ROLLBACK")
            self._sqlite.close()
            self._sqlite = None
            return
        with _admin(self.url) as admin:
            admin.execute(
                text(f'ALTER DATABASE "{make_url(self.url).database}" ALLOW_CONNECTIONS true')
            )


@contextmanager
def _admin(url: str) -> Iterator:
    # The server's own maintenance database: the one being cut off cannot be used to restore it.
    server = os.environ["TEST_DATABASE_URL"]
    engine = create_engine(database_url(server), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@contextmanager
def own_database(backend: str, folder: Path) -> Iterator[str]:
    """A migrated database of `backend` for one test (its outage touches no other test)."""
    with fresh_database(backend, folder) as url:
        if backend == "sqlite":
            url = f"{url}?timeout={SQLITE_BUSY_SECONDS}"
        engine = build_engine(url)
        upgrade(engine)
        engine.dispose()
        outage = Outage(url)
        try:
            yield url
        finally:
            if backend == "postgresql":
                outage.end()  # in case the test stopped mid-outage: the drop needs to connect
