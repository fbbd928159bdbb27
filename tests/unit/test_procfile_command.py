"""`python -m bot serve` starts the web server with the Procfile's own `web:` line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.domain.errors import StartupError
from bot.web.server import exec_gunicorn, procfile_command

ROOT = Path(__file__).resolve().parents[2]


def test_the_web_line_runs_gunicorn_with_this_interpreter_and_the_config_beside_the_procfile():
    argv = procfile_command(ROOT)

    assert argv[:3] == [sys.executable, "-m", "gunicorn"]
    assert argv[3:] == ["--config", "gunicorn.conf.py"]
    assert (ROOT / argv[-1]).is_file()  # named relative to the folder the server starts in


def test_the_release_line_runs_the_migration_with_this_interpreter():
    assert procfile_command(ROOT, "release") == [sys.executable, "-m", "bot", "migrate"]


def test_a_folder_without_a_procfile_is_refused_in_words(tmp_path):
    with pytest.raises(StartupError) as refused:
        exec_gunicorn(tmp_path)
    assert str(refused.value).startswith(f"no Procfile in {tmp_path}: run it from the project")


def test_a_procfile_without_a_web_line_is_refused_in_words(tmp_path):
    (tmp_path / "Procfile").write_text("worker: python -m bot serve\n")
    with pytest.raises(StartupError, match=r"Procfile has no web: line"):
        exec_gunicorn(tmp_path)
