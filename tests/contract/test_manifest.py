"""The operator's documents stay true: manifest.yml (and manifest.workflows.yml, the same app
with its Workflow Builder steps), app.json, .env.example, the Python pin.

Both manifests are validated against Slack's published manifest schema (MIT), copied into the
repository with its license (`spec/slack/`, see spec/README.md); nothing is fetched.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from bot.settings import Settings
from bot.slack.moderation_blocks import SHORTCUT_BAN
from bot.slack.workflow_steps import (
    IN_DURATION,
    IN_GROUP,
    IN_MODERATOR,
    IN_REASON,
    IN_USER,
    OUT_BANNED,
    OUT_CASE,
    OUT_CASE_NUMBER,
    OUT_GROUPS,
    OUT_SUMMARY,
    STEP_BAN,
    STEP_IS_BANNED,
    STEP_UNBAN,
    STEPS,
)
from bot.web.wsgi import SLACK_PATH

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "spec" / "slack" / "manifest.schema.1.0.0.json"

# Every bot scope the app may ask for, and why. A new scope must be justified here first: each
# one widens what a leaked token can do in every workspace that installs the bot.
SCOPE_ALLOWLIST = {
    # /banned itself. Answers travel in the acknowledgement or through response_url (no scope).
    "commands": "the /banned slash command",
    # chat.postMessage into channels the bot was invited to: the ban/unban audit trail
    # (AUDIT_CHANNEL_ID) and the live moderation feed (FEED_CHANNEL_ID).
    "chat:write": "audit trail and moderation feed messages",
    # Export CSV: upload the file, and open the requester's DM to share it in (a file
    # cannot be ephemeral; the list was shown only to the requester).
    "files:write": "Export CSV uploads",
    "im:write": "the DM an exported CSV is shared in",
    # The members of the user groups (S…) that MODERATOR_USER_IDS / VIEWER_USER_IDS name, and
    # the subteam_members_changed event when they change.
    "usergroups:read": "user groups in the allowlists",
}

# Settings that app.json needs to declare even though they have a default in code.
REQUIRED_FOR_DEPLOY = {"COMETCHAT_APP_ID"}  # empty only makes sense with COMETCHAT_BASE_URL


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


@pytest.fixture(scope="module")
def workflows_manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.workflows.yml").read_text())


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _errors(validator: jsonschema.Draft7Validator, document: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def test_manifest_is_valid_against_slacks_schema(manifest, validator):
    assert _errors(validator, manifest) == []


def test_the_schema_check_would_catch_a_broken_manifest(manifest, validator):
    broken = json.loads(json.dumps(manifest))
    broken["features"]["slash_commands"][0]["command"] = "banned"  # no leading slash
    broken["settings"]["interactivity"]["request_url"] = "ftp://nope"

    errors = _errors(validator, broken)

    assert any(e.startswith("features/slash_commands/0/command") for e in errors)
    assert any(e.startswith("settings/interactivity/request_url") for e in errors)


def test_socket_mode_variant_from_the_readme_is_valid_too(manifest, validator):
    """docs/operations.md: for local development set socket_mode_enabled: true; the URLs are not
    needed."""
    local = json.loads(json.dumps(manifest))
    local["settings"]["socket_mode_enabled"] = True
    for command in local["features"]["slash_commands"]:
        command.pop("url", None)
    local["settings"]["interactivity"].pop("request_url", None)

    assert _errors(validator, local) == []
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert "socket_mode_enabled: true" in operations


def test_banned_command_has_a_usage_hint_and_points_at_the_events_path(manifest):
    (banned,) = [c for c in manifest["features"]["slash_commands"] if c["command"] == "/banned"]

    assert banned["usage_hint"].strip()
    assert banned["description"].strip()
    assert urlsplit(banned["url"]).path == SLACK_PATH


def test_every_request_url_is_the_one_the_command_uses(manifest):
    """One endpoint serves commands, clicks and menus; a second URL would be a 404 in disguise."""
    (banned,) = [c for c in manifest["features"]["slash_commands"] if c["command"] == "/banned"]
    interactivity = manifest["settings"]["interactivity"]

    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"] == banned["url"]
    others = [
        interactivity.get("message_menu_options_url"),
        manifest["settings"].get("event_subscriptions", {}).get("request_url"),
        *(c.get("url") for c in manifest["features"]["slash_commands"]),
    ]
    assert all(url == banned["url"] for url in others if url is not None)


def test_the_home_tab_is_on_and_app_home_opened_comes_to_the_events_path(manifest):
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]
    # The Home tab, and the members of the allowlists' user groups changing.
    assert events["bot_events"] == ["app_home_opened", "subteam_members_changed"]
    assert urlsplit(events["request_url"]).path == SLACK_PATH


def test_every_scope_is_on_the_justified_allowlist(manifest):
    scopes = manifest["oauth_config"]["scopes"]
    bot = scopes.get("bot", [])

    assert "commands" in bot
    assert set(bot) <= set(SCOPE_ALLOWLIST), (
        f"unjustified scopes: {set(bot) - set(SCOPE_ALLOWLIST)}"
    )
    assert not scopes.get("user"), "the bot acts as itself, never as a user"


def _settings_env_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def _required_settings() -> set[str]:
    required = {n.upper() for n, f in Settings.model_fields.items() if f.is_required()}
    return required | REQUIRED_FOR_DEPLOY


def test_app_json_declares_every_required_setting_as_required():
    app = json.loads((ROOT / "app.json").read_text())
    env = app["env"]

    missing = _required_settings() - set(env)
    assert not missing, f"app.json lacks {missing}"
    for name in _required_settings():
        # Heroku treats an env entry as required unless it says `"required": false`.
        assert env[name].get("required", True) is True, name
    assert set(env) <= _settings_env_names(), f"not settings: {set(env) - _settings_env_names()}"
    assert all(entry["description"].strip() for entry in env.values())


def test_app_json_builds_with_the_python_buildpack_and_runs_a_web_dyno():
    app = json.loads((ROOT / "app.json").read_text())
    procfile = (ROOT / "Procfile").read_text()

    assert app["buildpacks"] == [{"url": "heroku/python"}]
    assert app["formation"]["web"]["quantity"] >= 1
    # The standard production server, configured in one file, binding the settings' PORT
    # (Heroku's $PORT; tests/integration/test_readme_quick_start.py shows .env's is bound too).
    assert re.search(r"^web: gunicorn --config gunicorn.conf.py$", procfile, re.MULTILINE)
    assert 'bind = [f"0.0.0.0:{_settings.port}"]' in (ROOT / "gunicorn.conf.py").read_text()
    # Heroku web dynos must bind $PORT: Socket Mode (no HTTP server) is for local development.
    assert "SLACK_APP_TOKEN" not in app["env"]


def test_env_example_mentions_every_setting():
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))

    missing = _settings_env_names() - documented
    assert not missing, f".env.example lacks {sorted(missing)}"
    assert documented <= _settings_env_names(), f"unknown: {documented - _settings_env_names()}"


def test_python_version_is_pinned_for_heroku_and_matches_the_project():
    pin = (ROOT / ".python-version").read_text().strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert re.fullmatch(r"3\.\d+", pin)  # major.minor: Heroku then ships security patches
    assert project["requires-python"] == f">={pin}"
    assert not (ROOT / "runtime.txt").exists()  # deprecated; it would win over .python-version


def test_heroku_migrates_its_postgres_before_each_release():
    app = json.loads((ROOT / "app.json").read_text())
    procfile = (ROOT / "Procfile").read_text()

    assert any(addon["plan"].startswith("heroku-postgresql") for addon in app["addons"])
    assert re.search(r"^release: python -m bot migrate$", procfile, re.MULTILINE)
    assert "var/" in (ROOT / ".gitignore").read_text().splitlines()


# -- entry points: the shortcut, and the Workflow Builder steps' manifest ---------------------


def test_the_global_shortcut_is_the_one_the_app_listens_for(manifest):
    (shortcut,) = [s for s in manifest["features"]["shortcuts"] if s["type"] == "global"]

    assert shortcut["callback_id"] == SHORTCUT_BAN
    assert shortcut["name"] == "Ban a CometChat user…"


def test_the_default_manifest_installs_on_any_workspace(manifest):
    """Custom steps need an org-ready app; the default manifest stays a plain workspace app."""
    assert "functions" not in manifest
    assert manifest["settings"]["org_deploy_enabled"] is False
    assert "function_runtime" not in manifest["settings"]


def test_the_workflows_manifest_is_valid_against_slacks_schema(workflows_manifest, validator):
    assert _errors(validator, workflows_manifest) == []


def test_the_schema_check_would_catch_a_broken_step(workflows_manifest, validator):
    broken = json.loads(json.dumps(workflows_manifest))
    del broken["functions"][STEP_BAN]["title"]
    del broken["functions"][STEP_UNBAN]["input_parameters"][IN_USER]["type"]

    errors = _errors(validator, broken)

    assert any(e.startswith(f"functions/{STEP_BAN}") for e in errors)
    assert any(e.startswith(f"functions/{STEP_UNBAN}/input_parameters/{IN_USER}") for e in errors)


def test_the_workflows_manifest_is_the_default_plus_steps_and_org_settings(
    manifest, workflows_manifest
):
    """Everything else is the same app: a change to one manifest is made to both."""
    plain = json.loads(json.dumps(workflows_manifest))
    plain.pop("functions")
    settings = plain["settings"]
    assert (settings.pop("org_deploy_enabled"), settings.pop("function_runtime")) == (
        True,
        "remote",
    )
    settings["org_deploy_enabled"] = False

    assert plain == manifest


def test_the_steps_declared_are_the_ones_the_app_runs(workflows_manifest):
    functions = workflows_manifest["functions"]

    assert set(functions) == set(STEPS)
    inputs = {name: set(f["input_parameters"]) for name, f in functions.items()}
    assert inputs == {
        STEP_BAN: {IN_GROUP, IN_USER, IN_DURATION, IN_REASON, IN_MODERATOR},
        STEP_UNBAN: {IN_GROUP, IN_USER, IN_MODERATOR},
        STEP_IS_BANNED: {IN_USER, IN_MODERATOR},
    }
    for name, function in functions.items():
        moderator = function["input_parameters"][IN_MODERATOR]
        # Slack fills a user_context itself; a builder cannot type another person's id into it.
        assert (moderator["type"], moderator["is_required"]) == ("slack#/types/user_context", True)
        outputs = function["output_parameters"]
        if name == STEP_IS_BANNED:
            assert set(outputs) == {OUT_BANNED, OUT_GROUPS, OUT_SUMMARY}
            assert "history" in outputs[OUT_GROUPS]["description"]
        else:
            assert set(outputs) == {OUT_CASE_NUMBER, OUT_CASE, OUT_SUMMARY}
            assert outputs[OUT_CASE_NUMBER]["type"] == "integer"


def test_the_docs_say_which_manifest_to_use():
    for doc in ("README.md", "docs/operations.md"):
        assert "manifest.workflows.yml" in (ROOT / doc).read_text(), doc


def test_the_open_case_shortcut_is_the_one_the_app_listens_for(manifest):
    from bot.slack.case_blocks import SHORTCUT_OPEN_CASE

    (shortcut,) = [s for s in manifest["features"]["shortcuts"] if s["type"] == "message"]
    assert shortcut["callback_id"] == SHORTCUT_OPEN_CASE
