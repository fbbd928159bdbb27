"""Share in channel: post the page the button sits under, visibly, saying who shared it."""

from __future__ import annotations

from bot.domain.button_values import PageCursor
from bot.listeners.middleware import Click
from bot.services import Services
from bot.slack.payloads import new_ephemeral
from bot.slack.share import in_channel, shared_copy
from bot.usecases.banned_list import show_page


def handle_share(click: Click[PageCursor], services: Services) -> None:
    """The page is fetched again from its cursor: Slack does not send an ephemeral message back
    with a click. It goes out through the click's response_url as `in_channel`, which needs no
    scope and works wherever `/banned` was used (the bot need not be a channel member)."""

    def work() -> dict:
        # moderate=False: the channel's copy must not carry Unban buttons (they are stripped
        # anyway, with every other button, by shared_copy).
        outcome = show_page(services.lists, click.value, moderate=False, event="share")
        if not outcome.ok:
            return new_ephemeral(outcome.message)
        return in_channel(shared_copy(outcome.message, click.user))

    services.responder.run_then_post(work, click.response_url)
