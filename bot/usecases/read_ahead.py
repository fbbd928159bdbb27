"""The next page, read before it is asked for.

A moderator reading page N will most likely click Next. Once page N has been answered, page N+1
is read in the background and kept for a short while; the click is answered from it only while
it is fresh: read within the last `fresh_for` seconds, and no event of that group (ban, unban,
kick, expiry; made here or heard by webhook, in any process) recorded since it was read. Otherwise
the click reads the page as it always did, so the page says nothing different either way.

Reading ahead is the process's least urgent read: it goes only when the rate-limit governor has
budget to spare at once (never the reserve, never waiting), on a few threads of its own (never a
person's job slot), tried once. Without the database it cannot tell what changed, so it stays off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.cometchat import BannedPage, CometChatClient
from bot.domain.button_values import PageCursor
from bot.logs import kv
from bot.store import ModerationStore

log = logging.getLogger("bot.read_ahead")

FRESH_FOR = 30.0
# Reads ahead at once in the process, and pages kept (a few hundred bytes each).
IN_FLIGHT = 4
KEPT = 256

_Key = tuple[str, int, int]


@dataclass(frozen=True)
class _Ahead:
    read_at: float
    mark: int  # the group's last event id before the read was sent
    page: BannedPage


class PagesAhead:
    def __init__(
        self,
        cometchat: CometChatClient,
        store: ModerationStore,
        *,
        clock: Callable[[], float] = time.monotonic,
        fresh_for: float = FRESH_FOR,
        in_flight: int = IN_FLIGHT,
        kept: int = KEPT,
    ):
        self._cometchat = cometchat
        self._store = store
        self._clock = clock
        self._fresh_for = fresh_for
        self._kept = kept
        self._pool = ThreadPoolExecutor(in_flight, thread_name_prefix="read-ahead")
        self._room = threading.BoundedSemaphore(in_flight)
        self._pages: OrderedDict[_Key, _Ahead] = OrderedDict()
        self._lock = threading.Condition()
        self._reading = 0

    def after(self, cursor: PageCursor, page: BannedPage) -> None:
        """Page `cursor` has just been read for someone: read the one after it, if any."""
        if cursor.query or not page.has_next:
            return  # a search's pages come from one walk of the whole list, not page by page
        following = cursor.at(cursor.page + 1)
        with self._lock:
            held = self._pages.get(_key(following))
            if held is not None and self._clock() - held.read_at < self._fresh_for / 2:
                return  # read moments ago: no need to spend a request again
            if not self._room.acquire(blocking=False):
                return  # the few threads are busy: this one is not worth a wait
            self._reading += 1
        try:
            self._pool.submit(self._read, following)
        except RuntimeError:  # shut down
            self._finished()

    def take(self, cursor: PageCursor) -> BannedPage | None:
        """The page read ahead for `cursor`, if it is still fresh; each is used once."""
        if cursor.query:
            return None
        with self._lock:
            held = self._pages.pop(_key(cursor), None)
        if held is None or self._clock() - held.read_at >= self._fresh_for:
            return None
        try:
            changed = self._store.last_event_id(cursor.guid) != held.mark
        except Exception:
            return None  # cannot tell what happened since: read it afresh
        return None if changed else held.page

    def settle(self, timeout: float) -> bool:
        """Wait until no read ahead is under way; True if none is (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._reading:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
            return True

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _read(self, cursor: PageCursor) -> None:
        try:
            # Taken before the request goes: an event while it is under way spoils the page.
            mark = self._store.last_event_id(cursor.guid)
            page = self._cometchat.list_banned_users(
                cursor.guid, page=cursor.page, per_page=cursor.per_page, spare=True
            )
            with self._lock:
                self._pages[_key(cursor)] = _Ahead(self._clock(), mark, page)
                self._pages.move_to_end(_key(cursor))
                while len(self._pages) > self._kept:
                    self._pages.popitem(last=False)
        except Exception as exc:
            # Nobody is waiting for this page: the click reads it as it always did.
            log.debug(kv(event="read_ahead_skipped", guid=cursor.guid, reason=type(exc).__name__))
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._lock:
            self._reading -= 1
            self._room.release()
            self._lock.notify_all()


def _key(cursor: PageCursor) -> _Key:
    return cursor.guid, cursor.page, cursor.per_page
