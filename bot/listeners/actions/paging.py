"""Previous / Next: replace the clicked message in place with the page its button names."""

from __future__ import annotations

from bot.domain.button_values import PageCursor
from bot.listeners.middleware import Click
from bot.services import Services
from bot.slack.payloads import new_ephemeral, replacing
from bot.usecases.banned_list import show_page


def handle_page_click(click: Click[PageCursor], services: Services) -> None:
    def work() -> dict:
        moderate = services.permissions.can_act(click.user)  # buttons only for moderators
        outcome = show_page(services.lists, click.value, moderate=moderate, event="page_click")
        # A failed page goes beside the message, which stays usable (its buttons still work).
        return replacing(outcome.message) if outcome.ok else new_ephemeral(outcome.message)

    services.responder.run_then_post(work, click.response_url)
