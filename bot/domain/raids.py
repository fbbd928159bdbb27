"""A raid on a group, pure: how joins are counted, when a raid starts and calms down, and what
its alert shows. Times are aware UTC."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.massban import MAX_WINDOW_MINUTES

# More joins than the threshold within this window is a raid.
RATE_WINDOW = timedelta(minutes=1)
# No raid-level minute for this long: the raid has calmed down.
CALM_AFTER = timedelta(minutes=3)
# The alert is edited at most this often while joins keep coming (Slack's chat.update is rate
# limited, and a moderator cannot read faster).
UPDATE_EVERY = timedelta(seconds=5)
# An account made less than this before it joined is "young".
YOUNG = timedelta(days=1)
# Joins are kept this long for counting (longer while their group's alert is open).
JOINS_KEPT = timedelta(minutes=15)
# The newest joiners the alert names.
NEWEST = 5
# A join time the payload gives is believed only this close to the receipt: deliveries lag up to
# ~30 s; anything further off is not this join's time.
JOIN_TIME_MAX_AGE = timedelta(minutes=5)
JOIN_TIME_MAX_SKEW = timedelta(minutes=1)


@dataclass(frozen=True)
class Joiner:
    """One user's arrival in a group, as the join webhook told it."""

    uid: str
    name: str
    joined_at: datetime
    created_at: datetime | None = None  # the account's; None when the payload does not say

    def young(self, now: datetime) -> bool | None:
        """Whether the account is younger than a day (None: unknown)."""
        if self.created_at is None:
            return None
        return now - self.created_at < YOUNG


@dataclass(frozen=True)
class RaidAlert:
    """A group's alert as stored: which raid, where it was posted, what became of it."""

    guid: str
    raid: str
    group_name: str
    started_at: datetime
    last_raid_at: datetime
    last_join_at: datetime
    channel: str | None = None
    ts: str | None = None
    updated_at: datetime | None = None
    dismissed_by: str | None = None
    dismissed_at: datetime | None = None
    calmed_at: datetime | None = None
    total: int | None = None

    @property
    def posted(self) -> bool:
        return self.channel is not None and self.ts is not None

    def window_minutes(self, now: datetime) -> int:
        """The mass ban form's "joined in the last … minutes" covering the whole raid: minutes
        since it began, rounded up (at least 1, at most the form's limit)."""
        minutes = math.ceil((now - self.started_at) / timedelta(minutes=1))
        return max(1, min(minutes, MAX_WINDOW_MINUTES))

    def calm(self, now: datetime) -> bool:
        """No raid-level minute for CALM_AFTER."""
        return now - self.last_raid_at >= CALM_AFTER


@dataclass(frozen=True)
class RaidPicture:
    """What the alert shows at one moment."""

    alert: RaidAlert
    last_minute: int  # joins within RATE_WINDOW
    total: int  # joins since the raid began
    young: int  # of those, accounts younger than a day
    unknown_age: int  # of those, accounts whose age the payload did not give
    newest: tuple[Joiner, ...]  # the latest few, newest first
    now: datetime

    @property
    def mostly_young(self) -> bool:
        """More than half of the raid's joiners are known to be younger than a day (those of
        unknown age count against it): *Review and mass ban* then fills the age filter in."""
        return 2 * self.young > self.total


def is_raid(joins_last_minute: int, threshold: int) -> bool:
    """More joins than the threshold within the minute (a threshold of 0: never)."""
    return threshold > 0 and joins_last_minute > threshold


def join_time(payload_seconds: int | None, now: datetime) -> datetime:
    """The join's time: the payload's, if it has one close enough to now, else now."""
    if payload_seconds is None:
        return now
    try:
        at = datetime.fromtimestamp(payload_seconds, now.tzinfo)
    except (OverflowError, OSError, ValueError):
        return now
    if now - JOIN_TIME_MAX_AGE <= at <= now + JOIN_TIME_MAX_SKEW:
        return min(at, now)
    return now


def account_created(payload_seconds: int | None, now: datetime) -> datetime | None:
    """The account's creation time from the payload, if it is one (not in the future)."""
    if payload_seconds is None or payload_seconds <= 0:
        return None
    try:
        at = datetime.fromtimestamp(payload_seconds, now.tzinfo)
    except (OverflowError, OSError, ValueError):
        return None
    return at if at <= now + JOIN_TIME_MAX_SKEW else None
