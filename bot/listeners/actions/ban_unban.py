"""Unban, ban and other actions' buttons. Each is registered behind `moderators_only`; here we
only act.

Answers travel through the click's `response_url`: a confirmation takes the list's place and
gives it back, redrawn with the outcome on top; from a message without a list (the live feed, no
cursor in the value) the confirmation is a new ephemeral message whose outcome takes its place.
A confirmation on top of a Home view is answered by publishing the view again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.actions import ACTIONS
from bot.domain.button_values import (
    ActionRef,
    BanConfirmRef,
    BanRef,
    PageCursor,
    PickedRef,
    UnbanRef,
)
from bot.domain.moderation import EventSource, ModerationAction
from bot.listeners.common import open_modal
from bot.listeners.middleware import Click, button_value, moderators_only
from bot.logs import kv
from bot.services import Services
from bot.settings import MAX_PAGE_SIZE
from bot.slack.message import Message
from bot.slack.moderation_blocks import (
    ACTION_ACT_CANCEL,
    ACTION_ACT_CONFIRM,
    ACTION_BAN_CANCEL,
    ACTION_BAN_CONFIRM,
    ACTION_BAN_OPEN,
    ACTION_PICK,
    ACTION_PICKED,
    ACTION_PICKED_CANCEL,
    ACTION_PICKED_CONFIRM,
    ACTION_UNBAN,
    ban_modal,
    cancelled,
    nothing_picked,
    ticked,
)
from bot.slack.payloads import new_ephemeral, replacing
from bot.usecases.moderate import (
    ModerationRequest,
    act_on_picked,
    ask_about_picked,
    ask_to_confirm,
    back_to_list,
    ban_or_unban,
    outcome_payload,
)
from bot.usecases.user_card import card_reader

log = logging.getLogger("bot.requests")

_BAN = ACTIONS[ModerationAction.BAN].permission
# Unban buttons sit beside Ban: a refusal names both.
_EITHER = f"{ACTIONS[ModerationAction.BAN].verb} or {ACTIONS[ModerationAction.UNBAN].permission}"


def handle_unban(click: Click[UnbanRef], services: Services) -> None:
    """Unban clicked: nothing changes yet. The confirmation shows who the user is (their card)
    with Confirm and Cancel: in the list's place (Confirm or Cancel draws the list again), or,
    from a message without a list (the live feed), as a message of its own beside it."""
    ref = click.value
    confirm = ActionRef(
        action=ModerationAction.UNBAN,
        guid=ref.guid,
        uid=ref.uid,
        cursor=ref.cursor,
        source=EventSource.BUTTON,
    )
    card = card_reader(services.cometchat, services.store, budget=services.settings.ack_budget)

    def work() -> dict[str, Any]:
        asked = ask_to_confirm(services.permissions, confirm, click.user, card)
        if asked.ready and ref.cursor is not None:
            return replacing(asked.message)
        return new_ephemeral(asked.message)  # an unknown user: the list stays as it was

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
    """The confirm-protected button of an action on one user but a ban: `/banned <guid> <verb>
    <uid>` (a kick), or an Unban clicked."""
    ref = click.value
    if click.home:
        # On top of the Home view (no response_url): the view comes back with the outcome.
        services.home.hold_refresh(click.user)

    def work() -> dict[str, Any]:
        request = ModerationRequest(
            ref.action,
            ref.guid,
            ref.uid,
            actor=click.user,
            source=ref.source or EventSource.COMMAND,
            reason=ref.reason or "",
        )
        result = ban_or_unban(services.cometchat, services.audit, services.store, request)
        if ref.cursor is not None:
            # The confirmation took the list's place: the list comes back, the outcome on top.
            return back_to_list(services.lists, ref.cursor, result.notice(), event=request.action)
        # The confirmation message is spent: the outcome takes its place (no second click).
        return replacing(result.notice())

    _answer(click, work, services)


def _answer(
    click: Click[ActionRef], work: Callable[[], dict[str, Any]], services: Services
) -> None:
    """Through the click's response_url; in the Home tab, by publishing its view again, with
    the answer's words where the confirmation stood."""
    if not click.home:
        if not click.response_url:  # nowhere to answer: nothing is done either
            log.warning(kv(event="act_click", outcome="no_response_url"))
            return
        services.responder.run_then_post(work, click.response_url)
        return
    services.responder.submit(lambda: services.home.publish(click.user, notice=work()["text"]))


