"""The Home tab's "find a user": the same lookup as `/banned user <uid>`, answered in the
requester's DM with the bot (a Home tab has no response_url): the history's answer first, then
the scan's result. Viewers only, like the command; Unban buttons for moderators.

The uid is read from the action itself when the input dispatches it (Enter in the input), else
from the view's state (a button beside the input).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.domain.errors import BotError, InvalidUid
from bot.domain.ids import validate_uid
from bot.listeners.commands.where import known_bans, run_scan
from bot.listeners.middleware import viewers_only
from bot.logs import kv
from bot.services import Services
from bot.slack.home_blocks import ACTION_FIND_USER
from bot.slack.message import Message
from bot.slack.where_blocks import scan_fresh_note, scan_started_note
from bot.usecases.report import report_failure

log = logging.getLogger(__name__)


def typed_uid(body: dict[str, Any]) -> str:
    """What the person typed: the dispatched input's value, or the first text input's in the
    view's state."""
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else {}
    if isinstance(action, dict) and action.get("type") == "plain_text_input":
        return str(action.get("value") or "")
    view = body.get("view")
    state = view.get("state", {}).get("values", {}) if isinstance(view, dict) else {}
    for block in state.values() if isinstance(state, dict) else ():
        for element in block.values() if isinstance(block, dict) else ():
            typed = isinstance(element, dict) and element.get("type") == "plain_text_input"
            if typed and element.get("value"):
                return str(element["value"])
    return ""


def handle_home_find_user(user: str, text: str, services: Services) -> None:
    """On the job pool: open the DM, answer there; every failure ends in words or a log line."""

    def work() -> None:
        try:
            opened = services.slack_api.conversations_open(users=user)
            channel = opened["channel"]["id"]
        except (SlackApiError, KeyError, TypeError) as exc:
            log.warning(kv(event="home_find_user", outcome="dm_failed", error=type(exc).__name__))
            return

        def post(message: Message) -> None:
            try:
                services.slack_api.chat_postMessage(
                    channel=channel, text=message.text, blocks=list(message.blocks) or None
                )
            except SlackApiError as exc:
                error = exc.response.get("error")
                log.warning(kv(event="home_find_user", outcome="post_failed", error=error))

        try:
            uid = validate_uid(text.strip())
        except InvalidUid as exc:
            post(report_failure(exc, event="home_find_user"))
            return
        lookup(user, uid, services, post)

    services.responder.submit(work)


def lookup(user: str, uid: str, services: Services, post: Callable[[Message], None]) -> None:
    """The history's answer, then (slots allowing) the scan's progress and result, by `post`."""
    moderate = services.permissions.can_act(user)
    age = services.scans.fresh(uid)
    if age is not None:
        post(known_bans(services, uid, moderate, scan_fresh_note(age)).message)
        return
    try:
        services.scans.take(user)
    except BotError as exc:
        busy = report_failure(exc, event="home_find_user", uid=uid)
        post(known_bans(services, uid, moderate, busy.text).message)
        return
    try:
        post(known_bans(services, uid, moderate, scan_started_note()).message)
        post(run_scan(services, uid, post, moderate=moderate))
    finally:
        services.scans.release(user)


def register(app: App, services: Services) -> None:
    @app.action(ACTION_FIND_USER, middleware=[viewers_only(services)])
    def find_user(ack: Ack, body: dict, context):  # Bolt injects by parameter name
        ack()
        handle_home_find_user(context.user_id or "", typed_uid(body), services)
