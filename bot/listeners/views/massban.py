"""The mass ban form: step 1 (whom, for how long, why) is checked here and previewed in the
background; step 2, the preview, bans once confirmed and answers where the form was opened."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from slack_bolt import Ack

from bot.cometchat import CometChatError
from bot.domain.button_values import MassBanRef
from bot.domain.duration import PERMANENT, parse_duration
from bot.domain.errors import InvalidGuid, MassActionNeedsHistory, ReasonTooLong
from bot.domain.ids import validate_guid
from bot.domain.massban import (
    MAX_AGE_DAYS,
    MAX_UIDS,
    MAX_WINDOW_MINUTES,
    Criteria,
    parse_uids,
)
from bot.domain.moderation import EventSource, validate_reason
from bot.listeners.common import send_to_dm
from bot.listeners.views.ban import chosen_value, typed_value
from bot.logs import kv
from bot.services import Services
from bot.slack.massban_blocks import (
    AGE_ACTION_ID,
    AGE_BLOCK_ID,
    MB_DURATION_ACTION_ID,
    MB_DURATION_BLOCK_ID,
    MB_GROUP_BLOCK_ID,
    MB_REASON_ACTION_ID,
    MB_REASON_BLOCK_ID,
    UIDS_ACTION_ID,
    UIDS_BLOCK_ID,
    WINDOW_ACTION_ID,
    WINDOW_BLOCK_ID,
    failed_modal,
    massban_progress,
    massban_report,
    massban_spent,
    preparing_modal,
    preview_modal,
)
from bot.slack.message import Message
from bot.slack.moderation_blocks import BAN_DURATIONS
from bot.slack.payloads import new_ephemeral
from bot.slack.picker import ACTION_PICK_GROUP
from bot.usecases.massban import preview_mass_ban, run_mass_ban
from bot.usecases.report import report_failure

log = logging.getLogger(__name__)

STALE_FORM = "This form is out of date. Close it and press “Mass ban…” again."
BAD_GROUP = "Choose a group in the list: type part of its name or id."
NOBODY_ASKED = "Paste some uids, or give a number of minutes (or both)."
TOO_MANY = "That is {count:,} uids; at most {limit:,} at once."
NOT_UIDS = "Not uids: {pieces}. Use letters, digits, _ - . @ : or +."
BAD_MINUTES = f"A whole number of minutes from 1 to {MAX_WINDOW_MINUTES:,}."
BAD_DAYS = f"A whole number of days from 1 to {MAX_AGE_DAYS:,}."
AGE_WITHOUT_WINDOW = "An account age narrows the joiners: give the minutes too."
BAD_DURATION = "Choose one of the durations in the list."
LONG_REASON = "This reason is {length} characters long; at most {limit} are kept. Shorten it."
# Progress is posted once a mass ban has run this long, then at most this often.
PROGRESS_AFTER = 3.0


def _whole(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        return None
    number = int(text)
    return number if low <= number <= high else None


def read_form(view: dict) -> tuple[Criteria, timedelta | None, str] | dict[str, str]:
    """The form's answers, or what is wrong with each field (shown beside it)."""
    state = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    pasted = parse_uids(typed_value(state, UIDS_BLOCK_ID, UIDS_ACTION_ID))
    if pasted.invalid:
        errors[UIDS_BLOCK_ID] = NOT_UIDS.format(pieces=", ".join(pasted.invalid[:5]))
    elif len(pasted.uids) > MAX_UIDS:
        errors[UIDS_BLOCK_ID] = TOO_MANY.format(count=len(pasted.uids), limit=MAX_UIDS)
    window = age = None
    if raw := typed_value(state, WINDOW_BLOCK_ID, WINDOW_ACTION_ID).strip():
        window = _whole(raw, 1, MAX_WINDOW_MINUTES)
        if window is None:
            errors[WINDOW_BLOCK_ID] = BAD_MINUTES
    if raw := typed_value(state, AGE_BLOCK_ID, AGE_ACTION_ID).strip():
        age = _whole(raw, 1, MAX_AGE_DAYS)
        if age is None:
            errors[AGE_BLOCK_ID] = BAD_DAYS
        elif window is None and WINDOW_BLOCK_ID not in errors:
            errors[AGE_BLOCK_ID] = AGE_WITHOUT_WINDOW
    if not pasted.uids and window is None and not errors:
        errors[UIDS_BLOCK_ID] = NOBODY_ASKED
    chosen = chosen_value(state, MB_DURATION_BLOCK_ID, MB_DURATION_ACTION_ID) or PERMANENT
    duration = None
    if chosen in BAN_DURATIONS:
        duration = parse_duration(chosen)
    else:
        errors[MB_DURATION_BLOCK_ID] = BAD_DURATION
    reason = ""
    try:
        reason = validate_reason(typed_value(state, MB_REASON_BLOCK_ID, MB_REASON_ACTION_ID))
    except ReasonTooLong as exc:
        errors[MB_REASON_BLOCK_ID] = LONG_REASON.format(length=exc.length, limit=exc.limit)
    if errors:
        return errors
    criteria = Criteria(
        pasted=tuple(pasted.uids),
        joined_within=timedelta(minutes=window) if window is not None else None,
        younger_than=timedelta(days=age) if age is not None else None,
    )
    return criteria, duration, reason


