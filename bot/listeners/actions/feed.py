""" "View banned list" on a feed message: the group's first page, shown only to whoever clicked.

The feed message itself stays as it is (the whole channel sees it); the list arrives as a new
ephemeral message beside it, whose Previous/Next then page in place as usual.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack

from bot.cursor import PageCursor
from bot.errors import BadCursor
from bot.listeners.common import new_request_id, report_failure, show_page
from bot.logs import kv
from bot.services import Services
from bot.slack.payloads import beside

log = logging.getLogger(__name__)


def handle_open_list(ack: Ack, body: dict, action: dict, services: Services) -> None:
    ack()  # answered through response_url; the ack only has to be quick
    rid = new_request_id()
    fields = {"event": "feed_open_list", "rid": rid, "user": (body.get("user") or {}).get("id")}
    response_url = body.get("response_url")
    if not isinstance(response_url, str) or not response_url:
        log.warning(kv(**fields, outcome="no_response_url"))
        return
    try:
        cursor = PageCursor.decode(action.get("value"))
    except BadCursor as exc:
        message = report_failure(exc, **fields)
        services.responder.run_then_post(lambda: beside(message), response_url)
        return

    def work() -> dict:
        moderate = services.permissions.can_act(fields["user"])  # Unban/Ban only for moderators
        return beside(show_page(services, cursor, moderate=moderate, **fields).message)

    services.responder.run_then_post(work, response_url, context=rid)
