"""A failure, logged once at its level with the operator's hint, and worded for the person."""

from __future__ import annotations

import logging

from bot.logs import kv, request_id
from bot.slack.message import Message
from bot.slack.messages import failure

log = logging.getLogger("bot.requests")


def report_failure(error: BaseException, **fields: object) -> Message:
    """`fields` say what was being done (`event=…`); the request's own come from the context."""
    found = failure(error, ref=request_id())
    log.log(
        found.level,
        kv(
            **fields,
            outcome=type(error).__name__,
            code=getattr(error, "code", None),
            hint=found.hint,
        ),
        exc_info=error if found.level >= logging.ERROR else None,
    )
    return found.message
