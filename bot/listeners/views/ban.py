"""The ban modal: step 1 asks for the uid, the duration and the reason (checked here), step 2
confirms and bans. The global shortcut's step 1 also asks for the group; it then goes the same
way."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_bolt import Ack

from bot.cometchat import GroupNotFound, UserNotFound
from bot.domain.button_values import BanConfirmRef, BanRef
from bot.domain.duration import PERMANENT, parse_duration
from bot.domain.errors import InvalidGuid, InvalidUid, ReasonTooLong
from bot.domain.ids import validate_guid, validate_uid
from bot.domain.moderation import ModerationAction, validate_reason
from bot.listeners.common import send_to_dm
from bot.logs import kv
from bot.services import Services
from bot.slack.messages import as_plain_text, explain
from bot.slack.moderation_blocks import (
    BAN_DURATIONS,
    DURATION_ACTION_ID,
    DURATION_BLOCK_ID,
    GROUP_BLOCK_ID,
    REASON_ACTION_ID,
    REASON_BLOCK_ID,
    UID_ACTION_ID,
    UID_BLOCK_ID,
    ban_confirm_modal,
)
from bot.slack.picker import ACTION_PICK_GROUP
from bot.usecases.moderate import ActResult, ModerationRequest, ban_or_unban, outcome_payload
from bot.usecases.user_card import read_and_keep

log = logging.getLogger(__name__)

STALE_FORM = "This form is out of date. Close it and press “Ban a user…” again."
BAD_UID = (
    "Not a CometChat user id: use letters, digits, _ - . @ : or +, without spaces "
    "(at most 100 characters)."
)
BAD_DURATION = "Choose one of the durations in the list."
BAD_GROUP = "Choose a group in the list: type part of its name or id."
LONG_REASON = "This reason is {length} characters long; at most {limit} are kept. Shorten it."


def handle_uid(ack: Ack, form: BanRef | None, view: dict, services: Services) -> None:
    """Step 1 submitted: what is wrong is shown beside its field; if nothing is, step 2."""
    if form is None:
        ack(response_action="errors", errors={UID_BLOCK_ID: STALE_FORM})
        return
    state = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    try:
        uid = validate_uid(typed_value(state, UID_BLOCK_ID, UID_ACTION_ID))
    except InvalidUid:
        errors[UID_BLOCK_ID] = BAD_UID
    duration, reason = read_terms(state, errors)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    confirm = BanConfirmRef(
        guid=form.guid,
        uid=uid,
        cursor=form.cursor,
        response_url=form.response_url,
        channel_id=form.channel_id,
        minutes=None if duration is None else int(duration.total_seconds() // 60),
        reason=reason or None,
    )
    try:
        card = read_and_keep(
            services.cometchat,
            services.store,
            form.guid,
            uid,
            budget=services.settings.ack_budget,
        )
    except (UserNotFound, GroupNotFound) as exc:
        # Caught before anything is confirmed: said beside the field, in the usual words.
        log.info(kv(event="ban_modal", outcome=type(exc).__name__))
        ack(response_action="errors", errors={UID_BLOCK_ID: as_plain_text(explain(exc))})
        return
    ack(response_action="update", view=ban_confirm_modal(confirm, card))


def read_terms(state: dict, errors: dict[str, str]) -> tuple[timedelta | None, str]:
    """The ban form's duration and reason (`ban_terms_fields`); what is wrong with either goes
    into `errors`, by block."""
    # A form opened before the field existed has no duration: permanent, as it then meant.
    chosen = chosen_value(state, DURATION_BLOCK_ID, DURATION_ACTION_ID)
    if chosen is None:
        chosen = PERMANENT
    duration = None
    if chosen in BAN_DURATIONS:
        duration = parse_duration(chosen)
    else:
        errors[DURATION_BLOCK_ID] = BAD_DURATION
    reason = ""
    try:
        reason = validate_reason(typed_value(state, REASON_BLOCK_ID, REASON_ACTION_ID))
    except ReasonTooLong as exc:
        errors[REASON_BLOCK_ID] = LONG_REASON.format(length=exc.length, limit=exc.limit)
    return duration, reason


def handle_anywhere(ack: Ack, view: dict, services: Services) -> None:
    """The shortcut's step 1: the group chosen, the rest is the list's form. Nothing to answer
    in but the moderator's DM with the bot (no list, no response_url)."""
    state = (view.get("state") or {}).get("values") or {}
    try:
        guid = validate_guid(chosen_value(state, GROUP_BLOCK_ID, ACTION_PICK_GROUP) or "")
    except InvalidGuid:
        ack(response_action="errors", errors={GROUP_BLOCK_ID: BAD_GROUP})
        return
    handle_uid(ack, BanRef(guid=guid), view, services)


def typed_value(state: dict, block_id: str, action_id: str) -> str:
    """A text input's value; Slack leaves an empty optional one out, or sends null."""
    value = ((state.get(block_id) or {}).get(action_id) or {}).get("value")
    return value if isinstance(value, str) else ""


def chosen_value(state: dict, block_id: str, action_id: str) -> str | None:
    """A static select's chosen option value; None if nothing is (a form from before it)."""
    option = ((state.get(block_id) or {}).get(action_id) or {}).get("selected_option") or {}
    value = option.get("value")
    return value if isinstance(value, str) else None


def handle_confirm(ack: Ack, form: BanConfirmRef | None, user: str, services: Services) -> None:
    """Step 2 submitted: close the modal, ban, and answer in the list it was opened from."""
    ack()
    if form is None:
        log.warning(kv(event="ban_modal", outcome="BadCursor"))
        return

    def ban() -> ActResult:
        request = ModerationRequest(
            ModerationAction.BAN,
            form.guid,
            form.uid,
            actor=user,
            duration=form.duration,
            reason=form.reason or "",
        )
        return ban_or_unban(services.cometchat, services.audit, services.store, request)

    if form.response_url:
        cursor = form.cursor
        services.responder.run_then_post(
            lambda: outcome_payload(services.lists, ban(), cursor), form.response_url
        )
    else:
        # No list to answer in (the shortcut's form, or the list's link was not kept): the
        # outcome goes to the moderator's DM with the bot.
        services.responder.submit(lambda: send_to_dm(services.slack_api, user, ban().notice()))
