"""The app factory: services in, a wired Bolt app out. Nothing is created at import time."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_sdk import WebClient

from bot import listeners
from bot.listeners.common import on_listener_error
from bot.listeners.middleware import own_workspace_only, request_context
from bot.services import Services


class _SkipTokenWarnings(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself, then warns that our
    `authorize` makes it unused. That is by design here; the warning only confuses operators."""

    _NOISE = frozenset({warning_client_prioritized_and_token_skipped(), warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self._NOISE


def create_app(services: Services) -> App:
    settings = services.settings
    token = settings.slack_bot_token.get_secret_value()

    workspace = services.workspace

    def authorize() -> AuthorizeResult:
        # A single-workspace bot with a fixed token, its team learned once at start-up (no
        # auth.test on the request path). The result names *our* team whatever the request
        # says; whether the person belongs to it is `own_workspace_only`'s to decide, because
        # it can answer politely where a failed authorize only gets Bolt's generic text.
        return AuthorizeResult(
            enterprise_id=workspace.enterprise_id,
            team_id=workspace.team_id or None,
            bot_token=token,
            bot_user_id=workspace.bot_user_id,
            bot_id=workspace.bot_id,
        )

    bolt_logger = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _SkipTokenWarnings) for f in bolt_logger.filters):
        bolt_logger.addFilter(_SkipTokenWarnings())
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=WebClient(base_url=settings.slack_api_base),
        authorize=authorize,
        # Listeners run inside the request and acknowledge themselves; slow work is handed to
        # the Responder. This spares Bolt's 10 ms ack polling and its 5-thread listener pool.
        process_before_response=True,
        logger=bolt_logger,
    )
    # Before every listener: the request's id and who asked go on every log line it causes;
    # then people of another team (Slack Connect guests) go no further.
    app.use(request_context)
    app.use(own_workspace_only(services))
    app.error(on_listener_error(services))
    listeners.register(app, services)
    return app
