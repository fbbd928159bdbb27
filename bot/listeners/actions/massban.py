"""The list's *Mass ban…* button (and `/banned <guid> massban`): open the mass ban form. The
Home tab's *Mass ban…* opens it with a group picker first: there is no group in context."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.domain.actions import ACTIONS
from bot.domain.button_values import MassBanRef, PickGroupRef
from bot.domain.moderation import ModerationAction
from bot.listeners.common import open_modal
from bot.listeners.middleware import Click, button_value, moderators_only
from bot.services import Services
from bot.slack.home_blocks import ACTION_HOME_MASSBAN_OPEN
from bot.slack.massban_blocks import massban_modal
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


def handle_home_massban_open(click: Click[PickGroupRef], services: Services) -> None:
    """From the Home tab: the form with the group to choose first; the report goes to the
    moderator's DM (a Home view has no response_url)."""
    trigger_id = click.trigger_id or ""
    view = massban_modal(None)
    services.responder.submit(
        lambda: open_modal(services.slack_api, trigger_id, view, event="massban_open")
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

    @app.action(
        ACTION_HOME_MASSBAN_OPEN,
        middleware=[
            moderators_only(services, permission),
            button_value(
                PickGroupRef, services, event="home_massban_open", needs_response_url=False
            ),
        ],
    )
    def home_massban_open(context: BoltContext):
        handle_home_massban_open(context["click"], services)
