"""The ban modal: step 1 asks for the uid (checked here), step 2 confirms and bans."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack

from bot.domain.button_values import BanConfirmRef, BanRef
from bot.domain.errors import InvalidUid
from bot.domain.ids import validate_uid
from bot.logs import kv
from bot.services import Services
from bot.slack.moderation_blocks import UID_ACTION_ID, UID_BLOCK_ID, ban_confirm_modal
from bot.usecases.moderate import ModerationRequest, ban_or_unban, outcome_payload

log = logging.getLogger(__name__)

STALE_FORM = "This form is out of date. Close it and press “Ban a user…” again."
BAD_UID = (
    "Not a CometChat user id: use letters, digits, _ - . @ : or +, without spaces "
    "(at most 100 characters)."
)


def handle_uid(ack: Ack, form: BanRef | None, view: dict) -> None:
    """Step 1 submitted: a malformed uid is shown in the form; a good one moves to step 2."""
    if form is None:
        ack(response_action="errors", errors={UID_BLOCK_ID: STALE_FORM})
        return
    state = ((view.get("state") or {}).get("values") or {}).get(UID_BLOCK_ID) or {}
    raw = (state.get(UID_ACTION_ID) or {}).get("value") or ""
    try:
        uid = validate_uid(raw)
    except InvalidUid:
        ack(response_action="errors", errors={UID_BLOCK_ID: BAD_UID})
        return
    confirm = BanConfirmRef(
        guid=form.guid,
        uid=uid,
        cursor=form.cursor,
        response_url=form.response_url,
        channel_id=form.channel_id,
    )
    ack(response_action="update", view=ban_confirm_modal(confirm))


def handle_confirm(ack: Ack, form: BanConfirmRef | None, user: str, services: Services) -> None:
    """Step 2 submitted: close the modal, ban, and answer in the list it was opened from."""
    ack()
    if form is None:
        log.warning(kv(event="ban_modal", outcome="BadCursor"))
        return

    def work() -> dict[str, Any]:
        request = ModerationRequest(
            "ban", form.guid, form.uid, actor=user, duration=form.duration, reason=form.reason or ""
        )
        result = ban_or_unban(services.cometchat, services.audit, services.store, request)
        return outcome_payload(services.lists, result, form.cursor)

    if form.response_url:
        services.responder.run_then_post(work, form.response_url)
    else:
        # Nowhere to answer (the list's link was not kept): still ban, audit and log.
        services.responder.submit(work)
