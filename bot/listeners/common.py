"""Bolt's error handler: the one place a listener's unexpected or worded error ends; and opening
a modal or the DM with the bot, which several listeners do."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, BoltRequest, BoltResponse
from slack_bolt.listener.listener_error_handler import DefaultListenerErrorHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.logs import kv
from bot.services import Services
from bot.slack.message import Message
from bot.slack.messages import wording_for
from bot.slack.payloads import ephemeral, new_ephemeral
from bot.usecases.report import report_failure

log = logging.getLogger(__name__)


def open_modal(api: WebClient, trigger_id: str, view: dict, *, event: str) -> bool:
    """`views.open`; a refusal (an expired trigger_id, say) is logged, and False returned."""
    try:
        api.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning(kv(event=event, outcome="views_open_failed", error=exc.response.get("error")))
        return False
    log.info(kv(event=event, outcome="modal_opened", view=view.get("callback_id")))
    return True


def on_listener_error(services: Services) -> Callable[..., BoltResponse | None]:
    """Bolt's global error handler. An error the table in `bot.slack.messages` words (a full job
    queue, `JobQueueFull`, from any listener's `submit`, say) is answered like a refusal: logged
    at its level and worded for the person. Anything else keeps Bolt's default: logged with its
    traceback, a 500."""

    def handle(
        error: Exception,
        ack: Ack,
        body: dict,
        request: BoltRequest,
        response: BoltResponse | None,
        logger: logging.Logger,
    ) -> BoltResponse | None:
        if wording_for(error) is None:
            DefaultListenerErrorHandler(logger).handle(
                error=error, request=request, response=response
            )
            return None
        message = report_failure(error, event="refused", type=body.get("type"))
        if "command" in body:
            return ack(**ephemeral(message))
        if body.get("type") == "block_suggestion":
            return ack(options=[])
        response_url = body.get("response_url")
        if isinstance(response_url, str) and response_url:
            # No job to spare for it (the queue may be full): it goes out from the request itself.
            services.responder.post(response_url, new_ephemeral(message))
        return ack()

    return handle


def send_to_dm(api: WebClient, user: str, message: Message) -> None:
    """Post `message` in `user`'s DM with the bot; a Slack refusal is logged with a hint."""
    try:
        channel = api.conversations_open(users=user)["channel"]["id"]
        api.chat_postMessage(channel=channel, **message.to_dict())
    except SlackApiError as exc:
        log.warning(
            kv(
                event="dm",
                outcome="dm_refused",
                error=exc.response.get("error"),
                hint="the app needs im:write and chat:write, and its Messages tab enabled",
            )
        )
