"""The app factory: settings in, a wired Bolt app out. Nothing is created at import time."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot import listeners
from bot.services import Services


def create_app(services: Services) -> App:
    settings = services.settings
    token = settings.slack_bot_token.get_secret_value()

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        # A single-workspace bot with a fixed token: no auth.test on the request path.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=WebClient(base_url=settings.slack_api_base),
        authorize=authorize,
        # Listeners run inside the request and acknowledge themselves; slow work is handed to
        # the Responder. This spares Bolt's 10 ms ack polling and its 5-thread listener pool.
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )
    listeners.register(app, services)
    return app
