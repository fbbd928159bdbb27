"""The operator's documents say what the code does: `.env.example`, app.json's `env` and the
settings table of docs/operations.md are produced from the `Settings` field descriptions; the
usage text, the manifest's usage hint and the command table of docs/moderators.md from the command
grammar. Each copy in the repository must be what `python -m bot docs --write` would write."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from pydantic import Field

from bot.cli import docs
from bot.domain.actions import ACTIONS, COMMAND_VERBS
from bot.domain.command import BanUser, ModerateUser, parse_command
from bot.domain.grammar import FORMS, action_syntax, usage_hint
from bot.domain.moderation import ModerationAction
from bot.settings import Settings
from bot.slack.text import escape
from bot.slack.usage import USAGE

ROOT = Path(__file__).resolve().parents[2]


def test_every_document_is_what_its_source_produces():
    stale = docs.stale(ROOT)
    assert not stale, f"out of date: {sorted(stale)}; run `python -m bot docs --write`"


def test_every_setting_is_described():
    # A description is all a new setting needs; doc(…) places it (else: "Other settings").
    described = docs.settings_docs()
    assert {d.name for d in described} == {name.upper() for name in Settings.model_fields}
    assert all(d.description for d in described)


def test_every_setting_is_in_each_document():
    env_example = (ROOT / ".env.example").read_text()
    reference = (ROOT / "docs" / "operations.md").read_text()
    app_env = json.loads((ROOT / "app.json").read_text())["env"]
    for setting in docs.settings_docs():
        assert re.search(rf"^#? ?{setting.name}=", env_example, re.M), setting.name
        assert f"| `{setting.name}` |" in reference, setting.name
        assert (setting.name in app_env) is setting.deploy, setting.name


class _WithANewSetting(Settings):
    history_retention_days_test: int = Field(365, ge=1, description="Days an event is kept.")


class _WithAnUndescribedSetting(Settings):
    sentry_dsn: str = ""


def _copy_documents(to: Path) -> None:
    for name in docs.DOCUMENTS:
        (to / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, to / name)


def test_a_new_setting_is_its_description_and_a_regeneration(tmp_path, monkeypatch, capsys):
    _copy_documents(tmp_path)
    monkeypatch.setattr(docs, "Settings", _WithANewSetting)

    assert docs.main([], root=tmp_path) == 1
    complaint = capsys.readouterr().err
    for name in (".env.example", "app.json", "docs/operations.md"):
        assert f"{name} is out of date" in complaint
    for name in ("manifest.yml", "docs/moderators.md", "docs/architecture.md"):
        assert name not in complaint

    assert docs.main(["--write"], root=tmp_path) == 0
    assert docs.main([], root=tmp_path) == 0
    env_example = (tmp_path / ".env.example").read_text()
    assert "# --- Other settings ---\n# Days an event is kept.\n" in env_example
    assert "# HISTORY_RETENTION_DAYS_TEST=365" in env_example
    assert "Optional. Days an event is kept." in (tmp_path / "app.json").read_text()
    reference = (tmp_path / "docs" / "operations.md").read_text()
    assert "| `HISTORY_RETENTION_DAYS_TEST` | `365` | Days an event is kept. |" in reference


def test_a_setting_without_a_description_stops_the_check(tmp_path, monkeypatch, capsys):
    _copy_documents(tmp_path)
    monkeypatch.setattr(docs, "Settings", _WithAnUndescribedSetting)
    assert docs.main(["--write"], root=tmp_path) == 2
    assert "SENTRY_DSN has no description" in capsys.readouterr().err
    # Nothing was written.
    assert (tmp_path / ".env.example").read_text() == (ROOT / ".env.example").read_text()


def test_an_edited_copy_is_caught(tmp_path, capsys):
    _copy_documents(tmp_path)
    manifest = tmp_path / "manifest.yml"
    manifest.write_text(manifest.read_text().replace(" kick [uid]", ""))
    assert docs.main([], root=tmp_path) == 1
    assert "manifest.yml is out of date" in capsys.readouterr().err


# -- the grammar, the parser and the usage text agree -------------------------------------------


def test_every_command_the_action_table_offers_has_its_form():
    syntaxes = {form.syntax for form in FORMS}
    for spec in COMMAND_VERBS.values():
        assert action_syntax(spec) in syntaxes, f"no grammar form for `{spec.verb}`"


@pytest.mark.parametrize("verb", sorted(COMMAND_VERBS))
def test_each_action_form_parses_into_its_action(verb):
    spec = COMMAND_VERBS[verb]
    filled = (
        action_syntax(spec)
        .replace("<group-guid>", "g-1")
        .replace("<uid>", "u-1")
        .replace("[<duration>]", "2h")
        .replace("[<reason…>]", "spam links")
        .replace("<text…>", "spam links")
    )
    request = parse_command(filled)
    assert isinstance(request, BanUser | ModerateUser)
    action = request.action if isinstance(request, ModerateUser) else ModerationAction.BAN
    assert ACTIONS[action] is spec
    assert (request.guid, request.uid, request.reason) == ("g-1", "u-1", "spam links")


def test_the_usage_text_and_the_hint_show_every_form():
    for form in FORMS:
        assert f"`{escape(form.typed)}` {form.usage}" in USAGE
    hinted = usage_hint().split(" | ")
    assert len(hinted) == len([f for f in FORMS if f.hint])
    assert "<" not in usage_hint()  # Slack shows it raw: no placeholders in angle brackets
