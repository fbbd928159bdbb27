from slack_bolt import App

from bot.listeners.actions.paging import handle_page_click
from bot.services import Services
from bot.slack.banned_page import ACTION_NEXT, ACTION_PREVIOUS


def register(app: App, services: Services) -> None:
    @app.action(ACTION_PREVIOUS)
    @app.action(ACTION_NEXT)
    def page_click(ack, body, action):  # Bolt injects by parameter name
        handle_page_click(ack, body, action, services)
