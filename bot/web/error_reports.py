"""Error reports (SENTRY_DSN): what the log records at ERROR, with its traceback, also goes to
the operator's Sentry project, so an error reaches someone without anyone tailing the log.

Started in each process that serves (a gunicorn worker, Socket Mode), after gevent has patched
the standard library: sentry-sdk's sending thread and its sockets are then green like the rest.
The gunicorn master, patched first too, only imports it (so no worker waits on that import).
Each report is scrubbed of every configured secret (the log's own redaction, applied to every
string of the event: message, exception, stack frame variables) and tagged with the request's
id, the `rid=` of its log lines.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.logs import Redactor, request_id
from bot.settings import Settings
from bot.web.startup import process_secrets

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

# Set by Heroku: the commit a build was made from (SOURCE_VERSION, during the build) and the one
# the dyno runs (HEROKU_SLUG_COMMIT, with the runtime-dyno-metadata feature).
RELEASE_VARIABLES = ("HEROKU_SLUG_COMMIT", "SOURCE_VERSION")


def release_of(environ: Mapping[str, str]) -> str | None:
    """The deployed commit, when Heroku says which."""
    for name in RELEASE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def scrub(value: Any, redact: Redactor) -> Any:
    """`value` (an event, or any part of one) with every secret in its strings replaced."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {scrub(k, redact): scrub(v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item, redact) for item in value]
    return value


def start_error_reports(settings: Settings, *, environ: Mapping[str, str] = os.environ) -> bool:
    """Report errors to SENTRY_DSN's project; False (nothing started) when it is unset."""
    if settings.sentry_dsn is None:
        return False
    # Imported here, not at the top: only a serving process that reports errors loads it, and
    # only once gevent has patched threads and sockets.
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.stdlib import StdlibIntegration

    redact = Redactor(process_secrets(settings))

    def before_send(event: Event, _hint: Hint) -> Event:
        scrubbed: Event = scrub(event, redact)
        rid = request_id()
        if rid:
            scrubbed.setdefault("tags", {})["rid"] = rid
        return scrubbed

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        release=release_of(environ),
        before_send=before_send,
        # A line logged at ERROR becomes a report (with its traceback, if any): unexpected
        # failures (`outcome=RuntimeError`), a worker that cannot start. No breadcrumbs: nothing
        # here keeps one request's lines apart from another's; the `rid` tag leads to the log.
        integrations=[
            LoggingIntegration(level=None, event_level=logging.ERROR, breadcrumb_level=None)
        ],
        # Errors only: no tracing, no sessions, and no integration enabled by what happens to
        # be installed. http.client's breadcrumbs would carry response_url links (capabilities).
        auto_enabling_integrations=False,
        disabled_integrations=[StdlibIntegration],
        auto_session_tracking=False,
        send_client_reports=False,
    )
    return True
