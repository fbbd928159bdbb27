"""Export CSV: the group's whole banned list as a file in the requester's DM with the bot."""

from __future__ import annotations

import logging
import time

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.cursor import PageCursor
from bot.errors import BadCursor
from bot.export import SlackFiles, export_to_dm
from bot.listeners.common import new_request_id, report_failure
from bot.listeners.guards import viewers_only
from bot.logs import kv
from bot.services import Services
from bot.slack.payloads import beside
from bot.slack.tools import ACTION_EXPORT, export_comment, export_done, export_started

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(ACTION_EXPORT, middleware=[viewers_only(services)])
    def export(ack, body, action):  # Bolt injects by parameter name
        # The pooled Web API client, not Bolt's per-request one (a new connection per call).
        handle_export(ack, body, action, services.slack_api, services)


def handle_export(
    ack: Ack, body: dict, action: dict, client: WebClient, services: Services
) -> None:
    ack()
    rid = new_request_id()
    user = (body.get("user") or {}).get("id")
    fields = {"event": "export", "rid": rid, "user": user}
    response_url = body.get("response_url")
    if not isinstance(response_url, str) or not response_url or not isinstance(user, str):
        log.warning(kv(**fields, outcome="no_response_url_or_user"))
        return
    try:
        cursor = PageCursor.decode(action.get("value"))
    except BadCursor as exc:
        message = report_failure(exc, **fields)
        services.responder.run_then_post(lambda: beside(message), response_url)
        return
    guid = cursor.guid
    fields["guid"] = guid

    def work() -> dict:
        started = time.perf_counter()
        # Thousands of users take a while: say first (and in order) that it is on its way.
        services.responder.post(response_url, beside(export_started(guid)), context=rid)
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
            )
        except Exception as exc:
            return beside(report_failure(exc, **fields))
        stats = delivered.stats
        log.info(
            kv(
                **fields,
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
        )
        return beside(done)

    services.responder.run_then_post(work, response_url, context=rid)
