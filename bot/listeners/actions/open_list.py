""" "View banned list" on a feed message: the group's first page, shown only to whoever clicked.

The feed message itself stays as it is (the whole channel sees it); the list arrives as a new
ephemeral message beside it, whose Previous/Next then page in place as usual.
"""

from __future__ import annotations

from bot.domain.button_values import PageCursor
from bot.listeners.middleware import Click
from bot.services import Services
from bot.slack.payloads import new_ephemeral
from bot.usecases.banned_list import show_page


def handle_open_list(click: Click[PageCursor], services: Services) -> None:
    def work() -> dict:
        moderate = services.permissions.can_act(click.user)  # Unban/Ban only for moderators
        outcome = show_page(services.lists, click.value, moderate=moderate, event="feed_open_list")
        return new_ephemeral(outcome.message)

    services.responder.run_then_post(work, click.response_url)
