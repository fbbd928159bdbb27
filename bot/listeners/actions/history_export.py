"""The Home tab's *Export history* (viewers): the moderation history as CSV in the clicker's DM
(bot.listeners.history_export); a Home click has no response_url, so the Home view says how it
goes."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.domain.button_values import HistoryExportRef
from bot.domain.command import ExportHistory
from bot.listeners.history_export import start_history_export
from bot.listeners.middleware import Click, button_value, viewers_only
from bot.services import Services
from bot.slack.home_blocks import ACTION_HOME_EXPORT_HISTORY
from bot.slack.message import Message


def handle_home_export(click: Click[HistoryExportRef], services: Services) -> None:
    """The Home tab's button: a Home click has no response_url, so the Home view says it."""
    user = click.user

    def say(message: Message) -> None:
        services.home.publish(user, notice=message.text)

    request = ExportHistory(guid=click.value.guid, days=click.value.days)
    first, started = start_history_export(
        services, services.slack_api, user, request, say, announce=True
    )
    if not started:  # refused: the Home view says why
        services.responder.submit(lambda: say(first))


def register(app: App, services: Services) -> None:
    @app.action(
        ACTION_HOME_EXPORT_HISTORY,
        middleware=[
            viewers_only(services),
            button_value(
                HistoryExportRef, services, event="history_export", needs_response_url=False
            ),
        ],
    )
    def home_export(context: BoltContext):  # Bolt injects by parameter name
        handle_home_export(context["click"], services)
