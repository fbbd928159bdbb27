"""Configuration: every knob is an environment variable (or a line in `.env`).

Secrets are `SecretStr` so they never print by accident. `load_settings()` turns a bad or missing
value into one readable line per problem instead of a pydantic traceback.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_ids(value: object) -> object:
    """`U1, U2,U3` -> {"U1", "U2", "U3"}; blank -> empty (an unset allowlist)."""
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    return value


# Comma-separated Slack ids (users `U…`/`W…`, channels `C…`/`G…`, user groups `S…`).
IdList = Annotated[frozenset[str], NoDecode, BeforeValidator(_split_ids)]

# A Slack user (`U…`, or `W…` in Enterprise Grid) or user group (`S…`) id: capitals and digits.
_PERSON_OR_GROUP = re.compile(r"[UWS][A-Z0-9]{2,20}")


def _split_people(value: object) -> object:
    """Like `_split_ids`, and each entry must be a user or user group id. A typo (a name, a
    channel id) would otherwise be accepted and never match anyone. The entry is named by its
    place, not echoed: it may be a secret pasted into the wrong variable."""
    if not isinstance(value, str):
        return value
    parts = [part.strip() for part in value.split(",") if part.strip()]
    for place, part in enumerate(parts, start=1):
        if not _PERSON_OR_GROUP.fullmatch(part):
            raise PydanticCustomError(
                "not_a_person",
                "entry {place} of {count} is neither a Slack user id (U…, W…) nor a user "
                "group id (S…)",
                {"place": place, "count": len(parts)},
            )
    return frozenset(parts)


# Who may look or act: Slack user ids and user group ids (a group stands for its members).
PeopleList = Annotated[frozenset[str], NoDecode, BeforeValidator(_split_people)]

# Slack allows 50 blocks per message; a page spends up to two blocks per user plus a few of its own.
MAX_PAGE_SIZE = 20

DEFAULT_DATABASE_URL = "sqlite:///var/banned.sqlite3"
DATABASE_SCHEMES = ("postgres://", "postgresql://", "postgresql+psycopg://", "sqlite:///")


class DatabaseSettings(BaseSettings):
    """The one setting `python -m bot migrate` needs (Heroku's release phase, `alembic`)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    # Moderation history, temporary bans, webhook de-duplication. Unset = an SQLite file.
    database_url: SecretStr = Field(
        SecretStr(""),
        description="postgres://user:password@host/db (Heroku Postgres sets it) or "
        "sqlite:///path; unset = sqlite:///var/banned.sqlite3. Holds a password: a secret.",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value().strip()
        if url and not url.startswith(DATABASE_SCHEMES):
            raise PydanticCustomError(
                "database_scheme",
                "must start with postgres://, postgresql:// or sqlite:/// "
                "(unset = an SQLite file in var/)",
            )
        return SecretStr(url)

    @property
    def database_url_for_log(self) -> str:
        """Which database, fit for a log line: scheme, host and name, never the password."""
        return url_for_log(self.database_url.get_secret_value() or DEFAULT_DATABASE_URL)


class Settings(DatabaseSettings):
    slack_bot_token: SecretStr = Field(description="Bot token (xoxb-…) from the Slack app.")
    slack_signing_secret: SecretStr = Field(description="Signing secret from the Slack app.")
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL (proxies, tests)."
    )

    # Declared before the app id, whose validator needs to know whether it is set.
    cometchat_base_url: str = Field(
        "",
        description="Overrides https://{app_id}.api-{region}.cometchat.io/v3 when set; https "
        "(plain http only to a loopback host).",
    )
    cometchat_app_id: str = Field(
        "", validate_default=True, description="CometChat app id (goes in the API host name)."
    )
    cometchat_region: Literal["us", "eu", "in"] = Field("us", description="CometChat region.")
    cometchat_api_key: SecretStr = Field(description="CometChat REST API key (fullAccess).")
    cometchat_timeout: float = Field(5.0, gt=0, le=30, description="Seconds per upstream request.")
    cometchat_retry_budget: float = Field(
        10.0, gt=0, le=60, description="Seconds a read may spend on retries before giving up."
    )
    cometchat_max_parallel: int = Field(
        8,
        ge=1,
        le=32,
        description="Requests one whole-list read (a search, an export) keeps in flight at "
        "once; 1 reads one page after another.",
    )
    cometchat_max_parallel_total: int = Field(
        16,
        ge=1,
        le=200,
        description="Whole-list requests in flight at once in the process, all reads together.",
    )
    cometchat_reserve: float = Field(
        0.5,
        ge=0,
        lt=1,
        description="Share of CometChat's per-minute rate limit that searches and exports leave "
        "untouched: they wait for the next minute when X-RateLimit-Remaining falls to it.",
    )

    port: int = Field(3000, ge=1, le=65535)
    # Declared before WEB_CONCURRENCY, whose validator reads it.
    database_connections: int = Field(
        20,
        ge=3,
        le=10000,
        description="Connections the database plan allows (Heroku Postgres essential-0: 20). "
        "Each web worker's pool gets (DATABASE_CONNECTIONS - 2) / WEB_CONCURRENCY of them; 2 "
        "stay free for the release phase and a one-off `heroku run`.",
    )
    web_concurrency: int = Field(
        1,
        ge=1,
        le=256,
        description="gunicorn worker processes (Heroku's Python buildpack sets it by dyno size: "
        "2 on a Basic dyno). More than 1 needs PostgreSQL.",
    )
    page_size: int = Field(10, ge=1, le=MAX_PAGE_SIZE, description="Banned users per page.")
    ack_budget: float = Field(
        1.5,
        ge=0,
        le=2.5,
        description="Seconds a slash command waits for its page before acknowledging and "
        "delivering the page through response_url instead (Slack gives up after 3 s).",
    )
    workers: int = Field(64, ge=1, le=1000, description="Concurrent background jobs.")
    job_queue_per_worker: int = Field(
        4,
        ge=1,
        le=100,
        description="Background jobs that may wait for a free worker, per worker (WORKERS times "
        "this in all). Beyond that new work is refused with a 'busy, try again' message instead "
        "of queueing without bound.",
    )
    export_time_budget: float = Field(
        60.0,
        ge=5,
        le=600,
        description="Seconds one CSV export may spend reading a banned list from CometChat. "
        "Past it the export stops, sends no partial file and says so.",
    )
    read_ahead: bool = Field(
        True,
        description="Read the next page of a list in the background once a page has been "
        "answered, so Next answers without waiting for CometChat. It spends a request only when "
        "the minute's budget is above COMETCHAT_RESERVE; false for apps whose rate limit is "
        "tight.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    history_retention_days: int = Field(
        400,
        ge=31,
        le=36500,
        description="Days the moderation history keeps an event (31-36500). Older events are "
        "deleted in the background, a batch at a time; the Home tab charts the last 30 days.",
    )

    # Permissions and audit. Unset viewer lists = anyone may look; unset moderator
    # list = nobody may act.
    viewer_user_ids: PeopleList = Field(
        default_factory=frozenset,
        description="Who may look: comma-separated Slack user ids (U…, W…) and user group ids "
        "(S…, the group's members, kept up to date). Unset (with VIEWER_CHANNEL_IDS) = anyone.",
    )
    viewer_channel_ids: IdList = Field(default_factory=frozenset)
    moderator_user_ids: PeopleList = Field(
        default_factory=frozenset,
        description="Who may ban and unban: comma-separated Slack user ids (U…, W…) and user "
        "group ids (S…, the group's members, kept up to date). Unset = nobody.",
    )
    audit_channel_id: str = Field("", description="Channel for the ban/unban audit trail.")

    # Socket Mode for local development without a public URL.
    slack_app_token: SecretStr | None = Field(None, description="App-level token (xapp-…).")

    # Live moderation feed from CometChat webhooks.
    cometchat_webhook_user: str = ""
    cometchat_webhook_password: SecretStr | None = None
    feed_channel_id: str = ""
    feed_groups: IdList = Field(default_factory=frozenset)
    feed_triggers: IdList = Field(default_factory=frozenset)

    # The bot's own https base URL (the host in manifest.yml): the Home tab's chart is served
    # from it. Unset: the Home tab shows the counts as text.
    public_url: str = Field("", description="The bot's public https base URL.")

    # Error reports. Unset: errors are in the log only.
    sentry_dsn: SecretStr | None = Field(
        None,
        description="Sentry project DSN (https://key@host/project): every error the log "
        "records is reported there too, secrets scrubbed. Unset = the log only.",
    )

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret(cls, value: SecretStr) -> SecretStr:
        # Blank would start a bot that refuses every request Slack sends it.
        if not value.get_secret_value().strip():
            raise PydanticCustomError(
                "blank", "blank: copy the Signing Secret from the Slack app's Basic Information"
            )
        return value

    @field_validator("web_concurrency")
    @classmethod
    def _one_process_for_sqlite(cls, value: int, info: ValidationInfo) -> int:
        url = info.data.get("database_url")
        raw = url.get_secret_value() if isinstance(url, SecretStr) else "postgres"
        if value > 1 and (not raw or raw.startswith("sqlite:")):
            raise PydanticCustomError(
                "sqlite_one_process",
                "{workers} worker processes cannot share an SQLite file (it lets one writer in at "
                "a time, so the workers would queue behind each other's writes): set "
                "DATABASE_URL to PostgreSQL, or WEB_CONCURRENCY=1",
                {"workers": value},
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
            # Slack fetches images over https only, and from the host the URL names.
            raise ValueError("must be the bot's https base URL (https://host), or unset")
        if parts.query or parts.fragment:
            raise ValueError("must be a base URL without ?query or #fragment")
        return value

    @field_validator("sentry_dsn")
    @classmethod
    def _sentry_dsn(cls, value: SecretStr | None) -> SecretStr | None:
        dsn = value.get_secret_value().strip() if value is not None else ""
        if not dsn:
            return None
        parts = urlsplit(dsn)
        project = parts.path.rstrip("/").rpartition("/")[2]
        if parts.scheme not in ("https", "http") or not parts.hostname or not parts.username:
            raise PydanticCustomError(
                "sentry_dsn", "must be the project's DSN from Sentry (https://key@host/project)"
            )
        if not project.isdigit():
            raise PydanticCustomError("sentry_dsn", "must end with the project's number (/123)")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            # Error reports hold stack traces and log lines: not in clear across a network.
            raise PydanticCustomError(
                "insecure_url",
                "must start with https:// (only a loopback host such as 127.0.0.1 may use http://)",
            )
        return SecretStr(dsn)

    @field_validator("slack_api_url", "cometchat_base_url")
    @classmethod
    def _http_url(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if not value:
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        host = urlsplit(value).hostname
        if not host:
            raise ValueError("must name a host (https://host/...)")
        if value.startswith("http://") and not _is_loopback(host):
            # Every request carries the key or token in a header: in clear on the way there.
            sent = _SENT_TO.get(info.field_name or "", "credentials")
            raise PydanticCustomError(
                "insecure_url",
                f"must start with https:// (http:// would send {sent} in clear; "
                "only a loopback host such as 127.0.0.1 or localhost may use http://)",
            )
        return value

    @field_validator("cometchat_app_id")
    @classmethod
    def _app_id(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        # Checked here, not after loading, so it is reported alongside every other problem.
        # A base URL that failed its own check is absent from `info.data`: reported already.
        if not value and info.data.get("cometchat_base_url", "invalid") == "":
            raise PydanticCustomError("missing_app_id", "missing (or set COMETCHAT_BASE_URL)")
        if value and not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("must be the app id from the CometChat dashboard (letters and digits)")
        return value

    @property
    def cometchat_url(self) -> str:
        """The v3 base URL, without a trailing slash."""
        if self.cometchat_base_url:
            return self.cometchat_base_url.rstrip("/")
        return f"https://{self.cometchat_app_id}.api-{self.cometchat_region}.cometchat.io/v3"

    @property
    def cometchat_url_for_log(self) -> str:
        """The CometChat base URL fit for a log line: no user:password@, query or fragment."""
        return url_for_log(self.cometchat_url)

    @property
    def slack_api_base(self) -> str:
        return self.slack_api_url if self.slack_api_url.endswith("/") else self.slack_api_url + "/"


_SENT_TO = {"cometchat_base_url": "the CometChat API key", "slack_api_url": "the bot token"}


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback  # 127.0.0.0/8, ::1
    except ValueError:
        return False


def url_for_log(url: str) -> str:
    """`url` without user:password@, query or fragment: the parts that may carry a secret.

    An SQLite URL names a file, which is shown as the path it is: `sqlite:var/banned.sqlite3`
    (relative to the working directory) or `sqlite:/srv/banned.sqlite3`, never the URL's
    `sqlite:///var/…`, whose three slashes read as an absolute path."""
    if url.startswith("sqlite:///"):
        return "sqlite:" + url.removeprefix("sqlite:///").partition("?")[0]
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def database_password(url: str) -> str:
    """The password in a database URL (empty if none), for the log's list of secrets."""
    return urlsplit(url).password or "" if url else ""


class ConfigError(Exception):
    """Settings could not be loaded; `problems` holds one readable line per bad variable."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`; raise ConfigError naming each bad variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError([_describe(err) for err in exc.errors()]) from None
    return settings


def _describe(err: ErrorDetails) -> str:
    name = "_".join(str(part) for part in err.get("loc", ())).upper() or "SETTINGS"
    if err.get("type") == "missing":
        return f"{name}: missing"
    # Never echo the offending value: it may be a secret pasted into the wrong variable.
    return f"{name}: {err.get('msg', 'invalid')}"


def app_token(settings: Settings) -> str | None:
    """The app-level token, or None when unset or blank (`SLACK_APP_TOKEN=` in .env)."""
    token = settings.slack_app_token
    value = token.get_secret_value().strip() if token is not None else ""
    return value or None
