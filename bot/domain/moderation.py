"""What the bot remembers of moderation: one `ModerationEvent` per ban, unban, kick, scope change,
automatic expiry or moderator's note, and the `PendingExpiry` of a temporary ban. Plain values:
the store (bot.store) keeps them, renderers and use cases read them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.domain.errors import ReasonTooLong

if TYPE_CHECKING:
    from bot.domain.evidence import UserCard

MAX_REASON_LENGTH = 500
HISTORY_PAGE_SIZE = 20


class ModerationAction(StrEnum):
    BAN = "ban"
    UNBAN = "unban"
    KICK = "kick"
    SCOPE_CHANGE = "scope_change"
    EXPIRE = "expire"
    NOTE = "note"
    MASS_BAN = "mass_ban"  # the case of a mass ban; each of its users has a BAN of their own
    LOCKDOWN = "lock_down"  # a group's participants may not send messages for a while
    LOCKDOWN_END = "lockdown_end"  # their permissions put back as they were


class EventSource(StrEnum):
    BUTTON = "button"
    COMMAND = "command"
    WEBHOOK = "webhook"
    EXPIRY = "expiry"
    SCAN = "scan"  # what a scan of every group's banned list found (or no longer found)
    WORKFLOW = "workflow"  # a Workflow Builder step, run for the workflow's moderator


def validate_reason(text: str) -> str:
    """A ban reason as kept: runs of whitespace (line breaks too) become one space and other
    control characters go, so a reason reads on one line wherever it is shown and travels in a
    button value without growing. Raises ReasonTooLong past MAX_REASON_LENGTH characters."""
    words = "".join(c for c in text if c.isspace() or unicodedata.category(c) != "Cc").split()
    reason = " ".join(words)
    if len(reason) > MAX_REASON_LENGTH:
        raise ReasonTooLong(len(reason), MAX_REASON_LENGTH)
    return reason


@dataclass(frozen=True)
class ModerationEvent:
    """One thing that happened to a user in a group. `actor` is a Slack user id (`U…`) for the
    bot's own buttons and commands, a CometChat uid for what webhooks report, and empty for an
    expiry. `ends_at` is set only for a temporary ban; `id` once stored (it orders same-time rows).
    Times are timezone-aware UTC."""

    guid: str
    uid: str
    action: ModerationAction
    source: EventSource
    at: datetime
    actor: str = ""
    name: str = ""
    reason: str = ""
    ends_at: datetime | None = None
    scope: str = ""  # the new scope, for a scope change
    id: int | None = None

    def __post_init__(self) -> None:
        if len(self.reason) > MAX_REASON_LENGTH:
            raise ReasonTooLong(len(self.reason), MAX_REASON_LENGTH)
        if self.at.tzinfo is None or (self.ends_at is not None and self.ends_at.tzinfo is None):
            raise ValueError("moderation times must be timezone-aware")


@dataclass(frozen=True)
class HistoryPage:
    """Newest first. `before` is the cursor for the next (older) page, None on the last one."""

    events: list[ModerationEvent]
    before: int | None
    # What the moderator was shown before confirming, by event id (the bot's own actions).
    evidence: dict[int, UserCard] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingExpiry:
    """A temporary ban that is due (or claimed) to end. `claim` identifies this process's claim,
    so marking it done cannot touch a row a re-ban replaced meanwhile; `ban_id` is the event that
    set it (None if that event is gone)."""

    guid: str
    uid: str
    ends_at: datetime
    attempts: int
    claim: str
    ban_id: int | None = None
