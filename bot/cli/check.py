"""`python -m bot check`: is this deployment ready? Settings, Slack, CometChat, in one report.

Each step says what works, what is wrong and which variable to fix. Secrets are never printed:
findings are built from settings names, hosts and the error codes Slack and CometChat answer with.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TextIO
from urllib.error import URLError

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cometchat import CometChatClient, RetryPolicy
from bot.cometchat import errors as cc
from bot.domain.permissions import is_user_group
from bot.settings import ConfigError, Settings, app_token, load_settings, url_for_log
from bot.slack.messages import operator_hint
from bot.slack.user_groups import UserGroupError, fetch_members
from bot.web.startup import EPHEMERAL_DATABASE_HINT, ephemeral_database

CHECK_TIMEOUT = 5.0  # seconds per request: a check should answer quickly, even when a host is down

# Slack `auth.test` error codes that mean "this token is not right", and what to do about it.
_SLACK_TOKEN_FIXES = {
    "invalid_auth": "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
    "not_authed": "set the Bot User OAuth Token (xoxb-…)",
    "token_revoked": "the token was revoked: reinstall the app and copy the new one",
    "token_expired": "the token expired: turn off token rotation or reinstall the app",
    "account_inactive": "the app was uninstalled or its workspace deleted: reinstall the app",
    "not_allowed_token_type": "this is not a bot token: use the one starting with xoxb-",
}
_APP_TOKEN_FIX = (
    "an app-level token (xapp-…) with the connections:write scope, from the app's Basic "
    "Information page; Socket Mode must be on (manifest: socket_mode_enabled: true)"
)


class Status(Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    subject: str
    status: Status
    text: str
    fix: str | None = None  # "VARIABLE: what to do"


def run_check(
    *,
    load: Callable[[], Settings] = load_settings,
    slack: WebClient | None = None,
    cometchat_transport: httpx.BaseTransport | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[Finding]:
    """Every finding, in order. Stops after the settings if they do not load."""
    try:
        settings = load()
    except ConfigError as exc:
        # Each problem already names its variable ("PAGE_SIZE: …").
        findings = [Finding("Settings", Status.FAIL, problem) for problem in exc.problems]
        findings.append(
            Finding("Services", Status.WARN, "Slack and CometChat not checked until settings load")
        )
        return findings
    findings = [_settings_ok(settings), *_token_shapes(settings)]
    if app_token(settings) and "DYNO" in environ:
        # Heroku sets DYNO. A web dyno that never binds $PORT is killed after 60 s (R10).
        findings.append(
            Finding(
                "Settings",
                Status.WARN,
                "Socket Mode on Heroku: the web dyno will not listen on $PORT",
                fix="SLACK_APP_TOKEN: unset it on Heroku (Socket Mode is for local development)",
            )
        )
    findings.extend(check_database(settings, environ))
    # No retry handlers: slack_sdk retries a refused connection after a back-off by default.
    client = slack or WebClient(
        base_url=settings.slack_api_base, timeout=int(CHECK_TIMEOUT), retry_handlers=[]
    )
    bot = check_slack_bot(settings, client)
    findings.append(bot)
    if bot.status is Status.OK:
        findings.extend(check_permissions(settings, client))
    # Same host as auth.test: if that one was unreachable, saying it twice helps nobody.
    if app_token(settings) and not bot.text.startswith("cannot reach"):
        findings.append(check_slack_app_token(settings, client))
    findings.append(check_cometchat(settings, transport=cometchat_transport))
    return findings


def check_database(settings: Settings, environ: Mapping[str, str] = os.environ) -> list[Finding]:
    """Reachable, and migrated to the latest revision? Named by host and database, never by the
    URL (it holds the password)."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store import build_engine, database_url, is_sqlite
    from bot.store.migrate import current_revision, head_revision

    where = settings.database_url_for_log
    findings = []
    if ephemeral_database(settings, environ):
        findings.append(
            Finding(
                "Database",
                Status.WARN,
                f"SQLite on Heroku ({where}): {EPHEMERAL_DATABASE_HINT}",
                fix="DATABASE_URL: add the heroku-postgresql add-on, which sets it",
            )
        )
    engine = build_engine(settings.database_url.get_secret_value())
    try:
        current, head = current_revision(engine), head_revision()
    except SQLAlchemyError as exc:
        return [
            *findings,
            Finding(
                "Database",
                Status.FAIL,
                f"cannot use {where}: {type(exc).__name__}",
                fix="DATABASE_URL: check the host, database name and credentials",
            ),
        ]
    finally:
        engine.dispose()
    if current != head and is_sqlite(database_url(settings.database_url.get_secret_value())):
        # An SQLite file is migrated by the bot itself as it starts (bot.services).
        findings.append(
            Finding("Database", Status.OK, f"{where}: created or migrated when the bot starts")
        )
    elif current != head:
        findings.append(
            Finding(
                "Database",
                Status.WARN,
                f"{where} is at revision {current or 'none'}, the code expects {head}",
                fix="DATABASE_URL: run `python -m bot migrate` (Heroku: the release phase does)",
            )
        )
    else:
        findings.append(Finding("Database", Status.OK, f"{where}: schema up to date ({head})"))
    return findings


