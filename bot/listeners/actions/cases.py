"""Cases: a history line's "Case" button shows one (viewers, like the history); its "Edit"
opens the form correcting it (moderators); the "Open case" message shortcut on the bot's own
audit and feed posts shows the case the post is about."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.button_values import CaseRef
from bot.listeners.middleware import Click, button_value, moderators_only, viewers_only
from bot.logs import kv
from bot.services import Services
from bot.slack.case_blocks import ACTION_CASE_EDIT, case_edit_modal
from bot.slack.history_blocks import ACTION_CASE
from bot.slack.message import Message
from bot.slack.payloads import new_ephemeral
from bot.usecases.cases import EDIT_PERMISSION, show_case
from bot.usecases.report import report_failure

log = logging.getLogger(__name__)


def handle_case_click(click: Click[CaseRef], services: Services) -> None:
    """A new ephemeral message: the history stays as it was."""
    moderate = services.permissions.can_act(click.user)

    def work() -> dict:
        outcome = show_case(services.store, click.value.number, moderate=moderate, event="case")
        return new_ephemeral(outcome.message)

    services.responder.run_then_post(work, click.response_url)


def handle_edit_open(click: Click[CaseRef], client: WebClient, services: Services) -> None:
    """The case view's "Edit": the form, with what the case now says."""
    number, response_url = click.value.number, click.response_url
    meta = CaseRef(number=number, response_url=response_url or None, channel_id=click.channel)

    def open_modal() -> None:
        try:
            case = services.store.case(number)
        except Exception as exc:
            if response_url:
                message = report_failure(exc, event="case_edit_open", case=number)
                services.responder.post(response_url, new_ephemeral(message))
            return
        try:
            client.views_open(trigger_id=click.trigger_id, view=case_edit_modal(case, meta))
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning(kv(event="case_edit_open", outcome="views_open_failed", error=error))
            if response_url:
                text = ":warning: Slack would not open the form. Please try again."
                services.responder.post(response_url, new_ephemeral(Message(text=text)))
            return
        log.info(kv(event="case_edit_open", outcome="modal_opened", case=number))

    # Off the request path; the trigger_id is good for 3 s from the click.
    services.responder.submit(open_modal)


def register(app: App, services: Services) -> None:
    @app.action(
        ACTION_CASE,
        middleware=[viewers_only(services), button_value(CaseRef, services, event="case")],
    )
    def case(context: BoltContext):  # Bolt injects by parameter name
        handle_case_click(context["click"], services)

    @app.action(
        ACTION_CASE_EDIT,
        middleware=[
            moderators_only(services, EDIT_PERMISSION),
            button_value(CaseRef, services, event="case_edit_open", needs_response_url=False),
        ],
    )
    def case_edit(context: BoltContext):
        handle_edit_open(context["click"], services.slack_api, services)
