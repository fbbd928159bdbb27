from slack_bolt import App

from bot.listeners.commands.banned import handle_banned
from bot.listeners.middleware import viewers_only
from bot.services import Services


def register(app: App, services: Services) -> None:
    @app.command("/banned", middleware=[viewers_only(services)])
    def banned(ack, command):  # Bolt injects by parameter name
        handle_banned(ack, command, services)
