"""The raid alert: joins heard by webhook are counted in the shared database; past the threshold
one alert is posted to the feed channel (one, whichever process hears what), edited in place,
throttled, while the raid lasts, and marked calmed down once no minute has reached the raid's
rate for a while (the expiry loop's chore notices, in whichever process wins the claim).

Every step is a claim in the database (bot.store.raids), never a sleep or a timer: a test moves
the clock and calls `heard` and `tick`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.member_events import JoinEvent
from bot.domain.raids import (
    JOINS_KEPT,
    RATE_WINDOW,
    Joiner,
    RaidAlert,
    RaidPicture,
    account_created,
    is_raid,
    join_time,
)
from bot.logs import kv
from bot.slack.message import Message
from bot.slack.raid_blocks import raid_alert_gone, raid_already_dismissed, render_raid_alert
from bot.store.raids import Raids
from bot.store.tables import NAME_LENGTH
from bot.usecases.raid_ages import AccountAges

log = logging.getLogger("bot.raid")


class RaidWatch:
    def __init__(
        self,
        raids: Raids,
        client: WebClient,
        *,
        channel: str,
        threshold: int,
        ages: AccountAges | None = None,
    ):
        """`ages`: looks up the joiners' account ages when the alert is drawn (None: only
        what the webhooks said)."""
        self._raids = raids
        self._client = client
        self._channel = channel
        self.threshold = threshold
        self._ages = ages

    @property
    def enabled(self) -> bool:
        return self.threshold > 0 and bool(self._channel)

    def now(self) -> datetime:
        return self._raids.now()

    def heard(self, event: JoinEvent) -> None:
        """Joins arrived (a background job): count them; post, edit or leave the alert. Never
        raises: a failure is logged and the next join or tick tries again."""
        guid = event.group.guid
        try:
            now = self._raids.now()
            joiners = [
                Joiner(
                    uid=person.uid,
                    name=(person.name or "").strip()[:NAME_LENGTH],
                    joined_at=join_time(person.joined_at, now),
                    created_at=account_created(person.created_at, now),
                )
                for person in event.members
            ]
            self._raids.record(guid, joiners)
            count, first = self._raids.joins_since(guid, now - RATE_WINDOW)
            raiding = is_raid(count, self.threshold)
            alert, mine = self._raids.heard(
                guid, event.group.display_name, raiding=raiding, started_at=first
            )
        except Exception as exc:
            log.warning(kv(event="raid_count_failed", guid=guid, error=type(exc).__name__))
            return
        if alert is None:
            return
        if mine:
            log.info(kv(event="raid_started", guid=guid, joins=count))
            self._post(alert)
        elif alert.posted and alert.dismissed_at is None:
            self._edit(alert)

    def tick(self) -> None:
        """The expiry loop's chore: each open alert is calmed down, posted (its poster gave up)
        or brought up to date; then old joins are forgotten. Never raises."""
        try:
            alerts = self._raids.open_alerts()
        except Exception as exc:
            log.warning(kv(event="raid_check_deferred", error=type(exc).__name__))
            return
        for alert in alerts:
            try:
                self._tend(alert)
            except Exception as exc:
                log.warning(
                    kv(event="raid_check_failed", guid=alert.guid, error=type(exc).__name__)
                )
        try:
            self._raids.prune(JOINS_KEPT)
        except Exception as exc:
            log.warning(kv(event="raid_prune_failed", error=type(exc).__name__))

    def _tend(self, alert: RaidAlert) -> None:
        now = self._raids.now()
        if alert.calm(now):
            total = self._raids.counts(alert).total
            calmed = self._raids.calm(alert, total)
            if calmed is not None:
                log.info(kv(event="raid_calmed", guid=alert.guid, joins=total))
                if calmed.posted:
                    self._send_edit(calmed, look_up=True)
            return
        if not alert.posted:
            orphan = self._raids.claim_orphan(alert.guid)
            if orphan is not None:
                self._post(orphan)
            return
        stale = alert.updated_at is None or alert.last_join_at > alert.updated_at
        if stale and alert.dismissed_at is None:
            self._edit(alert)

    def dismiss(self, guid: str, raid: str, actor: str) -> Message | None:
        """*Dismiss*: the alert says who dismissed it and loses its buttons; None when done,
        else what to tell the moderator instead."""
        alert, mine = self._raids.dismiss(guid, raid, actor)
        if alert is None:
            return raid_alert_gone(guid)
        if not mine:
            return raid_already_dismissed(guid, alert.dismissed_by)
        log.info(kv(event="raid_dismissed", guid=guid, by=actor))
        if alert.posted:
            self._send_edit(alert)
        return None

    def alert(self, guid: str, raid: str) -> RaidAlert | None:
        """That raid's alert, if it is still the group's latest."""
        alert = self._raids.current(guid)
        return alert if alert is not None and alert.raid == raid else None

    def picture(self, alert: RaidAlert) -> RaidPicture:
        counts = self._raids.counts(alert)
        return RaidPicture(
            alert=alert,
            last_minute=counts.last_minute,
            total=counts.total,
            young=counts.young,
            unknown_age=counts.unknown_age,
            newest=counts.newest,
            now=self._raids.now(),
        )

    def _post(self, alert: RaidAlert) -> None:
        fields = {"event": "raid_alert_post", "guid": alert.guid}
        self._look_up_ages(alert)
        try:
            picture = self.picture(alert)
            message = render_raid_alert(picture)
            answer = self._client.chat_postMessage(
                channel=self._channel, unfurl_links=False, unfurl_media=False, **message.to_dict()
            )
            # As of the counts drawn: joins heard meanwhile make it stale for the next tick.
            self._raids.posted(alert, str(answer["channel"]), str(answer["ts"]), at=picture.now)
        except Exception as exc:
            # The claim's lease runs out and the next tick (in any process) posts it.
            log.warning(kv(**fields, outcome="failed", error=_error(exc)))
            return
        log.info(kv(**fields, outcome="posted"))

    def _edit(self, alert: RaidAlert) -> None:
        """Edit the posted alert if it is this process's turn (the throttle)."""
        try:
            turn = self._raids.claim_edit(alert)
        except Exception as exc:
            log.warning(kv(event="raid_alert_edit", guid=alert.guid, error=type(exc).__name__))
            return
        if turn is not None:
            self._send_edit(turn, look_up=True)

    def _send_edit(self, alert: RaidAlert, *, look_up: bool = False) -> None:
        """Draw the alert again; `look_up`: first ask CometChat the ages still unknown (the
        throttled edits and the calm-down, each done by one process; not a moderator's
        *Dismiss*, which is not held up by CometChat)."""
        if alert.channel is None or alert.ts is None:
            return
        if look_up:
            self._look_up_ages(alert)
        try:
            message = render_raid_alert(self.picture(alert))
            self._client.chat_update(channel=alert.channel, ts=alert.ts, **message.to_dict())
        except Exception as exc:
            log.warning(
                kv(event="raid_alert_edit", guid=alert.guid, outcome="failed", error=_error(exc))
            )

    def _look_up_ages(self, alert: RaidAlert) -> None:
        if self._ages is not None:
            self._ages.look_up(alert)


def _error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error"))
    return type(exc).__name__
