"""Long work a person starts (an export, a scan of every group): one at a time per person, a few
at a time per process, taken without waiting, so whoever finds no slot is told so at once
instead of queueing behind work that may take minutes."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.domain.errors import BotError


class UserSlots:
    def __init__(
        self,
        limit: int,
        *,
        running: Callable[[], BotError],
        busy: Callable[[int], BotError],
    ):
        """`running()`: the error for a person who has one already; `busy(limit)`: for a full
        process."""
        self._limit = limit
        self._running = running
        self._busy = busy
        self._users: set[str] = set()
        self._lock = threading.Lock()

    @property
    def running(self) -> int:
        return len(self._users)

    def take(self, user: str) -> None:
        with self._lock:
            if user in self._users:
                raise self._running()
            if len(self._users) >= self._limit:
                raise self._busy(self._limit)
            self._users.add(user)

    def release(self, user: str) -> None:
        with self._lock:
            self._users.discard(user)
