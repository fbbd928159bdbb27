"""Listener middleware for permissions, declared where each listener is registered.

A refused request is acknowledged with a polite explanation and goes no further, so nothing
upstream is read or changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, BoltContext

from bot.errors import NotAllowed
from bot.listeners.common import new_request_id, report_failure
from bot.services import Services
from bot.slack.payloads import beside, ephemeral

log = logging.getLogger(__name__)


def _refuse(error: NotAllowed, ack: Ack, body: dict, context: BoltContext, services: Services):
    message = report_failure(
        error, event="refused", rid=new_request_id(), user=context.user_id, action=error.action
    )
    if "command" in body:
        ack(**ephemeral(message))
        return
    ack()
    response_url = body.get("response_url")
    if isinstance(response_url, str) and response_url:
        services.responder.run_then_post(lambda: beside(message), response_url)


def viewers_only(services: Services) -> Callable:
    def middleware(ack: Ack, body: dict, context: BoltContext, next: Callable) -> None:
        if services.permissions.can_view(context.user_id, context.channel_id):
            next()
        else:
            _refuse(NotAllowed("view"), ack, body, context, services)

    return middleware


def moderators_only(services: Services, action: str = "ban or unban users") -> Callable:
    def middleware(ack: Ack, body: dict, context: BoltContext, next: Callable) -> None:
        if services.permissions.can_act(context.user_id) and services.permissions.can_view(
            context.user_id, context.channel_id
        ):
            next()
        else:
            _refuse(NotAllowed(action), ack, body, context, services)

    return middleware