def handle_act_cancel(click: Click[ActionRef], services: Services) -> None:
    if click.home:
        services.home.hold_refresh(click.user)
    _answer(click, _cancelled(click.value.action, click.value.cursor, services), services)


def _cancelled(
    action: ModerationAction, cursor: PageCursor | None, services: Services
) -> Callable[[], dict[str, Any]]:
    """A confirmation's Cancel: "Cancelled" in its place, above the list when it stood there."""
    message = cancelled(action)

    def work() -> dict[str, Any]:
        if cursor is None:
            return replacing(message)
        return back_to_list(services.lists, cursor, message, event="cancel")

    return work


def handle_picked(click: Click[PickedRef], services: Services) -> None:
    """*Unban selected* under a list page: the users ticked on it (Slack sends the ticks with
    the click), named in a confirmation in the list's place. Nothing ticked: said, and the list
    stays as it was."""
    asked = ask_about_picked(click.value, ticked(click.state, limit=MAX_PAGE_SIZE))
    payload = replacing(asked.message) if asked.ready else new_ephemeral(asked.message)
    services.responder.run_then_post(lambda: payload, click.response_url)


def handle_picked_confirm(click: Click[PickedRef], services: Services) -> None:
    ref = click.value

    def work() -> dict[str, Any]:
        if not ref.uids:
            return new_ephemeral(nothing_picked(ref.action))
        report = act_on_picked(services.cometchat, services.audit, services.store, ref, click.user)
        if ref.cursor is None:
            return replacing(report)
        return back_to_list(services.lists, ref.cursor, report, event="picked")

    services.responder.run_then_post(work, click.response_url)


def handle_picked_cancel(click: Click[PickedRef], services: Services) -> None:
    work = _cancelled(click.value.action, click.value.cursor, services)
    services.responder.run_then_post(work, click.response_url)


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
    asked_for = " or ".join(s.verb for s in ACTIONS.values() if s.confirmable)

    # Also on top of a Home view (an unban asked for there), whose clicks carry no response_url.
    @app.action(
        ACTION_ACT_CONFIRM,
        middleware=guarded(ActionRef, "act_click", f"{asked_for} users", needs_response_url=False),
    )
    def act_confirm(context: BoltContext):
        handle_act_confirm(context["click"], services)

    @app.action(
        ACTION_ACT_CANCEL,
        middleware=guarded(ActionRef, "act_cancel", f"{asked_for} users", needs_response_url=False),
    )
    def act_cancel(context: BoltContext):
        handle_act_cancel(context["click"], services)

    # Ticked users on a list page: the tick itself only needs acknowledging (Slack sends every
    # tick); what was ticked comes with the click on the button under the page.
    @app.action(ACTION_PICK)
    def pick(ack: Ack):
        ack()

    many = " or ".join(s.permission for s in ACTIONS.values() if s.pick_many)

    @app.action(ACTION_PICKED, middleware=guarded(PickedRef, "picked_click", many))
    def picked(context: BoltContext):
        handle_picked(context["click"], services)

    @app.action(ACTION_PICKED_CONFIRM, middleware=guarded(PickedRef, "picked_confirm", many))
    def picked_confirm(context: BoltContext):
        handle_picked_confirm(context["click"], services)

    @app.action(ACTION_PICKED_CANCEL, middleware=guarded(PickedRef, "picked_cancel", many))
    def picked_cancel(context: BoltContext):
        handle_picked_cancel(context["click"], services)
