"""`python -m bot docs [--write]`: the operator's documents, produced from their one source.

`.env.example`, app.json's `env` and the settings table of docs/operations.md come from the
`Settings` field descriptions (bot/settings.py); the manifests' usage hint and the command table
of docs/moderators.md from the command grammar (bot/domain/grammar.py), and the table of
moderation actions in docs/architecture.md from the action table (bot/domain/actions.py).
Without `--write` it only checks, and exits 1 naming each file that disagrees; `--write`
rewrites them. Adding a setting is its Field (with a description) and `python -m bot docs
--write`.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from bot.domain.grammar import actions_table, command_table, usage_hint
from bot.settings import Settings

# Sections of `.env.example` and the settings table, in order; a setting names its own.
SECTIONS = {
    "slack": "Slack (https://api.slack.com/apps → your app)",
    "cometchat": "CometChat (https://app.cometchat.com → your app → API & Auth Keys)",
    "permissions": "Permissions and moderation (comma-separated Slack ids)",
    "feed": "Live moderation feed (CometChat webhooks -> Slack; see docs/operations.md)",
    "home": "Home tab",
    "database": "Database: moderation history, temporary bans' end times, webhook de-duplication",
    "web": "The web process (gunicorn, configured in gunicorn.conf.py)",
    "errors": "Error reports",
    "other": "Other settings",
}
NOTES: dict[str, str] = {}  # a section's words before its settings
ENV_HEADER = (
    "Copy to .env and fill in. Every variable can also be set in the environment (Heroku: Config "
    "Vars). Generated from the settings' descriptions in bot/settings.py by `python -m bot docs "
    "--write`: edit them there."
)
WIDTH = 100


@dataclass(frozen=True)
class SettingDoc:
    name: str  # the environment variable
    description: str
    default: str  # as typed in the environment; "" for none
    example: str
    section: str
    required: bool  # must be set: it has no default
    asked: bool  # to be filled in: required, or asked for on deploy although it has a default
    deploy: bool  # offered in app.json
    secret: bool  # Heroku generates it


class Undocumented(Exception):
    """A setting without a description: it would reach no document."""


def settings_docs() -> list[SettingDoc]:
    """Every setting, grouped by section in SECTIONS' order, required ones first in each."""
    docs = [_doc(name, field) for name, field in Settings.model_fields.items()]
    order = list(SECTIONS)
    return sorted(docs, key=lambda d: (order.index(d.section), not d.asked))


def _doc(name: str, field: FieldInfo) -> SettingDoc:
    if not field.description:
        raise Undocumented(f"{name.upper()} has no description in bot/settings.py")
    extra: dict[str, Any] = (
        field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    )
    section = str(extra.get("section") or "other")
    if section not in SECTIONS:
        raise Undocumented(f"{name.upper()}: unknown section {section!r} (one of {list(SECTIONS)})")
    return SettingDoc(
        name=name.upper(),
        description=" ".join(field.description.split()),
        default=_shown(
            None if field.is_required() else field.get_default(call_default_factory=True)
        ),
        example=str(extra.get("example") or ""),
        section=section,
        required=field.is_required(),
        asked=field.is_required() or bool(extra.get("required")),
        deploy=bool(extra.get("deploy", True)),
        secret=bool(extra.get("secret")),
    )


