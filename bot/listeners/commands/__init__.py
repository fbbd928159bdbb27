from slack_bolt import App

from bot.listeners.commands.banned import handle_banned
from bot.services import Services


def register(app: App, services: Services) -> None:
    @app.command("/banned")
    def banned(ack, command):  # Bolt injects by parameter name
        handle_banned(ack, command, services)
