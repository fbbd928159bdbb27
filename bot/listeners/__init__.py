"""Listeners by kind; each package exposes `register(app, services)`."""

from slack_bolt import App

from bot.listeners import actions, commands, events, options, shortcuts, views
from bot.services import Services


def register(app: App, services: Services) -> None:
    commands.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    options.register(app, services)
    events.register(app, services)
    shortcuts.register(app, services)