def handle_form(
    ack: Ack, form: MassBanRef | None, view: dict, user: str, services: Services
) -> None:
    """Step 1 submitted: errors beside their fields, or "reading…" at once and the preview
    when CometChat has answered (views.update: a large group takes longer than Slack waits)."""
    if form is None:
        ack(response_action="errors", errors={UIDS_BLOCK_ID: STALE_FORM})
        return
    read = read_form(view)
    if isinstance(read, dict):
        ack(response_action="errors", errors=read)
        return
    criteria, duration, reason = read
    ack(response_action="update", view=preparing_modal())
    view_id = view.get("id")

    def work() -> None:
        now = datetime.now(UTC)
        try:
            preview = preview_mass_ban(
                services.cometchat,
                services.store,
                guid=form.guid,
                actor=user,
                criteria=criteria,
                duration=duration,
                reason=reason,
                protected=services.settings.protected_uids,
                now=now,
            )
            shown = preview_modal(preview, form, now=now)
        except Exception as exc:
            message = report_failure(exc, event="massban_preview")
            shown = failed_modal(message)
        services.slack_api.views_update(view_id=view_id, view=shown)

    services.responder.submit(work)


def handle_anywhere(ack: Ack, view: dict, user: str, services: Services) -> None:
    """Step 1 from the Home tab: the group chosen with the picker, the rest as from a list."""
    state = (view.get("state") or {}).get("values") or {}
    try:
        guid = validate_guid(chosen_value(state, MB_GROUP_BLOCK_ID, ACTION_PICK_GROUP) or "")
    except InvalidGuid:
        read = read_form(view)
        errors = {MB_GROUP_BLOCK_ID: BAD_GROUP, **(read if isinstance(read, dict) else {})}
        ack(response_action="errors", errors=errors)
        return
    handle_form(ack, MassBanRef(guid=guid), view, user, services)


def handle_confirm(ack: Ack, form: MassBanRef | None, user: str, services: Services) -> None:
    """Step 2 submitted: close the modal, run the plan once, report where the form came from
    (progress there too when it takes more than a few seconds)."""
    ack()
    if form is None or form.plan is None:
        log.warning(kv(event="massban_confirm", outcome="BadCursor"))
        return
    plan_id = form.plan
    response_url = form.response_url
    # The services' clock (virtual in tests): how long the run has taken so far.
    clock = services.clock
    started = clock()
    last = [started]

    def progress(sent: int, total: int) -> None:
        now = clock()
        due = now - last[0] >= PROGRESS_AFTER or last[0] == started
        if response_url and sent < total and now - started >= PROGRESS_AFTER and due:
            last[0] = now
            services.responder.post(
                response_url, new_ephemeral(massban_progress(form.guid, sent, total))
            )

    def work() -> Message:
        try:
            report = run_mass_ban(
                services.cometchat,
                services.store,
                services.audit,
                plan_id=plan_id,
                actor=user,
                source=EventSource.BUTTON,
                progress=progress,
            )
        except (MassActionNeedsHistory, CometChatError) as exc:
            return report_failure(exc, event="massban")
        if report is None:
            return massban_spent()
        return massban_report(report)

    if response_url:
        services.responder.run_then_post(lambda: new_ephemeral(work()), response_url)
    else:
        # Opened from the Home tab: no conversation to answer in but the moderator's DM.
        services.responder.submit(lambda: send_to_dm(services.slack_api, user, work()))
