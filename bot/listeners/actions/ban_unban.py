"""Unban and ban buttons. Each is registered behind `moderators_only`; here we only act.

Answers travel through the click's `response_url`: a list is re-rendered in place with the
outcome on top; a live-feed message (no cursor in the value) gets its button row
replaced by the outcome, or the clicker gets a new ephemeral message.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.button_values import BanRef, PageCursor, UnbanRef
from bot.domain.errors import BadCursor
from bot.listeners.common import new_request_id, report_failure
from bot.listeners.guards import moderators_only
from bot.logs import kv
from bot.services import Services
from bot.slack.message import Message
from bot.slack.moderation_blocks import (
    ACTION_BAN_CANCEL,
    ACTION_BAN_CONFIRM,
    ACTION_BAN_OPEN,
    ACTION_UNBAN,
    ban_modal,
    replace_action_row,
)
from bot.slack.payloads import beside, replacing
from bot.usecases.moderate import ActResult, act, refreshed_page

log = logging.getLogger(__name__)


def _start(body: dict, event: str) -> tuple[dict[str, Any], str | None]:
    user = (body.get("user") or {}).get("id") or ""
    fields = {"event": event, "rid": new_request_id(), "user": user}
    response_url = body.get("response_url")
    if not isinstance(response_url, str) or not response_url:
        log.warning(kv(**fields, outcome="no_response_url"))
        return fields, None
    return fields, response_url


def answer(
    services: Services,
    result: ActResult,
    cursor: PageCursor | None,
    *,
    original: dict | None = None,
    block_id: str = "",
    **fields: object,
) -> dict[str, Any]:
    """Where the outcome goes: the refreshed list, the clicked message's row, or beside it."""
    notice = result.notice(ref=str(fields.get("rid") or ""))
    if cursor is not None:
        try:
            return replacing(refreshed_page(services, cursor, notice))
        except Exception as exc:
            # The action itself is done (or explained); only the refresh failed.
            report_failure(exc, **{**fields, "event": "refresh_after_" + result.action})
            return beside(notice)
    blocks = (original or {}).get("blocks")
    if isinstance(blocks, list):
        actor = str(fields.get("user") or "")
        replaced = replace_action_row(blocks, block_id, notice, actor=actor)
        if replaced is not None:
            text = (original or {}).get("text") or notice.text
            return {"replace_original": True, "text": text, "blocks": replaced}
    return beside(notice)


def handle_unban(ack: Ack, body: dict, action: dict, services: Services) -> None:
    ack()
    fields, response_url = _start(body, "unban_click")
    if response_url is None:
        return
    try:
        ref = UnbanRef.decode(action.get("value"))
    except BadCursor as exc:
        message = report_failure(exc, **fields)
        services.responder.run_then_post(lambda: beside(message), response_url)
        return

    def work() -> dict[str, Any]:
        result = act(services, "unban", ref.guid, ref.uid, actor=fields["user"], rid=fields["rid"])
        return answer(
            services,
            result,
            ref.cursor,
            original=body.get("message"),
            block_id=str(action.get("block_id") or ""),
            **fields,
        )

    services.responder.run_then_post(work, response_url, context=fields["rid"])


def handle_ban_confirm(ack: Ack, body: dict, action: dict, services: Services) -> None:
    """The confirm-protected Ban button of `/banned <guid> ban <uid>`."""
    ack()
    fields, response_url = _start(body, "ban_click")
    if response_url is None:
        return
    try:
        ref = BanRef.decode(action.get("value"))
        if ref.uid is None:
            raise BadCursor()
    except BadCursor as exc:
        message = report_failure(exc, **fields)
        services.responder.run_then_post(lambda: beside(message), response_url)
        return
    uid = ref.uid

    def work() -> dict[str, Any]:
        result = act(services, "ban", ref.guid, uid, actor=fields["user"], rid=fields["rid"])
        if ref.cursor is None:
            # The confirmation message is spent: the outcome takes its place (no second click).
            return replacing(result.notice(ref=fields["rid"]))
        return answer(services, result, ref.cursor, **fields)

    services.responder.run_then_post(work, response_url, context=fields["rid"])


def handle_ban_cancel(ack: Ack, body: dict, services: Services) -> None:
    ack()
    _fields, response_url = _start(body, "ban_cancel")
    if response_url is not None:
        message = Message(text=":heavy_multiplication_x: Cancelled. Nobody was banned.")
        services.responder.run_then_post(lambda: replacing(message), response_url)


def handle_ban_open(
    ack: Ack, body: dict, action: dict, client: WebClient, services: Services
) -> None:
    """The list's "Ban a user…" button: open the modal asking for the uid."""
    ack()
    fields, response_url = _start(body, "ban_open")
    try:
        ref = BanRef.decode(action.get("value"))
    except BadCursor as exc:
        if response_url:
            message = report_failure(exc, **fields)
            services.responder.run_then_post(lambda: beside(message), response_url)
        return
    channel = (body.get("channel") or {}).get("id")
    try:
        # A view submission carries neither; the modal keeps them to answer and check later.
        meta = BanRef(
            guid=ref.guid, cursor=ref.cursor, response_url=response_url, channel_id=channel
        )
    except ValidationError:
        meta = ref
    trigger_id = body.get("trigger_id")

    def open_modal() -> None:
        try:
            client.views_open(trigger_id=trigger_id, view=ban_modal(meta))
        except SlackApiError as exc:
            log.warning(kv(**fields, outcome="views_open_failed", error=exc.response.get("error")))
            if response_url:
                text = ":warning: Slack would not open the ban form. Please try again."
                services.responder.post(response_url, beside(Message(text=text)))
            return
        log.info(kv(**fields, outcome="modal_opened", guid=ref.guid))

    # Off the request path, so the acknowledgement never waits on the Web API; the trigger_id
    # is good for 3 s from the click, and this starts at once.
    services.responder.submit(open_modal)


def register(app: App, services: Services) -> None:
    """Every moderation action is guarded on the server, whatever buttons a message showed."""
    guard = [moderators_only(services)]

    @app.action(ACTION_UNBAN, middleware=guard)
    def unban(ack, body, action):  # Bolt injects by parameter name
        handle_unban(ack, body, action, services)

    @app.action(ACTION_BAN_OPEN, middleware=[moderators_only(services, "ban users")])
    def ban_open(ack, body, action):
        # The pooled Web API client, not Bolt's per-request one (a new connection per call).
        handle_ban_open(ack, body, action, services.slack_api, services)

    @app.action(ACTION_BAN_CONFIRM, middleware=[moderators_only(services, "ban users")])
    def ban_confirm(ack, body, action):
        handle_ban_confirm(ack, body, action, services)

    @app.action(ACTION_BAN_CANCEL, middleware=guard)
    def ban_cancel(ack, body):
        handle_ban_cancel(ack, body, services)
