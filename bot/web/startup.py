"""What every process does first: load the settings (or say what is wrong and stop), then set up
the log so that no configured secret can reach it."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from pydantic import SecretStr

from bot.logs import configure_logging, kv
from bot.settings import ConfigError, Settings, database_password, load_settings


def settings_or_exit() -> Settings:
    """The settings, or one line per problem on stderr and exit status 2."""
    try:
        return load_settings()
    except ConfigError as exc:
        print("Cannot start: the configuration has problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        print("Set them in the environment or in .env (see .env.example).", file=sys.stderr)
        print(
            "Then run `python -m bot check` to test them against Slack and CometChat.",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def process_secrets(settings: Settings) -> list[SecretStr | str]:
    """Every secret value the settings hold: none may reach a log line or an error report."""
    return [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.cometchat_api_key,
        settings.slack_app_token or "",
        settings.cometchat_webhook_password or "",
        settings.database_url,
        database_password(settings.database_url.get_secret_value()),
        settings.sentry_dsn or "",
    ]


def configure_process_logging(settings: Settings) -> None:
    configure_logging(settings.log_level, secrets=process_secrets(settings))


EPHEMERAL_DATABASE_HINT = (
    "the dyno's disk is wiped on every restart (at least daily): the moderation history and "
    "pending expiries of temporary bans kept in SQLite are lost; add Heroku Postgres "
    "(heroku addons:create heroku-postgresql), which sets DATABASE_URL"
)


def ephemeral_database(settings: Settings, environ: Mapping[str, str] = os.environ) -> bool:
    """SQLite on a Heroku dyno (Heroku sets DYNO): its file does not survive a restart."""
    raw = settings.database_url.get_secret_value()
    return "DYNO" in environ and (not raw or raw.startswith("sqlite:"))


def warn_ephemeral_database(settings: Settings, environ: Mapping[str, str] = os.environ) -> None:
    if ephemeral_database(settings, environ):
        logging.getLogger("bot.startup").warning(
            kv(event="database_ephemeral", hint=EPHEMERAL_DATABASE_HINT)
        )
