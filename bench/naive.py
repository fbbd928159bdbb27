"""The "Bolt defaults" baseline: the same page, fakes and server, the naive way.

`python -m bench.naive` serves a Bolt `App` left at its defaults (listeners on Bolt's 5-thread
pool, acknowledgement polled every 10 ms, token verified with auth.test) whose listeners call
`ack()` and then `respond()` with the page, on the same gevent server as `python -m bot serve`.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import logging  # noqa: E402
import sys  # noqa: E402

from slack_bolt import App  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from bot.cursor import PageCursor  # noqa: E402
from bot.logs import configure_logging  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.slack.banned_page import ACTION_NEXT, ACTION_PREVIOUS  # noqa: E402
from bot.slack.payloads import ephemeral, replacing  # noqa: E402
from bot.web import create_wsgi_app  # noqa: E402


def main() -> int:
    from gevent.pool import Pool
    from gevent.pywsgi import WSGIServer

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

    log = logging.getLogger("bench.naive")
    server = WSGIServer(
        ("0.0.0.0", settings.port), create_wsgi_app(app), spawn=Pool(2000), log=None
    )
    log.info("listening port=%s", settings.port)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
