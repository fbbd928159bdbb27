"""The one SQLAlchemy `Engine` a process uses, built from DATABASE_URL.

Heroku Postgres hands out `postgres://…`, which SQLAlchemy no longer accepts: both spellings go to
psycopg (v3). Unset means an SQLite file under var/, created on first use, for one process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from bot.settings import DEFAULT_DATABASE_URL

# Connections a process keeps: the scheduler, a webhook, a few list pages at once.
POOL_SIZE = 5
MAX_OVERFLOW = 10


def database_url(raw: str) -> URL:
    """DATABASE_URL as SQLAlchemy wants it: `postgres(ql)://` -> `postgresql+psycopg://`."""
    url = make_url(raw.strip() or DEFAULT_DATABASE_URL)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def build_engine(raw_url: str, **kwargs: Any) -> Engine:
    """An Engine for DATABASE_URL. For SQLite: the file's directory is created, and every
    transaction takes the write lock at BEGIN, so two threads' read-then-write units of work queue
    up instead of one failing with 'database is locked'."""
    url = database_url(raw_url)
    if is_sqlite(url):
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _begin_immediate(engine)
        return engine
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", MAX_OVERFLOW)
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
