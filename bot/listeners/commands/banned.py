"""`/banned <guid>`: answer with the first page of the group's banned users."""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout

from slack_bolt import Ack

from bot.domain.button_values import PageCursor
from bot.domain.command import BanUser, ListBanned, parse_command
from bot.domain.errors import BotError
from bot.services import Services
from bot.slack.messages import usage
from bot.slack.payloads import ephemeral, without_images
from bot.slack.picker import with_group_picker
from bot.usecases.banned_list import Outcome, offer_picker, show_page
from bot.usecases.moderate import confirm_ban
from bot.usecases.report import report_failure


def handle_banned(ack: Ack, command: dict, services: Services) -> None:
    user = command.get("user_id")
    try:
        request = parse_command(command.get("text"))
    except BotError as exc:
        ack(**ephemeral(report_failure(exc, event="command")))
        return
    if isinstance(request, BanUser):
        ack(**ephemeral(confirm_ban(services.permissions, request, user)))
        return
    if not isinstance(request, ListBanned):
        ack(**ephemeral(with_group_picker(usage())))  # no group named: offer the picker
        return

    cursor = PageCursor(
        guid=request.guid, page=1, per_page=services.settings.page_size, query=request.query
    )
    moderate = services.permissions.can_act(user)  # buttons only for moderators
    future = services.responder.submit(
        lambda: offer_picker(show_page(services.lists, cursor, moderate=moderate, event="command"))
    )
    try:
        # A page that is ready in time travels in the acknowledgement itself.
        outcome: Outcome = future.result(timeout=services.settings.ack_budget)
    except FutureTimeout:
        # Slack gives up after 3 s: acknowledge now, deliver the page when it is ready.
        ack()
        services.responder.post_when_done(
            future, command["response_url"], lambda done: ephemeral(done.message)
        )
        return
    # No avatars in an acknowledgement: if Slack cannot fetch one image it refuses the whole
    # answer, and an ack cannot be sent again without it (pages sent to response_url can be).
    ack(**without_images(ephemeral(outcome.message)))
