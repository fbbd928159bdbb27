import logging

import pytest

from bot.settings import ConfigError
from bot.store import build_engine, database_url
from bot.web.startup import configure_process_logging, warn_ephemeral_database
from tests.conftest import make_settings


@pytest.mark.parametrize(
    "raw",
    ["postgres://bot:pw@db.example:5432/banned", "postgresql://bot:pw@db.example:5432/banned"],
)
def test_heroku_and_standard_postgres_urls_both_use_psycopg(raw):
    url = database_url(raw)
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.password) == ("db.example", 5432, "banned", "pw")


def test_unset_means_an_sqlite_file_whose_folder_is_created_on_first_use(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert str(database_url("")) == "sqlite:///var/banned.sqlite3"
    engine = build_engine("")
    try:
        with engine.connect():
            pass
    finally:
        engine.dispose()
    assert (tmp_path / "var" / "banned.sqlite3").exists()


def test_an_unknown_scheme_is_refused_without_echoing_the_url():
    with pytest.raises(ConfigError) as caught:
        make_settings(database_url="mysql://root:hunter2secret@db/x")
    (problem,) = caught.value.problems
    assert problem.startswith("DATABASE_URL: must start with postgres://")
    assert "hunter2secret" not in problem


def test_the_database_is_named_in_logs_without_its_password():
    settings = make_settings(database_url="postgres://bot:hunter2secret@db.example/banned")
    assert settings.database_url_for_log == "postgres://db.example/banned"
    assert "hunter2secret" not in repr(settings)


def test_the_password_is_redacted_from_any_log_line(capsys):
    settings = make_settings(database_url="postgres://bot:hunter2secret@db.example/banned")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_process_logging(settings)
        logging.getLogger("bot.test").warning("connect failed: password hunter2secret rejected")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    out = capsys.readouterr().out
    assert "rejected" in out and "hunter2secret" not in out


def test_sqlite_on_a_dyno_warns_at_start_up(caplog):
    with caplog.at_level(logging.WARNING):
        warn_ephemeral_database(make_settings(database_url=""), {"DYNO": "web.1"})
        warn_ephemeral_database(
            make_settings(database_url="postgres://db.example/banned"), {"DYNO": "web.1"}
        )
        warn_ephemeral_database(make_settings(database_url=""), {})
    (record,) = caplog.records
    assert "database_ephemeral" in record.getMessage()
    assert "wiped on every restart" in record.getMessage()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("", "sqlite:var/banned.sqlite3"),  # the default: a file under the working directory
        ("sqlite:///data/bot.sqlite3", "sqlite:data/bot.sqlite3"),
        ("sqlite:////srv/bot.sqlite3", "sqlite:/srv/bot.sqlite3"),
        ("sqlite:///var/x.sqlite3?mode=ro", "sqlite:var/x.sqlite3"),
    ],
)
def test_an_sqlite_file_is_named_by_its_path_relative_or_absolute_as_it_is(url, shown):
    assert make_settings(database_url=url).database_url_for_log == shown
