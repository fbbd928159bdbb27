"""A raid alert's buttons: *Review and mass ban* (the mass ban form, its join window covering
the raid, its age filter a day when most of the raid is that young), *Lock down 30 min* (after
Slack's confirmation) and *Dismiss*. Moderators only."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.domain.actions import ACTIONS
from bot.domain.button_values import MassBanRef, RaidRef
from bot.domain.command import LockDown
from bot.domain.moderation import EventSource, ModerationAction
from bot.domain.raids import YOUNG
from bot.listeners.middleware import Click, button_value, moderators_only
from bot.logs import kv
from bot.services import Services
from bot.slack.payloads import new_ephemeral
from bot.slack.raid_blocks import (
    ACTION_RAID_DISMISS,
    ACTION_RAID_LOCKDOWN,
    ACTION_RAID_REVIEW,
    RAID_LOCKDOWN,
    RAID_LOCKDOWN_REASON,
    raid_alert_gone,
    raid_dismissed,
)
from bot.usecases.lockdown import lockdown_payload
from bot.usecases.massban import open_massban_form

log = logging.getLogger("bot.raid")

DISMISS_PERMISSION = "dismiss raid alerts"


def handle_review(click: Click[RaidRef], services: Services) -> None:
    guid = click.value.guid
    minutes: int | None = None
    days: int | None = None
    try:
        alert = services.raids.alert(guid, click.value.raid)
        picture = services.raids.picture(alert) if alert is not None else None
    except Exception as exc:
        # The form is still worth having: the moderator fills the window in.
        log.warning(kv(event="raid_review", outcome="alert_unread", error=type(exc).__name__))
    else:
        if alert is None or picture is None:
            services.responder.post(click.response_url, new_ephemeral(raid_alert_gone(guid)))
            return
        minutes = alert.window_minutes(picture.now)
        # Only when most of the raid is known to be young: the filter would otherwise leave
        # out accounts the raid is made of (the form says so when it fills it in).
        days = YOUNG.days if picture.mostly_young else None
    ref = MassBanRef(guid=guid, response_url=click.response_url or None, channel_id=click.channel)
    open_massban_form(
        services.slack_api,
        services.responder,
        trigger_id=click.trigger_id,
        ref=ref,
        minutes=minutes,
        days=days,
    )


def handle_lockdown(click: Click[RaidRef], services: Services) -> None:
    request = LockDown(guid=click.value.guid, duration=RAID_LOCKDOWN, reason=RAID_LOCKDOWN_REASON)

    def work() -> dict[str, Any]:
        return lockdown_payload(
            services.cometchat,
            services.store,
            services.audit,
            request,
            click.user,
            source=EventSource.BUTTON,
        )

    services.responder.run_then_post(work, click.response_url)


def handle_dismiss(click: Click[RaidRef], services: Services) -> None:
    guid, raid = click.value.guid, click.value.raid

    def work() -> dict[str, Any]:
        instead = services.raids.dismiss(guid, raid, click.user)
        return new_ephemeral(instead if instead is not None else raid_dismissed(guid))

    services.responder.run_then_post(work, click.response_url)


def register(app: App, services: Services) -> None:
    def guarded(permission: str, event: str) -> list:
        return [
            moderators_only(services, permission),
            button_value(RaidRef, services, event=event),
        ]

    @app.action(
        ACTION_RAID_REVIEW,
        middleware=guarded(ACTIONS[ModerationAction.MASS_BAN].permission, "raid_review"),
    )
    def raid_review(context: BoltContext):  # Bolt injects by parameter name
        handle_review(context["click"], services)

    @app.action(
        ACTION_RAID_LOCKDOWN,
        middleware=guarded(ACTIONS[ModerationAction.LOCKDOWN].permission, "raid_lockdown"),
    )
    def raid_lockdown(context: BoltContext):
        handle_lockdown(context["click"], services)

    @app.action(ACTION_RAID_DISMISS, middleware=guarded(DISMISS_PERMISSION, "raid_dismiss"))
    def raid_dismiss(context: BoltContext):
        handle_dismiss(context["click"], services)
