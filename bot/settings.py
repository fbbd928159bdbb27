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
    JsonValue,
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


def doc(
    section: str,
    *,
    example: str = "",
    deploy: bool = True,
    required: bool = False,
    secret: bool = False,
) -> dict[str, JsonValue]:
    """Where a setting is documented (bot.cli.docs): its `section` of `.env.example` and the
    README, a sample `example` value, whether app.json offers it (`deploy`), asks for it even
    though it has a default (`required`) or has Heroku generate it (`secret`). A setting
    without this goes under "Other settings"."""
    return {
        "section": section,
        "example": example,
        "deploy": deploy,
        "required": required,
        "secret": secret,
    }


DATABASE_SCHEMES = ("postgres://", "postgresql://", "postgresql+psycopg://", "sqlite:///")


class DatabaseSettings(BaseSettings):
    """The one setting `python -m bot migrate` needs (Heroku's release phase, `alembic`)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    database_url: SecretStr = Field(
        SecretStr(""),
        description="PostgreSQL (Heroku Postgres sets it: postgres://user:password@host:5432/name;"
        " postgresql:// works too) or sqlite:///path/to/file: the moderation history, temporary "
        "bans' end times, webhook de-duplication. Unset: sqlite:///var/banned.sqlite3, created "
        "on first use, for one process; on Heroku that file is wiped with the dyno on every "
        "restart, so add Postgres there. `python -m bot migrate` (Heroku's release phase) brings "
        "its schema up to date. Holds a password: never logged.",
        json_schema_extra=doc(
            "database", example="postgresql://bot:password@127.0.0.1:5432/banned"
        ),
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
    # Each description is the one text `.env.example`, app.json and the README's settings table
    # are generated from (`python -m bot docs --write`); `doc` says where and how it is shown.
    slack_bot_token: SecretStr = Field(
        description="Bot User OAuth Token (xoxb-…): the Slack app's OAuth & Permissions page, "
        "after installing the app to your workspace.",
        json_schema_extra=doc("slack", example="xoxb-your-bot-token"),
    )
    slack_signing_secret: SecretStr = Field(
        description="Signing Secret: the Slack app's Basic Information → App Credentials.",
        json_schema_extra=doc("slack", example="your-signing-secret"),
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        description="Slack Web API base URL. Change only for a proxy or a test double; https:// "
        "(plain http:// only to a loopback host: the bot token travels with every call).",
        json_schema_extra=doc("slack", deploy=False),
    )

    # Declared before the app id, whose validator needs to know whether it is set.
    cometchat_base_url: str = Field(
        "",
        description="Overrides https://{COMETCHAT_APP_ID}.api-{COMETCHAT_REGION}.cometchat.io/v3 "
        "(proxies, fakes). https:// only (plain http:// only to 127.0.0.1, ::1 or localhost: the "
        "API key is in every call).",
        json_schema_extra=doc("cometchat", deploy=False),
    )
    cometchat_app_id: str = Field(
        "",
        validate_default=True,
        description="CometChat App ID: the CometChat dashboard → your app → API & Auth Keys. "
        "Required unless COMETCHAT_BASE_URL is set.",
        json_schema_extra=doc("cometchat", example="your-app-id", required=True),
    )
    cometchat_region: Literal["us", "eu", "in"] = Field(
        "us",
        description="Region of the CometChat app: us, eu or in.",
        json_schema_extra=doc("cometchat", required=True),
    )
    cometchat_api_key: SecretStr = Field(
        description="CometChat REST API Key with fullAccess scope (an authOnly key is "
        "rejected): the dashboard → API & Auth Keys.",
        json_schema_extra=doc("cometchat", example="your-rest-api-key"),
    )
    cometchat_timeout: float = Field(
        5.0,
        gt=0,
        le=30,
        description="Seconds per CometChat request (at most 30).",
        json_schema_extra=doc("cometchat"),
    )
    cometchat_retry_budget: float = Field(
        10.0,
        gt=0,
        le=60,
        description="Seconds a read may spend retrying (5xx, 429, network errors) before giving "
        "up (at most 60).",
        json_schema_extra=doc("cometchat"),
    )
    cometchat_max_parallel: int = Field(
        12,
        ge=1,
        le=32,
        description="CometChat requests one search or export keeps in flight at once (1-32); 1 "
        "reads one page after another. More in flight spends no more of the rate limit: the "
        "same pages are read, in fewer round trips.",
        json_schema_extra=doc("cometchat"),
    )
    cometchat_max_parallel_total: int = Field(
        16,
        ge=1,
        le=200,
        description="CometChat requests all the searches and exports of one process keep in "
        "flight together (1-200).",
        json_schema_extra=doc("cometchat"),
    )
    cometchat_reserve: float = Field(
        0.5,
        ge=0,
        lt=1,
        description="Share of CometChat's per-minute rate limit (0 to below 1) that searches and "
        "exports leave to the app's users: when X-RateLimit-Remaining falls to it they wait for "
        "the next minute. A person's page is never held back.",
        json_schema_extra=doc("cometchat"),
    )

    port: int = Field(
        3000,
        ge=1,
        le=65535,
        description="Port to listen on (Heroku sets it in the environment, which wins over .env).",
        json_schema_extra=doc("web", deploy=False),
    )
    # Declared before WEB_CONCURRENCY, whose validator reads it.
    database_connections: int = Field(
        20,
        ge=3,
        le=10000,
        description="Connections the database plan allows (Heroku Postgres essential-0: 20). "
        "Each web worker's pool gets (DATABASE_CONNECTIONS - 2) / WEB_CONCURRENCY of them (2 "
        "stay free for the release phase and a one-off `heroku run`): 9 each for the 2 workers "
        "of a Basic dyno. Raise it with a bigger plan.",
        json_schema_extra=doc("database"),
    )
    web_concurrency: int = Field(
        1,
        ge=1,
        le=256,
        description="gunicorn worker processes (Heroku's Python buildpack sets it by dyno size: "
        "2 on a Basic dyno; unset, one gevent worker, which serves hundreds of requests at "
        "once). Each worker's database pool is sized by it (DATABASE_CONNECTIONS). More than 1 "
        "needs PostgreSQL: with SQLite it is refused at start.",
        # Not in app.json: a value there would override the buildpack's choice per dyno size.
        json_schema_extra=doc("web", deploy=False),
    )
    page_size: int = Field(
        10,
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Banned users per page (1-{MAX_PAGE_SIZE}).",
        json_schema_extra=doc("web"),
    )
    ack_budget: float = Field(
        1.5,
        ge=0,
        le=2.5,
        description="Seconds a slash command waits for its page before acknowledging and "
        "delivering the page through response_url instead (Slack gives up after 3 s; at most "
        "2.5).",
        json_schema_extra=doc("web"),
    )
    workers: int = Field(
        64,
        ge=1,
        le=1000,
        description="Concurrent background jobs (CometChat lookups, deliveries to Slack).",
        json_schema_extra=doc("web"),
    )
    job_queue_per_worker: int = Field(
        4,
        ge=1,
        le=100,
        description="Background jobs that may wait for a free worker, per worker (WORKERS × "
        "this in all). Past that, new requests are told the bot is busy instead of queueing "
        "without bound.",
        json_schema_extra=doc("web"),
    )
    export_time_budget: float = Field(
        60.0,
        ge=5,
        le=600,
        description="Seconds one CSV export may spend reading a banned list from CometChat "
        "(5-600). Past it the export stops, sends no partial file and says so.",
        json_schema_extra=doc("web"),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO",
        description="DEBUG, INFO, WARNING or ERROR.",
        json_schema_extra=doc("web"),
    )
    read_ahead: bool = Field(
        True,
        description="Read the next page of a list in the background once a page has been "
        "answered, so Next answers without waiting for CometChat. It spends a request only when "
        "the minute's budget is above COMETCHAT_RESERVE; false for apps whose rate limit is "
        "tight.",
        json_schema_extra=doc("cometchat"),
    )
    history_retention_days: int = Field(
        400,
        ge=31,
        le=36500,
        description="Days the moderation history keeps an event (31-36500). Older events are "
        "deleted in the background, a batch at a time; the Home tab charts the last 30 days.",
        json_schema_extra=doc("database"),
    )

    # Permissions and audit. Unset viewer lists = anyone may look; unset moderator
    # list = nobody may act.
    viewer_user_ids: PeopleList = Field(
        default_factory=frozenset,
        description="Who may look: comma-separated Slack user ids (U…, W…) and user group ids "
        "(S…, the group's members, kept up to date). Unset, with VIEWER_CHANNEL_IDS also unset: "
        "anyone in the workspace.",
        json_schema_extra=doc("permissions", example="U0123ABCD,S0456EFGH"),
    )
    viewer_channel_ids: IdList = Field(
        default_factory=frozenset,
        description="Comma-separated Slack channel ids (C…) where /banned may be used. Unset: "
        "any channel.",
        json_schema_extra=doc("permissions", example="C0123ABCD"),
    )
    moderator_user_ids: PeopleList = Field(
        default_factory=frozenset,
        description="Who may ban, unban and kick: comma-separated Slack user ids (U…, W…) and "
        "user group ids (S…, the group's members, kept up to date). Unset: nobody may act, "
        "everyone only looks (no Unban or Ban buttons).",
        json_schema_extra=doc("permissions", example="U0123ABCD"),
    )
    protected_uids: IdList = Field(
        default_factory=frozenset,
        description="Comma-separated CometChat uids a mass ban never picks, whether pasted or "
        "among a raid's joiners, and that *Ban in every group* refuses (the app's own bots, "
        "staff accounts). A group's admins and moderators are never picked either.",
        json_schema_extra=doc("permissions", example="support-bot,owner-1"),
    )
    audit_channel_id: str = Field(
        "",
        description="Channel id (C…) for the moderation audit trail (every ban, unban and kick "
        "attempt); invite the bot there. Unset: the log only.",
        json_schema_extra=doc("permissions", example="C0789IJKL"),
    )

    # Socket Mode for local development without a public URL.
    slack_app_token: SecretStr | None = Field(
        None,
        description="Local development without a public URL: an app-level token (xapp-…, scope "
        "connections:write) from the Slack app's Basic Information → App-Level Tokens, with "
        "Socket Mode on in the app (see docs/operations.md). Set, `python -m bot serve` "
        "connects over Socket Mode instead of serving HTTP. Not on Heroku.",
        json_schema_extra=doc("slack", example="xapp-your-app-level-token", deploy=False),
    )

    # Live moderation feed from CometChat webhooks.
    cometchat_webhook_user: str = Field(
        "",
        description="Basic Auth user, exactly as entered in CometChat's webhook settings. With "
        "COMETCHAT_WEBHOOK_PASSWORD and FEED_CHANNEL_ID also set, POST /cometchat/webhooks is "
        "open to CometChat; any of the three unset, it answers 404.",
        json_schema_extra=doc("feed", example="cometchat"),
    )
    cometchat_webhook_password: SecretStr | None = Field(
        None,
        description="Basic Auth password (letters and digits), exactly as entered in "
        "CometChat's webhook settings.",
        json_schema_extra=doc("feed", example="aLongRandomAlphanumericPassw0rd", secret=True),
    )
    feed_channel_id: str = Field(
        "",
        description="Channel id (C…) the events are posted to; invite the bot there.",
        json_schema_extra=doc("feed", example="C0FEED0001"),
    )
    feed_groups: IdList = Field(
        default_factory=frozenset,
        description="Only these groups' events (comma-separated guids). Unset: every group.",
        json_schema_extra=doc("feed", example="cometchat-guid-1,cometchat-guid-2"),
    )
    feed_triggers: IdList = Field(
        default_factory=frozenset,
        description="Only these events (comma-separated: banned, unbanned, kicked, "
        "scope_changed). Unset: all four.",
        json_schema_extra=doc("feed", example="banned,unbanned,kicked,scope_changed"),
    )
    raid_joins_per_minute: int = Field(
        15,
        ge=0,
        le=10_000,
        description="Raid alert: more joins than this into one group within a minute (CometChat's "
        "group_member_joined and group_member_added webhooks) posts one alert to FEED_CHANNEL_ID, "
        "updated while the raid lasts. 0: no alert, joins are ignored.",
        json_schema_extra=doc("feed", example="15"),
    )

    # The bot's own https base URL (the host in manifest.yml): the Home tab's chart is served
    # from it. Unset: the Home tab shows the counts as text.
    public_url: str = Field(
        "",
        description="The bot's public https base URL (the host in manifest.yml). The Home tab's "
        "chart of bans and unbans is served from it (GET /charts/<signed token>.png). Unset: "
        "the Home tab shows the counts as text.",
        json_schema_extra=doc("home", example="https://my-app.herokuapp.com"),
    )

    # Error reports. Unset: errors are in the log only.
    sentry_dsn: SecretStr | None = Field(
        None,
        description="A Sentry project's DSN (https://key@host/project): every error the log "
        "records (with its traceback, every secret scrubbed, the request's rid= as a tag, the "
        "deployed commit from Heroku's HEROKU_SLUG_COMMIT or SOURCE_VERSION as the release) is "
        "reported there too. Unset: the log only.",
        json_schema_extra=doc("errors", example="https://key@o0.ingest.sentry.io/0"),
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
