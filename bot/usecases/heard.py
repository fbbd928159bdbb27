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
# The echo of the bot's own kick: CometChat reports it within seconds; a second kick of the same
# user (after they rejoined) takes longer than this.
OWN_ECHO_WINDOW = timedelta(minutes=2)
OWN_SOURCES = frozenset({EventSource.BUTTON, EventSource.COMMAND})
SAME_STATE = {
    ModerationAction.BAN: frozenset({ModerationAction.BAN}),
    ModerationAction.UNBAN: frozenset({ModerationAction.UNBAN, ModerationAction.EXPIRE}),
}


def record_heard(store: ModerationStore, event: MemberEvent, at: int) -> int:
    """Record each user the event names (`heard_cases`); returns how many were new."""
    new: list[str] = []
    heard_cases(store, event, at, new=new)
    return len(new)


def heard_cases(
    store: ModerationStore, event: MemberEvent, at: int, *, new: list[str] | None = None
) -> dict[str, int]:
    """Record each user the event names; returns the case number of each, by uid (the record
    made, or for an echo the bot's own record it repeats), and adds those newly recorded to
    `new`. Never raises: the feed goes on without its history. Each user is recorded on their
    own, so a failure on one costs only that one.

    Each goes through the member's lock, like the bot's own changes: an echo that arrives while
    the bot is still sending or recording what caused it waits for that record, and is then
    recognised, in whichever process it lands. While the database is unavailable it waits, in
    order, to be stored (and checked) once the database is back.
    """
    action = HEARD[event.trigger]
    when = datetime.fromtimestamp(at, UTC)
    cases: dict[str, int] = {}
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
        if kept is None:
            continue  # waits for the database: no number yet
        case, fresh = kept
        if fresh and new is not None:
            new.append(person.uid)
        if case is not None and case.id is not None:
            cases[person.uid] = case.id
    return cases


def _keep(member: MemberChange, *, heard: ModerationEvent) -> tuple[ModerationEvent | None, bool]:
    """The case the heard event is (the new record, or the one it echoes) and whether it is new."""
    echoed = _echoed(member, heard)
    if echoed is not None:
        return echoed, False  # the echo of what is recorded already
    return member.record(heard), True


def _echoed(member: MemberChange, heard: ModerationEvent) -> ModerationEvent | None:
    """The recorded event `heard` repeats, if it is an echo."""
    if heard.action in SAME_STATE:
        latest = member.latest()
    elif TABLE[heard.action].write is not None:
        latest = member.latest_of([heard.action.value])
    else:
        return None
    return latest if latest is not None and _is_echo(member, heard) else None


def _is_echo(member: MemberChange, heard: ModerationEvent) -> bool:
    """A heard ban or unban is an echo when the member's latest decision says it already. An
    action that decides no state but that the bot does too (a kick) is the echo of the bot's own
    same action just before: the same action heard twice is two (a user kicked, rejoining, kicked
    again), so only the bot's own counts, and only as long as CometChat takes to report it."""
    if heard.action in SAME_STATE:
        latest = member.latest()
        return (
            latest is not None
            and latest.action in SAME_STATE[heard.action]
            and heard.at - latest.at <= ECHO_WINDOW
        )
    if TABLE[heard.action].write is None:
        return False
    latest = member.latest_of([heard.action.value])
    return (
        latest is not None
        and latest.source in OWN_SOURCES
        and heard.at - latest.at <= OWN_ECHO_WINDOW
    )


def _scope(scope: str | None) -> str:
    return (scope or "").strip()[:SCOPE_LENGTH]
