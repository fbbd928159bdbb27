"""Join webhooks (`group_member_joined`, `group_member_added`) for the raid alert: filtered and
de-duplicated on the request path, counted in the background, never posted one by one."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from bot.domain.member_events import JoinEvent
from bot.usecases.raid import RaidWatch
from bot.webhooks.dedupe import Sightings
from bot.webhooks.feed import Accepted


class Joins:
    def __init__(
        self,
        watch: RaidWatch,
        *,
        submit: Callable[[Callable[[], Any]], Future],
        seen: Sightings,
        groups: frozenset[str] = frozenset(),
    ):
        self._watch = watch
        self._submit = submit
        self._seen = seen
        self._groups = groups  # FEED_GROUPS: empty = every group

    def accept(self, event: JoinEvent) -> Accepted:
        """Decide on the request path; count in the background. Raises `ShuttingDown` or
        `JobQueueFull` (CometChat's retry is then not taken for a repeat)."""
        if self._groups and event.group.guid not in self._groups:
            return Accepted.OTHER_GROUP
        key = event.dedupe_key()
        if not self._seen.first_sighting(key, event.subject_key()):
            return Accepted.DUPLICATE  # a retry: its joins are counted already
        try:
            self._submit(lambda: self._watch.heard(event))
        except Exception:
            self._seen.forget(key)
            raise
        return Accepted.QUEUED
