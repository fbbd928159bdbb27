"""Options for external select menus (Slack's options load URL is the same /slack/events)."""

from slack_bolt import App

from bot.listeners.middleware import viewers_only
from bot.listeners.options.groups import handle_group_options
from bot.services import Services
from bot.slack.picker import ACTION_PICK_GROUP


def register(app: App, services: Services) -> None:
    # Refused viewers get an empty menu: the guard acknowledges without options.
    @app.options(ACTION_PICK_GROUP, middleware=[viewers_only(services)])
    def group_options(ack, body):  # Bolt injects by parameter name
        handle_group_options(ack, body, services)
