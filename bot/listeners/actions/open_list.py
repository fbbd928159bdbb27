""" "View banned list" on a feed message: the group's first page, shown only to whoever clicked.

The feed message itself stays as it is (the whole channel sees it); the list arrives as a new
ephemeral message beside it, whose Previous/Next then page in place as usual.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack

from bot.listeners.common import show_page, start_cursor_click
from bot.services import Services
from bot.slack.payloads import beside

log = logging.getLogger(__name__)


def handle_open_list(ack: Ack, body: dict, action: dict, services: Services) -> None:
    click = start_cursor_click(ack, body, action, services, event="feed_open_list")
    if click is None:
        return

    def work() -> dict:
        moderate = services.permissions.can_act(click.user)  # Unban/Ban only for moderators
        return beside(show_page(services, click.cursor, moderate=moderate, **click.fields).message)

    services.responder.run_then_post(work, click.response_url, context=click.rid)
