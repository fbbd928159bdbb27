"""The Home tab's *Unban now* (behind `moderators_only`, like every Unban): unban, then publish
the moderator's Home view again with the outcome on top. A Home view's click carries no
response_url: the view itself is the answer."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.domain.button_values import UnbanRef
from bot.domain.moderation import EventSource, ModerationAction
from bot.listeners.middleware import Click, button_value, moderators_only
from bot.services import Services
from bot.slack.home_blocks import ACTION_HOME_UNBAN
from bot.usecases.moderate import ModerationRequest, ban_or_unban


def handle_home_unban(click: Click[UnbanRef], services: Services) -> None:
    ref = click.value

    def work() -> None:
        services.home.hold_refresh(click.user)
        request = ModerationRequest(
            ModerationAction.UNBAN, ref.guid, ref.uid, actor=click.user, source=EventSource.BUTTON
        )
        result = ban_or_unban(services.cometchat, services.audit, services.store, request)
        services.home.publish(click.user, notice=result.notice().text)

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
