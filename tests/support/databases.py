"""Databases for the store's tests: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

Each run creates its own PostgreSQL database (`banned_test_<random>`) and drops it at the end, so
runs never see each other's rows. Under CI (`CI` set) a missing or unreachable PostgreSQL fails
the run instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.store import ModerationStore, build_engine, database_url
from bot.store.migrate import upgrade
from bot.store.tables import metadata
from tests.support.clock import UtcClock

BACKENDS = ["sqlite", "postgresql"]


def _postgres_server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI is set but TEST_DATABASE_URL is not: PostgreSQL tests would not run")
        return None
    return url


@contextmanager
def own_postgres_database(server: str, prefix: str = "banned_test") -> Iterator[str]:
    """A new, empty database `<prefix>_<random>` on `server`'s PostgreSQL, dropped afterwards:
    nothing is written into the database `server` names. Raises if the server is unusable."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        admin.dispose()
        raise
    try:
        yield database_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on TEST_DATABASE_URL's server; dropped afterwards."""
    server = _postgres_server_url()
    if server is None:
        pytest.skip("TEST_DATABASE_URL is not set (PostgreSQL tests run when it is)")
    with ExitStack() as stack:
        try:
            url = stack.enter_context(own_postgres_database(server))
        except Exception as exc:
            # Set but unreachable is a broken set-up, CI or not: never a silent skip.
            pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unusable: {exc}")
        yield url


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a new, empty database of `backend`."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / (uuid.uuid4().hex + '.sqlite3')}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One migrated database per backend for the whole run: (backend, url)."""
    backend = request.param
    with fresh_database(backend, tmp_path_factory.mktemp("db")) as url:
        engine = build_engine(url)
        upgrade(engine)
        engine.dispose()
        yield backend, url


@pytest.fixture
def engines(database) -> Iterator[Callable[[], Engine]]:
    """Makes engines on the run's database, each with its own pool (as two processes would
    have); every table is emptied before the test."""
    _backend, url = database
    made: list[Engine] = []

    def make() -> Engine:
        engine = build_engine(url)
        made.append(engine)
        return engine

    first = make()
    with first.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def engine(engines: Callable[[], Engine]) -> Engine:
    return engines()


@pytest.fixture
def clock() -> UtcClock:
    """The store's clock, moved by the test."""
    return UtcClock()


@pytest.fixture
def store(engine: Engine, clock: UtcClock) -> ModerationStore:
    return ModerationStore(engine, clock=clock)


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"
