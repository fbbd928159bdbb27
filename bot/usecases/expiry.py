"""Temporary bans end by themselves: claim the due expiries, unban each in CometChat, record it.

`ExpiryScheduler.tick()` does one round and returns what happened, so the caller can audit and
post it (and tests can drive it without waiting). `ExpiryLoop` runs ticks in a background thread
of the web process; its first tick is at start, so an expiry that fell due while the bot was down
happens then.

Exactly once: a row is worked on only by the process whose claim won (bot.store), and it is
removed in the same transaction that records the `expire` event, right after CometChat's answer.
A failure leaves it due again after a back-off; a success is never sent again. Only the ban it was
scheduled for is ended: under the member's lock (`ModerationStore.member`), right before the
unban, the claim must still hold and that ban still be the member's latest decision.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cometchat import errors as cc
from bot.domain.moderation import ModerationEvent, PendingExpiry
from bot.logs import kv
from bot.slack.moderation_blocks import render_expiry
from bot.store import ModerationStore, utc_now

log = logging.getLogger("bot.expiry")

# The promise is "at least every 15 seconds".
CHECK_INTERVAL = 10.0
# After the n-th failure, wait BACKOFF[n-1] (the last one from then on).
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=15),
)
BATCH = 20


class Unbanner(Protocol):
    def unban(self, guid: str, uid: str, *, on_behalf_of: str | None = None) -> None: ...


class ExpiryStatus(StrEnum):
    UNBANNED = "unbanned"
    NOT_BANNED = "not_banned"  # CometChat said so: nothing left to do, done all the same
    FAILED = "failed"  # retried at `retry_at`
    # The ban it was to end is no longer the latest decision (unbanned by hand, banned again):
    # nothing is sent to CometChat, nothing recorded.
    LOST = "lost"


@dataclass(frozen=True)
class ExpiryOutcome:
    expiry: PendingExpiry
    status: ExpiryStatus
    # The ban that ended (who, why, for how long), when it was recorded.
    ban: ModerationEvent | None = None
    # The `expire` event recorded, for UNBANNED and NOT_BANNED.
    event: ModerationEvent | None = None
    error: Exception | None = None
    retry_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.status in (ExpiryStatus.UNBANNED, ExpiryStatus.NOT_BANNED)


def backoff(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


class ExpiryScheduler:
    def __init__(
        self,
        store: ModerationStore,
        cometchat: Unbanner,
        *,
        clock: Callable[[], datetime] = utc_now,
        batch: int = BATCH,
    ):
        self._store = store
        self._cometchat = cometchat
        self._clock = clock
        self._batch = batch

    def tick(self) -> list[ExpiryOutcome]:
        """One round: every expiry due now that this process wins. Raises only if the database
        fails before anything is claimed (the loop logs it and tries again next time); after
        that, a failure costs only the expiry it happened to."""
        if not self._store.replay():
            # Decisions made while the database was down are not stored yet: they may cancel
            # these very expiries, so none is ended before they are.
            log.info(kv(event="expiry_check_deferred", queued=self._store.queued))
            return []
        return [
            self._end_safely(expiry) for expiry in self._store.claim_due_expiries(limit=self._batch)
        ]

    def _end_safely(self, expiry: PendingExpiry) -> ExpiryOutcome:
        try:
            return self._end(expiry)
        except Exception as exc:
            # The database failed for this one: its claim's lease runs out and it is due again.
            outcome = ExpiryOutcome(expiry, ExpiryStatus.FAILED, error=exc)
            _log(outcome)
            return outcome

    def _end(self, expiry: PendingExpiry) -> ExpiryOutcome:
        ban = self._store.event(expiry.ban_id) if expiry.ban_id is not None else None
        status = ExpiryStatus.UNBANNED
        # Under the member's lock: a moderator's ban or unban of this user, or a webhook about
        # them, waits until the unban below is sent and recorded, and lands after it.
        with self._store.member(expiry.guid, expiry.uid) as member:
            if not member.holds(expiry):
                # A later decision (a new ban, an unban) replaced the one this expiry ends.
                outcome = ExpiryOutcome(expiry, ExpiryStatus.LOST, ban)
                _log(outcome)
                return outcome
            try:
                self._cometchat.unban(expiry.guid, expiry.uid)
            except cc.NotBanned:
                status = ExpiryStatus.NOT_BANNED
            except cc.CometChatError as exc:
                retry_at = self._clock() + backoff(expiry.attempts)
                member.retry_expiry(expiry, retry_at)
                outcome = ExpiryOutcome(
                    expiry, ExpiryStatus.FAILED, ban, error=exc, retry_at=retry_at
                )
                _log(outcome)
                return outcome
            event = member.finish_expiry(expiry)
        # Unbanned all the same when the record waits for the database (`member.queued`).
        outcome = ExpiryOutcome(
            expiry,
            status if event is not None or member.queued else ExpiryStatus.LOST,
            ban,
            event=event if not member.queued else None,
        )
        _log(outcome)
        return outcome


def _log(outcome: ExpiryOutcome) -> None:
    expiry = outcome.expiry
    level = logging.WARNING if outcome.status is ExpiryStatus.FAILED else logging.INFO
    log.log(
        level,
        kv(
            event="ban_expired",
            outcome=outcome.status.value,
            guid=expiry.guid,
            uid=expiry.uid,
            attempt=expiry.attempts,
            error=type(outcome.error).__name__ if outcome.error else None,
            retry_at=outcome.retry_at.isoformat() if outcome.retry_at else None,
        ),
    )


class ExpiryLoop:
    """Calls `tick` at start and then every `interval` seconds in a daemon thread, handing each
    round's outcomes to `report` (the audit trail), then runs each of `chores` (the history's
    retention purge); `stop` ends it between rounds."""

    def __init__(
        self,
        scheduler: ExpiryScheduler,
        *,
        interval: float = CHECK_INTERVAL,
        report: Callable[[Sequence[ExpiryOutcome]], None] | None = None,
        chores: Sequence[Callable[[], object]] = (),
    ):
        self._scheduler = scheduler
        self._interval = interval
        self._report = report
        self._chores = tuple(chores)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> list[ExpiryOutcome]:
        """One round as the thread runs it: never raises (a database or reporting failure is
        logged, and the next round tries again)."""
        try:
            outcomes = self._scheduler.tick()
        except Exception as exc:
            log.warning(kv(event="expiry_check_failed", error=type(exc).__name__))
            return []
        if outcomes and self._report is not None:
            try:
                self._report(outcomes)
            except Exception as exc:
                log.warning(kv(event="expiry_report_failed", error=type(exc).__name__))
        return outcomes

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ban-expiry", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop after the round in progress; True if the thread ended within `timeout`."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_chores(self) -> None:
        """Each chore once; a failure is logged, and the next round tries again."""
        for chore in self._chores:
            try:
                chore()
            except Exception as exc:
                log.warning(kv(event="background_chore_failed", error=type(exc).__name__))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self.run_chores()
            self._stop.wait(self._interval)


class ExpiryAnnouncer:
    """Says in Slack that a temporary ban ended: in the audit channel and the moderation feed,
    whichever are set. Runs on the loop's thread; a Slack failure is logged, never raised."""

    def __init__(self, client: WebClient, channels: Sequence[str]):
        self._client = client
        self._channels = [c.strip() for c in dict.fromkeys(channels) if c.strip()]

    def __call__(self, outcomes: Sequence[ExpiryOutcome]) -> None:
        for outcome in outcomes:
            if not outcome.done:
                continue  # retried later; the log already says so
            expiry = outcome.expiry
            message = render_expiry(
                expiry.guid,
                expiry.uid,
                outcome.ban,
                ended_at=outcome.event.at if outcome.event else expiry.ends_at,
                already=outcome.status is ExpiryStatus.NOT_BANNED,
                case=outcome.event.id if outcome.event else None,
            )
            for channel in self._channels:
                try:
                    self._client.chat_postMessage(channel=channel, **message.to_dict())
                except Exception as exc:
                    error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
                    log.warning(
                        kv(
                            event="expiry_post_failed",
                            channel=channel,
                            error=error or type(exc).__name__,
                        )
                    )
