"""Alembic's environment: run against the connection `bot.store.migrate` hands over, or, from the
`alembic` command line, against DATABASE_URL."""

from __future__ import annotations

from alembic import context

from bot.settings import DatabaseSettings
from bot.store.engine import build_engine
from bot.store.tables import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = build_engine(DatabaseSettings().database_url.get_secret_value())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        compare_type=True,
        # SQLite alters a table by copying it: Alembic's batch mode does that.
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run `python -m bot migrate`")
run_migrations()
