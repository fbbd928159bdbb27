"""The group picker: choosing a group replaces the picker with that group's banned list.

In the Home tab there is no message to replace (and no response_url): the list is sent to the
user's DM with the bot instead, where its buttons work as they do anywhere else."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.domain.button_values import PageCursor
from bot.domain.errors import BotError
from bot.domain.ids import validate_guid
from bot.listeners.common import send_to_dm
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
    ack()  # answered through response_url (in the Home tab: in a DM)
    raw_user = (body.get("user") or {}).get("id")
    user = raw_user if isinstance(raw_user, str) else ""
    raw_url = body.get("response_url")
    response_url = raw_url if isinstance(raw_url, str) else ""
    from_home = not response_url and (body.get("view") or {}).get("type") == "home"
    if not response_url and not (from_home and user):
        log.warning(kv(event="group_pick", outcome="no_response_url"))
        return
    selected = action.get("selected_option")
    value = selected.get("value") if isinstance(selected, dict) else None
    try:
        guid = validate_guid(value if isinstance(value, str) else "")
    except BotError as exc:
        message = report_failure(exc, event="group_pick")
        if from_home:
            services.responder.submit(lambda: send_to_dm(services.slack_api, user, message))
        else:
            services.responder.run_then_post(lambda: new_ephemeral(message), response_url)
        return
    cursor = PageCursor(guid=guid, page=1, per_page=services.settings.page_size)
    if from_home:

        def to_dm() -> None:
            moderate = services.permissions.can_act(user)
            shown = show_page(services.lists, cursor, moderate=moderate, event="group_pick")
            send_to_dm(services.slack_api, user, offer_picker(shown).message)

        services.responder.submit(to_dm)
        return

    def work() -> dict:
        moderate = services.permissions.can_act(user)  # buttons only for moderators
        shown = show_page(services.lists, cursor, moderate=moderate, event="group_pick")
        outcome = offer_picker(shown)
        # A failure goes beside the picker, which stays usable for another choice.
        return replacing(outcome.message) if outcome.ok else new_ephemeral(outcome.message)

    services.responder.run_then_post(work, response_url)
