"""Remember recently seen webhook deliveries, so CometChat's retries are posted once.

Per process and in memory: two web dynos (or a restart between a delivery and its retry) can each
post the same event once. CometChat retries after 10 s and 30 s, so ten minutes is ample.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class SeenEvents:
    def __init__(
        self,
        *,
        ttl: float = 600.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._ttl, self._max = ttl, max_keys
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()  # oldest first
        self._lock = threading.Lock()

    def first_sighting(self, key: str) -> bool:
        """True (and remember it) if `key` was not seen within the TTL; False for a repeat."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if key in self._expiry:
                return False
            self._expiry[key] = now + self._ttl
            while len(self._expiry) > self._max:
                self._expiry.popitem(last=False)
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
