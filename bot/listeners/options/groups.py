"""The group picker's type-ahead: the app's groups whose name or GUID contains what was typed.

Slack waits 3 seconds for options, so the CometChat call runs on the job pool and is awaited
for at most `ACK_BUDGET`; later than that, or on any failure, the menu gets no options (and the
log says why) rather than Slack's timeout error. What was typed is only ever sent as CometChat's
`searchKey` query parameter, never in a path.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import TimeoutError as FutureTimeout

from slack_bolt import Ack

from bot.domain.search import MAX_QUERY_LENGTH, normalise_query
from bot.logs import kv
from bot.services import Services
from bot.slack.picker import group_options
from bot.usecases.report import report_failure

log = logging.getLogger(__name__)

PICKER_PAGE_SIZE = 20  # a type-ahead needs the best few, not the whole app


def handle_group_options(ack: Ack, body: dict, services: Services) -> None:
    started = time.perf_counter()
    fields = {"event": "group_options"}
    typed = body.get("value")
    query = normalise_query(typed if isinstance(typed, str) else "")[:MAX_QUERY_LENGTH]
    try:
        future = services.responder.submit(
            lambda: services.cometchat.list_groups(per_page=PICKER_PAGE_SIZE, search=query or None)
        )
        groups = future.result(timeout=services.settings.ack_budget)
    except FutureTimeout:
        log.warning(kv(**fields, outcome="timeout", ms=(time.perf_counter() - started) * 1000))
        ack(options=[])
        return
    except Exception as exc:
        report_failure(exc, **fields)
        ack(options=[])
        return
    options = group_options(groups)
    log.info(
        kv(
            **fields,
            outcome="ok",
            typed=len(query),
            options=len(options),
            ms=(time.perf_counter() - started) * 1000,
        )
    )
    ack(options=options)
