"""Alembic's revisions build exactly the schema bot/store/tables.py describes (`alembic check`),
from an empty database, on each backend; `python -m bot migrate` runs them."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from bot.__main__ import main
from bot.store import build_engine
from bot.store.migrate import current_revision, head_revision, schema_differences, upgrade
from bot.store.tables import metadata
from tests.support.databases import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    with fresh_database(request.param, tmp_path) as url:
        yield url


def test_migrations_upgrade_an_empty_database_to_the_models(empty_database):
    engine = build_engine(empty_database)
    try:
        assert current_revision(engine) is None
        assert schema_differences(engine)  # empty: everything missing

        upgrade(engine)

        assert current_revision(engine) == head_revision()
        assert schema_differences(engine) == []
        tables = set(inspect(engine).get_table_names())
        assert set(metadata.tables) <= tables
        upgrade(engine)  # again: nothing to do, nothing breaks
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_python_m_bot_migrate_needs_only_the_database_url(
    empty_database, monkeypatch, capsys, tmp_path
):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "COMETCHAT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", empty_database)

    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0

    out = capsys.readouterr().out
    assert "migrated from an empty database" in out
    assert "already at revision" in out


def test_migrate_refuses_a_url_it_cannot_use_without_printing_it(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "mysql://root:hunter2secret@db/x")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL" in err and "hunter2secret" not in err


def test_migrate_reports_an_unreachable_database_by_host_only(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgres://bot:hunter2secret@127.0.0.1:1/banned")
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert "127.0.0.1" in err and "hunter2secret" not in err
