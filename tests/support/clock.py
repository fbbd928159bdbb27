"""A settable UTC clock for the store and the expiry scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class UtcClock:
    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
