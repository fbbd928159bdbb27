"""A FakeCometChat that holds every export (or any whole-list read) at its first page until the
test releases it: work that is running, on demand, without sleeping."""

from __future__ import annotations

import threading

from tests.support.fakes.cometchat import FakeCometChat


class Hold:
    """Holds each export at its first page until released; counts who is being held."""

    def __init__(self, cometchat: FakeCometChat):
        self.held = 0
        self._cond = threading.Condition()
        self._released = threading.Event()
        cometchat.interceptor = self._intercept

    def _intercept(self, rec) -> None:
        if rec.path.endswith("/bannedusers") and rec.query.get("page") == ["1"]:
            with self._cond:
                self.held += 1
                self._cond.notify_all()
            assert self._released.wait(10), "held export was never released"

    def wait_held(self, count: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.held >= count, 10), f"{self.held} held"

    def release(self) -> None:
        self._released.set()
