"""*Undo* under a mass ban's report or audit line (Slack's confirmation dialog first): unban
the users it banned that nobody has decided about since, and say what was done."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.domain.actions import ACTIONS
from bot.domain.button_values import MassUndoRef
from bot.domain.errors import BotError
from bot.domain.moderation import ModerationAction
from bot.listeners.middleware import Click, button_value, moderators_only
from bot.services import Services
from bot.slack.massban_blocks import undo_report
from bot.slack.moderation_blocks import ACTION_MASS_UNDO
from bot.slack.payloads import new_ephemeral
from bot.usecases.massban import undo_mass_ban
from bot.usecases.report import report_failure


def handle_mass_undo(click: Click[MassUndoRef], services: Services) -> None:
    ref = click.value

    def work() -> dict[str, Any]:
        try:
            report = undo_mass_ban(
                services.cometchat,
                services.store,
                services.audit,
                case_id=ref.case,
                actor=click.user,
            )
        except BotError as exc:
            return new_ephemeral(report_failure(exc, event="mass_undo"))
        return new_ephemeral(undo_report(report))

    services.responder.run_then_post(work, click.response_url)


def register(app: App, services: Services) -> None:
    permission = ACTIONS[ModerationAction.UNBAN].permission

    @app.action(
        ACTION_MASS_UNDO,
        middleware=[
            moderators_only(services, permission),
            button_value(MassUndoRef, services, event="mass_undo"),
        ],
    )
    def mass_undo(context: BoltContext):  # Bolt injects by parameter name
        handle_mass_undo(context["click"], services)
