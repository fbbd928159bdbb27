"""Lockdown: a group's participants may not send messages for a while. What they were allowed
before is kept, and exactly that is put back when the lockdown ends: by itself (the expiry
loop's chore, claimed so that one process does it) or when a moderator lifts it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.cometchat import CometChatClient, CometChatError
from bot.domain.actions import ACTIONS
from bot.domain.audit import AuditEntry, AuditSink
from bot.domain.command import LockDown
from bot.domain.errors import LockdownNeedsHistory
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.logs import kv
from bot.slack.lockdown_blocks import (
    lifted_notice,
    lockdown_already,
    lockdown_notice,
    nothing_to_lift,
)
from bot.slack.payloads import new_ephemeral
from bot.store import ModerationStore
from bot.store.lockdowns import Lockdown
from bot.usecases.report import report_failure

log = logging.getLogger("bot.lockdown")

SCOPE = "participant"  # moderators and admins keep speaking
_LOCK = ACTIONS[ModerationAction.LOCKDOWN]
_END = ACTIONS[ModerationAction.LOCKDOWN_END]


@dataclass(frozen=True)
class LockdownResult:
    guid: str
    ends_at: datetime | None = None
    already: bool = False  # the group was locked down already: nothing changed
    error: Exception | None = None
    restored: dict[str, object] | None = None  # what a lifted lockdown put back


def lock_down(
    cometchat: CometChatClient,
    store: ModerationStore,
    audit: AuditSink,
    *,
    guid: str,
    actor: str,
    duration: timedelta,
    reason: str,
    source: EventSource = EventSource.COMMAND,
) -> LockdownResult:
    """Deny the participants what the action denies, keeping what they had. Refused before
    CometChat is asked when the database cannot be reached (nobody would lift it)."""
    try:
        if store.lockdowns.current(guid) is not None:
            return LockdownResult(guid, already=True)
    except Exception:
        return LockdownResult(guid, error=LockdownNeedsHistory())
    try:
        before = cometchat.scope_permissions(guid, SCOPE)
        previous = {key: before.get(key, "allow") for key in _LOCK.denies}
        getattr(cometchat, _LOCK.scope_write or "")(
            guid, SCOPE, dict.fromkeys(_LOCK.denies, "deny")
        )
    except CometChatError as exc:
        _audit(audit, ModerationAction.LOCKDOWN, guid, actor, exc, duration, reason)
        return LockdownResult(guid, error=exc)
    at = datetime.now(UTC)
    ends_at = at + duration
    lockdown = Lockdown(guid, SCOPE, previous, actor, reason, at, ends_at)
    event = ModerationEvent(
        guid=guid,
        uid="",  # the group as a whole
        action=ModerationAction.LOCKDOWN,
        source=source,
        at=at,
        actor=actor,
        reason=reason,
        ends_at=ends_at,
    )
    error: Exception | None = None
    try:
        kept = store.lock_down(lockdown, event)
    except Exception as exc:
        kept, error = None, exc
    if kept is None:
        # Not kept (the database failed, or another moderator's lockdown won): put back what
        # was there rather than leave a lockdown nobody would lift.
        _restore(cometchat, guid, previous)
        log.warning(kv(event="lockdown_not_kept", guid=guid, error=type(error).__name__))
        if error is None:
            return LockdownResult(guid, already=True)
        return LockdownResult(guid, error=LockdownNeedsHistory())
    _audit(audit, ModerationAction.LOCKDOWN, guid, actor, None, duration, reason)
    log.info(kv(event="lockdown", guid=guid, minutes=int(duration.total_seconds() // 60)))
    return LockdownResult(guid, ends_at=ends_at)


def lift(
    cometchat: CometChatClient,
    store: ModerationStore,
    audit: AuditSink,
    *,
    guid: str,
    actor: str,
    due_only: bool = False,
    source: EventSource = EventSource.BUTTON,
) -> LockdownResult:
    """Put back what the lockdown took, record its end and remove it, once: the caller whose
    claim wins does it (in every process); anyone else is told there is none to lift."""
    try:
        lockdown = store.lockdowns.claim(guid, due_only=due_only)
    except Exception:
        return LockdownResult(guid, error=LockdownNeedsHistory())
    if lockdown is None or lockdown.claim is None:
        return LockdownResult(guid, already=True)
    try:
        _restore(cometchat, guid, lockdown.previous, raising=True)
    except CometChatError as exc:
        store.lockdowns.release(guid, lockdown.claim)  # due again at once
        _audit(audit, ModerationAction.LOCKDOWN_END, guid, actor, exc, None, "")
        return LockdownResult(guid, error=exc)
    event = ModerationEvent(
        guid=guid,
        uid="",
        action=ModerationAction.LOCKDOWN_END,
        source=source,
        at=datetime.now(UTC),
        actor=actor,
    )
    try:
        store.end_lockdown(guid, lockdown.claim, event)
    except Exception as exc:
        # The permissions are back; the row stays claimed, and once its lease is over the
        # next round puts the same values back again and records the end.
        log.warning(kv(event="lockdown_end_not_recorded", guid=guid, error=type(exc).__name__))
    _audit(audit, ModerationAction.LOCKDOWN_END, guid, actor, None, None, "")
    log.info(kv(event="lockdown_lifted", guid=guid, by=actor or "expiry"))
    return LockdownResult(guid, restored=dict(lockdown.previous))


def lift_due(
    cometchat: CometChatClient, store: ModerationStore, audit: AuditSink
) -> Callable[[], None]:
    """The expiry loop's chore: end every lockdown whose time has come. Never raises."""

    def chore() -> None:
        try:
            due = store.lockdowns.due()
        except Exception as exc:
            log.warning(kv(event="lockdown_check_deferred", error=type(exc).__name__))
            return
        for guid in due:
            try:
                lift(
                    cometchat,
                    store,
                    audit,
                    guid=guid,
                    actor="",
                    due_only=True,
                    source=EventSource.EXPIRY,
                )
            except Exception as exc:
                log.warning(kv(event="lockdown_end_failed", guid=guid, error=type(exc).__name__))

    return chore


