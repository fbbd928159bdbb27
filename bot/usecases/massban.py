"""A mass ban: preview who it would pick (nothing written), then, once confirmed, CometChat's
bulk ban in chunks, each banned user recorded through the member's one path, and the whole
action one case listing them.

The preview keeps its plan in the database (`store.mass`), so the confirmation, served by any
worker, bans exactly the users the moderator saw, and only once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cometchat import (
    CometChatClient,
    CometChatError,
    GroupMember,
    RateLimited,
    Unavailable,
    UserNotFound,
)
from bot.domain.actions import ACTIONS
from bot.domain.audit import AuditEntry, AuditSink
from bot.domain.button_values import MassBanRef
from bot.domain.errors import MassActionNeedsHistory, UndoRefused
from bot.domain.massban import (
    UNDO_WINDOW,
    Choice,
    Criteria,
    MassBanReport,
    MassPlan,
    Member,
    Outcome,
    Preview,
    UndoReport,
    choose,
    chunks,
)
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.logs import kv
from bot.slack.delivery import Responder
from bot.slack.massban_blocks import massban_modal
from bot.slack.message import Message
from bot.slack.payloads import new_ephemeral
from bot.store import ModerationStore

log = logging.getLogger("bot.massban")

_ACTION = ModerationAction.MASS_BAN
# Existence checks of pasted uids that are not members, in flight at once.
_LOOKUPS = 8
# An undo's unbans in flight at once. Each holds its member's lock, and on PostgreSQL one of the
# worker's pooled connections, for its CometChat call: 4 leaves the pool room for everyone else.
_UNDO_IN_FLIGHT = 4


def _when(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _member(found: GroupMember) -> Member:
    return Member(
        uid=found.uid,
        name=found.name or "",
        scope=found.scope or "participant",
        joined_at=_when(found.joined_at),
        created_at=_when(found.created_at),
    )


def preview_mass_ban(
    cometchat: CometChatClient,
    store: ModerationStore,
    *,
    guid: str,
    actor: str,
    criteria: Criteria,
    duration: timedelta | None,
    reason: str,
    protected: frozenset[str],
    now: datetime | None = None,
) -> Preview:
    """Who the mass ban would pick, read from CometChat (members, banned list, unknown uids);
    the plan is kept for the confirmation. Nothing is written to CometChat or the history."""
    now = now or datetime.now(UTC)
    members = [_member(m) for m in cometchat.all_members(guid)]
    choice: Choice = choose(criteria, members, protected=protected, now=now)
    banned = {user.uid for page in cometchat.banned_pages(guid) for user in page.users}
    already = [m.uid for m in choice.picked if m.uid in banned]
    missing = _unknown([uid for uid in choice.unchecked if uid not in banned], cometchat)
    gone = set(already) | set(missing)
    picked = [m for m in choice.picked if m.uid not in gone]
    plan = None
    if picked:
        plan = store.mass.draft(
            guid=guid,
            action=_ACTION.value,
            actor=actor,
            reason=reason,
            minutes=None if duration is None else int(duration.total_seconds() // 60),
            users=picked,
        )
    log.info(
        kv(
            event="mass_ban_preview",
            guid=guid,
            picked=len(picked),
            missing=len(missing),
            already=len(already),
            privileged=len(choice.privileged),
            protected=len(choice.protected),
        )
    )
    return Preview(
        guid=guid,
        plan=plan,
        picked=picked,
        missing=missing,
        already=already,
        privileged=choice.privileged,
        protected=choice.protected,
        duration=duration,
        reason=reason,
    )


def _unknown(uids: Sequence[str], cometchat: CometChatClient) -> list[str]:
    """The uids CometChat has no user for (asked a few at a time)."""

    def missing(uid: str) -> bool:
        try:
            cometchat.get_user(uid)
        except UserNotFound:
            return True
        return False

    if not uids:
        return []
    with ThreadPoolExecutor(max_workers=min(_LOOKUPS, len(uids))) as pool:
        answers = list(pool.map(missing, uids))
    return [uid for uid, gone in zip(uids, answers, strict=True) if gone]


def open_massban_form(
    client: WebClient,
    responder: Responder,
    *,
    trigger_id: str | None,
    ref: MassBanRef,
    minutes: int | None = None,
    days: int | None = None,
) -> None:
    """Open the form off the request path (a trigger is good for 3 s from the click or the
    command, and this starts at once). `minutes` pre-fills the join window, `days` the age."""

    def open_modal() -> None:
        try:
            client.views_open(
                trigger_id=trigger_id, view=massban_modal(ref, minutes=minutes, days=days)
            )
        except SlackApiError as exc:
            log.warning(
                kv(
                    event="massban_open",
                    outcome="views_open_failed",
                    error=exc.response.get("error"),
                )
            )
            if ref.response_url:
                text = ":warning: Slack would not open the mass ban form. Please try again."
                responder.post(ref.response_url, new_ephemeral(Message(text=text)))
            return
        log.info(kv(event="massban_open", outcome="modal_opened", guid=ref.guid))

    responder.submit(open_modal)


# Told how many users have been sent so far, and how many in all.
Progress = Callable[[int, int], None]


def run_mass_ban(
    cometchat: CometChatClient,
    store: ModerationStore,
    audit: AuditSink,
    *,
    plan_id: int,
    actor: str,
    source: EventSource = EventSource.BUTTON,
    progress: Progress | None = None,
) -> MassBanReport | None:
    """Run a previewed plan once. None when it was already run (a second confirmation).
    Raises MassActionNeedsHistory, before anything is written, when the database cannot be reached:
    a mass ban nobody could undo or end is not started."""
    started = time.perf_counter()
    spec = ACTIONS[_ACTION]
    try:
        plan = store.mass.load(plan_id)
        if plan is None or not store.mass.start(plan_id):
            return None
    except Exception as exc:
        raise MassActionNeedsHistory() from exc
    at = datetime.now(UTC)
    ends_at = at + plan.duration if plan.duration is not None else None
    case = store.record(
        ModerationEvent(
            guid=plan.guid,
            uid="",  # the group as a whole: its users are listed with the plan
            action=_ACTION,
            source=source,
            at=at,
            actor=actor,
            reason=plan.reason,
            ends_at=ends_at,
        )
    )
    store.mass.link_case(plan.id, case.id or 0)
    report = MassBanReport(plan=plan, case_id=case.id)
    uids = [user.uid for user in plan.users]
    sent = 0
    for chunk in chunks(uids):
        try:
            answers = getattr(cometchat, spec.bulk or "")(plan.guid, chunk)
        except CometChatError as exc:
            # Not retried: the chunk may have reached CometChat. Its users are reported failed.
            # Whether CometChat answered at all matters more than its code here.
            unanswered = isinstance(exc, Unavailable | RateLimited)
            why = type(exc).__name__ if unanswered else exc.code or type(exc).__name__
            for uid in chunk:
                report.failed.append((uid, why))
                store.mass.set_outcome(plan.id, uid, Outcome.FAILED, why)
            log.warning(kv(event="mass_ban_chunk_failed", guid=plan.guid, error=why))
        else:
            for uid in chunk:
                answer = answers[uid]
                if answer.success:
                    _record_ban(store, plan, uid, actor, source, report)
                elif answer.code == "ERR_ALREADY_BANNED":
                    report.already.append(uid)
                    store.mass.set_outcome(plan.id, uid, Outcome.ALREADY, answer.code)
                else:
                    why = answer.code or answer.message or "no answer"
                    report.failed.append((uid, why))
                    store.mass.set_outcome(plan.id, uid, Outcome.FAILED, why)
        sent += len(chunk)
        if progress is not None:
            progress(sent, len(uids))
    store.mass.finish(plan.id)
    report.seconds = time.perf_counter() - started
    audit.record(
        AuditEntry(
            actor=actor,
            action=_ACTION,
            guid=plan.guid,
            uid="",
            at=int(at.timestamp()),
            outcome="done" if report.banned else "failed",
            minutes=plan.minutes,
            reason=plan.reason,
            count=len(report.banned),
            case=case.id,
        )
    )
    log.info(
        kv(
            event=_ACTION,
            guid=plan.guid,
            case=case.id,
            banned=len(report.banned),
            already=len(report.already),
            failed=len(report.failed),
            unrecorded=report.unrecorded or None,
            ms=report.seconds * 1000,
        )
    )
    return report


def _record_ban(
    store: ModerationStore,
    plan: MassPlan,
    uid: str,
    actor: str,
    source: EventSource,
    report: MassBanReport,
) -> None:
    """The user's own case, through the member's one path (after any change of them in flight;
    kept in the backlog if the database drops meanwhile)."""
    each = ACTIONS[_ACTION].each or ModerationAction.BAN
    at = datetime.now(UTC)  # like a single ban: its duration runs from its own moment
    event = ModerationEvent(
        guid=plan.guid,
        uid=uid,
        action=each,
        source=source,
        at=at,
        actor=actor,
        reason=plan.reason,
        ends_at=at + plan.duration if plan.duration is not None else None,
    )
    report.banned.append(uid)
    try:
        stored = store.change(plan.guid, uid, lambda change: change.record(event), each.value)
        store.mass.set_outcome(
            plan.id, uid, Outcome.BANNED, ban_id=stored.id if stored is not None else None
        )
    except Exception as exc:
        log.warning(kv(event="mass_ban_unrecorded", uid=uid, error=type(exc).__name__))
        stored = None
    if stored is None:
        report.unrecorded += 1


def undo_mass_ban(
    cometchat: CometChatClient,
    store: ModerationStore,
    audit: AuditSink,
    *,
    case_id: int,
    actor: str,
    now: datetime | None = None,
) -> UndoReport:
    """Unban exactly the users the mass action `case_id` banned whose latest decision is still
    that ban: anyone banned again since, or unbanned, by whoever, is left alone. Each unban goes
    through the member's one path (checked under their lock, right before CometChat's call) and
    is recorded. Once per action, within UNDO_WINDOW of it. Raises UndoRefused, or
    MassActionNeedsHistory when the database cannot be reached (nothing is done)."""
    now = now or datetime.now(UTC)
    try:
        plan = store.mass.by_case(case_id)
        case = store.event(case_id)
    except Exception as exc:
        raise MassActionNeedsHistory() from exc
    if plan is None or case is None:
        raise UndoRefused("unknown")
    if now - case.at > UNDO_WINDOW:
        raise UndoRefused("too_late", hours=int(UNDO_WINDOW.total_seconds() // 3600))
    if not store.mass.start_undo(plan.id):
        raise UndoRefused("done")
    report = UndoReport(guid=plan.guid, case_id=case_id)
    reason = f"undo of mass ban #{case_id}"
    held = [(u.uid, u.ban_id) for u in plan.users if u.outcome == Outcome.BANNED and u.ban_id]

    def undo(pair: tuple[str, int]) -> _Undone:
        uid, ban_id = pair
        return _undo_one(cometchat, store, plan.id, plan.guid, uid, ban_id, actor, reason)

    # Unbans of different users are independent (one lock each): a few at once, each still
    # waiting its turn in the governor. The report keeps the plan's order.
    if held:
        with ThreadPoolExecutor(min(_UNDO_IN_FLIGHT, len(held)), "mass-undo") as pool:
            for (uid, _), (outcome, code) in zip(held, pool.map(undo, held), strict=True):
                if outcome == "unbanned":
                    report.unbanned.append(uid)
                elif outcome == "kept":
                    report.kept.append(uid)
                else:
                    report.failed.append((uid, code))
    store.mass.finish_undo(plan.id)
    audit.record(
        AuditEntry(
            actor=actor,
            action=ModerationAction.UNBAN,
            guid=plan.guid,
            uid="",
            at=int(now.timestamp()),
            outcome="done" if report.unbanned else "failed",
            reason=reason,
            count=len(report.unbanned),
            case=case_id,
        )
    )
    log.info(
        kv(
            event="mass_ban_undo",
            guid=plan.guid,
            case=case_id,
            unbanned=len(report.unbanned),
            kept=len(report.kept),
            failed=len(report.failed),
        )
    )
    return report


# What became of one user in an undo: ("unbanned" | "kept" | "failed", the failure's code).
_Undone = tuple[str, str]


def _undo_one(
    cometchat: CometChatClient,
    store: ModerationStore,
    plan_id: int,
    guid: str,
    uid: str,
    ban_id: int,
    actor: str,
    reason: str,
) -> _Undone:
    with store.member(guid, uid) as member:
        latest = member.latest()
        if latest is None or latest.id != ban_id:
            return "kept", ""  # someone decided about them since: theirs stands
        try:
            cometchat.unban(guid, uid, bulk=True)
        except CometChatError as exc:
            return "failed", exc.code or type(exc).__name__
        member.record(
            ModerationEvent(
                guid=guid,
                uid=uid,
                action=ModerationAction.UNBAN,
                source=EventSource.BUTTON,
                at=datetime.now(UTC),
                actor=actor,
                reason=reason,
            )
        )
    store.mass.set_outcome(plan_id, uid, Outcome.UNDONE, ban_id=ban_id)
    return "unbanned", ""
