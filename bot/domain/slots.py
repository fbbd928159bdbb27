"""Long work a person starts (an export, a scan of every group): one at a time per person, a few
at a time in the whole app, taken without waiting, so whoever finds no slot is told so at once
instead of queueing behind work that may take minutes.

The slots are leases in the shared database (a `LeaseBook`), so every gunicorn worker and dyno
counts the same ones, and a lease ends by itself when its holder died without giving it back.
When the database cannot be reached, the slots of this process alone stand in for them: the work
goes on, bounded per process as it was before the database held them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from bot.domain.errors import BotError
from bot.logs import kv

log = logging.getLogger("bot.slots")


class Denied(StrEnum):
    RUNNING = "running"  # this person holds one already
    BUSY = "busy"  # every slot of the kind is held


class LeaseBook(Protocol):
    def take(self, kind: str, person: str, *, limit: int, ttl: timedelta) -> str | Denied:
        """A lease token, or why there is none."""
        ...

    def release(self, kind: str, person: str, token: str) -> None: ...

    def held(self, kind: str) -> int: ...


class UserSlots:
    def __init__(
        self,
        book: LeaseBook,
        kind: str,
        limit: int,
        *,
        ttl: timedelta,
        running: Callable[[], BotError],
        busy: Callable[[int], BotError],
    ):
        """`ttl`: how long a lease lasts, longer than the work may take. `running()`: the error
        for a person who has one already; `busy(limit)`: for a full app."""
        self._book = book
        self.kind = kind
        self._limit = limit
        self._ttl = ttl
        self._running = running
        self._busy = busy
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}  # person -> the token of the lease this process holds
        self._local: set[str] = set()  # slots taken while the database was unreachable

    @property
    def running(self) -> int:
        """Slots held now, in the whole app (this process's alone if the database fails)."""
        try:
            return self._book.held(self.kind)
        except Exception:
            with self._lock:
                return len(self._local)

    def take(self, user: str) -> None:
        try:
            got = self._book.take(self.kind, user, limit=self._limit, ttl=self._ttl)
        except Exception as exc:
            log.warning(
                kv(event="slots", kind=self.kind, outcome="local", error=type(exc).__name__)
            )
            self._take_local(user)
            return
        if got is Denied.RUNNING:
            raise self._running()
        if got is Denied.BUSY:
            raise self._busy(self._limit)
        with self._lock:
            self._tokens[user] = got

    def release(self, user: str) -> None:
        with self._lock:
            if user in self._local:
                self._local.discard(user)
                return
            token = self._tokens.pop(user, None)
        if token is None:
            return
        try:
            self._book.release(self.kind, user, token)
        except Exception as exc:  # the lease ends by itself when its time is up
            log.warning(
                kv(event="slots", kind=self.kind, outcome="not_released", error=type(exc).__name__)
            )

    def _take_local(self, user: str) -> None:
        with self._lock:
            if user in self._local or user in self._tokens:
                raise self._running()
            if len(self._local) >= self._limit:
                raise self._busy(self._limit)
            self._local.add(user)
