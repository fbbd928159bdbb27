"""The Home tab's *Unban now* (behind `moderators_only`, like every Unban): the unban's
confirmation, with the user's card, on top of the moderator's Home view. A Home view's click
carries no response_url: the view itself is the answer."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.domain.button_values import ActionRef, UnbanRef
from bot.domain.moderation import EventSource, ModerationAction
from bot.listeners.middleware import Click, button_value, moderators_only
from bot.services import Services
from bot.slack.home_blocks import ACTION_HOME_UNBAN
from bot.usecases.moderate import ask_to_confirm
from bot.usecases.user_card import card_reader


def handle_home_unban(click: Click[UnbanRef], services: Services) -> None:
    """*Unban now* changes nothing yet: the moderator's Home view comes back with the unban's
    confirmation on top, the user's card in it, as everywhere else; its Confirm and Cancel are
    the confirmation's own (bot.listeners.actions.ban_unban), which publish the view again."""
    ref = click.value
    confirm = ActionRef(
        action=ModerationAction.UNBAN, guid=ref.guid, uid=ref.uid, source=EventSource.BUTTON
    )
    card = card_reader(services.cometchat, services.store, budget=services.settings.ack_budget)

    def work() -> None:
        services.home.hold_refresh(click.user)
        asked = ask_to_confirm(services.permissions, confirm, click.user, card)
        if asked.ready:
            services.home.publish(click.user, asking=asked.message.blocks)
        else:
            services.home.publish(click.user, notice=asked.message.text)

    services.responder.submit(work)


def register(app: App, services: Services) -> None:
    @app.action(
        ACTION_HOME_UNBAN,
        middleware=[
            moderators_only(services),
            button_value(UnbanRef, services, event="home_unban", needs_response_url=False),
        ],
    )
    def home_unban(context: BoltContext):  # Bolt injects by parameter name
        handle_home_unban(context["click"], services)
