"""The list's *Mass ban…* button (and `/banned <guid> massban`): open the mass ban form."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.domain.actions import ACTIONS
from bot.domain.button_values import MassBanRef
from bot.domain.moderation import ModerationAction
from bot.listeners.middleware import Click, button_value, moderators_only
from bot.services import Services
from bot.slack.moderation_blocks import ACTION_MASSBAN_OPEN
from bot.usecases.massban import open_massban_form


def handle_massban_open(click: Click[MassBanRef], services: Services) -> None:
    ref = click.value.model_copy(
        update={"response_url": click.response_url or None, "channel_id": click.channel}
    )
    open_massban_form(
        services.slack_api,
        services.responder,
        trigger_id=click.trigger_id,
        ref=ref,
    )


def register(app: App, services: Services) -> None:
    permission = ACTIONS[ModerationAction.MASS_BAN].permission

    @app.action(
        ACTION_MASSBAN_OPEN,
        middleware=[
            moderators_only(services, permission),
            button_value(MassBanRef, services, event="massban_open", needs_response_url=False),
        ],
    )
    def massban_open(context: BoltContext):  # Bolt injects by parameter name
        handle_massban_open(context["click"], services)
