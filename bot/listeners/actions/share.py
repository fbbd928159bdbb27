"""Share in channel: post the page the button sits under, visibly, saying who shared it."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.listeners.common import show_page, start_cursor_click
from bot.listeners.guards import viewers_only
from bot.services import Services
from bot.slack.list_tools import ACTION_SHARE
from bot.slack.payloads import beside
from bot.slack.share import in_channel, shared_copy

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(ACTION_SHARE, middleware=[viewers_only(services)])
    def share(ack, body, action):  # Bolt injects by parameter name
        handle_share(ack, body, action, services)


def handle_share(ack: Ack, body: dict, action: dict, services: Services) -> None:
    """The page is fetched again from its cursor: Slack does not send an ephemeral message back
    with a click. It goes out through the click's response_url as `in_channel`, which needs no
    scope and works wherever `/banned` was used (the bot need not be a channel member)."""
    click = start_cursor_click(ack, body, action, services, event="share")
    if click is None:
        return

    def work() -> dict:
        # moderate=False: the channel's copy must not carry Unban buttons (they are stripped
        # anyway, with every other button, by shared_copy).
        outcome = show_page(services, click.cursor, moderate=False, **click.fields)
        if not outcome.ok:
            return beside(outcome.message)
        return in_channel(shared_copy(outcome.message, click.user))

    services.responder.run_then_post(work, click.response_url, context=click.rid)
