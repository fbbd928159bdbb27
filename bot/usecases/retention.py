"""The history keeps HISTORY_RETENTION_DAYS of events: older ones are purged in the background,
on the expiry loop's thread, a few bounded batches per round, so a long backlog (the setting just
lowered, or first turned on) drains over a few rounds instead of one long transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.logs import kv
from bot.store import utc_now
from bot.store.retention import purge_cards_before, purge_events_before

log = logging.getLogger("bot.retention")

PURGE_BATCH = 1000
PURGE_BATCHES_PER_ROUND = 5


class HistoryRetention:
    def __init__(
        self,
        engine: Engine,
        days: int,
        *,
        clock: Callable[[], datetime] = utc_now,
        batch: int = PURGE_BATCH,
        batches: int = PURGE_BATCHES_PER_ROUND,
    ):
        self._engine = engine
        self.keep = timedelta(days=days)
        self._clock = clock
        self._batch = batch
        self._batches = batches

    def purge(self) -> int:
        """One round: up to `batches` batches of events older than the retention period; the
        number deleted. Raises if the database fails (the loop logs it; the next round goes on)."""
        cutoff = self._clock() - self.keep
        purged = 0
        for _ in range(self._batches):
            deleted = purge_events_before(self._engine, cutoff, batch=self._batch)
            purged += deleted
            if deleted < self._batch:
                break
        # The user cards shown before confirmations go with the events they were kept for.
        cards = purge_cards_before(self._engine, cutoff, batch=self._batch)
        if purged or cards:
            log.info(
                kv(event="history_purged", events=purged, cards=cards, before=cutoff.isoformat())
            )
        return purged
