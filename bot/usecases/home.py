"""The App Home tab: gather what a viewer sees, publish it, refresh it when events are recorded,
and serve its chart.

Publishing goes through `views.publish` (no scope needed beyond the bot token). A Slack error is
logged with a hint and never raised: the Home tab is a convenience, never a reason for a command
or a click to fail.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.charts import ChartCache, ChartToken, DailyCounts
from bot.domain.moderation import ModerationEvent
from bot.domain.permissions import Permissions
from bot.logs import kv
from bot.slack.home_blocks import HomeSnapshot, render_home, render_home_refused
from bot.slack.kit import Json
from bot.slack.payloads import without_images
from bot.store import ModerationStore
from bot.store.viewers import HomeViewers

log = logging.getLogger("bot.home")

CHART_DAYS = 30
ENDING_WINDOW = timedelta(hours=24)
RECENT_EVENTS = 20
# A chart URL works for 3 to 4 hours: the expiry is rounded up to the hour, so every view
# published within one hour shows the same URL (one render, one fetch by Slack's proxy).
CHART_TTL_HOURS = 4
# Who gets a refreshed view when an event is recorded, and how often at most.
REFRESH_WINDOW = 3600.0
REFRESH_EVERY = 60.0
CHART_PATH = "/charts/"

_HINTS = {
    "missing_scope": "the bot token lacks a scope Slack names in `needed`; reinstall the app",
    "not_authed": "the bot token is missing or revoked; check SLACK_BOT_TOKEN",
    "invalid_auth": "the bot token is missing or revoked; check SLACK_BOT_TOKEN",
    "account_inactive": "the bot token is missing or revoked; check SLACK_BOT_TOKEN",
    "invalid_blocks": "Slack refused a block of the view (a bug: please report it)",
    "downloading image failed": "Slack could not fetch the chart: check PUBLIC_URL",
    "ratelimited": "too many views.publish calls; the next event will refresh it",
}


def _run_later(delay: float, work: Callable[[], None]) -> None:
    """Run `work` after `delay` seconds on a daemon timer (a greenlet under gevent)."""
    timer = threading.Timer(max(0.0, delay), work)
    timer.daemon = True
    timer.start()


def _image_refused(exc: SlackApiError) -> bool:
    return any("downloading image failed" in str(e) for e in exc.response.get("errors") or [])


class HomeTab:
    def __init__(
        self,
        *,
        store: ModerationStore,
        permissions: Permissions,
        api: WebClient,
        submit: Callable[[Callable[[], Any]], Any],
        public_url: str,
        chart_key: bytes,
        viewers: HomeViewers,
        charts: ChartCache | None = None,
        clock: Callable[[], float] = time.time,
        later: Callable[[float, Callable[[], None]], Any] | None = None,
    ):
        self._store = store
        self._viewers = viewers
        self._permissions = permissions
        self._api = api
        self._submit = submit
        self._public_url = public_url.rstrip("/")
        self._key = chart_key
        self.charts = charts or ChartCache(clock=clock)
        self._clock = clock
        self._later = later or _run_later

    # -- the view --------------------------------------------------------------------------------

    def view_for(self, user: str, notice: str = "", asking: tuple[Json, ...] = ()) -> Json:
        if not self._permissions.can_view(user, None):
            return render_home_refused()
        return render_home(replace(self.snapshot(user, notice), asking=asking))

    def snapshot(self, user: str, notice: str = "") -> HomeSnapshot:
        now = datetime.fromtimestamp(self._clock(), UTC)
        last = now.date()
        first = last - timedelta(days=CHART_DAYS - 1)
        empty = DailyCounts.of(last, CHART_DAYS, {})
        try:
            recent = self._store.recent_events(RECENT_EVENTS)
            ending = self._store.bans_ending(now, now + ENDING_WINDOW)
            since = datetime(first.year, first.month, first.day, tzinfo=UTC)
            counts = DailyCounts.of(last, CHART_DAYS, self._store.daily_counts(since))
        except Exception as exc:
            log.warning(
                kv(event="home_snapshot", outcome="history_unavailable", error=type(exc).__name__)
            )
            return HomeSnapshot(
                now=now,
                recent=[],
                ending=[],
                counts=empty,
                notice=notice,
                problems=[
                    ":warning: The bot's history cannot be reached right now; try again later."
                ],
            )
        return HomeSnapshot(
            now=now,
            recent=recent,
            ending=ending,
            counts=counts,
            chart_url=self.chart_url(counts) if self._public_url else None,
            moderate=self._permissions.can_act(user),
            notice=notice,
        )

    def publish(self, user: str, notice: str = "", asking: tuple[Json, ...] = ()) -> bool:
        """Publish `user`'s view (`asking`: a confirmation on top). False (logged with a hint)
        when Slack or the history refuses."""
        self._mark_published(user)
        try:
            view = self.view_for(user, notice, asking)
            try:
                self._api.views_publish(user_id=user, view=view)
            except SlackApiError as exc:
                if not _image_refused(exc):
                    raise
                # Slack could not fetch the chart (PUBLIC_URL wrong, or no HTTP server in Socket
                # Mode): say so, and publish the view without it.
                log.warning(
                    kv(
                        event="home_publish",
                        outcome="chart_not_fetched",
                        hint=_HINTS["downloading image failed"],
                    )
                )
                self._api.views_publish(user_id=user, view=without_images(view))
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            detail = " ".join(str(e) for e in exc.response.get("errors") or [])
            hint = next((h for k, h in _HINTS.items() if k in error or k in detail), None)
            log.warning(
                kv(
                    event="home_publish",
                    outcome="slack_refused",
                    error=error,
                    needed=exc.response.get("needed"),
                    hint=hint or "see https://api.slack.com/methods/views.publish",
                )
            )
            return False
        except Exception as exc:
            log.warning(
                kv(
                    event="home_publish",
                    outcome="failed",
                    error=type(exc).__name__,
                    hint="Slack could not be reached; the next open or event retries",
                ),
                exc_info=exc,
            )
            return False
        log.info(kv(event="home_publish", outcome="published"))
        return True

    # -- who sees it, and when it is refreshed ---------------------------------------------------
    # Kept in the shared database (bot.store.viewers): an event recorded by any worker or dyno
    # refreshes every viewer, whichever process they opened the tab through.

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def opened(self, user: str) -> None:
        """`user` opened the tab: remember it (for refreshes) and publish their view."""
        try:
            self._viewers.opened(user, self._now())
        except SQLAlchemyError as exc:  # no refreshes for them; the view itself still goes out
            log.warning(kv(event="home_viewer", outcome=type(exc).__name__))
        self._submit_publish(user)

    def hold_refresh(self, user: str) -> None:
        """`user`'s view is about to be published with an outcome on top (their own click): the
        refresh the click's event triggers must not race it and drop that outcome."""
        self._mark_published(user)

    def _mark_published(self, user: str) -> None:
        try:
            self._viewers.published(user, self._now())
        except SQLAlchemyError as exc:
            log.warning(kv(event="home_viewer", outcome=type(exc).__name__))

    def event_recorded(self, _event: ModerationEvent) -> None:
        """A store hook: users who opened the tab in the last hour get a fresh view, at most
        once a minute each; an event inside that minute is shown when the minute is up (one
        deferred refresh per user, whatever the burst). Cheap: the publishing itself is queued."""
        now = self._now()
        try:
            claimed = self._viewers.claim_refreshes(
                now,
                window=timedelta(seconds=REFRESH_WINDOW),
                every=timedelta(seconds=REFRESH_EVERY),
            )
        except SQLAlchemyError as exc:
            log.warning(kv(event="home_refresh", outcome=type(exc).__name__))
            return
        for user in claimed.now:
            self._submit_publish(user)
        for user, when in claimed.later:
            delay = (when - now).total_seconds()
            self._later(delay, functools.partial(self._deferred_refresh, user))

    def _deferred_refresh(self, user: str) -> None:
        try:
            stale = self._viewers.claim_deferred(user, self._now())
        except SQLAlchemyError as exc:
            log.warning(kv(event="home_refresh", outcome=type(exc).__name__))
            return
        if stale:  # else published since the event (opened again, a click): already fresh
            self._submit_publish(user)

    def _submit_publish(self, user: str) -> None:
        try:
            self._submit(lambda: self.publish(user))
        except Exception as exc:  # the job queue is full, or the process is shutting down
            log.warning(kv(event="home_publish", outcome="not_queued", error=type(exc).__name__))

    # -- the chart -------------------------------------------------------------------------------

    def chart_url(self, counts: DailyCounts) -> str:
        hour = 3600
        expires = (int(self._clock()) // hour + CHART_TTL_HOURS) * hour
        token = ChartToken(counts.last, counts.days, expires).sign(self._key)
        return f"{self._public_url}{CHART_PATH}{token}.png"

    def chart_png(self, token: str) -> bytes | None:
        """The PNG a token names, or None (wrong, altered or expired token: no data)."""
        found = ChartToken.verify(token, self._key, self._clock())
        if found is None:
            return None
        first = found.last - timedelta(days=found.days - 1)
        since = datetime(first.year, first.month, first.day, tzinfo=UTC)

        def counts() -> DailyCounts:
            return DailyCounts.of(found.last, found.days, self._store.daily_counts(since))

        # Keyed by the window alone: the cache compares the numbers themselves, so an event
        # that changes no count (a kick, a scope change) draws nothing.
        return self.charts.get((found.last, found.days), counts)