def _settings_ok(settings: Settings) -> Finding:
    mode = (
        "Socket Mode (SLACK_APP_TOKEN is set; no public URL needed)"
        if app_token(settings)
        else "HTTP (Slack must reach https://<your-host>/slack/events)"
    )
    return Finding("Settings", Status.OK, f"loaded; Slack connection: {mode}")


def _token_shapes(settings: Settings) -> list[Finding]:
    """Catch the classic copy-paste mix-ups before asking anybody."""
    findings = []
    if not settings.slack_bot_token.get_secret_value().startswith("xoxb-"):
        findings.append(
            Finding(
                "Settings",
                Status.WARN,
                "the bot token does not start with xoxb-",
                fix="SLACK_BOT_TOKEN: use the Bot User OAuth Token, not a user or app token",
            )
        )
    if settings.slack_signing_secret.get_secret_value().startswith(("xox", "xapp-")):
        findings.append(
            Finding(
                "Settings",
                Status.FAIL,
                "the signing secret looks like a token",
                fix="SLACK_SIGNING_SECRET: copy the Signing Secret from Basic Information",
            )
        )
    token = app_token(settings)
    if token and not token.startswith("xapp-"):
        findings.append(
            Finding(
                "Settings",
                Status.FAIL,
                "the app-level token does not start with xapp-",
                fix=f"SLACK_APP_TOKEN: {_APP_TOKEN_FIX}, or leave it unset to serve over HTTP",
            )
        )
    return findings


def check_slack_bot(settings: Settings, client: WebClient) -> Finding:
    where = url_for_log(settings.slack_api_base)
    try:
        answer = client.auth_test(token=settings.slack_bot_token.get_secret_value())
    except SlackApiError as exc:
        code = _slack_error(exc)
        fix = _SLACK_TOKEN_FIXES.get(code, "check the Bot User OAuth Token (xoxb-…)")
        return Finding(
            "Slack",
            Status.FAIL,
            f"auth.test refused the bot token ({code})",
            f"SLACK_BOT_TOKEN: {fix}",
        )
    except (URLError, OSError) as exc:
        return _unreachable("Slack", where, exc, "SLACK_API_URL: leave it unset for slack.com")
    except Exception as exc:  # a proxy's HTML page, a body that is not JSON…
        return Finding(
            "Slack",
            Status.FAIL,
            f"{where} did not answer like Slack ({type(exc).__name__})",
            "SLACK_API_URL: leave it unset for slack.com",
        )
    team = answer.get("team") or answer.get("team_id") or "the workspace"
    user = answer.get("user") or answer.get("user_id") or "the bot"
    return Finding("Slack", Status.OK, f"bot token accepted: {user} in {team}")


MAX_LISTED = 20  # people named per line; more are counted


def check_permissions(settings: Settings, client: WebClient) -> list[Finding]:
    """Who resolves to moderator and to viewer now, user groups read through Slack."""
    groups: dict[str, frozenset[str]] = {}
    findings = []
    for variable, ids in (
        ("MODERATOR_USER_IDS", settings.moderator_user_ids),
        ("VIEWER_USER_IDS", settings.viewer_user_ids),
    ):
        for group in sorted(g for g in ids if is_user_group(g) and g not in groups):
            try:
                groups[group] = fetch_members(client, group)
            except UserGroupError as exc:
                groups[group] = frozenset()
                findings.append(
                    Finding(
                        "Access",
                        Status.FAIL,
                        f"Slack did not list the members of user group {group} ({exc.reason})",
                        f"{variable}: {exc.fix}",
                    )
                )
    moderators = _people(settings.moderator_user_ids, groups)
    if not settings.moderator_user_ids:
        findings.append(
            Finding(
                "Access",
                Status.WARN,
                "moderators: nobody may ban or unban",
                fix="MODERATOR_USER_IDS: name the moderators (user ids U…, user groups S…)",
            )
        )
    else:
        findings.append(Finding("Access", Status.OK, f"moderators: {_named(moderators)}"))
    if settings.viewer_user_ids:
        viewers = _people(settings.viewer_user_ids, groups) | moderators
        text = f"viewers: {_named(viewers)} (moderators included)"
    else:
        text = "viewers: anyone in the workspace (VIEWER_USER_IDS unset)"
    if settings.viewer_channel_ids:
        text += f", in {', '.join(sorted(settings.viewer_channel_ids))} only"
    findings.append(Finding("Access", Status.OK, text))
    return findings


def _people(ids: frozenset[str], groups: dict[str, frozenset[str]]) -> frozenset[str]:
    """The user ids an allowlist resolves to: its users, and each user group's members."""
    people = {i for i in ids if not is_user_group(i)}
    for group in ids:
        people |= groups.get(group, frozenset())
    return frozenset(people)


def _named(people: frozenset[str]) -> str:
    if not people:
        return "nobody (the user groups named are empty)"
    listed = sorted(people)
    text = ", ".join(listed[:MAX_LISTED])
    if len(listed) > MAX_LISTED:
        text += f" and {len(listed) - MAX_LISTED} more"
    return f"{len(listed)} ({text})"


def check_slack_app_token(settings: Settings, client: WebClient) -> Finding:
    """apps.connections.open is the one call an app-level token can make; it opens nothing yet."""
    try:
        client.apps_connections_open(app_token=app_token(settings) or "")
    except SlackApiError as exc:
        code = _slack_error(exc)
        return Finding(
            "Slack",
            Status.FAIL,
            f"apps.connections.open refused the app-level token ({code})",
            f"SLACK_APP_TOKEN: {_APP_TOKEN_FIX}",
        )
    except (URLError, OSError) as exc:
        return _unreachable("Slack", url_for_log(settings.slack_api_base), exc, "SLACK_API_URL")
    except Exception as exc:
        return Finding(
            "Slack",
            Status.FAIL,
            f"Socket Mode check failed ({type(exc).__name__})",
            "SLACK_API_URL",
        )
    return Finding("Slack", Status.OK, "app-level token accepted: Socket Mode can connect")


def check_cometchat(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> Finding:
    where = settings.cometchat_url_for_log
    place = (
        "COMETCHAT_BASE_URL: check it"
        if settings.cometchat_base_url
        else "COMETCHAT_APP_ID and COMETCHAT_REGION: check them"
    )
    # One try, no retries: the operator wants an answer now, not after the retry budget.
    client = CometChatClient(
        settings.cometchat_url,
        settings.cometchat_api_key,
        transport=transport,
        timeout=CHECK_TIMEOUT,
        max_connections=1,
        retry=RetryPolicy(attempts=1),
    )
    try:
        client.list_groups(per_page=1)
    except cc.AuthRejected as exc:
        return Finding(
            "CometChat",
            Status.FAIL,
            f"{where} refused the credentials ({exc.code or exc.status})",
            _cometchat_auth_fix(exc),
        )
    except cc.Unavailable as exc:
        return Finding(
            "CometChat",
            Status.FAIL,
            f"cannot reach {where} ({exc.code or exc})",
            f"{place} (and this machine's network)",
        )
    except cc.CometChatError as exc:
        hint = operator_hint(exc) or f"{place} (is it the CometChat REST API v3?)"
        return Finding(
            "CometChat",
            Status.FAIL,
            f"{where} answered {exc.code or exc.status or type(exc).__name__}",
            hint,
        )
    finally:
        client.close()
    return Finding("CometChat", Status.OK, f"API key accepted by {where}")


def _cometchat_auth_fix(exc: cc.AuthRejected) -> str:
    code = exc.code or ""
    if code == "AUTH_ERR_NO_ACCESS":
        return "COMETCHAT_API_KEY: use a REST API key with fullAccess scope, not an authOnly key"
    if "APPID" in code:
        return "COMETCHAT_APP_ID and COMETCHAT_REGION: copy them from the CometChat dashboard"
    if "APIKEY" in code:
        return "COMETCHAT_API_KEY: copy a REST API key (fullAccess) from the CometChat dashboard"
    return operator_hint(exc) or "COMETCHAT_API_KEY, COMETCHAT_APP_ID, COMETCHAT_REGION"


def _slack_error(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error") or "error")
    except Exception:
        return "error"


def _unreachable(subject: str, where: str, exc: BaseException, fix: str) -> Finding:
    reason = getattr(exc, "reason", None) or exc
    text = f"cannot reach {where} ({type(reason).__name__}: {_short(str(reason))})"
    return Finding(subject, Status.FAIL, text, f"{fix} (and check this machine's network)")


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_report(findings: list[Finding]) -> str:
    lines = ["Checking the /banned configuration:", ""]
    for finding in findings:
        lines.append(f"  {finding.status.value:<5} {finding.subject:<10} {finding.text}")
        if finding.fix:
            lines.append(f"  {'':<5} {'':<10} fix: {finding.fix}")
    failures = sum(finding.status is Status.FAIL for finding in findings)
    lines.append("")
    if failures:
        noun = "problem" if failures == 1 else "problems"
        lines.append(f"{failures} {noun} found. Fix the variables named above (in the environment")
        lines.append("or in .env; see .env.example), then run `python -m bot check` again.")
    else:
        lines.append("All good: /banned is ready to serve (python -m bot serve).")
    return "\n".join(lines) + "\n"


def main(*, out: TextIO | None = None, **kw: object) -> int:
    findings = run_check(**kw)  # type: ignore[arg-type]
    (out or sys.stdout).write(render_report(findings))
    return 1 if any(finding.status is Status.FAIL for finding in findings) else 0
