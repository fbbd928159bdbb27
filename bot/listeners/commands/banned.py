"""`/banned …`: the first page of a group's banned users, a ban (or kick) to confirm, a note to
keep, a user's moderation history, a case, where a user is banned, or the usage."""

from __future__ import annotations

from slack_bolt import Ack

from bot.domain.actions import ACTIONS
from bot.domain.button_values import HistoryRef, MassBanRef, PageCursor
from bot.domain.command import (
    BanUser,
    ExportHistory,
    FindUser,
    ListBanned,
    LockDown,
    MassBan,
    ModerateUser,
    ShowCase,
    ShowHistory,
    parse_command,
)
from bot.domain.errors import BotError, NotAllowed
from bot.domain.moderation import ModerationAction
from bot.listeners.commands.answer import answer_in_time
from bot.listeners.commands.history_export import handle_history_export_command
from bot.listeners.commands.where import handle_find_user
from bot.services import Services
from bot.slack.messages import usage
from bot.slack.payloads import ephemeral
from bot.slack.picker import with_group_picker
from bot.usecases.banned_list import offer_picker, show_page
from bot.usecases.cases import show_case
from bot.usecases.history import show_history
from bot.usecases.lockdown import lockdown_payload
from bot.usecases.massban import open_massban_form
from bot.usecases.moderate import confirm_action, confirm_ban
from bot.usecases.notes import record_only
from bot.usecases.report import report_failure
from bot.usecases.user_card import card_reader


def handle_banned(ack: Ack, command: dict, services: Services) -> None:
    user = command.get("user_id")
    try:
        request = parse_command(command.get("text"))
    except BotError as exc:
        ack(**ephemeral(report_failure(exc, event="command")))
        return
    if isinstance(request, BanUser):
        card = card_reader(services.cometchat, services.store, budget=services.settings.ack_budget)
        ack(**ephemeral(confirm_ban(services.permissions, request, user, card)))
        return
    if isinstance(request, ModerateUser) and ACTIONS[request.action].records_only:
        answer_in_time(
            ack,
            command,
            services,
            lambda: record_only(services.store, services.permissions, request, user),
        )
        return
    if isinstance(request, ModerateUser):
        card = card_reader(services.cometchat, services.store, budget=services.settings.ack_budget)
        ack(**ephemeral(confirm_action(services.permissions, request, user, card)))
        return
    if isinstance(request, MassBan):
        if not services.permissions.can_act(user):
            spec = ACTIONS[ModerationAction.MASS_BAN]
            ack(**ephemeral(report_failure(NotAllowed(spec.permission), event="refused")))
            return
        ack()
        form = MassBanRef(
            guid=request.guid,
            response_url=command.get("response_url") or None,
            channel_id=command.get("channel_id") or None,
        )
        open_massban_form(
            services.slack_api, services.responder, trigger_id=command.get("trigger_id"), ref=form
        )
        return
    if isinstance(request, LockDown):
        if not services.permissions.can_act(user):
            spec = ACTIONS[ModerationAction.LOCKDOWN]
            ack(**ephemeral(report_failure(NotAllowed(spec.permission), event="refused")))
            return
        ack()
        services.responder.run_then_post(
            lambda: lockdown_payload(
                services.cometchat, services.store, services.audit, request, user or ""
            ),
            command.get("response_url") or "",
        )
        return
    if isinstance(request, FindUser):
        handle_find_user(ack, command, services, request)
        return
    if isinstance(request, ShowHistory):
        ref = HistoryRef(guid=request.guid, uid=request.uid)
        answer_in_time(
            ack, command, services, lambda: show_history(services.store, ref, event="command")
        )
        return
    if isinstance(request, ExportHistory):
        handle_history_export_command(ack, command, request, services)
        return
    if isinstance(request, ShowCase):
        moderate = services.permissions.can_act(user)  # its Edit button only for moderators
        answer_in_time(
            ack,
            command,
            services,
            lambda: show_case(services.store, request.number, moderate=moderate, event="command"),
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
