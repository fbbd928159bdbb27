"""A user's moderation history in a group: one page read from the store, rendered.

Only the bot's own database is read (CometChat keeps no history), so a page costs one indexed
query. When the database fails, the person is told so in words and the operator gets one
warning line; the banned list itself does not depend on it.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import SQLAlchemyError

from bot.domain.button_values import HistoryRef
from bot.domain.errors import HistoryUnreadable
from bot.domain.moderation import HISTORY_PAGE_SIZE
from bot.logs import kv
from bot.slack.history_blocks import render_history
from bot.store import ModerationStore
from bot.usecases.banned_list import Outcome
from bot.usecases.report import report_failure

log = logging.getLogger("bot.requests")


def show_history(history: ModerationStore, ref: HistoryRef, *, event: str) -> Outcome:
    """One page of `ref.uid`'s history in `ref.guid`, newest first, older than `ref.before` if
    set; on a failure, the explanation instead. Never raises; logs one line either way."""
    started = time.perf_counter()
    where = {"event": event, "guid": ref.guid, "uid": ref.uid, "before": ref.before}
    try:
        page = history.history(ref.guid, ref.uid, before=ref.before, limit=HISTORY_PAGE_SIZE)
        message = render_history(ref, page)
    except SQLAlchemyError as exc:
        error = HistoryUnreadable()
        elapsed = (time.perf_counter() - started) * 1000
        # The driver's class only: its message can quote the connection's address and SQL.
        worded = report_failure(error, **where, cause=type(exc).__name__, ms=elapsed)
        return Outcome(worded, ok=False, error=error)
    except Exception as exc:
        # A bug, not the database: logged with its trace, and still words for the person (a
        # late answer goes out from a job whose failure would otherwise be silent).
        return Outcome(report_failure(exc, **where), ok=False, error=exc)
    log.info(
        kv(
            **where,
            outcome="ok",
            events=len(page.events),
            more=page.before is not None,
            ms=(time.perf_counter() - started) * 1000,
        )
    )
    return Outcome(message, ok=True)
