"""The group picker: choosing a group replaces the picker with that group's banned list."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.cometchat import GroupNotFound
from bot.domain.button_values import PageCursor
from bot.domain.errors import BotError
from bot.domain.ids import validate_guid
from bot.listeners.common import Outcome, new_request_id, report_failure, show_page
from bot.listeners.guards import viewers_only
from bot.logs import kv
from bot.services import Services
from bot.slack.payloads import beside, replacing
from bot.slack.picker import ACTION_PICK_GROUP, with_group_picker

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(ACTION_PICK_GROUP, middleware=[viewers_only(services)])
    def pick_group(ack, body, action):  # Bolt injects by parameter name
        handle_pick(ack, body, action, services)


def offer_picker(outcome: Outcome) -> Outcome:
    """An unknown group gets the picker under the explanation: the way on, not a dead end."""
    if not isinstance(outcome.error, GroupNotFound):
        return outcome
    message = with_group_picker(outcome.message, "Pick one of the app's groups instead:")
    return Outcome(message, ok=False, error=outcome.error)


def handle_pick(ack: Ack, body: dict, action: dict, services: Services) -> None:
    ack()  # answered through response_url
    rid = new_request_id()
    user = (body.get("user") or {}).get("id")
    fields = {"event": "group_pick", "rid": rid, "user": user}
    response_url = body.get("response_url")
    if not isinstance(response_url, str) or not response_url:
        log.warning(kv(**fields, outcome="no_response_url"))
        return
    selected = action.get("selected_option")
    value = selected.get("value") if isinstance(selected, dict) else None
    try:
        guid = validate_guid(value if isinstance(value, str) else "")
    except BotError as exc:
        message = report_failure(exc, **fields)
        services.responder.run_then_post(lambda: beside(message), response_url)
        return
    cursor = PageCursor(guid=guid, page=1, per_page=services.settings.page_size)

    def work() -> dict:
        moderate = services.permissions.can_act(user)  # buttons only for moderators
        outcome = offer_picker(show_page(services, cursor, moderate=moderate, **fields))
        # A failure goes beside the picker, which stays usable for another choice.
        return replacing(outcome.message) if outcome.ok else beside(outcome.message)

    services.responder.run_then_post(work, response_url, context=rid)
