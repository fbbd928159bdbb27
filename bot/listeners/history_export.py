"""Export history: the moderation history as a CSV file in the requester's DM, from the Home tab's
button (bot.listeners.actions.history_export) or `/banned history export [<guid>] [<days>]`
(bot.listeners.commands.history_export). The banned list's export path: one export per person and
a few in the app (the same slots), a time budget, progress notes, the file streamed from a spool,
every cell through the formula guard."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient

from bot.domain.command import ExportHistory
from bot.domain.errors import BotError, NotAllowed
from bot.logs import kv
from bot.services import Services
from bot.slack.history_export_words import (
    history_export_comment,
    history_export_done,
    history_export_progress,
    history_export_started,
    history_scope,
)
from bot.slack.message import Message
from bot.usecases.export import Budget, ProgressNotes, SlackFiles, export_history_to_dm
from bot.usecases.report import report_failure

log = logging.getLogger(__name__)

Say = Callable[[Message], object]


def start_history_export(
    services: Services,
    client: WebClient,
    user: str,
    request: ExportHistory,
    say: Say,
    *,
    announce: bool = False,
) -> tuple[Message, bool]:
    """Take an export slot and start; what to say at once (on its way, or why not). What
    follows (progress, the outcome) goes to `say`, in order: `announce` has "on its way" said
    there first too. True: started."""
    scope = history_scope(request.guid, request.days)
    if not user:  # the file goes to the requester's DM: no user, nowhere to send it
        return report_failure(NotAllowed("export the history"), event="history_export"), False
    try:
        services.exports.take(user)  # on the request path: a refusal reads nothing
    except BotError as exc:
        return report_failure(exc, event="history_export", running=services.exports.running), False

    def work() -> None:
        try:
            if announce:
                say(history_export_started(scope))
            say(_run(services, client, user, request, scope, say))
        finally:
            services.exports.release(user)

    try:
        services.responder.submit(work)
    except Exception as exc:
        services.exports.release(user)  # never started: the slot must not stay taken
        return report_failure(exc, event="history_export"), False
    return history_export_started(scope), True


def _run(
    services: Services,
    client: WebClient,
    user: str,
    request: ExportHistory,
    scope: str,
    say: Say,
) -> Message:
    started = time.perf_counter()
    budget = Budget(services.settings.export_time_budget, services.clock(), services.clock)
    progress = ProgressNotes(
        lambda rows, _total: say(history_export_progress(scope, rows=rows)), clock=services.clock
    )
    since = None
    if request.days is not None:
        since = datetime.now(UTC) - timedelta(days=request.days)
    try:
        delivered = export_history_to_dm(
            services.store,
            SlackFiles(client, services.slack_http),
            guid=request.guid,
            since=since,
            title="Moderation history",
            user_id=user,
            comment=lambda stats: history_export_comment(
                rows=stats.rows, complete=stats.complete, scope=scope
            ),
            budget=budget,
            progress=progress,
        )
    except Exception as exc:
        return report_failure(exc, event="history_export", guid=request.guid)
    stats = delivered.stats
    log.info(
        kv(
            event="history_export",
            guid=request.guid,
            days=request.days,
            outcome="ok",
            rows=stats.rows,
            bytes=stats.size,
            ms=(time.perf_counter() - started) * 1000,
        )
    )
    return history_export_done(
        delivered.filename, rows=stats.rows, complete=stats.complete, scope=scope
    )
