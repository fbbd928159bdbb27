from slack_bolt import App

from bot.listeners.guards import moderators_only
from bot.listeners.views.ban import handle_confirm, handle_uid, restore_origin
from bot.services import Services
from bot.slack.moderation_blocks import VIEW_BAN, VIEW_BAN_CONFIRM


def register(app: App, services: Services) -> None:
    guard = [restore_origin, moderators_only(services, "ban users")]

    @app.view(VIEW_BAN, middleware=guard)
    def ban_uid(ack, body, view):  # Bolt injects by parameter name
        handle_uid(ack, body, view)

    @app.view(VIEW_BAN_CONFIRM, middleware=guard)
    def ban_confirm(ack, body):
        handle_confirm(ack, body, services)
