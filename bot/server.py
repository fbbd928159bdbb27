"""The production web process: gevent's WSGI server, one process, graceful on SIGTERM.

gevent serves every request on its own green thread, so hundreds of slow upstream calls cost
little memory and no acknowledgement waits behind another. `python -m bot serve` patches the
standard library for gevent before anything else is imported (see `bot.__main__`).
"""

from __future__ import annotations

import logging
import signal
import time

from bot.app import create_app
from bot.logs import kv
from bot.services import build_services
from bot.settings import Settings
from bot.web import create_wsgi_app
from bot.webhooks.build import create_webhook_endpoint

log = logging.getLogger("bot.server")

# Heroku sends SIGTERM, then SIGKILL 30 s later: finish in well under that.
SHUTDOWN_GRACE = 25.0


def serve(settings: Settings, *, host: str = "0.0.0.0") -> int:
    import gevent
    from gevent.event import Event
    from gevent.pool import Pool
    from gevent.pywsgi import WSGIServer

    started = time.monotonic()
    services = build_services(settings)
    wsgi = create_wsgi_app(create_app(services), webhooks=create_webhook_endpoint(services))
    server = WSGIServer((host, settings.port), wsgi, spawn=Pool(2000), log=None, error_log=log)
    stopping = Event()

    def request_stop(signum: int) -> None:
        if not stopping.is_set():
            log.info(kv(event="shutdown", signal=signal.Signals(signum).name))
            stopping.set()

    gevent.signal_handler(signal.SIGTERM, request_stop, signal.SIGTERM)
    gevent.signal_handler(signal.SIGINT, request_stop, signal.SIGINT)
    server.start()
    log.info(
        kv(
            event="listening",
            port=server.server_port,
            cometchat=settings.cometchat_url,
            startup_ms=(time.monotonic() - started) * 1000,
        )
    )
    stopping.wait()

    deadline = time.monotonic() + SHUTDOWN_GRACE
    # Stop accepting; let requests already inside finish (they may still be acknowledging).
    server.stop(timeout=max(1.0, deadline - time.monotonic() - 5))
    # Then let background work deliver its answers to Slack.
    drained = services.responder.drain(max(0.0, deadline - time.monotonic()))
    services.close()
    log.info(kv(event="stopped", drained=drained, pending=services.responder.pending))
    return 0 if drained else 1
