"""Keeps the bot's bulk reads (search walks, exports) inside CometChat's rate limit.

CometChat's limit is per app and per minute, shared with the app's own users; answers carry the
limit, what remains of it and when the minute resets (`X-RateLimit-*`; other CometChat pages
spell them `X-Rate-Limit-*`, so both are read). The bot must never be why the app gets 429s:

- bulk reads stop while `Remaining` is at or below `reserve` × `Limit`, until `Reset`, so they
  never spend the last share of a minute's budget;
- a 429 (on any read) pauses every bulk read in the process until its `Retry-After`;
- at most `max_in_flight` bulk reads run at once in the process, whatever the number of walks;
- interactive reads (a command's page, a click) never come here: they only report what they saw.

Works with real threads and with gevent's patched ones (a lock, a semaphore, `sleep`).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

log = logging.getLogger(__name__)

LIMIT_HEADERS = ("x-ratelimit-limit", "x-rate-limit-limit", "x-rate-limit")
REMAINING_HEADERS = ("x-ratelimit-remaining", "x-rate-limit-remaining")
RESET_HEADERS = ("x-ratelimit-reset", "x-rate-limit-reset")
WINDOW = 60.0  # CometChat's limits are per minute: the wait when no Reset was sent
# A Reset below this is seconds from now rather than a unix time (2001-09-09).
_EPOCH_FLOOR = 1_000_000_000


def _header_int(headers: Mapping[str, str], names: tuple[str, ...]) -> int | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            text = value.strip()
            if text.isascii() and text.isdigit() and len(text) <= 15:
                return int(text)
    return None


class BulkGovernor:
    def __init__(
        self,
        *,
        reserve: float = 0.5,
        max_in_flight: int = 16,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
    ):
        """`sleep` waits on `clock`; `wall` is unix time, to read `Reset` on `clock`."""
        if not 0 <= reserve < 1:
            raise ValueError("reserve must be in [0, 1)")
        self.reserve = reserve
        self.max_in_flight = max_in_flight
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._limit: int | None = None
        self._remaining: int | None = None  # lowered by each bulk read let through
        self._reset_at: float | None = None
        self._paused_until = 0.0
        self._in_flight = 0  # bulk reads admitted and not yet answered

    @contextmanager
    def bulk_read(self) -> Iterator[None]:
        """Hold one of the process's bulk slots, once the budget allows another request."""
        self._slots.acquire()
        try:
            self._admit()
            try:
                yield
            finally:
                with self._lock:
                    self._in_flight -= 1
        finally:
            self._slots.release()

    @contextmanager
    def spare_read(self) -> Iterator[bool]:
        """A read nobody waits for (a page read ahead): yields True if it may go now, on a free
        bulk slot and above the reserve, False otherwise. It never waits, so it never holds a
        person's read back, and it never spends the share of the budget the reserve keeps."""
        if not self._slots.acquire(blocking=False):
            yield False
            return
        try:
            with self._lock:
                wait, _reason = self._wait(self._clock())
                admitted = wait <= 0
                if admitted:
                    if self._remaining is not None:
                        self._remaining -= 1
                    self._in_flight += 1
            try:
                yield admitted
            finally:
                if admitted:
                    with self._lock:
                        self._in_flight -= 1
        finally:
            self._slots.release()

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the budget from an answer's headers (every read's, bulk or not)."""
        limit = _header_int(headers, LIMIT_HEADERS)
        remaining = _header_int(headers, REMAINING_HEADERS)
        reset = _header_int(headers, RESET_HEADERS)
        if limit is None and remaining is None:
            return
        with self._lock:
            now = self._clock()
            reset_at = None
            if reset is not None:
                ahead = reset - self._wall() if reset >= _EPOCH_FLOOR else reset
                reset_at = now + max(0.0, ahead)
            # A later Reset (by more than clock jitter) means a new minute has begun.
            new_window = self._reset_at is None or (
                reset_at is not None and reset_at > self._reset_at + 0.5
            )
            if limit is not None:
                self._limit = limit
            if remaining is not None:
                # An answer counts what was spent when it was served: the bulk reads still in
                # flight may come after it (at a minute's turn, what the app's users spent shows
                # only here), so they are taken off too; erring low only waits a little longer.
                remaining = max(0, remaining - self._in_flight)
                # Answers arrive out of order: within one window the lowest count is the truest.
                if self._remaining is not None and not new_window:
                    remaining = min(remaining, self._remaining)
                self._remaining = remaining
            if new_window:
                self._reset_at = reset_at if reset_at is not None else now + WINDOW

    def pause(self, seconds: float) -> None:
        """CometChat said 429: no bulk read starts for `seconds`."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            if until > self._paused_until:
                self._paused_until = until
                log.info("cometchat_bulk_paused reason=rate_limited wait=%.1f", seconds)

    def floor(self) -> int | None:
        """Requests of the minute's budget that bulk reads leave to everyone else."""
        return None if self._limit is None else math.ceil(self._limit * self.reserve)

    def _admit(self) -> None:
        logged = False
        while True:
            with self._lock:
                wait, reason = self._wait(self._clock())
                if wait <= 0:
                    if self._remaining is not None:
                        self._remaining -= 1
                    self._in_flight += 1
                    return
            if not logged:
                log.info("cometchat_bulk_wait reason=%s wait=%.1f", reason, wait)
                logged = True
            self._sleep(wait)

    def _wait(self, now: float) -> tuple[float, str]:
        if now < self._paused_until:
            return self._paused_until - now, "rate_limited"
        if self._reset_at is not None and now >= self._reset_at:
            # A new minute: assume its whole budget until an answer says otherwise.
            self._remaining, self._reset_at = self._limit, None
        floor = self.floor()
        if floor is None or self._remaining is None or self._remaining > floor:
            return 0.0, ""
        reset_at = self._reset_at if self._reset_at is not None else now + WINDOW
        self._reset_at = reset_at
        return max(reset_at - now, 0.001), "reserve"
