"""The audit trail: every ban and unban attempt, logged and posted to `AUDIT_CHANNEL_ID`.

Posting is best effort and happens off the request path: a Slack outage, a missing scope or a bot
that was never invited to the channel is logged, and the moderator's action is unaffected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.audit import AuditEntry
from bot.logs import kv
from bot.slack.message import Message
from bot.slack.moderation_blocks import render_audit

log = logging.getLogger("bot.audit")

# What to tell the operator for the Slack errors a misconfigured audit channel produces.
_HINTS = {
    "not_in_channel": "invite the bot to the AUDIT_CHANNEL_ID channel",
    "channel_not_found": "check AUDIT_CHANNEL_ID (a channel id like C0123456789)",
    "missing_scope": "reinstall the app with the chat:write scope (see manifest.yml)",
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "not_authed": "check SLACK_BOT_TOKEN",
}


class AuditTrail:
    def __init__(
        self,
        channel_id: str,
        client: WebClient | None,
        *,
        submit: Callable[[Callable[[], Any]], Future] | None = None,
    ):
        self._channel = channel_id.strip()
        self._client = client
        # Where the post runs: the Responder's pool in production; inline when not given.
        self._submit = submit

    @property
    def posts_to_slack(self) -> bool:
        return bool(self._channel and self._client)

    def record(self, entry: AuditEntry) -> None:
        """Log the entry now; post it to the audit channel in the background. Never raises."""
        log.info(
            kv(
                event="audit",
                actor=entry.actor,
                action=entry.action,
                guid=entry.guid,
                uid=entry.uid,
                at=entry.at,
                outcome=entry.outcome,
                error=entry.error,
                channel=self._channel or None,
            )
        )
        if not self.posts_to_slack:
            return
        if self._submit is None:
            self.post(entry)
            return
        try:
            self._submit(lambda: self.post(entry))
        except Exception:  # shutting down: post inline rather than lose the entry
            self.post(entry)

    def announce(self, message: Message, *, what: str) -> None:
        """Post `message` (not an attempt: a case's correction) to the audit channel in the
        background; logged either way. Never raises."""
        log.info(kv(event="audit", what=what, channel=self._channel or None))
        if not self.posts_to_slack:
            return
        if self._submit is None:
            self._post(message, what)
            return
        try:
            self._submit(lambda: self._post(message, what))
        except Exception:  # shutting down: post inline rather than lose it
            self._post(message, what)

    def post(self, entry: AuditEntry) -> bool:
        """Post one entry to the audit channel; True on success. Never raises."""
        return self._post(render_audit(entry), entry.uid)

    def _post(self, message: Message, about: str) -> bool:
        if self._client is None or not self._channel:
            return False
        try:
            self._client.chat_postMessage(channel=self._channel, **message.to_dict())
        except SlackApiError as exc:
            code = exc.response.get("error") if exc.response is not None else None
            log.warning(
                kv(event="audit_post_failed", error=code, hint=_HINTS.get(str(code)), uid=about)
            )
            return False
        except Exception as exc:
            log.warning(kv(event="audit_post_failed", error=type(exc).__name__, uid=about))
            return False
        return True


def build_audit_trail(
    channel_id: str,
    *,
    client: WebClient,
    submit: Callable[[Callable[[], Any]], Future] | None = None,
) -> AuditTrail:
    """The production trail: posts in the background, so the request path never waits on it."""
    return AuditTrail(channel_id, client if channel_id.strip() else None, submit=submit)
