"""Button clicks and menu choices. Each is registered behind its permission middleware, then
(for buttons) `button_value`, so every handler starts from a decoded, acknowledged `Click`."""

from slack_bolt import App, BoltContext

from bot.domain.button_values import PageCursor
from bot.listeners.actions import (
    across,
    ban_unban,
    cases,
    export,
    find_user,
    history,
    history_export,
    home,
    lockdown,
    mass_undo,
    massban,
    picker,
    raid,
)
from bot.listeners.actions.open_list import handle_open_list
from bot.listeners.actions.paging import handle_page_click
from bot.listeners.actions.share import handle_share
from bot.listeners.middleware import button_value, viewers_only
from bot.services import Services
from bot.slack.banned_page import ACTION_NEXT, ACTION_PREVIOUS
from bot.slack.feed_blocks import ACTION_OPEN_LIST
from bot.slack.list_tools import ACTION_SHARE


def register(app: App, services: Services) -> None:
    def on_page(event: str) -> list:
        return [viewers_only(services), button_value(PageCursor, services, event=event)]

    @app.action(ACTION_PREVIOUS, middleware=on_page("page_click"))
    @app.action(ACTION_NEXT, middleware=on_page("page_click"))
    def page_click(context: BoltContext):  # Bolt injects by parameter name
        handle_page_click(context["click"], services)

    # Share in channel: the page the button sits under, posted visibly.
    @app.action(ACTION_SHARE, middleware=on_page("share"))
    def share(context: BoltContext):
        handle_share(context["click"], services)

    # A feed message's "View banned list".
    @app.action(ACTION_OPEN_LIST, middleware=on_page("feed_open_list"))
    def feed_open_list(context: BoltContext):
        handle_open_list(context["click"], services)

    ban_unban.register(app, services)  # Unban / Ban, each behind moderators_only
    massban.register(app, services)  # Mass ban…, behind moderators_only
    across.register(app, services)  # one user in every group, behind moderators_only
    mass_undo.register(app, services)  # a mass ban's Undo, behind moderators_only
    lockdown.register(app, services)  # Lift lockdown, behind moderators_only
    raid.register(app, services)  # a raid alert's buttons, behind moderators_only
    export.register(app, services)  # Export CSV, behind viewers_only
    picker.register(app, services)  # the group picker, behind viewers_only
    history.register(app, services)  # History and Older, behind viewers_only
    find_user.register(app, services)  # the Home tab's "find a user", behind viewers_only
    home.register(app, services)  # the Home tab's Unban now, behind moderators_only
    cases.register(app, services)  # Case (viewers) and its Edit (moderators)
    history_export.register(app, services)  # the Home tab's Export history, behind viewers_only
