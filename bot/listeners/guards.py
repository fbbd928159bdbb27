"""Listener middleware for permissions, declared where each listener is registered.

A refused request is acknowledged with a polite explanation and goes no further, so nothing
upstream is read or changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse

from bot.errors import NotAllowed
from bot.listeners.common import new_request_id, report_failure
from bot.services import Services
from bot.slack.payloads import beside, ephemeral

log = logging.getLogger(__name__)


def _refuse(
    error: NotAllowed, ack: Ack, body: dict, context: BoltContext, services: Services
) -> BoltResponse:
    """Returned by the middleware: Bolt sends a middleware's response only if it is returned
    (otherwise it answers 404 "unhandled request" and the refusal is lost)."""
    message = report_failure(
        error, event="refused", rid=new_request_id(), user=context.user_id, action=error.action
    )
    if "command" in body:
        return ack(**ephemeral(message))
    if body.get("type") == "block_suggestion":
        return ack(options=[])  # a menu's type-ahead: an empty menu, and no response_url to use
    response = ack()
    response_url = body.get("response_url")
    if isinstance(response_url, str) and response_url:
        services.responder.run_then_post(lambda: beside(message), response_url)
    return response


def viewers_only(services: Services) -> Callable:
    def middleware(ack: Ack, body: dict, context: BoltContext, next: Callable) -> Any:
        if services.permissions.can_view(context.user_id, context.channel_id):
            return next()
        return _refuse(NotAllowed("view"), ack, body, context, services)

    return middleware


def moderators_only(services: Services, action: str = "ban or unban users") -> Callable:
    def middleware(ack: Ack, body: dict, context: BoltContext, next: Callable) -> Any:
        if services.permissions.can_act(context.user_id) and services.permissions.can_view(
            context.user_id, context.channel_id
        ):
            return next()
        return _refuse(NotAllowed(action), ack, body, context, services)

    return middleware