def _restore(
    cometchat: CometChatClient, guid: str, previous: dict, *, raising: bool = False
) -> None:
    try:
        getattr(cometchat, _END.scope_write or "")(guid, SCOPE, dict(previous))
    except CometChatError as exc:
        if raising:
            raise
        log.error(kv(event="lockdown_restore_failed", guid=guid, code=exc.code), exc_info=exc)


def _audit(
    audit: AuditSink,
    action: ModerationAction,
    guid: str,
    actor: str,
    error: Exception | None,
    duration: timedelta | None,
    reason: str,
) -> None:
    audit.record(
        AuditEntry(
            actor=actor,
            action=action,
            guid=guid,
            uid="",
            at=int(datetime.now(UTC).timestamp()),
            outcome="done" if error is None else "failed",
            error=(getattr(error, "code", None) or type(error).__name__) if error else None,
            minutes=int(duration.total_seconds() // 60) if duration else None,
            reason=reason,
        )
    )


def lockdown_payload(
    cometchat: CometChatClient,
    store: ModerationStore,
    audit: AuditSink,
    request: LockDown,
    actor: str,
    *,
    source: EventSource = EventSource.COMMAND,
) -> dict[str, Any]:
    """`/banned <guid> lockdown …` (or a raid alert's *Lock down*), done, as the message that
    answers it."""
    result = lock_down(
        cometchat,
        store,
        audit,
        guid=request.guid,
        actor=actor,
        duration=request.duration,
        reason=request.reason,
        source=source,
    )
    if result.error is not None:
        return new_ephemeral(report_failure(result.error, event="lockdown"))
    if result.already or result.ends_at is None:
        return new_ephemeral(lockdown_already(request.guid))
    return new_ephemeral(
        lockdown_notice(request.guid, request.duration, result.ends_at, request.reason)
    )


def lift_payload(
    cometchat: CometChatClient, store: ModerationStore, audit: AuditSink, guid: str, actor: str
) -> dict[str, Any]:
    """*Lift lockdown*, done, as the message that answers it."""
    result = lift(cometchat, store, audit, guid=guid, actor=actor)
    if result.error is not None:
        return new_ephemeral(report_failure(result.error, event="lockdown_lift"))
    if result.restored is None:
        return new_ephemeral(nothing_to_lift(guid))
    return new_ephemeral(lifted_notice(guid, result.restored))