def _shown(value: object) -> str:
    """A default as it would be typed in the environment."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None or (isinstance(value, frozenset | set | list) and not value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- the documents --------------------------------------------------------------------------------


def env_example(_current: str = "") -> str:
    lines = [_comment(ENV_HEADER)]
    section = None
    for doc in settings_docs():
        if doc.section != section:
            section = doc.section
            lines += ["", f"# --- {SECTIONS[section]} ---"]
            if section in NOTES:
                lines.append(_comment(NOTES[section]))
        words = doc.description + (" Required." if doc.required else "")
        lines.append(_comment(words))
        value = doc.example or doc.default
        lines.append(f"{doc.name}={value}" if doc.asked else f"# {doc.name}={value}")
    return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False
    )


def app_json(current: str) -> str:
    """app.json with its `env` (its last key) produced from the settings; the rest kept as it is,
    layout included."""
    app = json.loads(current)
    if list(app)[-1:] != ["env"]:
        raise Undocumented('app.json must end with its "env" object')
    env: dict[str, dict[str, Any]] = {}
    for doc in settings_docs():
        if not doc.deploy:
            continue
        entry: dict[str, Any] = {
            "description": doc.description if doc.asked else f"Optional. {doc.description}"
        }
        if doc.default and not doc.secret:
            entry["value"] = doc.default
        if doc.secret:
            entry["generator"] = "secret"
        entry["required"] = doc.asked
        env[doc.name] = entry
    head = current[: current.rindex('"env"')]
    body = json.dumps(env, indent=2, ensure_ascii=False).replace("\n", "\n  ")
    return f'{head}"env": {body}\n}}\n'


def settings_table() -> str:
    rows = ["| Variable | Default | What it is |", "|---|---|---|"]
    for doc in settings_docs():
        default = f"`{doc.default}`" if doc.default else ("required" if doc.required else "unset")
        words = doc.description.replace("|", "\\|")
        rows.append(f"| `{doc.name}` | {default} | {words} |")
    return "\n".join(rows)


def generated(document: str, name: str, table: Callable[[], str]) -> Callable[[str], str]:
    """How `document` is produced: its text with what lies between its `name` markers replaced
    by `table()`."""
    begin, end = f"<!-- begin generated: {name} -->", f"<!-- end generated: {name} -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)

    def produce(current: str) -> str:
        if not pattern.search(current):
            raise Undocumented(f"{document} has no {begin} … {end} block")
        return pattern.sub(lambda _m: f"{begin}\n{table()}\n{end}", current, count=1)

    return produce


def usage_hinted(document: str) -> Callable[[str], str]:
    """How a manifest is produced: its text with the `/banned` usage hint the grammar gives."""

    def produce(current: str) -> str:
        hint = json.dumps(usage_hint(), ensure_ascii=False)
        updated, found = re.subn(
            r"^(\s*usage_hint: ).*$", lambda m: m.group(1) + hint, current, count=1, flags=re.M
        )
        if not found:
            raise Undocumented(f"{document} has no usage_hint for /banned")
        return updated

    return produce


# Each generated table lives with its readers: what to type with the moderators, the settings
# with the operators, the action table beside how to add an action.
DOCUMENTS: dict[str, Callable[[str], str]] = {
    ".env.example": env_example,
    "app.json": app_json,
    "docs/moderators.md": generated("docs/moderators.md", "commands", command_table),
    "docs/operations.md": generated("docs/operations.md", "settings", settings_table),
    "docs/architecture.md": generated("docs/architecture.md", "actions", actions_table),
    # Both manifests: the one for any workspace, and the same app with Workflow Builder steps.
    "manifest.yml": usage_hinted("manifest.yml"),
    "manifest.workflows.yml": usage_hinted("manifest.workflows.yml"),
}


def stale(root: Path) -> dict[str, str]:
    """Each document whose text is not what its source produces, with the text it should have."""
    found = {}
    for name, produce in DOCUMENTS.items():
        current = (root / name).read_text(encoding="utf-8")
        wanted = produce(current)
        if wanted != current:
            found[name] = wanted
    return found


def main(args: list[str], root: Path | None = None) -> int:
    root = root or Path.cwd()
    try:
        outdated = stale(root)
    except (Undocumented, OSError) as exc:
        print(f"docs: {exc}", file=sys.stderr)
        return 2
    if "--write" in args:
        for name, text in outdated.items():
            (root / name).write_text(text, encoding="utf-8")
            print(f"wrote {name}")
        return 0
    for name in outdated:
        print(f"{name} is out of date: run `python -m bot docs --write`", file=sys.stderr)
    return 1 if outdated else 0
