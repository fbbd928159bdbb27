"""Cases: read one (the event, its evidence, its edits) and correct one. A correction of a ban's
length goes through the member's one path (`ModerationStore.member`), so it queues behind an
expiry ending that ban, and the pending expiry moves with it in the same transaction; "End now"
is an unban like any other (`ban_or_unban`). Every correction is kept and posted to the audit
channel."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.cometchat import CometChatClient
from bot.domain.actions import ACTIONS
from bot.domain.cases import Case, CaseEdit, DurationChoice, EditedField, new_end
from bot.domain.duration import parse_duration
from bot.domain.errors import BotError, CaseClosed, HistoryUnreadable, NotAllowed
from bot.domain.massban import UNDO_WINDOW
from bot.domain.massban import Outcome as UserOutcome
from bot.domain.moderation import ModerationAction
from bot.domain.permissions import Permissions
from bot.logs import kv
from bot.slack.audit_channel import AuditTrail
from bot.slack.case_blocks import edited_notice, render_case, render_case_edit
from bot.slack.message import Message
from bot.store import ModerationStore
from bot.store.cases import KEEP, Keep
from bot.usecases.banned_list import Outcome
from bot.usecases.moderate import ModerationRequest, ban_or_unban
from bot.usecases.report import report_failure

log = logging.getLogger("bot.cases")

EDIT_PERMISSION = "edit cases"


def show_case(store: ModerationStore, number: int, *, moderate: bool, event: str) -> Outcome:
    """Case `number` rendered, or why it cannot be. Never raises; logs one line."""
    started = time.perf_counter()
    try:
        case = store.case(number)
        users, undo = _mass(store, case, datetime.now(UTC))
        message = render_case(case, moderate=moderate, undo=undo if moderate else None, users=users)
    except BotError as exc:
        return Outcome(report_failure(exc, event=event, case=number), ok=False, error=exc)
    except SQLAlchemyError as exc:
        error = HistoryUnreadable()
        worded = report_failure(error, event=event, case=number, cause=type(exc).__name__)
        return Outcome(worded, ok=False, error=error)
    except Exception as exc:
        return Outcome(report_failure(exc, event=event, case=number), ok=False, error=exc)
    log.info(kv(event=event, case=number, outcome="ok", ms=(time.perf_counter() - started) * 1000))
    return Outcome(message, ok=True)


def _mass(store: ModerationStore, case: Case, now: datetime) -> tuple[list[str], int | None]:
    """For a mass action's case: the users it was done to, and, while it can still be undone
    (done, not undone, within UNDO_WINDOW), how many its Undo may unban (those banned again
    since are left alone when it runs). Nothing for any other case."""
    if ACTIONS[case.event.action].bulk is None:  # done to many with one bulk call
        return [], None
    plan = store.mass.by_case(case.number)
    if plan is None:
        return [], None
    done = [user.uid for user in plan.users if user.outcome in _DONE]
    held = sum(1 for user in plan.users if user.outcome == UserOutcome.BANNED)
    open_ = plan.status == "done" and now - case.event.at <= UNDO_WINDOW
    return done, (held or None) if open_ else None


# What a mass action did to a user: banned by it (and, since, maybe undone).
_DONE = (UserOutcome.BANNED, UserOutcome.UNDONE)


@dataclass(frozen=True)
class CaseEditRequest:
    number: int
    actor: str  # the moderator's Slack user id
    reason: str | None  # None: unchanged (validated already)
    length: str  # a DurationChoice, or a duration as the ban form writes it ("7d", "permanent")


@dataclass(frozen=True)
class EditResult:
    message: Message  # what the moderator is told
    case: Case | None = None  # the case as it now stands, when it could be read
    edits: tuple[CaseEdit, ...] = ()


def edit_case(
    cometchat: CometChatClient,
    audit: AuditTrail,
    store: ModerationStore,
    permissions: Permissions,
    request: CaseEditRequest,
) -> EditResult:
    """Apply a moderator's correction; a refusal or failure is worded and changes nothing.
    Never raises."""
    try:
        if not permissions.can_act(request.actor):
            raise NotAllowed(EDIT_PERMISSION)
        case = store.case(request.number)
        event = case.event
        at = datetime.now(UTC)
        edits: list[CaseEdit] = []
        unban_notice: Message | None = None
        if request.length == DurationChoice.END_NOW:
            if not case.open_ban:
                raise CaseClosed(case.number)
            edits += _edit(store, case, request, at, KEEP)
            unbanned = ban_or_unban(
                cometchat,
                audit,
                store,
                ModerationRequest(
                    ModerationAction.UNBAN, event.guid, event.uid, actor=request.actor
                ),
            )
            unban_notice = unbanned.notice()
            if unbanned.ok:
                edits.append(
                    store.note_case_edit(
                        CaseEdit(
                            event_id=case.number,
                            actor=request.actor,
                            at=at,
                            field=EditedField.ENDS_AT,
                            before=event.ends_at.isoformat() if event.ends_at else "",
                            after=at.isoformat(),
                        )
                    )
                )
        else:
            ends: datetime | Keep | None = KEEP
            if request.length != DurationChoice.KEEP:
                ends = new_end(event.at, parse_duration(request.length))
            edits += _edit(store, case, request, at, ends)
        now = store.case(request.number)
    except Exception as exc:
        return EditResult(report_failure(exc, event="case_edit", case=request.number))
    if edits:
        audit.announce(render_case_edit(now, edits, request.actor), what="case_edit")
    log.info(kv(event="case_edit", case=request.number, outcome="ok", edits=len(edits)))
    notice = edited_notice(now, edits)
    if unban_notice is not None:
        notice = Message(text=f"{notice.text}\n{unban_notice.text}")
    return EditResult(notice, now, tuple(edits))


def _edit(
    store: ModerationStore,
    case: Case,
    request: CaseEditRequest,
    at: datetime,
    ends: datetime | Keep | None,
) -> list[CaseEdit]:
    event = case.event
    if request.reason is None and isinstance(ends, Keep):
        return []
    # Under the member's lock: an expiry of this ban in flight finishes first (and this edit
    # then finds the ban over), or waits for this one and finds its claim gone.
    with store.member(event.guid, event.uid) as member:
        return member.edit_case(
            case.number, actor=request.actor, at=at, reason=request.reason, ends_at=ends
        )
