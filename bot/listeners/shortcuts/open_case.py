"""The "Open case" message shortcut: used on one of the bot's own audit or feed posts, it shows
the case the post is about (its number is in the post's metadata) to whoever used it."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.domain.errors import NotACasePost
from bot.listeners.middleware import viewers_only
from bot.logs import kv
from bot.services import Services
from bot.slack.case_blocks import SHORTCUT_OPEN_CASE
from bot.slack.message import case_of
from bot.slack.payloads import new_ephemeral
from bot.usecases.cases import show_case
from bot.usecases.report import report_failure

log = logging.getLogger(__name__)


def handle_open_case(body: dict, user: str | None, services: Services) -> None:
    response_url = body.get("response_url")
    if not isinstance(response_url, str) or not response_url:
        log.warning(kv(event="open_case", outcome="no_response_url"))
        return
    message = body.get("message")
    number = case_of(message if isinstance(message, dict) else None)
    moderate = services.permissions.can_act(user)

    def work() -> dict:
        if number is None:
            return new_ephemeral(report_failure(NotACasePost(), event="open_case"))
        return new_ephemeral(
            show_case(services.store, number, moderate=moderate, event="open_case").message
        )

    services.responder.run_then_post(work, response_url)


def register(app: App, services: Services) -> None:
    @app.shortcut(SHORTCUT_OPEN_CASE, middleware=[viewers_only(services)])
    def open_case(ack: Ack, body: dict, context):  # Bolt injects by parameter name
        ack()
        handle_open_case(body, context.user_id, services)
