"""What is only recorded, never asked of CometChat (a moderator's note on a user): kept through
the member's one path, like every change of a member's history, and numbered as a case."""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

from bot.domain.actions import ACTIONS
from bot.domain.command import ModerateUser
from bot.domain.errors import NotAllowed
from bot.domain.moderation import EventSource, ModerationEvent
from bot.domain.permissions import Permissions
from bot.logs import kv
from bot.slack.case_blocks import recorded_notice
from bot.store import MemberChange, ModerationStore
from bot.usecases.banned_list import Outcome
from bot.usecases.report import report_failure

log = logging.getLogger("bot.cases")


def record_only(
    store: ModerationStore, permissions: Permissions, request: ModerateUser, user: str | None
) -> Outcome:
    """Keep the request as an event of the user's history. Never raises."""
    spec = ACTIONS[request.action]
    if not permissions.may(spec.who, user):
        return Outcome(report_failure(NotAllowed(spec.permission), event="refused"), ok=False)
    event = ModerationEvent(
        guid=request.guid,
        uid=request.uid,
        action=request.action,
        source=EventSource.COMMAND,
        at=datetime.now(UTC),
        actor=user or "",
        reason=request.reason,
    )
    try:
        kept = store.change(
            event.guid, event.uid, functools.partial(_record, event=event), spec.verb
        )
    except Exception as exc:
        return Outcome(report_failure(exc, event=spec.verb), ok=False, error=exc)
    log.info(
        kv(
            event=spec.verb,
            guid=event.guid,
            uid=event.uid,
            case=kept.id if kept is not None else None,
            outcome="recorded" if kept is not None else "queued",
        )
    )
    return Outcome(recorded_notice(kept or event, stored=kept is not None), ok=True)


def _record(member: MemberChange, *, event: ModerationEvent) -> ModerationEvent | None:
    return member.record(event)
