"""Everything a listener needs, built once per app from the settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.charts import chart_key
from bot.cometchat import CometChatClient, RetryPolicy
from bot.cometchat.client import new_http_client, tls_context
from bot.cometchat.governor import BulkGovernor
from bot.domain.permissions import Permissions, user_groups
from bot.settings import Settings
from bot.slack.audit_channel import AuditTrail, build_audit_trail
from bot.slack.delivery import Responder
from bot.slack.user_groups import UserGroups
from bot.slack.workspace import Workspace, learn_workspace
from bot.store import (
    ModerationStore,
    PoolSize,
    build_engine,
    database_url,
    is_sqlite,
    pool_for_workers,
    utc_now,
)
from bot.store.leases import WorkLeases
from bot.store.raids import Raids
from bot.store.scans import RecentScans
from bot.store.viewers import HomeViewers
from bot.usecases.banned_list import BannedLists
from bot.usecases.expiry import ExpiryAnnouncer, ExpiryLoop, ExpiryScheduler
from bot.usecases.export import MAX_EXPORTS_AT_ONCE, ExportSlots
from bot.usecases.home import HomeTab
from bot.usecases.lockdown import lift_due
from bot.usecases.raid import RaidWatch
from bot.usecases.raid_ages import AccountAges
from bot.usecases.read_ahead import PagesAhead
from bot.usecases.retention import HistoryRetention
from bot.usecases.where import ScanSlots


@dataclass
class Services:
    settings: Settings
    cometchat: CometChatClient
    lists: BannedLists
    responder: Responder
    permissions: Permissions
    # The team the bot token belongs to (auth.test at start-up); requests from others are refused.
    workspace: Workspace
    # Ban/unban audit trail; log-only unless AUDIT_CHANNEL_ID is set.
    audit: AuditTrail
    # Pooled HTTP to Slack outside the Web API: file bytes to upload URLs (CSV export).
    slack_http: httpx.Client
    # The Web API (audit, feed, ban form, export).
    slack_api: WebClient
    # One export per user and a few in the app: each reads a whole list from CometChat.
    exports: ExportSlots
    # Monotonic seconds, for time budgets (the export's); virtual in tests.
    clock: Callable[[], float]
    # Moderation history, pending expiries, webhook deliveries seen (DATABASE_URL).
    store: ModerationStore
    # Ends temporary bans; the entry points start it (bot.web.server, bot.cli.serve).
    expiries: ExpiryLoop
    # The App Home tab: publishes each viewer's view, refreshes it on new events, serves the chart.
    home: HomeTab
    # Members of the user groups (S…) the allowlists name; read again when Slack says so.
    user_groups: UserGroups
    # One scan of every group (`/banned user <uid>`) per user, and one in the app.
    scans: ScanSlots
    # The raid alert: joins counted in the database, one alert per raid in the feed channel.
    raids: RaidWatch

    def close(self) -> None:
        self.expiries.stop()
        self.lists.close()
        self.cometchat.close()
        self.store.engine.dispose()


def build_services(
    settings: Settings,
    *,
    cometchat_transport: httpx.BaseTransport | None = None,
    cometchat_sleep: Callable[[float], None] = time.sleep,
    cometchat_clock: Callable[[], float] = time.monotonic,
    cometchat_wall: Callable[[], float] = time.time,
    home_clock: Callable[[], float] = time.time,
    home_later: Callable[[float, Callable[[], None]], Any] | None = None,
    raid_clock: Callable[[], datetime] = utc_now,
) -> Services:
    """Wire the real clients. Transports are for tests and benchmarks (fakes, MockTransport);
    sleep/clock let tests run CometChat's retry back-off, the rate-limit governor's waits and the
    export's budget in virtual time (`wall`: the unix time CometChat's `X-RateLimit-Reset` is
    read against). `home_clock` is the Home tab's time (refresh throttle, chart token expiry;
    Unix seconds), and the recent-scan memory's; `home_later` is how the Home tab schedules a
    deferred refresh (default: a timer). `raid_clock` is the raid alert's time (its counting
    window, throttle and calm-down).

    Asks Slack's `auth.test` which team the token belongs to, once: raises StartupError (one line
    for the operator) when Slack refuses the token or cannot be reached; then reads the members
    of the user groups the allowlists name (StartupError too, when Slack does not list one). Both
    entry points (HTTP workers, Socket Mode) build their services here, so neither can serve
    without knowing them.
    """
    database_pool(settings)  # a pool that cannot fit the plan stops start-up before any I/O
    slack_http = new_http_client(10.0, max_connections=settings.workers)
    slack_api = new_web_client(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_base
    )
    groups = UserGroups(slack_api, user_groups(settings), clock=cometchat_clock)
    try:
        workspace = learn_workspace(slack_api)
        groups.load()
    except Exception:
        slack_http.close()
        raise
    permissions = Permissions(settings, groups)
    cometchat = CometChatClient(
        settings.cometchat_url,
        settings.cometchat_api_key,
        transport=cometchat_transport,
        timeout=settings.cometchat_timeout,
        # Every job may read at once, and bulk reads on top of them never make a job wait.
        max_connections=settings.workers + settings.cometchat_max_parallel_total,
        retry=RetryPolicy(budget=settings.cometchat_retry_budget),
        sleep=cometchat_sleep,
        clock=cometchat_clock,
        max_parallel=settings.cometchat_max_parallel,
        # As many warm as the process's bulk reads may use at once: commands arriving together
        # reuse them instead of opening (over TLS, handshaking) new ones.
        keepalive=settings.cometchat_max_parallel_total,
        governor=BulkGovernor(
            reserve=settings.cometchat_reserve,
            max_in_flight=settings.cometchat_max_parallel_total,
            clock=cometchat_clock,
            sleep=cometchat_sleep,
            wall=cometchat_wall,
        ),
    )
    store = build_store(settings)
    responder = Responder(
        slack_http,
        workers=settings.workers,
        backlog=settings.workers * settings.job_queue_per_worker,
    )
    home = HomeTab(
        store=store,
        viewers=HomeViewers(store.engine),
        permissions=permissions,
        api=slack_api,
        submit=responder.submit,
        public_url=settings.public_url,
        chart_key=chart_key(settings.slack_signing_secret.get_secret_value()),
        clock=home_clock,
        later=home_later,
    )
    store.on_record(home.event_recorded)
    leases = WorkLeases(store.engine)
    audit = build_audit_trail(settings.audit_channel_id, client=slack_api, submit=responder.submit)
    joins = Raids(store.engine, raid_clock)
    raids = RaidWatch(
        joins,
        slack_api,
        channel=settings.feed_channel_id.strip(),
        threshold=settings.raid_joins_per_minute,
        ages=AccountAges(cometchat, joins),
    )
    return Services(
        settings=settings,
        cometchat=cometchat,
        lists=BannedLists(
            cometchat,
            store,
            ahead=PagesAhead(cometchat, store, clock=cometchat_clock)
            if settings.read_ahead
            else None,
        ),
        responder=responder,
        permissions=permissions,
        workspace=workspace,
        clock=cometchat_clock,
        slack_http=slack_http,
        slack_api=slack_api,
        # Leases in the shared database: every worker and dyno counts the same slots.
        exports=ExportSlots(leases, MAX_EXPORTS_AT_ONCE, budget=settings.export_time_budget),
        audit=audit,
        store=store,
        scans=ScanSlots(
            leases,
            RecentScans(store.engine),
            clock=lambda: datetime.fromtimestamp(home_clock(), UTC),
        ),
        expiries=ExpiryLoop(
            ExpiryScheduler(store, cometchat),
            report=ExpiryAnnouncer(
                slack_api, [settings.audit_channel_id, settings.feed_channel_id]
            ),
            chores=[
                HistoryRetention(store.engine, settings.history_retention_days).purge,
                lift_due(cometchat, store, audit),  # lockdowns whose time is over
                *([raids.tick] if raids.enabled else []),  # raid alerts calmed down or stale
            ],
        ),
        home=home,
        user_groups=groups,
        raids=raids,
    )


def build_store(settings: Settings) -> ModerationStore:
    """The store on DATABASE_URL. An SQLite file (local use, one process) is migrated here, so
    `python -m bot serve` needs nothing more; PostgreSQL is migrated by the release phase
    (`python -m bot migrate`), once, not by every worker at once."""
    raw = settings.database_url.get_secret_value()
    engine = build_engine(raw, pool=database_pool(settings))
    if is_sqlite(database_url(raw)):
        # Alembic only where it runs: a PostgreSQL worker never loads it (about 8 MB).
        from bot.store.migrate import upgrade

        upgrade(engine)
    return ModerationStore(engine)


def database_pool(settings: Settings) -> PoolSize:
    """This worker's share of the database's connections (see `pool_for_workers`); raises
    StartupError when WEB_CONCURRENCY workers cannot each have one."""
    return pool_for_workers(settings.web_concurrency, settings.database_connections)


def new_web_client(*, token: str, base_url: str) -> WebClient:
    """slack_sdk's client as shipped: a connection per call (urllib), its own retry handlers."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        ssl=tls_context(),  # the shared context: urllib would load the CA store on every call
        # A burst (a bulk ban in the feed, an audit storm) can meet a rate limit: wait it out.
        retry_handlers=[
            ConnectionErrorRetryHandler(),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )
