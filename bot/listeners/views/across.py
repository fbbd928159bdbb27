"""*Ban in every group they are a member of*: step 1 (how long, why) is checked here and the
groups read in the background; step 2, the preview, bans in each once confirmed and answers
beside `/banned user <uid>`'s answer (or in the moderator's DM)."""

from __future__ import annotations

import logging

from slack_bolt import Ack

from bot.domain.button_values import AcrossRef
from bot.domain.errors import ProtectedUser
from bot.listeners.common import send_to_dm
from bot.listeners.views.ban import read_terms
from bot.logs import kv
from bot.services import Services
from bot.slack.across_blocks import (
    across_report,
    ban_everywhere_preview,
    failed_modal,
    preparing_modal,
)
from bot.slack.message import Message
from bot.slack.moderation_blocks import DURATION_BLOCK_ID
from bot.slack.payloads import new_ephemeral
from bot.usecases.across import preview_ban_everywhere, run_across
from bot.usecases.report import report_failure

log = logging.getLogger(__name__)

STALE_FORM = "This form is out of date. Close it and press the button again."


def handle_form(ack: Ack, form: AcrossRef | None, view: dict, services: Services) -> None:
    """Step 1 submitted: errors beside their fields, or "reading…" at once and the preview
    once CometChat has answered (views.update: Slack waits 3 s at most)."""
    if form is None:
        ack(response_action="errors", errors={DURATION_BLOCK_ID: STALE_FORM})
        return
    state = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    duration, reason = read_terms(state, errors)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=preparing_modal())
    view_id = view.get("id")
    terms = form.model_copy(
        update={
            "minutes": None if duration is None else int(duration.total_seconds() // 60),
            "reason": reason or None,
        }
    )

    def work() -> None:
        try:
            preview = preview_ban_everywhere(
                services.cometchat,
                services.store,
                form.uid,
                protected=services.settings.protected_uids,
            )
            planned, left_out = terms.with_groups(preview.targets)
            shown = ban_everywhere_preview(preview, planned, left_out)
        except Exception as exc:
            shown = failed_modal(report_failure(exc, event="ban_everywhere_preview"))
        services.slack_api.views_update(view_id=view_id, view=shown)

    services.responder.submit(work)


def handle_confirm(ack: Ack, form: AcrossRef | None, user: str, services: Services) -> None:
    """Step 2 submitted: close the modal, ban in each group the preview named, report."""
    ack()
    if form is None or not form.guids:
        log.warning(kv(event="ban_everywhere_confirm", outcome="BadCursor"))
        return

    def work() -> Message:
        if form.uid in services.settings.protected_uids:  # protected since the preview
            return report_failure(ProtectedUser(form.uid), event="ban_everywhere")
        report = run_across(services.cometchat, services.audit, services.store, form, actor=user)
        return across_report(report)

    if form.response_url:
        services.responder.run_then_post(lambda: new_ephemeral(work()), form.response_url)
    else:
        services.responder.submit(lambda: send_to_dm(services.slack_api, user, work()))
