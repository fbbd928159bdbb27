"""Unban, ban and other actions' buttons. Each is registered behind `moderators_only`; here we
only act.

Answers travel through the click's `response_url`: a list is re-rendered in place with the
outcome on top; a live-feed message (no cursor in the value) gets its button row
replaced by the outcome, or the clicker gets a new ephemeral message.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.domain.actions import ACTIONS
from bot.domain.button_values import ActionRef, BanConfirmRef, BanRef, UnbanRef
from bot.domain.moderation import EventSource, ModerationAction
from bot.listeners.common import open_modal
from bot.listeners.middleware import Click, button_value, moderators_only
from bot.services import Services
from bot.slack.message import Message
from bot.slack.moderation_blocks import (
    ACTION_ACT_CANCEL,
    ACTION_ACT_CONFIRM,
    ACTION_BAN_CANCEL,
    ACTION_BAN_CONFIRM,
    ACTION_BAN_OPEN,
    ACTION_UNBAN,
    ban_modal,
    cancelled,
)
from bot.slack.payloads import new_ephemeral, replacing
from bot.usecases.moderate import ModerationRequest, ban_or_unban, outcome_payload

_BAN = ACTIONS[ModerationAction.BAN].permission
# Unban buttons sit beside Ban: a refusal names both.
_EITHER = f"{ACTIONS[ModerationAction.BAN].verb} or {ACTIONS[ModerationAction.UNBAN].permission}"


def handle_unban(click: Click[UnbanRef], services: Services) -> None:
    ref = click.value

    def work() -> dict[str, Any]:
        request = ModerationRequest(ModerationAction.UNBAN, ref.guid, ref.uid, actor=click.user)
        result = ban_or_unban(services.cometchat, services.audit, services.store, request)
        return outcome_payload(
            services.lists,
            result,
            ref.cursor,
            original=click.message,
            block_id=click.block_id,
            actor=click.user,
        )

    services.responder.run_then_post(work, click.response_url)


def handle_ban_confirm(click: Click[BanConfirmRef], services: Services) -> None:
    """The confirm-protected Ban button of `/banned <guid> ban <uid>`."""
    ref = click.value

    def work() -> dict[str, Any]:
        request = ModerationRequest(
            ModerationAction.BAN,
            ref.guid,
            ref.uid,
            actor=click.user,
            source=EventSource.COMMAND,  # the confirmation of `/banned <guid> ban <uid>`
            duration=ref.duration,
            reason=ref.reason or "",
        )
        result = ban_or_unban(services.cometchat, services.audit, services.store, request)
        if ref.cursor is None:
            # The confirmation message is spent: the outcome takes its place (no second click).
            return replacing(result.notice())
        return outcome_payload(services.lists, result, ref.cursor)

    services.responder.run_then_post(work, click.response_url)


def handle_ban_cancel(click: Click[BanRef], services: Services) -> None:
    message = cancelled(ModerationAction.BAN)
    services.responder.run_then_post(lambda: replacing(message), click.response_url)


def handle_act_confirm(click: Click[ActionRef], services: Services) -> None:
    """The confirm-protected button of `/banned <guid> <verb> <uid>` for another action (kick)."""
    ref = click.value

    def work() -> dict[str, Any]:
        request = ModerationRequest(
            ref.action,
            ref.guid,
            ref.uid,
            actor=click.user,
            source=EventSource.COMMAND,
            reason=ref.reason or "",
        )
        result = ban_or_unban(services.cometchat, services.audit, services.store, request)
        # The confirmation message is spent: the outcome takes its place (no second click).
        return replacing(result.notice())

    services.responder.run_then_post(work, click.response_url)


def handle_act_cancel(click: Click[ActionRef], services: Services) -> None:
    message = cancelled(click.value.action)
    services.responder.run_then_post(lambda: replacing(message), click.response_url)


def handle_ban_open(click: Click[BanRef], client: WebClient, services: Services) -> None:
    """The list's "Ban a user…" button: open the modal asking for the uid."""
    ref, response_url = click.value, click.response_url
    try:
        # A view submission carries neither; the modal keeps them to answer and check later.
        meta = BanRef(
            guid=ref.guid,
            cursor=ref.cursor,
            response_url=response_url or None,
            channel_id=click.channel,
        )
    except ValidationError:
        meta = ref

    def open_form() -> None:
        opened = open_modal(client, click.trigger_id or "", ban_modal(meta), event="ban_open")
        if not opened and response_url:
            text = ":warning: Slack would not open the ban form. Please try again."
            services.responder.post(response_url, new_ephemeral(Message(text=text)))

    # Off the request path, so the acknowledgement never waits on the Web API; the trigger_id
    # is good for 3 s from the click, and this starts at once.
    services.responder.submit(open_form)


def register(app: App, services: Services) -> None:
    """Every moderation action is guarded on the server, whatever buttons a message showed."""

    def guarded(model: type, event: str, action: str = _EITHER, **kw: bool) -> list:
        return [moderators_only(services, action), button_value(model, services, event=event, **kw)]

    @app.action(ACTION_UNBAN, middleware=guarded(UnbanRef, "unban_click"))
    def unban(context: BoltContext):  # Bolt injects by parameter name
        handle_unban(context["click"], services)

    @app.action(
        ACTION_BAN_OPEN,
        middleware=guarded(BanRef, "ban_open", _BAN, needs_response_url=False),
    )
    def ban_open(context: BoltContext):
        # The pooled Web API client, not Bolt's per-request one (a new connection per call).
        handle_ban_open(context["click"], services.slack_api, services)

    @app.action(ACTION_BAN_CONFIRM, middleware=guarded(BanConfirmRef, "ban_click", _BAN))
    def ban_confirm(context: BoltContext):
        handle_ban_confirm(context["click"], services)

    @app.action(ACTION_BAN_CANCEL, middleware=guarded(BanRef, "ban_cancel"))
    def ban_cancel(context: BoltContext):
        handle_ban_cancel(context["click"], services)

    # Which action a click confirms is only known from its value: the refusal names them all.
    asked_for = " or ".join(
        s.verb for s in ACTIONS.values() if s.command and s.confirm and not s.temporary
    )

    @app.action(
        ACTION_ACT_CONFIRM, middleware=guarded(ActionRef, "act_click", f"{asked_for} users")
    )
    def act_confirm(context: BoltContext):
        handle_act_confirm(context["click"], services)

    @app.action(
        ACTION_ACT_CANCEL, middleware=guarded(ActionRef, "act_cancel", f"{asked_for} users")
    )
    def act_cancel(context: BoltContext):
        handle_act_cancel(context["click"], services)
