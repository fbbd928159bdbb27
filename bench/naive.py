"""The "Bolt defaults" baseline: the same page, fakes and server, the naive way.

`bench.naive:create()` is a gunicorn app factory for a Bolt `App` left at its defaults (listeners
on Bolt's 5-thread pool, acknowledgement polled every 10 ms, token verified with auth.test) whose
listeners call `ack()` and then `respond()` with the page. bench/load.py serves it with the very
server and settings the Procfile uses: `gunicorn --config gunicorn.conf.py bench.naive:create()`.
"""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.domain.button_values import PageCursor
from bot.logs import configure_logging
from bot.services import build_services
from bot.settings import load_settings
from bot.slack.banned_page import ACTION_NEXT, ACTION_PREVIOUS
from bot.slack.payloads import ephemeral, replacing
from bot.web.wsgi import create_wsgi_app


def create():
    settings = load_settings()
    configure_logging(settings.log_level)
    services = build_services(settings)
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        # The token travels in the client, pointed at the fake Slack (auth.test included).
        client=WebClient(
            token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_base
        ),
    )

    @app.command("/banned")
    def banned(ack, command, respond):
        ack()
        cursor = PageCursor(guid=command["text"].strip(), per_page=settings.page_size)
        respond(**ephemeral(services.lists.render(cursor).message))

    @app.action(ACTION_NEXT)
    @app.action(ACTION_PREVIOUS)
    def page(ack, action, respond):
        ack()
        cursor = PageCursor.decode(action["value"])
        respond(**replacing(services.lists.render(cursor).message))

    # The same routes as the bot's (health, signature check before Bolt): only Bolt differs.
    return create_wsgi_app(app, signing_secret=settings.slack_signing_secret.get_secret_value())
