"""What CometChat tells the bot by webhook goes into the history too: bans, unbans, kicks and
scope changes made anywhere (the app itself, its dashboard, another tool)."""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime, timedelta

from bot.domain.actions import ACTIONS as TABLE
from bot.domain.actions import HEARD
from bot.domain.member_events import MemberEvent
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.logs import kv
from bot.store import MemberChange, ModerationStore
from bot.store.tables import NAME_LENGTH, SCOPE_LENGTH

log = logging.getLogger("bot.history")

# The bot's own ban, unban or expiry comes back by webhook a few seconds later; within this window
# a heard ban or unban that the member's latest decision already says is that echo, not a second
# event. A heard unban matches an expiry too: CometChat reports the bot's automatic unban so.
ECHO_WINDOW = timedelta(minutes=10)
SAME_STATE = {
    ModerationAction.BAN: frozenset({ModerationAction.BAN}),
    ModerationAction.UNBAN: frozenset({ModerationAction.UNBAN, ModerationAction.EXPIRE}),
}


def record_heard(store: ModerationStore, event: MemberEvent, at: int) -> int:
    """Record each user the event names; returns how many were new. Never raises: the feed
    goes on without its history. Each user is recorded on their own, so a failure on one costs
    only that one.

    Each goes through the member's lock, like the bot's own changes: an echo that arrives while
    the bot is still sending or recording what caused it waits for that record, and is then
    recognised, in whichever process it lands. While the database is unavailable it waits, in
    order, to be stored (and checked) once the database is back.
    """
    action = HEARD[event.trigger]
    when = datetime.fromtimestamp(at, UTC)
    recorded = 0
    for person in event.targets:
        heard = ModerationEvent(
            guid=event.group.guid,
            uid=person.uid,
            action=action,
            source=EventSource.WEBHOOK,
            at=when,
            actor=event.by.uid if event.by is not None else "",
            name=(person.name or "").strip()[:NAME_LENGTH],
            scope=_scope(person.scope) if action is ModerationAction.SCOPE_CHANGE else "",
        )
        try:
            kept = store.change(
                heard.guid,
                heard.uid,
                functools.partial(_keep, heard=heard),
                "heard_" + action.value,
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
        recorded += kept is not None
    return recorded


def _keep(member: MemberChange, *, heard: ModerationEvent) -> ModerationEvent | None:
    latest, same = _echo_of(member, heard.action)
    if latest is not None and latest.action in same and heard.at - latest.at <= ECHO_WINDOW:
        return None  # the echo of what is recorded already
    return member.record(heard)


def _echo_of(
    member: MemberChange, action: ModerationAction
) -> tuple[ModerationEvent | None, frozenset[ModerationAction]]:
    """What a heard action may be the echo of: the member's latest decision, for a ban or an
    unban; the latest same action, for one the bot does too that decides no state (a kick)."""
    if action in SAME_STATE:
        return member.latest(), SAME_STATE[action]
    if TABLE[action].write is not None:
        return member.latest_of([action.value]), frozenset({action})
    return None, frozenset()


def _scope(scope: str | None) -> str:
    return (scope or "").strip()[:SCOPE_LENGTH]
