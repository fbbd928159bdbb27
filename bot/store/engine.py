"""The one SQLAlchemy `Engine` a process uses, built from DATABASE_URL.

Heroku Postgres hands out `postgres://…`, which SQLAlchemy no longer accepts: both spellings go to
psycopg (v3). Unset means an SQLite file under var/, created on first use, for one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from bot.domain.errors import StartupError
from bot.settings import DEFAULT_DATABASE_URL

# Connections kept free beside the web workers' pools: one for the release phase (`python -m bot
# migrate`) and one for a one-off `heroku run python -m bot …` (a command uses one at a time).
RESERVED_CONNECTIONS = 2
# Heroku Postgres essential-0, the smallest plan the README recommends (and app.json adds).
ESSENTIAL_0_CONNECTIONS = 20


@dataclass(frozen=True)
class PoolSize:
    """One worker's SQLAlchemy pool: `size` connections kept open, `overflow` more at busy
    times (opened on demand and closed when returned)."""

    size: int
    overflow: int

    @property
    def most(self) -> int:
        return self.size + self.overflow


def pool_for_workers(workers: int, connections: int) -> PoolSize:
    """Each of `workers` processes (WEB_CONCURRENCY) gets an equal share of the `connections`
    the database plan allows (DATABASE_CONNECTIONS), less the reserved ones:

        share = (connections - RESERVED_CONNECTIONS) // workers
        pool_size = max(1, share // 2);  max_overflow = share - pool_size

    so workers * share + RESERVED_CONNECTIONS <= connections. Raises StartupError when not even
    one connection per worker fits."""
    share = (connections - RESERVED_CONNECTIONS) // max(workers, 1)
    if share < 1:
        raise StartupError(
            f"WEB_CONCURRENCY={workers} workers need at least {workers + RESERVED_CONNECTIONS} "
            f"database connections (one each, {RESERVED_CONNECTIONS} kept for the release phase "
            f"and a one-off `heroku run`), but DATABASE_CONNECTIONS={connections}: lower "
            "WEB_CONCURRENCY, or use a bigger database plan and raise DATABASE_CONNECTIONS"
        )
    size = max(1, share // 2)
    return PoolSize(size=size, overflow=share - size)


def database_url(raw: str) -> URL:
    """DATABASE_URL as SQLAlchemy wants it: `postgres(ql)://` -> `postgresql+psycopg://`."""
    url = make_url(raw.strip() or DEFAULT_DATABASE_URL)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def build_engine(raw_url: str, *, pool: PoolSize | None = None, **kwargs: Any) -> Engine:
    """An Engine for DATABASE_URL. For SQLite: the file's directory is created, and every
    transaction takes the write lock at BEGIN, so two threads' read-then-write units of work queue
    up instead of one failing with 'database is locked'. For PostgreSQL: `pool` bounds the
    connections (a web worker's share, `pool_for_workers`); unset, one process's alone on the
    database (a command, a test): `pool_for_workers(1, 20)`."""
    url = database_url(raw_url)
    if is_sqlite(url):
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _begin_immediate(engine)
        return engine
    pool = pool or pool_for_workers(1, ESSENTIAL_0_CONNECTIONS)
    kwargs.setdefault("pool_size", pool.size)
    kwargs.setdefault("max_overflow", pool.overflow)
    # A connection dropped by the server (a Heroku Postgres maintenance) is replaced, not used.
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _begin_immediate(engine: Engine) -> None:
    # SQLAlchemy's documented recipe: let SQLAlchemy, not the sqlite3 module, emit BEGIN.
    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
