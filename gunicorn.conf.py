"""gunicorn's settings for the web process: `gunicorn --config gunicorn.conf.py` (the Procfile).

One gevent worker serves every request and background job on green threads, so hundreds of slow
CometChat calls cost little memory and no acknowledgement waits behind another. gunicorn parses
HTTP and enforces the limits below; the app (bot.web.server, bot.web.wsgi) owns none of that.
"""

import os

from bot.web.server import (  # noqa: F401 - gunicorn reads hooks by name from this module
    SHUTDOWN_GRACE,
    logging_config,
    post_worker_init,
    pre_request,
    worker_exit,
)
from bot.web.startup import settings_or_exit

# The settings the workers will read (environment, then .env): a bad one stops the server here,
# one line per problem (exit status 2), before it binds or forks; and .env's PORT is the port.
_settings = settings_or_exit()

wsgi_app = "bot.web.server:create_web_app()"
bind = [f"0.0.0.0:{_settings.port}"]
worker_class = "gevent"
# Heroku sets WEB_CONCURRENCY per dyno size. One gevent worker already serves hundreds of
# requests at once; more only pay off with more than one core.
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
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
