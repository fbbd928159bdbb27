"""Socket Mode: the bot opens a WebSocket to Slack and receives the same requests over it.

No public URL is needed, which is what local development wants. The listeners are the very same
(`create_app(services)`); only the transport differs. Requests arriving this way carry no
signature: the connection itself, opened with the app-level token, is the proof of origin.

Uses the adapter built on `slack_sdk`'s own WebSocket client, so no extra dependency.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Protocol
from urllib.error import URLError

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.app import create_app
from bot.logs import kv
from bot.services import Services, build_services
from bot.settings import Settings, app_token
from bot.web.error_reports import start_error_reports
from bot.web.startup import warn_ephemeral_database

log = logging.getLogger("bot.socket_mode")

# Same promise as the HTTP server: finish accepted work well inside Heroku's 30 s.
SHUTDOWN_GRACE = 25.0


class Handler(Protocol):
    def connect(self) -> None: ...
    def close(self) -> None: ...


HandlerFactory = Callable[[App, Settings], Handler]
Runner = Callable[[Settings], int]


def launch(settings: Settings, *, http: Runner | None = None, socket: Runner | None = None) -> int:
    """`python -m bot serve`: Socket Mode when SLACK_APP_TOKEN is set, the web server otherwise."""
    if app_token(settings):
        return (socket or run_socket_mode)(settings)
    if http is None:
        from bot.web.server import exec_gunicorn

        return exec_gunicorn()
    return http(settings)


def create_handler(app: App, settings: Settings) -> Handler:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(
        app,
        app_token=app_token(settings),
        # app.client already points at SLACK_API_URL; apps.connections.open goes there too.
        web_client=app.client,
        logger=logging.getLogger("slack_bolt.socket_mode"),
        # Each envelope may wait up to ACK_BUDGET for its page; size the pool like the jobs.
        concurrency=settings.workers,
    )


def run_socket_mode(
    settings: Settings,
    *,
    services: Services | None = None,
    handler_factory: HandlerFactory = create_handler,
    stop: threading.Event | None = None,
) -> int:
    """Connect, serve until SIGTERM/SIGINT (or `stop`), then drain like the HTTP server does."""
    started = time.monotonic()
    start_error_reports(settings)  # `python -m bot serve` has patched with gevent already
    warn_ephemeral_database(settings)
    services = services or build_services(settings)
    handler = handler_factory(create_app(services), settings)
    if stop is None:
        stop = threading.Event()
        _stop_on_signals(stop)
    try:
        handler.connect()
    except (SlackApiError, URLError, OSError) as exc:
        # apps.connections.open said no (wrong token, Socket Mode off) or Slack is unreachable.
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else exc
        log.error(
            kv(
                event="socket_mode_failed",
                reason=reason if isinstance(reason, str) else type(reason).__name__,
                hint="check SLACK_APP_TOKEN (xapp-…, scope connections:write), that Socket Mode "
                "is on in the Slack app, and SLACK_API_URL; run `python -m bot check`",
            )
        )
        handler.close()
        services.responder.drain(0)
        services.close()
        return 1
    log.info(
        kv(
            event="listening",
            mode="socket",
            cometchat=settings.cometchat_url_for_log,
            database=settings.database_url_for_log,
            startup_ms=(time.monotonic() - started) * 1000,
        )
    )
    services.expiries.start()
    # A timed wait keeps the main thread responsive to signals on every platform.
    while not stop.wait(1.0):
        pass

    deadline = time.monotonic() + SHUTDOWN_GRACE
    handler.close()  # no new envelopes; acknowledgements already sent stay sent
    services.expiries.stop()
    drained = services.responder.drain(max(0.0, deadline - time.monotonic()))
    services.close()
    log.info(
        kv(event="stopped", mode="socket", drained=drained, pending=services.responder.pending)
    )
    return 0 if drained else 1


def _stop_on_signals(stop: threading.Event) -> None:
    def request_stop(signum: int, _frame: object) -> None:
        if not stop.is_set():
            log.info(kv(event="shutdown", signal=signal.Signals(signum).name))
            stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
