"""The group picker: choosing a group replaces the picker with that group's banned list."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.domain.button_values import PageCursor
from bot.domain.errors import BotError
from bot.domain.ids import validate_guid
from bot.listeners.middleware import viewers_only
from bot.logs import kv
from bot.services import Services
from bot.slack.payloads import new_ephemeral, replacing
from bot.slack.picker import ACTION_PICK_GROUP
from bot.usecases.banned_list import offer_picker, show_page
from bot.usecases.report import report_failure

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(ACTION_PICK_GROUP, middleware=[viewers_only(services)])
    def pick_group(ack, body, action):  # Bolt injects by parameter name
        handle_pick(ack, body, action, services)


def handle_pick(ack: Ack, body: dict, action: dict, services: Services) -> None:
    """A menu choice, not a button: its value is the chosen group's guid."""
    ack()  # answered through response_url
    user = (body.get("user") or {}).get("id")
    response_url = body.get("response_url")
    if not isinstance(response_url, str) or not response_url:
        log.warning(kv(event="group_pick", outcome="no_response_url"))
        return
    selected = action.get("selected_option")
    value = selected.get("value") if isinstance(selected, dict) else None
    try:
        guid = validate_guid(value if isinstance(value, str) else "")
    except BotError as exc:
        message = report_failure(exc, event="group_pick")
        services.responder.run_then_post(lambda: new_ephemeral(message), response_url)
        return
    cursor = PageCursor(guid=guid, page=1, per_page=services.settings.page_size)

    def work() -> dict:
        moderate = services.permissions.can_act(user)  # buttons only for moderators
        shown = show_page(services.lists, cursor, moderate=moderate, event="group_pick")
        outcome = offer_picker(shown)
        # A failure goes beside the picker, which stays usable for another choice.
        return replacing(outcome.message) if outcome.ok else new_ephemeral(outcome.message)

    services.responder.run_then_post(work, response_url)
