"""gunicorn's settings for the web process: `gunicorn --config gunicorn.conf.py` (the Procfile).

One gevent worker serves every request and background job on green threads, so hundreds of slow
CometChat calls cost little memory and no acknowledgement waits behind another. gunicorn parses
HTTP and enforces the limits below; the app (bot.web.server, bot.web.wsgi) owns none of that.
"""

# First, before anything imports ssl, socket or threading: the master loads the app's modules
# (below) so that its workers, forked with them, patch nothing late.
from gevent import monkey

monkey.patch_all()

# gunicorn reads its hooks by name from this module.
from bot.web.server import (  # noqa: E402, F401
    SHUTDOWN_GRACE,
    logging_config,
    post_fork,
    post_worker_init,
    pre_request,
    preload_app_modules,
    worker_exit,
)
from bot.web.startup import settings_or_exit  # noqa: E402

# The settings the workers will read (environment, then .env): a bad one stops the server here,
# one line per problem (exit status 2), before it binds or forks; and .env's PORT is the port.
_settings = settings_or_exit()


def on_starting(_server: object) -> None:
    """In the master, before it binds: every module a worker's app needs is imported here, so
    no request waits while a worker imports (Heroku routes to the port as soon as it opens)."""
    preload_app_modules(_settings)


wsgi_app = "bot.web.server:create_web_app()"
bind = [f"0.0.0.0:{_settings.port}"]
worker_class = "gevent"
# Heroku sets WEB_CONCURRENCY per dyno size. One gevent worker already serves hundreds of
# requests at once; more only pay off with more than one core. Read through the settings, as
# each worker's database pool is sized by it (and SQLite refuses more than one).
workers = _settings.web_concurrency
# Connections one worker holds at once; a burst from Slack waits in the backlog beyond that.
worker_connections = 1000
backlog = 2048

# Slow or idle clients: a request must finish its headers, and an idle keep-alive connection
# send its next request, within this many seconds, or the connection is closed.
keepalive = 5
# SIGTERM: stop accepting, finish requests, deliver background answers (worker_exit), within
# Heroku's 30 s.
graceful_timeout = SHUTDOWN_GRACE
timeout = 30

# Slack sends about 1 kB of headers; these bound a request's header block to about 200 kB.
limit_request_line = 8190
limit_request_fields = 24
limit_request_field_size = 8190

logconfig_dict = logging_config(_settings.log_level)
accesslog = None
# gunicorn's runtime control socket (gunicornc) is not used; no file is left behind.
control_socket_disable = True
