"""Wiring: settings and services in, the webhook endpoint (enabled or shut) out."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.domain.member_events import Trigger
from bot.logs import kv
from bot.services import Services
from bot.usecases.heard import heard_cases
from bot.webhooks.auth import BasicAuth
from bot.webhooks.dedupe import StoredSeenEvents
from bot.webhooks.endpoint import WEBHOOK_PATH, WebhookEndpoint
from bot.webhooks.feed import Feed, parse_trigger_filter
from bot.webhooks.joins import Joins

log = logging.getLogger("bot.webhooks")


def create_webhook_endpoint(
    services: Services, *, client: WebClient | None = None
) -> WebhookEndpoint:
    settings = services.settings
    user = settings.cometchat_webhook_user.strip()
    password = settings.cometchat_webhook_password
    channel = settings.feed_channel_id.strip()
    missing = [
        name
        for name, value in (
            ("COMETCHAT_WEBHOOK_USER", user),
            ("COMETCHAT_WEBHOOK_PASSWORD", password.get_secret_value() if password else ""),
            ("FEED_CHANNEL_ID", channel),
        )
        if not value
    ]
    if missing or password is None:
        reason = "set " + ", ".join(missing) + " to enable the feed"
        # Quiet when nothing is set (the feed is optional); loud when it is half configured.
        level = logging.INFO if len(missing) == 3 else logging.WARNING
        log.log(level, kv(event="webhooks_disabled", path=WEBHOOK_PATH, hint=reason))
        return WebhookEndpoint(None, None, disabled_reason=reason)

    web_api = client or services.slack_api
    if web_api is None:  # bare test services: no Web API client to post the feed with
        reason = "no Slack Web API client to post the feed with"
        log.warning(kv(event="webhooks_disabled", path=WEBHOOK_PATH, hint=reason))
        return WebhookEndpoint(None, None, disabled_reason=reason)

    triggers, unknown = parse_trigger_filter(settings.feed_triggers)
    if unknown:
        log.warning(
            kv(
                event="feed_triggers_unknown",
                ignored=",".join(sorted(unknown))[:200],
                known=",".join(t.value for t in Trigger),
            )
        )
    if not settings.feed_triggers:
        triggers = frozenset(Trigger)
    elif not triggers:
        # Every entry was a typo: posting everything would surprise; posting nothing is visible.
        log.warning(kv(event="feed_triggers_none_valid", hint="nothing will be posted"))
    seen = StoredSeenEvents(services.store)
    feed = Feed(
        channel_id=channel,
        # The pooled Web API client; it waits out chat.postMessage's rate limit on a burst
        # (a bulk ban) with slack_sdk's retry handler.
        client=web_api,
        submit=services.responder.submit,
        seen=seen,
        groups=settings.feed_groups,
        triggers=triggers,
        page_size=settings.page_size,
        can_unban=services.permissions.has_moderators,
        remember=lambda event, at: heard_cases(services.store, event, at),
    )
    if settings.viewer_channel_ids and channel not in settings.viewer_channel_ids:
        # The feed's buttons are checked like any other click: refused outside those channels.
        log.warning(
            kv(
                event="feed_channel_not_viewable",
                hint="add FEED_CHANNEL_ID to VIEWER_CHANNEL_IDS, or its buttons are refused",
            )
        )
    joins = None
    if services.raids.enabled:
        # Joins are counted for the raid alert, posted to the same channel.
        joins = Joins(
            services.raids,
            submit=services.responder.submit,
            seen=seen,
            groups=settings.feed_groups,
        )
    log.info(
        kv(
            event="webhooks_enabled",
            path=WEBHOOK_PATH,
            channel=channel,
            raid_joins_per_minute=services.raids.threshold if joins else None,
        )
    )
    return WebhookEndpoint(BasicAuth(user, password), feed, joins=joins)
