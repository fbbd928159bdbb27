"""Pieces every listener shares: request ids, one log line per outcome, failure reporting."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Ack, BoltContext, BoltRequest, BoltResponse
from slack_bolt.listener.listener_error_handler import DefaultListenerErrorHandler

from bot.domain.button_values import PageCursor
from bot.domain.errors import BadCursor
from bot.logs import kv
from bot.services import Services
from bot.slack.message import Message
from bot.slack.messages import explain, log_level_for, operator_hint, wording_for
from bot.slack.payloads import beside, ephemeral
from bot.usecases.moderate import render_page

log = logging.getLogger("bot.requests")


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Outcome:
    message: Message
    ok: bool
    error: BaseException | None = None  # what failed, for callers that offer a way on


def report_failure(error: BaseException, **fields: object) -> Message:
    """Log a failure at the right level (with an operator hint) and word it for the user."""
    hint = operator_hint(error)
    level = log_level_for(error)
    log.log(
        level,
        kv(**fields, outcome=type(error).__name__, code=getattr(error, "code", None), hint=hint),
        exc_info=level >= logging.ERROR,
    )
    return explain(error, ref=str(fields.get("rid") or ""))


def on_listener_error(services: Services) -> Callable[..., BoltResponse | None]:
    """Bolt's global error handler. An error the table in `bot.slack.messages` words (a full job
    queue, `JobQueueFull`, from any listener's `submit`, say) is answered like a refusal: logged
    at its level and worded for the person. Anything else keeps Bolt's default: logged with its
    traceback, a 500."""

    def handle(
        error: Exception,
        ack: Ack,
        body: dict,
        context: BoltContext,
        request: BoltRequest,
        response: BoltResponse | None,
        logger: logging.Logger,
    ) -> BoltResponse | None:
        if wording_for(error) is None:
            DefaultListenerErrorHandler(logger).handle(
                error=error, request=request, response=response
            )
            return None
        message = report_failure(
            error,
            event="refused",
            rid=new_request_id(),
            user=context.user_id,
            type=body.get("type"),
        )
        if "command" in body:
            return ack(**ephemeral(message))
        if body.get("type") == "block_suggestion":
            return ack(options=[])
        response_url = body.get("response_url")
        if isinstance(response_url, str) and response_url:
            # No job to spare for it (the queue may be full): it goes out from the request itself.
            services.responder.post(response_url, beside(message), context="refused")
        return ack()

    return handle


def guarded(work: Callable[[], Outcome], **fields: object) -> Callable[[], Outcome]:
    """Wrap background work so that it always ends in a message, whatever it raises."""

    def run() -> Outcome:
        try:
            return work()
        except Exception as exc:
            return Outcome(report_failure(exc, **fields), ok=False)

    return run


def show_page(
    services: Services, cursor: PageCursor, *, moderate: bool = False, **fields: object
) -> Outcome:
    """Fetch and render one page; on failure, the explanation instead. Logs one line.

    `moderate`: the viewer may act, so the page carries Unban / "Ban a user" buttons.
    """
    started = time.perf_counter()
    fields = {**fields, "guid": cursor.guid, "page": cursor.page}
    try:
        rendered = render_page(services, cursor, moderate=moderate)
    except Exception as exc:
        elapsed = (time.perf_counter() - started) * 1000  # mostly upstream time, retries included
        return Outcome(report_failure(exc, **fields, ms=elapsed), ok=False, error=exc)
    log.info(
        kv(
            **fields,
            outcome="ok",
            upstream_ms=rendered.upstream_ms,
            ms=(time.perf_counter() - started) * 1000,
        )
    )
    return Outcome(rendered.message, ok=True)


@dataclass(frozen=True)
class CursorClick:
    """A click on a button whose value is a PageCursor, acknowledged and decoded."""

    cursor: PageCursor
    response_url: str
    fields: dict[str, object]  # for log lines: event, rid, user, …

    @property
    def rid(self) -> str:
        return str(self.fields["rid"])

    @property
    def user(self) -> str | None:
        user = self.fields.get("user")
        return user if isinstance(user, str) else None


def start_cursor_click(
    ack: Callable[..., object],
    body: dict,
    clicked: dict,  # the payload's action (not named `action`: that is a log field)
    services: Services,
    *,
    event: str,
    **extra: object,
) -> CursorClick | None:
    """Acknowledge at once (the answer goes through response_url), then decode the button's
    cursor. None when there is nowhere to answer, or the value did not decode (the user is told
    beside the message, which stays as it was)."""
    ack()
    user = (body.get("user") or {}).get("id")
    fields: dict[str, object] = {"event": event, **extra, "rid": new_request_id(), "user": user}
    response_url = body.get("response_url")
    if not isinstance(response_url, str) or not response_url:
        log.warning(kv(**fields, outcome="no_response_url"))
        return None
    try:
        cursor = PageCursor.decode(clicked.get("value"))
    except BadCursor as exc:
        message = report_failure(exc, **fields)
        services.responder.run_then_post(lambda: beside(message), response_url)
        return None
    return CursorClick(cursor=cursor, response_url=response_url, fields=fields)
