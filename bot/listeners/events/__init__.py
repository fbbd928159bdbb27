"""Events API listeners (the Home tab, user groups' members)."""

from slack_bolt import App

from bot.listeners.events import app_home_opened, subteam_members_changed
from bot.services import Services


def register(app: App, services: Services) -> None:
    app_home_opened.register(app, services)
    subteam_members_changed.register(app, services)
