"""The production web process: gunicorn with gevent workers, configured in `gunicorn.conf.py`.

gunicorn owns the sockets, HTTP parsing and its limits; this module holds what that file points
at: the WSGI app factory (run in each worker, after gevent has patched the standard library) and
the server hooks (settings checked before anything starts, the "listening" line, closing a
connection whose body the app will not read, and delivering background answers at shutdown).

Nothing heavy is imported at the top: `gunicorn.conf.py` imports this module right after gevent
has patched the standard library, and the master then imports the app's modules itself
(`preload_app_modules`, before it binds), so a worker forked from it only builds its services.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.logs import kv

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings

log = logging.getLogger("bot.server")

# Heroku sends SIGTERM, then SIGKILL 30 s later. gunicorn's master waits this long for its
# workers (graceful_timeout); within it a worker finishes its requests (bounded by the ack budget,
# the keep-alive and body-read timeouts), then delivers its background answers.
SHUTDOWN_GRACE = 28
# The share of that grace left for background answers once requests are done.
DRAIN_GRACE = 20.0
# A worker exiting with this status tells gunicorn's master the app cannot load (it then stops).
APP_LOAD_ERROR = 4


def procfile_command(root: Path, kind: str = "web") -> list[str]:
    """The Procfile's `kind:` line as argv, with gunicorn run by this interpreter (so the
    project's .venv needs no activating). Raises StartupError when `root` has no such line."""
    from bot.domain.errors import StartupError

    procfile = root / "Procfile"
    try:
        lines = procfile.read_text(encoding="utf-8").splitlines()
    except OSError:
        raise StartupError(
            f"no Procfile in {root}: run it from the project's folder, where the Procfile and "
            "gunicorn.conf.py are"
        ) from None
    for line in lines:
        name, _, command = line.partition(":")
        if name.strip() == kind and command.strip():
            argv = shlex.split(command)
            if argv[0] == "gunicorn":
                argv[:1] = [sys.executable, "-m", "gunicorn"]
            elif argv[0] == "python":
                argv[0] = sys.executable
            return argv
    raise StartupError(f"{procfile} has no {kind}: line")


def exec_gunicorn(root: Path | None = None) -> int:
    """Replace this process with the web server, started as the Procfile's `web:` line starts
    it, from the project's folder (where gunicorn finds its config, as on Heroku)."""
    root = root or Path.cwd()
    argv = procfile_command(root)
    os.chdir(root)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)
    return 1  # not reached


class WebApp:
    """One worker's WSGI app, with the services its shutdown must finish."""

    def __init__(self, wsgi: Callable[..., Iterable[bytes]], services: Services, ready_ms: float):
        self._wsgi = wsgi
        self.services = services
        self.ready_ms = ready_ms

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self._wsgi(environ, start_response)

    def finish(self, timeout: float) -> bool:
        """Let background work deliver its answers to Slack; True if all of it did."""
        responder = self.services.responder
        self.services.expiries.stop()
        log.info(kv(event="requests_done", jobs=responder.pending))
        drained = responder.drain(timeout)
        self.services.close()
        log.info(kv(event="stopped", drained=drained, pending=responder.pending))
        return drained


def create_web_app() -> WebApp:
    """gunicorn's `wsgi_app` factory: settings, logging, services, the Bolt app and routes."""
    from bot.app import create_app
    from bot.domain.errors import StartupError
    from bot.services import build_services
    from bot.web.error_reports import start_error_reports
    from bot.web.startup import (
        configure_process_logging,
        settings_or_exit,
        warn_ephemeral_database,
    )
    from bot.web.wsgi import create_wsgi_app
    from bot.webhooks.build import create_webhook_endpoint

    started = time.monotonic()
    settings = settings_or_exit()
    configure_process_logging(settings)
    # In the worker, which gevent has patched by now (the master never imports sentry-sdk).
    start_error_reports(settings)
    warn_ephemeral_database(settings)
    try:
        services = build_services(settings)
    except StartupError as exc:
        log.error(kv(event="cannot_start", reason=str(exc)))
        # gunicorn's "application failed to load": the master stops instead of forking again.
        raise SystemExit(APP_LOAD_ERROR) from None
    wsgi = create_wsgi_app(
        create_app(services),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        webhooks=create_webhook_endpoint(services),
        charts=services.home.chart_png,
    )
    return WebApp(wsgi, services, (time.monotonic() - started) * 1000)


