"""Remember recently seen webhook deliveries, so CometChat's retries are posted once.

`StoredSeenEvents` keeps them in the database, so a retry that lands on another worker or dyno,
or after a restart, is still a repeat. `SeenEvents` is the in-memory fallback (one process) used
while the database cannot answer: a delivery is then posted rather than lost.

A repeat is the same key seen within the retry window (CometChat retries after 10 s and 30 s)
with no other event about the same members since (`subject`): payloads carry no event id, and a
ban, an unban and the same ban again by the same moderator can have identical keys.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.logs import kv
from bot.store import DELIVERY_TTL, ModerationStore

log = logging.getLogger("bot.feed")


class Sightings(Protocol):
    def first_sighting(self, key: str, subject: str = "") -> bool: ...
    def forget(self, key: str) -> None: ...


class SeenEvents:
    def __init__(
        self,
        *,
        ttl: float = DELIVERY_TTL.total_seconds(),
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._ttl, self._max = ttl, max_keys
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()  # oldest first
        self._latest: dict[str, str] = {}  # subject -> the last key seen about it
        self._lock = threading.Lock()

    def first_sighting(self, key: str, subject: str = "") -> bool:
        """True (and remember it) if `key` was not seen within the TTL, or another event about
        `subject` was seen since; False for a repeat."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if key in self._expiry:
                return False
            if subject:
                earlier = self._latest.get(subject)
                if earlier is not None:
                    self._expiry.pop(earlier, None)
                self._latest[subject] = key
            self._expiry[key] = now + self._ttl
            while len(self._expiry) > self._max:
                self._expiry.popitem(last=False)
            if len(self._latest) > self._max:
                live = set(self._expiry)
                self._latest = {s: k for s, k in self._latest.items() if k in live}
            return True

    def forget(self, key: str) -> None:
        """Undo a sighting whose event we could not accept, so a retry is not swallowed."""
        with self._lock:
            self._expiry.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._expiry)

    def _expire(self, now: float) -> None:
        # Every entry has the same TTL, so insertion order is expiry order.
        while self._expiry:
            key, expires = next(iter(self._expiry.items()))
            if expires > now:
                break
            del self._expiry[key]


class StoredSeenEvents:
    """The same interface, in the database shared by every process."""

    def __init__(
        self,
        store: ModerationStore,
        *,
        ttl: timedelta = DELIVERY_TTL,
        fallback: SeenEvents | None = None,
    ):
        self._store = store
        self._ttl = ttl
        self._fallback = fallback or SeenEvents(ttl=ttl.total_seconds())

    def first_sighting(self, key: str, subject: str = "") -> bool:
        try:
            return self._store.first_delivery(key, subject=subject, ttl=self._ttl)
        except SQLAlchemyError as exc:
            # Posting a retry twice beats dropping an event: remember it here meanwhile.
            log.warning(kv(event="dedupe_database_failed", error=type(exc).__name__))
            return self._fallback.first_sighting(key, subject)

    def forget(self, key: str) -> None:
        self._fallback.forget(key)
        try:
            self._store.forget_delivery(key)
        except SQLAlchemyError as exc:
            log.warning(kv(event="dedupe_database_failed", error=type(exc).__name__))

    def __len__(self) -> int:
        return self._store.delivery_count(ttl=self._ttl)
