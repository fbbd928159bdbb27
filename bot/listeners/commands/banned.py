"""`/banned …`: the first page of a group's banned users, a ban to confirm, a user's moderation
history, or the usage."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout

from slack_bolt import Ack

from bot.domain.button_values import HistoryRef, PageCursor
from bot.domain.command import BanUser, ListBanned, ShowHistory, parse_command
from bot.domain.errors import BotError
from bot.services import Services
from bot.slack.messages import usage
from bot.slack.payloads import ephemeral, without_images
from bot.slack.picker import with_group_picker
from bot.usecases.banned_list import Outcome, offer_picker, show_page
from bot.usecases.history import show_history
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
    if isinstance(request, ShowHistory):
        ref = HistoryRef(guid=request.guid, uid=request.uid)
        answer_in_time(
            ack, command, services, lambda: show_history(services.store, ref, event="command")
        )
        return
    if not isinstance(request, ListBanned):
        ack(**ephemeral(with_group_picker(usage())))  # no group named: offer the picker
        return

    cursor = PageCursor(
        guid=request.guid, page=1, per_page=services.settings.page_size, query=request.query
    )
    moderate = services.permissions.can_act(user)  # buttons only for moderators
    answer_in_time(
        ack,
        command,
        services,
        lambda: offer_picker(show_page(services.lists, cursor, moderate=moderate, event="command")),
    )


def answer_in_time(
    ack: Ack, command: dict, services: Services, work: Callable[[], Outcome]
) -> None:
    """Run `work` on the job pool and answer in the acknowledgement if it is done within
    ACK_BUDGET; otherwise acknowledge and deliver it to the command's response_url when done.

    The history too: its database is usually a millisecond away, but an SQLite writer holding
    the lock, or a PostgreSQL connection being re-established, can take longer than Slack's
    3 seconds, and a late answer is better than Slack's "operation timed out".
    """
    future = services.responder.submit(work)
    try:
        # An answer that is ready in time travels in the acknowledgement itself.
        outcome: Outcome = future.result(timeout=services.settings.ack_budget)
    except FutureTimeout:
        # Slack gives up after 3 s: acknowledge now, deliver the answer when it is ready.
        ack()
        services.responder.post_when_done(
            future, command["response_url"], lambda done: ephemeral(done.message)
        )
        return
    # No avatars in an acknowledgement: if Slack cannot fetch one image it refuses the whole
    # answer, and an ack cannot be sent again without it (pages sent to response_url can be).
    ack(**without_images(ephemeral(outcome.message)))
