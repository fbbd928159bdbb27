"""The moderation feed: filter and de-duplicate accepted events, then post each one to Slack.

`accept` runs on the webhook request (cheap: no I/O) and hands the post to the background pool, so
CometChat gets its 200 at once; `publish` renders the event and calls `chat.postMessage`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from enum import StrEnum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.member_events import TRIGGER_NAMES, MemberEvent, Trigger
from bot.logs import kv
from bot.slack.feed_blocks import render_feed_event
from bot.slack.text import plausible_epoch
from bot.webhooks.dedupe import SeenEvents, Sightings

log = logging.getLogger("bot.feed")

# `data.group.updatedAt` stands in for the event time only if it is this close to the receipt:
# deliveries lag by up to ~30 s and retries come 10 s and 40 s later; an older value is the
# group's last edit, not this event.
EVENT_TIME_MAX_AGE = 15 * 60
EVENT_TIME_MAX_SKEW = 2 * 60

# What to tell the operator for the Slack errors a misconfigured feed channel produces.
_HINTS = {
    "not_in_channel": "invite the bot to the FEED_CHANNEL_ID channel",
    "channel_not_found": "check FEED_CHANNEL_ID (a channel id like C0123456789)",
    "missing_scope": "reinstall the app with the chat:write scope (see manifest.yml)",
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "not_authed": "check SLACK_BOT_TOKEN",
}


class Accepted(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"
    OTHER_GROUP = "filtered_group"
    OTHER_TRIGGER = "filtered_trigger"


def parse_trigger_filter(values: Iterable[str]) -> tuple[frozenset[Trigger], list[str]]:
    """FEED_TRIGGERS entries -> triggers, plus the entries that name none.

    `banned` is accepted for `group_member_banned` and so on, since the prefix is noise to type.
    """
    triggers, unknown = set(), []
    for value in values:
        name = value.strip().lower()
        full = name if name.startswith("group_member_") else f"group_member_{name}"
        if full in TRIGGER_NAMES:
            triggers.add(Trigger(full))
        else:
            unknown.append(value)
    return frozenset(triggers), unknown


def event_time(event: MemberEvent, received_at: float) -> int:
    """The payload has no event time: use the group's `updatedAt` if it fits, else the receipt."""
    updated = plausible_epoch(event.group.updated_at)
    if updated is not None and (
        received_at - EVENT_TIME_MAX_AGE <= updated <= received_at + EVENT_TIME_MAX_SKEW
    ):
        return updated
    return int(received_at)


class Feed:
    def __init__(
        self,
        *,
        channel_id: str,
        client: WebClient,
        submit: Callable[[Callable[[], Any]], Future],
        seen: Sightings | None = None,
        groups: frozenset[str] = frozenset(),
        triggers: frozenset[Trigger] = frozenset(Trigger),
        page_size: int = 10,
        can_unban: bool = False,
        remember: Callable[[MemberEvent, int], object] | None = None,
    ):
        self._channel = channel_id
        self._client = client
        self._submit = submit
        # Not `seen or …`: an empty store has len() 0, which is falsy.
        self._seen: Sightings = seen if seen is not None else SeenEvents()
        self._groups = groups  # empty = every group
        self._triggers = triggers
        self._page_size = page_size
        self._can_unban = can_unban
        # Every event heard goes into the history, whether the feed posts it or not.
        self._remember = remember

    def accept(self, event: MemberEvent, received_at: float) -> Accepted:
        """Decide on the request path; record and post in the background. Raises
        `ShuttingDown`."""
        decision = self._decide(event)
        if decision is not Accepted.QUEUED and self._remember is None:
            return decision
        key = event.dedupe_key()
        if not self._seen.first_sighting(key, event.subject_key()):
            return Accepted.DUPLICATE if decision is Accepted.QUEUED else decision
        try:
            self._submit(lambda: self._handle(event, received_at, post=decision is Accepted.QUEUED))
        except Exception:
            # Not queued: let CometChat's retry (if enabled) be treated as new.
            self._seen.forget(key)
            raise
        return decision

    def _decide(self, event: MemberEvent) -> Accepted:
        if event.trigger not in self._triggers:
            return Accepted.OTHER_TRIGGER
        if self._groups and event.group.guid not in self._groups:
            return Accepted.OTHER_GROUP
        return Accepted.QUEUED

    def _handle(self, event: MemberEvent, received_at: float, *, post: bool) -> None:
        cases: object = None
        if self._remember is not None:
            cases = self._remember(event, event_time(event, received_at))
        if post:
            self.publish(event, received_at, cases=cases if isinstance(cases, Mapping) else None)

    def publish(
        self, event: MemberEvent, received_at: float, *, cases: Mapping[str, int] | None = None
    ) -> bool:
        """Post one event to the feed channel. Logs one line; never raises."""
        started = time.perf_counter()
        fields: dict[str, Any] = {
            "event": "feed_post",
            "trigger": event.trigger.value,
            "guid": event.group.guid,
            "members": len(event.members),
            "unnamed": event.unnamed or None,
        }
        try:
            message = render_feed_event(
                event,
                at=event_time(event, received_at),
                page_size=self._page_size,
                can_unban=self._can_unban,
                cases=cases,
            )
            self._client.chat_postMessage(
                channel=self._channel,
                unfurl_links=False,
                unfurl_media=False,
                **message.to_dict(),
            )
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            log.warning(
                kv(**fields, outcome="slack_error", error=error, hint=_HINTS.get(str(error)))
            )
            return False
        except Exception as exc:
            log.warning(kv(**fields, outcome=type(exc).__name__), exc_info=True)
            return False
        log.info(kv(**fields, outcome="posted", ms=(time.perf_counter() - started) * 1000))
        return True
