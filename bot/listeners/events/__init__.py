"""Events API listeners (the Home tab)."""

from slack_bolt import App

from bot.listeners.events import app_home_opened
from bot.services import Services


def register(app: App, services: Services) -> None:
    app_home_opened.register(app, services)
