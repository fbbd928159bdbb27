"""What CometChat tells the bot by webhook goes into the history too: bans, unbans, kicks and
scope changes made anywhere (the app itself, its dashboard, another tool)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.domain.member_events import MemberEvent, Trigger
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.logs import kv
from bot.store import ModerationStore
from bot.store.tables import NAME_LENGTH, SCOPE_LENGTH

log = logging.getLogger("bot.history")

ACTIONS = {
    Trigger.BANNED: ModerationAction.BAN,
    Trigger.UNBANNED: ModerationAction.UNBAN,
    Trigger.KICKED: ModerationAction.KICK,
    Trigger.SCOPE_CHANGED: ModerationAction.SCOPE_CHANGE,
}
# The bot's own ban or unban comes back by webhook a few seconds later; within this window the
# same action already recorded for the user is that echo, not a second event.
ECHO_WINDOW = timedelta(minutes=10)


def record_heard(store: ModerationStore, event: MemberEvent, at: int) -> int:
    """Record each user the event names; returns how many were new. Never raises: the feed
    goes on without its history. Each user is recorded on their own, so a failure on one costs
    only that one."""
    action = ACTIONS[event.trigger]
    when = datetime.fromtimestamp(at, UTC)
    recorded = 0
    for person in event.targets:
        try:
            if _echo(store, event.group.guid, person.uid, action, when):
                continue
            store.record(
                ModerationEvent(
                    guid=event.group.guid,
                    uid=person.uid,
                    action=action,
                    source=EventSource.WEBHOOK,
                    at=when,
                    actor=event.by.uid if event.by is not None else "",
                    name=(person.name or "").strip()[:NAME_LENGTH],
                    scope=_scope(person.scope) if action is ModerationAction.SCOPE_CHANGE else "",
                )
            )
        except Exception as exc:
            log.warning(
                kv(
                    event="history_not_recorded",
                    trigger=event.trigger.value,
                    guid=event.group.guid,
                    uid=person.uid,
                    error=type(exc).__name__,
                )
            )
            continue
        recorded += 1
    return recorded


def _scope(scope: str | None) -> str:
    return (scope or "").strip()[:SCOPE_LENGTH]


def _echo(
    store: ModerationStore, guid: str, uid: str, action: ModerationAction, when: datetime
) -> bool:
    latest = store.history(guid, uid, limit=1).events
    return bool(latest) and latest[0].action is action and when - latest[0].at <= ECHO_WINDOW
