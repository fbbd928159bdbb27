"""Listener middleware: what every request goes through before its handler.

- `request_context` (global, first): binds the request's id, who asked and which command or
  button to every log line written while it is handled (`bot.logs.bind_request`).
- `own_workspace_only` (global), `viewers_only`, `moderators_only`: permissions, declared where
  each listener is registered. A refused request is acknowledged with a polite explanation and
  goes no further, so nothing upstream is read or changed.
- `button_value(Model)` / `form_value(Model)`: decode a button's `value` or a modal's
  `private_metadata` once into `context`, so handlers start from typed input; a button value
  that does not decode gets the one message for it, and the handler never runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from slack_bolt import Ack, BoltContext, BoltResponse

from bot.domain.button_values import AcrossRef, BanRef, ButtonValue, CaseRef
from bot.domain.errors import BadCursor, BotError, ForeignWorkspace, NotAllowed
from bot.listeners.common import open_modal
from bot.logs import bind_request, kv, new_request_id
from bot.services import Services
from bot.slack.moderation_blocks import notice_modal
from bot.slack.payloads import ephemeral, new_ephemeral
from bot.slack.workspace import actor_of
from bot.usecases.report import report_failure

log = logging.getLogger("bot.requests")

V = TypeVar("V", bound=ButtonValue)


def _what(body: dict) -> dict[str, object]:
    """Which command, button or form a request is: the first field of its log lines."""
    if "command" in body:
        return {"command": body.get("command")}
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return {"action_id": actions[0].get("action_id")}
    view = body.get("view")
    if body.get("type") == "view_submission" and isinstance(view, dict):
        return {"view": view.get("callback_id")}
    if body.get("type") == "shortcut":
        return {"shortcut": body.get("callback_id")}
    event = body.get("event")
    if isinstance(event, dict) and event.get("type") == "function_executed":
        return {"step": (event.get("function") or {}).get("callback_id")}
    if body.get("type") == "block_suggestion":
        return {"action_id": body.get("action_id")}
    return {"type": body.get("type")}


def request_context(body: dict, context: BoltContext, next: Callable[[], Any]) -> Any:
    bind_request(**_what(body), rid=new_request_id(), user=context.user_id)
    return next()


def _refuse(error: BotError, ack: Ack, body: dict, services: Services, **fields: object) -> Any:
    """Returned by the middleware: Bolt sends a middleware's response only if it is returned
    (otherwise it answers 404 "unhandled request" and the refusal is lost)."""
    message = report_failure(error, event="refused", **fields)
    if "command" in body:
        return ack(**ephemeral(message))
    if body.get("type") == "block_suggestion":
        return ack(options=[])  # a menu's type-ahead: an empty menu, and no response_url to use
    response = ack()
    trigger_id = body.get("trigger_id")
    if body.get("type") == "shortcut" and isinstance(trigger_id, str) and trigger_id:
        # A global shortcut has no conversation to answer in: the refusal opens as a modal.
        view = notice_modal(message)
        services.responder.submit(
            lambda: open_modal(services.slack_api, trigger_id, view, event="refused")
        )
        return response
    response_url = body.get("response_url")
    if isinstance(response_url, str) and response_url:
        services.responder.run_then_post(lambda: new_ephemeral(message), response_url)
    return response


def viewers_only(services: Services) -> Callable:
    def middleware(ack: Ack, body: dict, context: BoltContext, next: Callable) -> Any:
        if services.permissions.can_view(context.user_id, context.channel_id):
            return next()
        return _refuse(NotAllowed("view"), ack, body, services, action="view")

    return middleware


def moderators_only(services: Services, action: str = "ban or unban users") -> Callable:
    def middleware(ack: Ack, body: dict, context: BoltContext, next: Callable) -> Any:
        if services.permissions.can_act(context.user_id) and services.permissions.can_view(
            context.user_id, context.channel_id
        ):
            return next()
        return _refuse(NotAllowed(action), ack, body, services, action=action)

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
        return _refuse(error, ack, body, services, **fields)

    return middleware


@dataclass(frozen=True)
class Click(Generic[V]):
    """A button click, acknowledged, with its value decoded: what a click handler starts from."""

    value: V
    response_url: str  # "" only where the middleware was told a click may come without one
    user: str
    channel: str | None
    trigger_id: str | None
    message: dict[str, Any] | None  # the clicked message, when Slack sends it (not ephemerals)
    block_id: str
    # What the message's ticks and menus held when clicked (`state.values`: block id, then
    # action id, then the element's state).
    state: dict[str, Any] = field(default_factory=dict)
    home: bool = False  # clicked in the App Home tab: no response_url, the view is the answer


def button_value(
    model: type[V], services: Services, *, event: str, needs_response_url: bool = True
) -> Callable:
    """Acknowledge the click at once (its answer goes through `response_url`), decode the
    button's value as `model` and put a `Click` in `context["click"]`. A click with nowhere to
    answer, or whose value does not decode, goes no further (the user is told beside the
    message, which stays as it was)."""

    def middleware(ack: Ack, body: dict, context: BoltContext, next: Callable) -> Any:
        response = ack()
        action = (body.get("actions") or [{}])[0]
        response_url = body.get("response_url")
        if not isinstance(response_url, str) or not response_url:
            if needs_response_url:
                log.warning(kv(event=event, outcome="no_response_url"))
                return response
            response_url = ""
        try:
            value = model.decode(action.get("value"))
        except BadCursor as exc:
            message = report_failure(exc, event=event)
            if response_url:
                services.responder.run_then_post(lambda: new_ephemeral(message), response_url)
            return response
        message_body = body.get("message")
        context["click"] = Click(
            value=value,
            response_url=response_url,
            user=context.user_id or "",
            channel=context.channel_id,
            trigger_id=body.get("trigger_id"),
            message=message_body if isinstance(message_body, dict) else None,
            block_id=str(action.get("block_id") or ""),
            state=_state_values(body),
            home=(body.get("view") or {}).get("type") == "home",
        )
        return next()

    return middleware


def _state_values(body: dict) -> dict[str, Any]:
    state = body.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


def form_value(model: type[BanRef] | type[CaseRef] | type[AcrossRef]) -> Callable:
    """For a modal's submission: decode its `private_metadata` once into `context["form"]`
    (None when it does not decode: the handler says the form is out of date). A view
    submission carries no channel and no response_url, so those of the list the modal was
    opened from (kept in the metadata, which only this app can set) are put back first: the
    channel allowlist then applies, and a refusal can be explained in that conversation."""

    def middleware(body: dict, context: BoltContext, next: Callable[[], Any]) -> Any:
        try:
            ref: BanRef | CaseRef | AcrossRef | None = model.decode(
                (body.get("view") or {}).get("private_metadata")
            )
        except BadCursor:
            ref = None
        if ref is not None:
            if ref.channel_id and not context.channel_id:
                context["channel_id"] = ref.channel_id
            if ref.response_url and not body.get("response_url"):
                body["response_url"] = ref.response_url
        context["form"] = ref
        return next()

    return middleware


def moderators_only_in_form(services: Services, action: str, block_id: str) -> Callable:
    """For a modal's submission (after `form_value`): someone who may not do `action` is told
    so beside the form's field `block_id`, in the usual words, and nothing happens."""

    def middleware(ack: Ack, context: BoltContext, next: Callable[[], Any]) -> Any:
        if services.permissions.can_act(context.user_id) and services.permissions.can_view(
            context.user_id, context.channel_id
        ):
            return next()
        words = report_failure(NotAllowed(action), event="refused", action=action).text
        return ack(response_action="errors", errors={block_id: plain_words(words)})

    return middleware


def plain_words(text: str) -> str:
    """Worded Slack text for a form field, which shows plain text: no leading emoji code, no
    backticks."""
    return text.split(" ", 1)[1].replace("`", "") if text.startswith(":") else text
