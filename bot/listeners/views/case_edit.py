"""The form correcting a case: checked here (the reason's length, a length from the list), then
closed at once while the correction is applied; the outcome replaces the case view it was
opened from."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack

from bot.domain.button_values import CaseRef
from bot.domain.errors import ReasonTooLong
from bot.domain.moderation import validate_reason
from bot.listeners.views.ban import LONG_REASON, chosen_value, typed_value
from bot.logs import kv
from bot.services import Services
from bot.slack import kit
from bot.slack.case_blocks import (
    EDIT_LENGTH_ACTION_ID,
    EDIT_LENGTH_BLOCK_ID,
    EDIT_REASON_ACTION_ID,
    EDIT_REASON_BLOCK_ID,
    LENGTH_CHOICES,
    render_case,
)
from bot.slack.message import Message
from bot.slack.payloads import new_ephemeral, replacing
from bot.usecases.cases import CaseEditRequest, edit_case

log = logging.getLogger(__name__)

STALE_FORM = "This form is out of date. Close it and press Edit on the case again."
BAD_LENGTH = "Choose one of the lengths in the list."


def handle_edit(ack: Ack, form: CaseRef | None, view: dict, user: str, services: Services) -> None:
    if form is None:
        ack(response_action="errors", errors={EDIT_REASON_BLOCK_ID: STALE_FORM})
        return
    state = (view.get("state") or {}).get("values") or {}
    try:
        reason = validate_reason(typed_value(state, EDIT_REASON_BLOCK_ID, EDIT_REASON_ACTION_ID))
    except ReasonTooLong as exc:
        text = LONG_REASON.format(length=exc.length, limit=exc.limit)
        ack(response_action="errors", errors={EDIT_REASON_BLOCK_ID: text})
        return
    # A form for a case whose length cannot change has no length field: the reason only.
    length = chosen_value(state, EDIT_LENGTH_BLOCK_ID, EDIT_LENGTH_ACTION_ID) or "keep"
    if length not in LENGTH_CHOICES:
        ack(response_action="errors", errors={EDIT_LENGTH_BLOCK_ID: BAD_LENGTH})
        return
    ack()
    request = CaseEditRequest(number=form.number, actor=user, reason=reason, length=length)

    def work() -> dict[str, Any]:
        result = edit_case(
            services.cometchat, services.audit, services.store, services.permissions, request
        )
        if result.case is None:
            return new_ephemeral(result.message)
        view = render_case(result.case, moderate=True)
        # The case view it was opened from, as it now stands, the outcome on top.
        notice = kit.section("case_notice", result.message.text)
        return replacing(Message(text=result.message.text, blocks=(notice, *view.blocks)))

    if form.response_url:
        services.responder.run_then_post(work, form.response_url)
    else:
        log.info(kv(event="case_edit", outcome="no_response_url", case=form.number))
        services.responder.submit(work)
