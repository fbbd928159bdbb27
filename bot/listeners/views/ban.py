"""The ban modal: step 1 asks for the uid (checked here), step 2 confirms and bans."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.domain.button_values import BanConfirmRef, BanRef
from bot.domain.errors import BadCursor, InvalidUid
from bot.domain.ids import validate_uid
from bot.listeners.actions.ban_unban import answer
from bot.listeners.common import new_request_id
from bot.logs import kv
from bot.services import Services
from bot.slack.moderation_blocks import (
    UID_ACTION_ID,
    UID_BLOCK_ID,
    ban_confirm_modal,
)
from bot.usecases.moderate import act

log = logging.getLogger(__name__)

STALE_FORM = "This form is out of date. Close it and press “Ban a user…” again."
BAD_UID = (
    "Not a CometChat user id: use letters, digits, _ - . @ : or +, without spaces "
    "(at most 100 characters)."
)


def _ref(body: dict) -> BanRef | None:
    try:
        return BanRef.decode((body.get("view") or {}).get("private_metadata"))
    except BadCursor:
        return None


def restore_origin(body: dict, context: BoltContext, next: Callable[[], Any]) -> None:
    """Middleware, before `moderators_only`: a view submission carries no channel and no
    response_url, so put back those of the list the modal was opened from (kept in the modal's
    private_metadata, which only this app can set). The channel allowlist then applies, and a
    refusal can be explained in that conversation.
    """
    ref = _ref(body)
    if ref is not None:
        if ref.channel_id and not context.channel_id:
            context["channel_id"] = ref.channel_id
        if ref.response_url and not body.get("response_url"):
            body["response_url"] = ref.response_url
    next()


def handle_uid(ack: Ack, body: dict, view: dict) -> None:
    """Step 1 submitted: a malformed uid is shown in the form; a good one moves to step 2."""
    ref = _ref(body)
    if ref is None:
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
        guid=ref.guid,
        uid=uid,
        cursor=ref.cursor,
        response_url=ref.response_url,
        channel_id=ref.channel_id,
    )
    ack(response_action="update", view=ban_confirm_modal(confirm))


def handle_confirm(ack: Ack, body: dict, services: Services) -> None:
    """Step 2 submitted: close the modal, ban, and answer in the list it was opened from."""
    ack()
    user = (body.get("user") or {}).get("id") or ""
    fields: dict[str, Any] = {"event": "ban_modal", "rid": new_request_id(), "user": user}
    ref = _ref(body)
    if ref is None or ref.uid is None:
        log.warning(kv(**fields, outcome="BadCursor"))
        return
    uid, response_url = ref.uid, ref.response_url

    def work() -> dict[str, Any]:
        result = act(services, "ban", ref.guid, uid, actor=user, rid=fields["rid"])
        return answer(services, result, ref.cursor, **fields)

    if response_url:
        services.responder.run_then_post(work, response_url, context=fields["rid"])
    else:
        # Nowhere to answer (the list's link was not kept): still ban, audit and log.
        services.responder.submit(work)
