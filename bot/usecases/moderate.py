"""Ban, unban, kick: call CometChat, audit the attempt, and word what happened. What each action
calls, and how it is worded, is its row in `bot.domain.actions`.

Listeners stay thin: they check nothing here (permissions are listener middleware, declared at
registration) and only decide where the answer goes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from bot.cometchat import CometChatClient, CometChatError
from bot.cometchat.errors import AlreadyBanned, NotBanned
from bot.domain.actions import ACTIONS
from bot.domain.audit import AuditEntry, AuditSink
from bot.domain.button_values import ActionRef, BanConfirmRef, PageCursor, PickedRef
from bot.domain.command import BanUser, ModerateUser
from bot.domain.errors import BadCursor, HistoryUnavailable, InvalidGuid, InvalidUid, NotAllowed
from bot.domain.evidence import UserCard
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.domain.permissions import Permissions
from bot.logs import kv, request_id
from bot.slack.message import Message
from bot.slack.messages import explain_moderation, failure, outcome_of
from bot.slack.moderation_blocks import (
    action_confirmation,
    ban_confirmation,
    done_notice,
    nothing_picked,
    picked_confirmation,
    picked_report,
    too_many_picked,
)
from bot.slack.payloads import new_ephemeral, replacing
from bot.store import ModerationStore
from bot.usecases.banned_list import BannedLists, refreshed_page
from bot.usecases.report import report_failure

log = logging.getLogger("bot.moderation")


@dataclass(frozen=True)
class ModerationRequest:
    """One action as a moderator asked for it. No duration: permanent (or not temporary)."""

    action: ModerationAction
    guid: str
    uid: str
    actor: str  # the moderator's Slack user id
    source: EventSource = EventSource.BUTTON
    duration: timedelta | None = None
    reason: str = ""
    # One of many (the same user in every group): the write waits its turn in the rate-limit
    # governor, so a run of them never spends the reserve kept for everyone else.
    bulk: bool = False

    def __post_init__(self) -> None:
        # Callers may name the action by its value ("unban"); the history keeps the enum.
        object.__setattr__(self, "action", ModerationAction(self.action))


@dataclass(frozen=True)
class ActResult:
    request: ModerationRequest
    error: Exception | None = None
    recorded: bool = True  # False: done, but the bot's history could not keep it
    case: int | None = None  # the recorded event's id (its case number), once stored

    @property
    def action(self) -> ModerationAction:
        return self.request.action

    @property
    def guid(self) -> str:
        return self.request.guid

    @property
    def uid(self) -> str:
        return self.request.uid

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def outcome(self) -> str:
        return "done" if self.error is None else outcome_of(self.error).name

    def notice(self) -> Message:
        request = self.request
        if self.error is None:
            return done_notice(
                request.action,
                request.guid,
                request.uid,
                duration=request.duration if ACTIONS[request.action].temporary else None,
                reason=request.reason,
                recorded=self.recorded,
            )
        return explain_moderation(
            self.error, action=self.action, guid=self.guid, uid=self.uid, ref=request_id()
        )


def ban_or_unban(
    cometchat: CometChatClient,
    audit: AuditSink,
    history: ModerationStore,
    request: ModerationRequest,
) -> ActResult:
    """Do the action once (writes are never retried), record it in the history, then audit the
    attempt. Never raises.

    A temporary ban is refused, before CometChat is asked, when the history cannot be reached:
    nobody would end it. Anything else goes ahead and says if its history could not be kept.
    """
    at = datetime.now(UTC)
    started = time.perf_counter()
    error: Exception | None = None
    recorded = False
    case: int | None = None
    spec = ACTIONS[request.action]
    if spec.temporary and request.duration is not None and not _reachable(history):
        error = HistoryUnavailable()
    elif spec.write is None:
        error = NotAllowed(spec.permission)  # only heard of, never asked for
    else:
        error, recorded, case = _decide(cometchat, history, request)
    result = ActResult(request, error, recorded, case)
    audit.record(
        AuditEntry(
            actor=request.actor,
            action=request.action,
            guid=request.guid,
            uid=request.uid,
            at=int(at.timestamp()),
            outcome=result.outcome,
            error=(getattr(error, "code", None) or type(error).__name__) if error else None,
            minutes=int(request.duration.total_seconds() // 60) if request.duration else None,
            reason=request.reason,
            case=case,
        )
    )
    failed = failure(error) if error is not None else None
    level = logging.INFO if failed is None else failed.level
    log.log(
        level,
        kv(
            event=request.action,
            guid=request.guid,
            uid=request.uid,
            minutes=int(request.duration.total_seconds() // 60) if request.duration else None,
            outcome=result.outcome,
            recorded=recorded if error is None else None,
            code=getattr(error, "code", None),
            hint=failed.hint if failed else None,
            ms=(time.perf_counter() - started) * 1000,
        ),
        # Outside the except block by now: hand the exception over, or the trace is lost.
        exc_info=error if level >= logging.ERROR else None,
    )
    return result


def _reachable(history: ModerationStore) -> bool:
    try:
        history.ping()
    except Exception as exc:
        log.warning(kv(event="history_unavailable", error=type(exc).__name__))
        return False
    return True


def _decide(
    cometchat: CometChatClient, history: ModerationStore, request: ModerationRequest
) -> tuple[Exception | None, bool, int | None]:
    """CometChat's write and its record, under the member's lock: an expiry's unban or another
    decision about this user in flight finishes first, and this one lands after it. While the
    database is unavailable the write goes ahead and its record waits to be stored, in order
    (False: not stored yet, and no case number). Never raises."""
    spec = ACTIONS[request.action]
    written = False
    kept: ModerationEvent | None = None
    try:
        with history.member(request.guid, request.uid) as member:
            try:
                spec.perform(cometchat, request.guid, request.uid, bulk=request.bulk)
            except Exception as exc:
                return exc, False, None
            written = True
            kept = member.record(_event(request, datetime.now(UTC)))
    except Exception as exc:
        log.warning(kv(event="history_not_recorded", error=type(exc).__name__), exc_info=exc)
        if not written:  # the store failed before the write: the moderator's word still goes
            try:
                spec.perform(cometchat, request.guid, request.uid, bulk=request.bulk)
            except Exception as write_error:
                return write_error, False, None
        return None, False, None
    if member.queued:
        log.warning(kv(event="history_not_recorded", hint="stored when the database is back"))
        return None, False, None
    return None, True, kept.id if kept is not None else None


def _event(request: ModerationRequest, at: datetime) -> ModerationEvent:
    temporary = ACTIONS[request.action].temporary
    return ModerationEvent(
        guid=request.guid,
        uid=request.uid,
        action=request.action,
        source=request.source,
        at=at,
        actor=request.actor,
        reason=request.reason,
        ends_at=at + request.duration if temporary and request.duration else None,
    )


def outcome_payload(
    lists: BannedLists,
    result: ActResult,
    cursor: PageCursor | None,
) -> dict[str, Any]:
    """Where the outcome goes: the refreshed list, or beside the clicked message."""
    notice = result.notice()
    if cursor is not None:
        try:
            return replacing(refreshed_page(lists, cursor, notice))
        except Exception as exc:
            # The action itself is done (or explained); only the refresh failed.
            report_failure(exc, event="refresh_after_" + result.action)
            return new_ephemeral(notice)
    return new_ephemeral(notice)


def back_to_list(
    lists: BannedLists, cursor: PageCursor, notice: Message, *, event: str
) -> dict[str, Any]:
    """A confirmation that took a list page's place gives it back, drawn again with `notice` on
    top; if the list cannot be read, the notice alone takes the confirmation's place (its
    buttons are spent either way)."""
    try:
        return replacing(refreshed_page(lists, cursor, notice))
    except Exception as exc:
        report_failure(exc, event=f"refresh_after_{event}")
        return replacing(notice)


# Who the action is about, read when the confirmation is drawn (bot.usecases.user_card).
ReadCard = Callable[[str, str], UserCard]


def confirm_ban(
    permissions: Permissions, request: BanUser, user: str | None, card: ReadCard | None = None
) -> Message:
    """`/banned <guid> ban <uid>`: nothing changes here; the button it returns is guarded by
    `moderators_only` again when pressed. An unknown user or group is said instead."""
    if not permissions.can_act(user):
        return report_failure(NotAllowed(ACTIONS[ModerationAction.BAN].permission), event="refused")
    try:
        about = card(request.guid, request.uid) if card is not None else None
    except CometChatError as exc:
        return report_failure(exc, event="confirm")
    minutes = int(request.duration.total_seconds() // 60) if request.duration else None
    ref = BanConfirmRef(
        guid=request.guid, uid=request.uid, minutes=minutes, reason=request.reason or None
    )
    return ban_confirmation(ref, about)


def confirm_action(
    permissions: Permissions, request: ModerateUser, user: str | None, card: ReadCard | None = None
) -> Message:
    """`/banned <guid> <verb> <uid> [<reason…>]` for an action other than a ban: nothing changes
    here; the button it returns is guarded by `moderators_only` again when pressed. An unknown
    user or group is said instead."""
    ref = ActionRef(
        action=request.action, guid=request.guid, uid=request.uid, reason=request.reason or None
    )
    return ask_to_confirm(permissions, ref, user, card).message


@dataclass(frozen=True)
class Asked:
    """A confirmation to show (`ready`), or the words for why there is nothing to confirm."""

    message: Message
    ready: bool


def ask_to_confirm(
    permissions: Permissions, ref: ActionRef, user: str | None, card: ReadCard | None = None
) -> Asked:
    """Any action on one user but a ban, by command or by button (a kick, an Unban clicked):
    who the user is, and a button that does it. Nothing changes here; that button is guarded
    by `moderators_only` again when pressed. An unknown user or group is said instead, with
    nothing to confirm; a card that is slow or fails to read says what is missing and the
    action can still be confirmed."""
    spec = ACTIONS[ref.action]
    if not permissions.may(spec.who, user):
        return Asked(report_failure(NotAllowed(spec.permission), event="refused"), ready=False)
    try:
        about = card(ref.guid, ref.uid) if card is not None else None
    except CometChatError as exc:
        return Asked(report_failure(exc, event="confirm"), ready=False)
    return Asked(action_confirmation(ref, about), ready=True)


def ask_about_picked(ref: PickedRef, names: dict[str, str] | None) -> Asked:
    """The users ticked on a list page (uid: the name shown; None: more than a page holds),
    named in a confirmation; or why there is nothing to confirm (nothing ticked, a tick that is
    no uid, more than a button can carry). Nothing changes here."""
    if names is None:
        return Asked(too_many_picked(ref.action), ready=False)
    if not names:
        return Asked(nothing_picked(ref.action), ready=False)
    try:
        picked = PickedRef(action=ref.action, guid=ref.guid, cursor=ref.cursor, uids=tuple(names))
    except (ValidationError, InvalidUid, InvalidGuid):
        # A tick whose value is no uid: not one of ours.
        return Asked(report_failure(BadCursor(), event="picked"), ready=False)
    if not picked.fits():
        return Asked(too_many_picked(ref.action), ready=False)
    return Asked(picked_confirmation(picked, names), ready=True)


def act_on_picked(
    cometchat: CometChatClient,
    audit: AuditSink,
    history: ModerationStore,
    ref: PickedRef,
    actor: str,
) -> Message:
    """The users ticked on a list page, confirmed: each through the one path (`ban_or_unban`,
    recorded and audited like a single click), one CometChat call each, waiting its turn in the
    rate-limit governor. Never raises; says what happened to each."""
    done: list[str] = []
    already: list[str] = []
    failed: list[tuple[str, str]] = []
    for uid in dict.fromkeys(ref.uids):  # a uid ticked twice is done once
        request = ModerationRequest(ref.action, ref.guid, uid, actor=actor, bulk=True)
        result = ban_or_unban(cometchat, audit, history, request)
        if result.ok:
            done.append(uid)
        elif isinstance(result.error, NotBanned | AlreadyBanned):
            already.append(uid)  # someone else did it meanwhile: nothing left to do
        else:
            failed.append((uid, result.notice().text))
    log.info(
        kv(
            event="picked",
            action=ref.action,
            guid=ref.guid,
            done=len(done),
            already=len(already),
            failed=len(failed),
        )
    )
    return picked_report(ref.action, ref.guid, done, already, failed)
