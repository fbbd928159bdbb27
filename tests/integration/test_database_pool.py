"""Workers and connections fit the plan: each web worker's pool is its share of the database's
connections by WEB_CONCURRENCY, with room for the release phase and a one-off `heroku run`; a
share below one connection, or SQLite with more than one worker, stops start-up in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy.exc

from bot.domain.errors import StartupError
from bot.services import build_services, build_store
from bot.settings import ConfigError
from bot.store import build_engine, pool_for_workers
from bot.store.engine import ESSENTIAL_0_CONNECTIONS, RESERVED_CONNECTIONS
from tests.conftest import make_settings
from tests.support.databases import fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]
# WEB_CONCURRENCY as Heroku's Python buildpack sets it by dyno size (its WEB_CONCURRENCY.sh:
# the lower of 2 x cores + 1 and MB / 256), and 1 where it is unset.
DYNO_WORKERS = {"unset": 1, "basic": 2, "standard-2x": 4, "performance-m": 5, "performance-l": 17}


@pytest.mark.parametrize("workers", DYNO_WORKERS.values(), ids=DYNO_WORKERS.keys())
def test_every_workers_pool_fits_essential_0_beside_a_release_and_a_one_off(workers):
    pool = pool_for_workers(workers, ESSENTIAL_0_CONNECTIONS)
    assert pool.size >= 1 and pool.overflow >= 0
    assert workers * pool.most + RESERVED_CONNECTIONS <= ESSENTIAL_0_CONNECTIONS
    # And no connection is left unused that a worker could have had.
    assert workers * (pool.most + 1) + RESERVED_CONNECTIONS > ESSENTIAL_0_CONNECTIONS


def test_a_basic_dyno_runs_two_workers_of_nine_connections_each():
    pool = pool_for_workers(2, 20)
    assert (pool.size, pool.overflow) == (4, 5)  # 2 x 9 + 2 = 20


def test_more_workers_than_connections_stops_start_up_naming_both_settings():
    with pytest.raises(StartupError) as caught:
        pool_for_workers(19, 20)
    line = str(caught.value)
    assert "\n" not in line
    assert "WEB_CONCURRENCY=19" in line and "DATABASE_CONNECTIONS=20" in line


def test_the_services_refuse_a_pool_that_cannot_fit_before_any_request():
    settings = make_settings(
        database_url="postgresql://bot@127.0.0.1:1/none",
        web_concurrency=10,
        database_connections=11,
        slack_api_url="http://127.0.0.1:1/api/",  # never reached: refused before
    )
    with pytest.raises(StartupError, match="WEB_CONCURRENCY=10"):
        build_services(settings)


def test_a_workers_engine_holds_no_more_than_its_share():
    with fresh_postgres_database() as url:
        store = build_store(make_settings(database_url=url, web_concurrency=2))
        assert store.engine.pool.size() == 4  # kept open; the overflow is opened on demand
        store.engine.dispose()
        # The same share, with a short wait: nine connections at once, and the tenth waits for
        # one of them (nobody returns one here, so it times out).
        engine = build_engine(url, pool=pool_for_workers(2, 20), pool_timeout=0.2)
        held = []
        try:
            held = [engine.connect() for _ in range(9)]
            with pytest.raises(sqlalchemy.exc.TimeoutError):
                engine.connect()
        finally:
            for conn in held:
                conn.close()
            engine.dispose()


# -- SQLite is for one process ----------------------------------------------------------------


def test_sqlite_with_two_workers_is_refused_in_one_line_saying_what_to_set(tmp_path):
    for database in ("", f"sqlite:///{tmp_path}/bot.sqlite3"):
        with pytest.raises(ConfigError) as caught:
            make_settings(database_url=database, web_concurrency=2)
        (problem,) = caught.value.problems
        assert problem.startswith("WEB_CONCURRENCY: 2 worker processes cannot share an SQLite")
        assert "set DATABASE_URL to PostgreSQL, or WEB_CONCURRENCY=1" in problem


def test_one_worker_on_sqlite_and_several_on_postgres_start(tmp_path):
    assert make_settings(database_url=f"sqlite:///{tmp_path}/b.sqlite3").web_concurrency == 1
    postgres = make_settings(database_url="postgres://bot@db.example/banned", web_concurrency=4)
    assert postgres.web_concurrency == 4


def test_the_gunicorn_master_refuses_sqlite_with_workers_before_binding(tmp_path):
    """The Procfile's web line, as Heroku runs it on a Basic dyno (WEB_CONCURRENCY=2) without
    Postgres: the master stops on reading its config, before it binds or forks."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "COMETCHAT_APP_ID": "app",
        "COMETCHAT_API_KEY": "key",
        "WEB_CONCURRENCY": "2",
        "PORT": "1",  # never bound
    }
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")],
        cwd=tmp_path,  # no .env of the developer's
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if "WEB_CONCURRENCY" in line]
    assert len(lines) == 1, done.stderr
    assert "cannot share an SQLite file" in lines[0] and "DATABASE_URL" in lines[0]
