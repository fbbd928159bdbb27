"""Cases: every recorded moderation event is one, numbered by its id. A case can be read (who,
what, when, why, the evidence, its edits) and a moderator can correct it: its reason, and for a
temporary-capable action (a ban) its length. Plain values; the store keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.domain.errors import BadCaseNumber

if TYPE_CHECKING:
    from bot.domain.evidence import UserCard
    from bot.domain.moderation import ModerationEvent

# Case numbers are 64-bit ids on PostgreSQL; a longer number is a typo, not a case.
MAX_CASE_DIGITS = 18
MAX_EDITS_SHOWN = 10


class EditedField(StrEnum):
    REASON = "reason"
    ENDS_AT = "ends_at"  # the end of a temporary ban; "" before or after: permanent


def parse_case_number(text: str) -> int:
    """`1042` or `#1042` as a case number; BadCaseNumber for anything else."""
    digits = text.strip().removeprefix("#")
    if not digits.isascii() or not digits.isdigit() or len(digits) > MAX_CASE_DIGITS:
        raise BadCaseNumber(text)
    number = int(digits)
    if number < 1:
        raise BadCaseNumber(text)
    return number


@dataclass(frozen=True)
class CaseEdit:
    """One correction of a case: who (a Slack user id), when, which field, before and after
    (times as ISO 8601 UTC, "" for none)."""

    event_id: int
    actor: str
    at: datetime
    field: EditedField
    before: str
    after: str
    id: int | None = None


@dataclass(frozen=True)
class Case:
    event: ModerationEvent
    card: UserCard | None = None  # what the moderator was shown before confirming
    edits: list[CaseEdit] = field(default_factory=list)  # oldest first
    # Whether its length can still be changed: the member's latest decision and still pending.
    open_ban: bool = False

    @property
    def number(self) -> int:
        assert self.event.id is not None
        return self.event.id


class DurationChoice(StrEnum):
    """What the edit form offers for a ban's length, beside the durations themselves."""

    KEEP = "keep"
    END_NOW = "end_now"


def new_end(started: datetime, length: timedelta | None) -> datetime | None:
    """Where a ban given a new length ends: counted from when it started (None: permanent)."""
    return None if length is None else started + length
