"""Listener middleware for permissions, declared where each listener is registered.

A refused request is acknowledged with a polite explanation and goes no further, so nothing
upstream is read or changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse

from bot.domain.errors import BotError, ForeignWorkspace, NotAllowed
from bot.listeners.common import new_request_id, report_failure
from bot.logs import kv
from bot.services import Services
from bot.slack.payloads import beside, ephemeral
from bot.slack.workspace import actor_of

log = logging.getLogger(__name__)


def _refuse(
    error: BotError,
    ack: Ack,
    body: dict,
    context: BoltContext,
    services: Services,
    **fields: object,
) -> BoltResponse:
    """Returned by the middleware: Bolt sends a middleware's response only if it is returned
    (otherwise it answers 404 "unhandled request" and the refusal is lost)."""
    message = report_failure(
        error, event="refused", rid=new_request_id(), user=context.user_id, **fields
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
        return _refuse(NotAllowed("view"), ack, body, context, services, action="view")

    return middleware


def moderators_only(services: Services, action: str = "ban or unban users") -> Callable:
    def middleware(ack: Ack, body: dict, context: BoltContext, next: Callable) -> Any:
        if services.permissions.can_act(context.user_id) and services.permissions.can_view(
            context.user_id, context.channel_id
        ):
            return next()
        return _refuse(NotAllowed(action), ack, body, context, services, action=action)

    return middleware


def own_workspace_only(services: Services) -> Callable:
    """Global middleware, ahead of every listener: only people of the bot's own team (learned
    from auth.test at start-up) get past. Others (a Slack Connect channel's guests from another
    organisation) get a polite refusal for a command or a click, and nothing else happens;
    events and other payloads from them are acknowledged quietly."""
    workspace = services.workspace

    def middleware(ack: Ack, body: dict, context: BoltContext, next: Callable) -> Any:
        actor = actor_of(
            body,
            event_team_id=context.actor_team_id,
            event_enterprise_id=context.actor_enterprise_id,
        )
        if workspace.admits(actor):
            return next()
        error = ForeignWorkspace(actor.team_id, actor.enterprise_id)
        fields = {
            "team": actor.team_id,
            "enterprise": actor.enterprise_id,
            "type": body.get("type"),
        }
        if "command" not in body and not isinstance(body.get("user"), dict):
            # Not a person's command or click (an event, say): nobody to tell.
            log.info(kv(event="refused", outcome="ForeignWorkspace", **fields))
            return BoltResponse(status=200, body="")
        return _refuse(error, ack, body, context, services, **fields)

    return middleware
