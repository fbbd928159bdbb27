"""`/banned user <uid>`: where is this user banned?

The history's answer goes in the acknowledgement (or to the response_url when the database is
slow); then a scan of every group runs on the job pool and posts to the same response_url: at
most two progress notes and its result (a response_url takes five messages). One scan per user
and one per process: a request that finds no slot still gets the history's answer, and is told
to wait instead of starting a scan. A lookup soon after a scan of the same uid answers from the
history alone, which that scan has just brought up to date: no CometChat request at all (not
after a scan that could not check every group, or could not record all it found).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from sqlalchemy.exc import SQLAlchemyError

from bot.domain.command import FindUser
from bot.domain.errors import BotError, HistoryUnreadable
from bot.listeners.commands.answer import answer_in_time
from bot.services import Services
from bot.slack.message import Message
from bot.slack.payloads import ephemeral
from bot.slack.where_blocks import (
    render_history_bans,
    render_scan_failed,
    render_scan_progress,
    render_scan_report,
    scan_fresh_note,
    scan_started_note,
)
from bot.usecases.banned_list import Outcome
from bot.usecases.export import ProgressNotes
from bot.usecases.report import report_failure
from bot.usecases.where import history_bans, scan_and_record

log = logging.getLogger(__name__)


def handle_find_user(
    ack: Ack,
    command: dict,
    services: Services,
    request: FindUser,
) -> None:
    user = command.get("user_id") or ""
    uid, response_url = request.uid, command.get("response_url") or ""
    moderate = services.permissions.can_act(user)
    age = services.scans.fresh(uid)
    if age is not None:
        note = scan_fresh_note(age)
        answer_in_time(ack, command, services, lambda: known_bans(services, uid, moderate, note))
        return
    try:
        services.scans.take(user)
    except BotError as exc:
        busy = report_failure(exc, event="where", uid=uid, running=services.scans.running)
        answer_in_time(
            ack, command, services, lambda: known_bans(services, uid, moderate, busy.text)
        )
        return
    try:
        answered = answer_in_time(
            ack, command, services, lambda: known_bans(services, uid, moderate, scan_started_note())
        )

        def tell(note: Message) -> None:
            services.responder.post(response_url, ephemeral(note))

        def work() -> dict[str, Any]:
            try:
                answered.result()  # the history's answer first, then the scan's posts
                return ephemeral(run_scan(services, uid, tell, moderate=moderate))
            finally:
                services.scans.release(user)

        services.responder.run_then_post(work, response_url)
    except Exception:
        services.scans.release(user)  # never started: the slot must not stay taken
        raise


def known_bans(services: Services, uid: str, moderate: bool, note: str) -> Outcome:
    """The history's answer, or why there is none; `note` says what happens next."""
    try:
        bans = history_bans(services.store, uid)
    except SQLAlchemyError as exc:
        error = HistoryUnreadable()
        worded = report_failure(error, event="where", uid=uid, cause=type(exc).__name__)
        return Outcome(Message(text=f"{worded.text}\n{note}"), ok=False, error=error)
    return Outcome(render_history_bans(uid, bans, moderate=moderate, note=note), ok=True)


def run_scan(
    services: Services, uid: str, tell: Callable[[Message], object], *, moderate: bool
) -> Message:
    """The scan itself, on the job pool: its result, or why there is none. `tell` passes on
    a long scan's progress (twice at most)."""
    progress = ProgressNotes(
        lambda done, total: tell(render_scan_progress(uid, done, total)), clock=services.clock
    )
    try:
        report = scan_and_record(services.cometchat, services.store, uid, progress=progress)
    except Exception as exc:
        return render_scan_failed(uid, report_failure(exc, event="where_scan", uid=uid))
    if report.recorded is not None and not report.unrecorded and not report.unchecked:
        # The history now holds every group: the next lookup may answer from it alone.
        services.scans.scanned(uid)
    return render_scan_report(report, moderate=moderate)
