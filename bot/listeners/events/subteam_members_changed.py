"""Slack says a user group's members changed: read them again, so a moderator added to (or taken
out of) a group named in MODERATOR_USER_IDS or VIEWER_USER_IDS counts at once, without a restart.

The read runs off the request path; other workers catch up within the cache's MAX_AGE.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.domain.errors import JobQueueFull
from bot.logs import kv
from bot.services import Services
from bot.slack.delivery import ShuttingDown

log = logging.getLogger("bot.user_groups")


def handle_subteam_members_changed(event: dict[str, Any], services: Services) -> None:
    group = event.get("subteam_id")
    groups = services.user_groups
    if not isinstance(group, str) or group not in groups.ids:
        return  # a group no allowlist names: nothing here depends on it
    try:
        services.responder.submit(lambda: groups.refresh(group))
    except (JobQueueFull, ShuttingDown):
        # Read on the next permission check after MAX_AGE instead.
        log.warning(kv(event="user_group", group=group, outcome="refresh_deferred"))


def register(app: App, services: Services) -> None:
    @app.event("subteam_members_changed")
    def subteam_members_changed(event: dict):  # Bolt injects by parameter name; it acknowledges
        handle_subteam_members_changed(event, services)
