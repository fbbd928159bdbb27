"""History: a list row's button opens the user's moderation history beside the list; "Older"
in the history replaces it in place with the next (older) events. Viewers only, as the list."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.domain.button_values import HistoryRef
from bot.listeners.middleware import Click, button_value, viewers_only
from bot.services import Services
from bot.slack.history_blocks import ACTION_HISTORY, ACTION_HISTORY_OLDER
from bot.slack.payloads import new_ephemeral, replacing
from bot.usecases.history import show_history


def register(app: App, services: Services) -> None:
    def on_history(event: str) -> list:
        return [viewers_only(services), button_value(HistoryRef, services, event=event)]

    @app.action(ACTION_HISTORY, middleware=on_history("history"))
    def history(context: BoltContext):  # Bolt injects by parameter name
        handle_history_click(context["click"], services)

    @app.action(ACTION_HISTORY_OLDER, middleware=on_history("history_older"))
    def history_older(context: BoltContext):
        handle_older_click(context["click"], services)


def handle_history_click(click: Click[HistoryRef], services: Services) -> None:
    """A new ephemeral message: the list stays as it was, its buttons still usable."""

    def work() -> dict:
        return new_ephemeral(show_history(services.store, click.value, event="history").message)

    services.responder.run_then_post(work, click.response_url)


def handle_older_click(click: Click[HistoryRef], services: Services) -> None:
    def work() -> dict:
        outcome = show_history(services.store, click.value, event="history_older")
        # A failure goes beside the history, which stays readable (its Older still works).
        return replacing(outcome.message) if outcome.ok else new_ephemeral(outcome.message)

    services.responder.run_then_post(work, click.response_url)
