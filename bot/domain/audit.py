"""What the audit trail records: one moderation attempt (a ban, an unban, a kick), whoever made it
and how it ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.moderation import ModerationAction


@dataclass(frozen=True)
class AuditEntry:
    actor: str  # Slack user id of the moderator (or of whoever tried)
    action: ModerationAction
    guid: str
    uid: str
    at: int  # epoch seconds of the attempt
    outcome: str  # "done", or what stopped it: "already_banned", "user_not_found", …
    error: str | None = None  # CometChat's error code or the exception's class, for the log
    minutes: int | None = None  # a temporary ban's length
    reason: str = ""  # what the moderator gave
    count: int | None = None  # an action on many users: how many it reached (uid is empty)
    case: int | None = None  # the event recorded for it (an action on many users: its own)

    @property
    def ok(self) -> bool:
        return self.outcome == "done"


class AuditSink(Protocol):
    """Where attempts are recorded (the log and the audit channel, in production)."""

    def record(self, entry: AuditEntry) -> None: ...
