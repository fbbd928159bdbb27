"""*Lift lockdown* under a lockdown's notice: put back what participants were allowed."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.domain.actions import ACTIONS
from bot.domain.button_values import LockdownRef
from bot.domain.moderation import ModerationAction
from bot.listeners.middleware import Click, button_value, moderators_only
from bot.services import Services
from bot.slack.lockdown_blocks import ACTION_LOCKDOWN_LIFT
from bot.usecases.lockdown import lift_payload


def handle_lift(click: Click[LockdownRef], services: Services) -> None:
    guid = click.value.guid

    def work() -> dict[str, Any]:
        return lift_payload(services.cometchat, services.store, services.audit, guid, click.user)

    services.responder.run_then_post(work, click.response_url)


def register(app: App, services: Services) -> None:
    permission = ACTIONS[ModerationAction.LOCKDOWN_END].permission

    @app.action(
        ACTION_LOCKDOWN_LIFT,
        middleware=[
            moderators_only(services, permission),
            button_value(LockdownRef, services, event="lockdown_lift"),
        ],
    )
    def lockdown_lift(context: BoltContext):  # Bolt injects by parameter name
        handle_lift(context["click"], services)
