from slack_bolt import App

from bot.listeners.actions import ban_unban, export, picker, share
from bot.listeners.actions.open_list import handle_open_list
from bot.listeners.actions.paging import handle_page_click
from bot.listeners.guards import viewers_only
from bot.services import Services
from bot.slack.banned_page import ACTION_NEXT, ACTION_PREVIOUS
from bot.slack.feed_blocks import ACTION_OPEN_LIST


def register(app: App, services: Services) -> None:
    @app.action(ACTION_PREVIOUS, middleware=[viewers_only(services)])
    @app.action(ACTION_NEXT, middleware=[viewers_only(services)])
    def page_click(ack, body, action):  # Bolt injects by parameter name
        handle_page_click(ack, body, action, services)

    ban_unban.register(app, services)  # Unban / Ban, each behind moderators_only
    # Share in channel, Export CSV, the group picker, each behind viewers_only
    share.register(app, services)
    export.register(app, services)
    picker.register(app, services)

    @app.action(ACTION_OPEN_LIST, middleware=[viewers_only(services)])
    def feed_open_list(ack, body, action):  # a feed message's "View banned list"
        handle_open_list(ack, body, action, services)
