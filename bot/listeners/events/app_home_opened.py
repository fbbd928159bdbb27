"""Someone opened the app's Home tab: publish their view (off the request path).

Who may see what is decided when the view is built (`HomeTab.view_for`): someone the viewer
lists refuse gets a short "not allowed" view and nothing of the history.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.services import Services
from bot.usecases.home import HomeTab


def handle_app_home_opened(event: dict[str, Any], home: HomeTab) -> None:
    if event.get("tab") != "home":
        return  # the Messages or About tab: nothing to publish
    user = event.get("user")
    if isinstance(user, str) and user:
        home.opened(user)


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def app_home_opened(event: dict):  # Bolt injects by parameter name; it acknowledges events
        handle_app_home_opened(event, services.home)