def preload_app_modules(settings: Settings) -> None:
    """In the master, before it binds: import what a worker's app factory imports, once. A
    worker forked from it inherits them and only builds its services, so the first request
    after a deploy waits for no import (Heroku routes to the port as soon as it opens)."""
    started = time.monotonic()
    import encodings.idna  # noqa: F401 - host names on the first connection
    import importlib.readers  # noqa: F401 - certifi finds its CA file through them

    # Each worker's hub starts these on first use.
    import gevent.resolver.thread
    import gevent.threadpool
    import httpcore  # noqa: F401 - httpx imports its transport on the first client

    import bot.app
    import bot.services
    import bot.web.error_reports
    import bot.web.startup
    import bot.web.wsgi
    import bot.webhooks.build

    if settings.sentry_dsn is not None:
        # Imported only: each worker starts it (its sending thread) after the fork. Besides
        # ours, init() loads the integrations it enables by default, and gevent's file objects.
        import gevent.fileobject  # noqa: F401
        import sentry_sdk.integrations.argv
        import sentry_sdk.integrations.atexit
        import sentry_sdk.integrations.dedupe
        import sentry_sdk.integrations.excepthook
        import sentry_sdk.integrations.logging
        import sentry_sdk.integrations.modules
        import sentry_sdk.integrations.stdlib
        import sentry_sdk.integrations.threading
        import sentry_sdk.integrations.unraisablehook
        import sentry_sdk.spotlight  # noqa: F401
    if settings.database_url_for_log.startswith("sqlite:"):
        import bot.store.migrate  # noqa: F401 - a worker on SQLite migrates its own file
    else:
        import psycopg  # noqa: F401 - the driver create_engine loads for PostgreSQL
        import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401
    log.info(
        kv(event="preloaded", modules=len(sys.modules), ms=(time.monotonic() - started) * 1000)
    )


# The modules a worker had when it was forked: what it imports later is logged at start.
_modules_at_fork: frozenset[str] = frozenset()


# -- gunicorn server hooks (named in gunicorn.conf.py) -----------------------------------------


def post_fork(_server: Any, _worker: Any) -> None:
    global _modules_at_fork
    _modules_at_fork = frozenset(sys.modules)


def post_worker_init(worker: Any) -> None:
    app = worker.wsgi
    if isinstance(app, WebApp):
        settings = app.services.settings
        log.info(
            kv(
                event="listening",
                # The port bound, not the setting: what a client must connect to.
                port=",".join(str(s.getsockname()[1]) for s in worker.sockets),
                pid=os.getpid(),
                cometchat=settings.cometchat_url_for_log,
                database=settings.database_url_for_log,
                startup_ms=app.ready_ms,
                # Imported by the worker itself, after the fork (the master preloads the app).
                late_imports=",".join(
                    sorted(name for name in sys.modules if name not in _modules_at_fork)
                )
                or "none",
            )
        )
        # Every worker runs one: the store's claims let only one of them end each ban.
        app.services.expiries.start()


def pre_request(_worker: Any, req: Any) -> None:
    from bot.web.wsgi import refuses_unread

    # The app answers such a request without reading its body; reading it through to find the
    # next request would cost what refusing it saved, so the connection ends with the answer.
    if refuses_unread(req.headers):
        req.force_close()


def worker_exit(_server: Any, worker: Any) -> None:
    app = getattr(worker, "wsgi", None)
    if isinstance(app, WebApp):
        app.finish(DRAIN_GRACE)


class RequestContentFilter(logging.Filter):
    """gunicorn logs a request it cannot parse with the offending line or header in the message.
    Whoever sent it is unauthenticated, and could forge a line that reads like one of ours
    (`event=audit actor=…`): keep the event and the address, drop what they sent."""

    _INVALID = re.compile(r"^Invalid request from ip=(?P<ip>\S*?): ")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        invalid = self._INVALID.match(message)
        if invalid:
            record.msg, record.args = kv(event="invalid_http_request", ip=invalid["ip"]), None
        elif message.startswith("Error handling request"):
            record.msg, record.args = kv(event="request_failed"), None
        return True


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its own lines in our single-line format, on stdout, and no
    access log (each request already logs one structured line of its own)."""
    from bot.logs import LOG_FORMAT

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": "bot.logs.SingleLineFormatter", "fmt": LOG_FORMAT}},
        "filters": {"request_content": {"()": "bot.web.server.RequestContentFilter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "line",
            }
        },
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {
                "level": level,
                "handlers": [],
                "propagate": True,
                "filters": ["request_content"],
            },
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }
