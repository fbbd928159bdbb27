"""Shortcuts: Slack's own entry points into the bot, from its shortcuts menu."""

from slack_bolt import App, BoltContext

from bot.domain.actions import ACTIONS
from bot.domain.moderation import ModerationAction
from bot.listeners.common import open_modal
from bot.listeners.middleware import moderators_only
from bot.listeners.shortcuts import open_case
from bot.services import Services
from bot.slack.moderation_blocks import SHORTCUT_BAN, ban_anywhere_modal


def register(app: App, services: Services) -> None:
    open_case.register(app, services)  # the message shortcut on the bot's own posts
    guard = moderators_only(services, ACTIONS[ModerationAction.BAN].permission)

    @app.global_shortcut(SHORTCUT_BAN, middleware=[guard])
    def ban_anywhere(ack, body: dict, context: BoltContext):  # Bolt injects by parameter name
        ack()
        trigger_id = body.get("trigger_id")
        if not isinstance(trigger_id, str) or not trigger_id:
            return
        # Off the request path, as the list's "Ban a user…" button does: the trigger_id is good
        # for 3 s, and this starts at once.
        view = ban_anywhere_modal()
        services.responder.submit(
            lambda: open_modal(services.slack_api, trigger_id, view, event="ban_shortcut")
        )
