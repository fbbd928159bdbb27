"""The production web process: gevent's WSGI server, one process, graceful on SIGTERM.

gevent serves every request on its own green thread, so hundreds of slow upstream calls cost
little memory and no acknowledgement waits behind another. `python -m bot serve` patches the
standard library for gevent before anything else is imported (see `bot.__main__`).
"""

from __future__ import annotations

import logging
import signal
import socket
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


def _real_poll_for_httpcore() -> None:
    """Give httpcore the real `select.poll` for its idle-connection check.

    httpcore carries the calls to Slack (`response_url`, the Web API; CometChat has its own
    transport, bot.transport). On every request it asks each pooled connection "readable?" with
    a zero-timeout poll. gevent's green poll answers that with a trip through the hub per
    connection (about 15 % of a command's CPU when CometChat went through httpcore too, measured
    with py-spy); the real poll with timeout 0 never blocks.
    """
    import select
    import types

    from gevent import monkey

    try:
        from httpcore import _utils
    except ImportError:
        return
    if getattr(_utils, "select", None) is select and monkey.is_module_patched("select"):
        _utils.select = types.SimpleNamespace(  # type: ignore[attr-defined]
            poll=monkey.get_original("select", "poll"),
            select=monkey.get_original("select", "select"),
            POLLIN=select.POLLIN,
        )


def serve(settings: Settings, *, host: str = "0.0.0.0") -> int:
    import gevent
    from gevent.event import Event
    from gevent.pool import Pool
    from gevent.pywsgi import WSGIServer

    from bot.wsgi_handler import LeanWSGIHandler

    started = time.monotonic()
    _real_poll_for_httpcore()
    services = build_services(settings)
    wsgi = create_wsgi_app(create_app(services), webhooks=create_webhook_endpoint(services))

    class Server(WSGIServer):
        # Room for a burst of new connections (Slack opens many at once under load).
        backlog = 1024

        def handle(self, sock, address):  # type: ignore[no-untyped-def]
            # pywsgi writes the headers and the body separately; with Nagle on, the body then
            # waits for the client's delayed ACK (40 ms) on every keep-alive request.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().handle(sock, address)

    server = Server(
        (host, settings.port),
        wsgi,
        spawn=Pool(2000),
        log=None,
        error_log=log,
        handler_class=LeanWSGIHandler,
    )
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
    # Stop accepting at once: new connections are refused (Heroku routes them to another dyno).
    server.close()
    log.info(kv(event="draining", connections=len(server.pool), jobs=services.responder.pending))
    # Requests already inside finish within the ack budget; what is still open after that is
    # idle keep-alive connections, which would otherwise hold the shutdown for the whole grace.
    server.pool.join(timeout=min(settings.ack_budget + 2.0, deadline - time.monotonic()))
    server.pool.kill(block=True, timeout=1)
    log.info(kv(event="requests_done", jobs=services.responder.pending))
    # Then let background work deliver its answers to Slack.
    drained = services.responder.drain(max(0.0, deadline - time.monotonic()))
    services.close()
    log.info(kv(event="stopped", drained=drained, pending=services.responder.pending))
    return 0 if drained else 1
