"""Previous / Next: replace the clicked message in place with the page its button names."""

from __future__ import annotations

import logging

from slack_bolt import Ack

from bot.listeners.common import show_page, start_cursor_click
from bot.services import Services
from bot.slack.payloads import beside, replacing

log = logging.getLogger(__name__)


def handle_page_click(ack: Ack, body: dict, action: dict, services: Services) -> None:
    click = start_cursor_click(
        ack, body, action, services, event="page_click", action=action.get("action_id")
    )
    if click is None:
        return

    def work() -> dict:
        moderate = services.permissions.can_act(click.user)  # buttons only for moderators
        outcome = show_page(services, click.cursor, moderate=moderate, **click.fields)
        return replacing(outcome.message) if outcome.ok else beside(outcome.message)

    services.responder.run_then_post(work, click.response_url, context=click.rid)
