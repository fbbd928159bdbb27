"""`/banned user <uid>`'s *Unban in all N groups* (its preview, then Confirm or Cancel) and
*Ban in every group they are a member of* (its form, then bot.listeners.views.across)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from sqlalchemy.exc import SQLAlchemyError

from bot.domain.actions import ACTIONS
from bot.domain.button_values import AcrossRef
from bot.domain.errors import HistoryUnreadable, ProtectedUser
from bot.domain.moderation import ModerationAction
from bot.listeners.common import open_modal
from bot.listeners.middleware import Click, button_value, moderators_only
from bot.services import Services
from bot.slack.across_blocks import (
    ACTION_ACROSS_CANCEL,
    ACTION_ACROSS_CONFIRM,
    ACTION_BAN_EVERYWHERE,
    ACTION_UNBAN_ALL,
    across_report,
    ban_everywhere_modal,
    unban_all_preview,
)
from bot.slack.moderation_blocks import cancelled
from bot.slack.payloads import new_ephemeral, replacing
from bot.usecases.across import banned_groups, run_across
from bot.usecases.report import report_failure


def handle_unban_all(click: Click[AcrossRef], services: Services) -> None:
    """The preview, beside the answer (which stays): the groups the history says the user is
    banned in now. Nothing is done."""
    ref = click.value

    def work() -> dict[str, Any]:
        try:
            guids = banned_groups(services.store, ref.uid)
        except SQLAlchemyError as exc:
            failed = report_failure(
                HistoryUnreadable(), event="unban_all", cause=type(exc).__name__
            )
            return new_ephemeral(failed)
        planned, left_out = ref.with_groups(guids)
        return new_ephemeral(unban_all_preview(planned, left_out))

    services.responder.run_then_post(work, click.response_url)


def handle_confirm(click: Click[AcrossRef], services: Services) -> None:
    """Confirm: each group the preview named, through the one path; the report replaces it."""
    ref = click.value

    def work() -> dict[str, Any]:
        report = run_across(
            services.cometchat, services.audit, services.store, ref, actor=click.user
        )
        return replacing(across_report(report))

    services.responder.run_then_post(work, click.response_url)


def handle_cancel(click: Click[AcrossRef], services: Services) -> None:
    services.responder.run_then_post(
        lambda: replacing(cancelled(click.value.action)), click.response_url
    )


def handle_ban_everywhere(click: Click[AcrossRef], services: Services) -> None:
    """The form (how long, why), keeping where to answer. A protected uid is refused at once."""
    ref = click.value.model_copy(
        update={"response_url": click.response_url or None, "channel_id": click.channel}
    )
    if ref.uid in services.settings.protected_uids:
        refusal = report_failure(ProtectedUser(ref.uid), event="ban_everywhere")
        if click.response_url:
            services.responder.run_then_post(lambda: new_ephemeral(refusal), click.response_url)
        return
    trigger_id = click.trigger_id or ""
    view = ban_everywhere_modal(ref)
    services.responder.submit(
        lambda: open_modal(services.slack_api, trigger_id, view, event="ban_everywhere")
    )


def register(app: App, services: Services) -> None:
    unban = moderators_only(services, ACTIONS[ModerationAction.UNBAN].permission)
    ban = moderators_only(services, ACTIONS[ModerationAction.BAN].permission)

    def value(event: str, **kw: Any) -> Any:
        return button_value(AcrossRef, services, event=event, **kw)

    @app.action(ACTION_UNBAN_ALL, middleware=[unban, value("unban_all")])
    def unban_all(context: BoltContext):  # Bolt injects by parameter name
        handle_unban_all(context["click"], services)

    @app.action(ACTION_ACROSS_CONFIRM, middleware=[unban, value("across_confirm")])
    def across_confirm(context: BoltContext):
        handle_confirm(context["click"], services)

    @app.action(ACTION_ACROSS_CANCEL, middleware=[unban, value("across_cancel")])
    def across_cancel(context: BoltContext):
        handle_cancel(context["click"], services)

    @app.action(
        ACTION_BAN_EVERYWHERE,
        middleware=[ban, value("ban_everywhere", needs_response_url=False)],
    )
    def ban_everywhere(context: BoltContext):
        handle_ban_everywhere(context["click"], services)
