"""Export CSV: the group's whole banned list as a file in the requester's DM with the bot."""

from __future__ import annotations

import logging
import time

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.domain.button_values import PageCursor
from bot.domain.errors import BotError, ExportTimedOut, NotAllowed
from bot.listeners.middleware import Click, button_value, viewers_only
from bot.logs import kv
from bot.services import Services
from bot.slack.list_tools import (
    ACTION_EXPORT,
    export_comment,
    export_done,
    export_progress,
    export_started,
)
from bot.slack.payloads import new_ephemeral
from bot.usecases.export import Budget, ProgressNotes, SlackFiles, export_to_dm
from bot.usecases.report import report_failure

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    middleware = [viewers_only(services), button_value(PageCursor, services, event="export")]

    @app.action(ACTION_EXPORT, middleware=middleware)
    def export(context: BoltContext):  # Bolt injects by parameter name
        # The pooled Web API client, not Bolt's per-request one (a new connection per call).
        handle_export(context["click"], services.slack_api, services)


def handle_export(click: Click[PageCursor], client: WebClient, services: Services) -> None:
    user, response_url, guid = click.user, click.response_url, click.value.guid
    if not user:  # the file goes to the requester's DM: no user, nowhere to send it
        # Refused in words like any other click the bot cannot serve, never in silence.
        refusal = report_failure(NotAllowed("export a list"), event="export", why="no_user")
        services.responder.run_then_post(lambda: new_ephemeral(refusal), response_url)
        return
    try:
        # Taken on the request path, so a refused click never reaches CometChat.
        services.exports.take(user)
    except BotError as exc:
        message = report_failure(exc, event="export", guid=guid, running=services.exports.running)
        services.responder.run_then_post(lambda: new_ephemeral(message), response_url)
        return

    def work() -> dict:
        try:
            return run_export(services, client, user, guid, response_url)
        finally:
            services.exports.release(user)

    try:
        services.responder.run_then_post(work, response_url)
    except Exception:
        services.exports.release(user)  # never started: the slot must not stay taken
        raise


def run_export(
    services: Services, client: WebClient, user: str, guid: str, response_url: str
) -> dict:
    """The export itself, on the job pool: a file in the user's DM, or why there is none."""
    started = time.perf_counter()
    # Thousands of users take a while: say first (and in order) that it is on its way.
    services.responder.post(response_url, new_ephemeral(export_started(guid)))
    budget = Budget(services.settings.export_time_budget, services.clock(), services.clock)
    # A response_url takes five messages: started, at most two of these, and the outcome.
    progress = ProgressNotes(
        lambda rows, total: services.responder.post(
            response_url, new_ephemeral(export_progress(guid, rows=rows, total=total))
        ),
        clock=services.clock,
    )
    try:
        title = services.lists.group(guid).display_name
        delivered = export_to_dm(
            services.cometchat,
            SlackFiles(client, services.slack_http),
            guid=guid,
            title=f"Banned from {title}",
            user_id=user,
            comment=lambda stats: export_comment(
                rows=stats.rows, complete=stats.complete, title=title, guid=guid
            ),
            budget=budget,
            progress=progress,
        )
    except ExportTimedOut as exc:
        return new_ephemeral(
            report_failure(exc, event="export", guid=guid, pages=exc.pages, rows=exc.rows)
        )
    except Exception as exc:
        return new_ephemeral(report_failure(exc, event="export", guid=guid))
    stats = delivered.stats
    log.info(
        kv(
            event="export",
            guid=guid,
            outcome="ok",
            rows=stats.rows,
            pages=stats.pages,
            bytes=stats.size,
            complete=stats.complete,
            ms=(time.perf_counter() - started) * 1000,
        )
    )
    done = export_done(
        filename=delivered.filename,
        rows=stats.rows,
        complete=stats.complete,
        title=title,
        guid=guid,
        seconds=time.perf_counter() - started,
    )
    return new_ephemeral(done)
