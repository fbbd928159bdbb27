"""Settings: one readable line per problem, naming the variable; secrets never printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import MAX_PAGE_SIZE, ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "SLACK_BOT_TOKEN": "xoxb-settings-test-token",
    "SLACK_SIGNING_SECRET": "settings-test-signing-secret",
    "COMETCHAT_API_KEY": "settings-test-api-key",
    "COMETCHAT_APP_ID": "myapp123",
}
SECRETS = [
    REQUIRED["SLACK_BOT_TOKEN"],
    REQUIRED["SLACK_SIGNING_SECRET"],
    REQUIRED["COMETCHAT_API_KEY"],
]
MISSING_LINES = {
    "SLACK_BOT_TOKEN: missing",
    "SLACK_SIGNING_SECRET: missing",
    "COMETCHAT_API_KEY: missing",
    "COMETCHAT_APP_ID: missing (or set COMETCHAT_BASE_URL)",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No setting in the environment, and a working directory without a `.env`."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def with_required(env: pytest.MonkeyPatch, **extra: str) -> None:
    for name, value in {**REQUIRED, **extra}.items():
        env.setenv(name, value)


def problems(env: pytest.MonkeyPatch) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings()
    lines = caught.value.problems
    assert str(caught.value) == "\n".join(lines)
    assert all("\n" not in line for line in lines)
    return lines


def test_every_missing_variable_gets_its_own_line(env):
    assert set(problems(env)) == MISSING_LINES and len(problems(env)) == len(MISSING_LINES)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_one_missing_variable_is_named_alone(env, name):
    with_required(env)
    env.delenv(name)
    (line,) = problems(env)
    assert line.startswith(f"{name}: missing")


def test_all_set_in_the_environment_loads(env):
    with_required(env, COMETCHAT_REGION="eu", PAGE_SIZE="7")
    settings = load_settings()
    assert settings.slack_bot_token.get_secret_value() == REQUIRED["SLACK_BOT_TOKEN"]
    assert (settings.cometchat_region, settings.page_size) == ("eu", 7)


def test_dot_env_in_the_working_directory_is_read(env, tmp_path):
    lines = [f"{name}={value}" for name, value in REQUIRED.items()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\nCOMETCHAT_REGION=in\n", encoding="utf-8")
    settings = load_settings()
    assert settings.cometchat_url == "https://myapp123.api-in.cometchat.io/v3"


@pytest.mark.parametrize(
    ("region", "url"),
    [
        (None, "https://myapp123.api-us.cometchat.io/v3"),
        ("us", "https://myapp123.api-us.cometchat.io/v3"),
        ("eu", "https://myapp123.api-eu.cometchat.io/v3"),
        ("in", "https://myapp123.api-in.cometchat.io/v3"),
    ],
)
def test_url_is_built_from_app_id_and_region(env, region, url):
    with_required(env, **({"COMETCHAT_REGION": region} if region else {}))
    assert load_settings().cometchat_url == url


def test_base_url_overrides_app_id_and_region(env):
    with_required(env, COMETCHAT_REGION="eu", COMETCHAT_BASE_URL="http://127.0.0.1:9999/v3/")
    assert load_settings().cometchat_url == "http://127.0.0.1:9999/v3"


def test_base_url_alone_is_enough_without_an_app_id(env):
    with_required(env, COMETCHAT_BASE_URL="https://proxy.example/v3")
    env.delenv("COMETCHAT_APP_ID")
    assert load_settings().cometchat_url == "https://proxy.example/v3"


@pytest.mark.parametrize("region", ["asia", "US ", "", "eu,us"])
def test_invalid_region_is_named(env, region):
    with_required(env, COMETCHAT_REGION=region)
    (line,) = problems(env)
    assert line.startswith("COMETCHAT_REGION: ") and "'us', 'eu' or 'in'" in line


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMETCHAT_BASE_URL", "ftp://proxy.example/v3"),
        ("SLACK_API_URL", "slack.com/api"),
        ("COMETCHAT_APP_ID", "my app!"),
        ("PAGE_SIZE", str(MAX_PAGE_SIZE + 1)),
        ("PAGE_SIZE", "0"),
        ("PORT", "http"),
        ("COMETCHAT_TIMEOUT", "-1"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_invalid_value_is_named(env, name, value):
    with_required(env, **{name: value})
    (line,) = problems(env)
    assert line.startswith(f"{name}: ")


def test_several_problems_are_reported_together(env):
    with_required(env, COMETCHAT_REGION="mars", PORT="0")
    env.delenv("COMETCHAT_API_KEY")
    lines = problems(env)
    assert sorted(line.split(":")[0] for line in lines) == [
        "COMETCHAT_API_KEY",
        "COMETCHAT_REGION",
        "PORT",
    ]


def test_a_secret_pasted_into_the_wrong_variable_is_not_echoed(env):
    with_required(env, PORT=REQUIRED["SLACK_BOT_TOKEN"], COMETCHAT_REGION="sk-" + "9" * 20)
    lines = problems(env)
    assert len(lines) == 2
    assert not any(REQUIRED["SLACK_BOT_TOKEN"] in line or "sk-999" in line for line in lines)


def test_secrets_are_not_in_repr_str_or_dumps(env):
    with_required(env)
    settings = load_settings()
    for shown in (repr(settings), str(settings), settings.model_dump_json(), str(vars(settings))):
        for secret in SECRETS:
            assert secret not in shown
    assert "**********" in repr(settings)


def test_serve_with_an_empty_environment_exits_naming_each_missing_variable(tmp_path):
    # PYTHONPATH only so the subprocess imports this checkout; it sets no bot setting.
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    listed = [line.strip().removeprefix("- ") for line in result.stderr.splitlines()]
    assert set(listed) >= MISSING_LINES, result.stderr


def test_bolt_does_not_warn_about_the_token_it_finds_in_the_environment(
    monkeypatch, caplog, services
):
    from bot.app import create_app

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    with caplog.at_level("WARNING"):
        create_app(services)
    assert not [r for r in caplog.records if "token" in r.getMessage().lower()]


def test_public_url_is_an_https_base_url_or_unset():
    from tests.conftest import make_settings

    assert make_settings().public_url == ""
    assert make_settings(public_url=" https://bot.example.com/ ").public_url == (
        "https://bot.example.com"
    )
    for bad in (
        "http://bot.example.com",
        "bot.example.com",
        "https://user:pw@bot.example.com",
        "https://bot.example.com/?x=1",
    ):
        with pytest.raises(ConfigError) as refused:
            make_settings(public_url=bad)
        assert any("PUBLIC_URL" in p or "public_url" in p for p in refused.value.problems), bad
