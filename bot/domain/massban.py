"""A mass ban's choice of users, pure: pasted uids and/or everyone who joined a group lately,
never its admins and moderators nor anyone protected, and the chunks the bulk ban sends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.ids import GUID_PATTERN, MAX_GUID_LENGTH

MAX_UIDS = 1000  # pasted, and picked in all
MAX_WINDOW_MINUTES = 1440
MAX_AGE_DAYS = 3650
CHUNK = 100  # users per bulk-ban request: one answer stays small, one failure costs little
PREVIEW_ROWS = 15  # users listed by name in the preview
# Scopes that are never picked: the group's own staff.
PRIVILEGED_SCOPES = frozenset({"admin", "moderator", "owner"})
# Anything a uid cannot hold separates two pasted uids: spaces, commas, semicolons, lines, `|`.
_SEPARATORS = re.compile(r"[^A-Za-z0-9_\-.@:+]+")


@dataclass(frozen=True)
class PastedUids:
    uids: list[str]  # in the order first pasted, each once
    invalid: list[str]  # pieces that cannot be a uid (too long, dots only)


def parse_uids(text: str) -> PastedUids:
    """Every uid in `text`, whatever separates them. The caller refuses more than MAX_UIDS."""
    seen: dict[str, None] = {}
    invalid: list[str] = []
    for piece in _SEPARATORS.split(text or ""):
        if not piece:
            continue
        if (
            len(piece) > MAX_GUID_LENGTH
            or not GUID_PATTERN.fullmatch(piece)
            or not piece.strip(".")
        ):
            invalid.append(piece[:40])
        else:
            seen.setdefault(piece, None)
    return PastedUids(list(seen), invalid)


@dataclass(frozen=True)
class Member:
    """A group member as the choice needs them; times are aware UTC, None when unknown."""

    uid: str
    name: str = ""
    scope: str = "participant"
    joined_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Criteria:
    pasted: tuple[str, ...] = ()
    joined_within: timedelta | None = None  # everyone who joined in this window…
    younger_than: timedelta | None = None  # …and, if set, whose account is this young

    @property
    def reads_members(self) -> bool:
        return self.joined_within is not None or bool(self.pasted)


@dataclass
class Choice:
    picked: list[Member] = field(default_factory=list)
    privileged: list[str] = field(default_factory=list)  # admins and moderators, left out
    protected: list[str] = field(default_factory=list)  # PROTECTED_UIDS, left out
    unchecked: list[str] = field(default_factory=list)  # pasted, not members: exist or not?


def choose(
    criteria: Criteria,
    members: Sequence[Member],
    *,
    protected: Iterable[str],
    now: datetime,
) -> Choice:
    """Who a mass ban would pick. Pasted uids come first, in their order, then the window's
    joiners, newest first. Staff and protected users are reported, never picked."""
    shielded = set(protected)
    by_uid = {m.uid: m for m in members}
    choice = Choice()
    wanted: dict[str, Member] = {}
    for uid in criteria.pasted:
        member = by_uid.get(uid)
        if member is None:
            choice.unchecked.append(uid)
        wanted.setdefault(uid, member or Member(uid))
    if criteria.joined_within is not None:
        since = now - criteria.joined_within
        joiners = [m for m in members if m.joined_at is not None and m.joined_at >= since]
        if criteria.younger_than is not None:
            born = now - criteria.younger_than
            joiners = [m for m in joiners if m.created_at is not None and m.created_at >= born]
        for member in sorted(joiners, key=lambda m: m.joined_at or now, reverse=True):
            wanted.setdefault(member.uid, member)
    for uid, member in wanted.items():
        known = by_uid.get(uid, member)
        if (known.scope or "").lower() in PRIVILEGED_SCOPES:
            choice.privileged.append(uid)
        elif uid in shielded:
            choice.protected.append(uid)
        else:
            choice.picked.append(member)
    choice.unchecked = [uid for uid in choice.unchecked if uid not in shielded]
    return choice


def chunks(uids: Sequence[str], size: int = CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(uids), size):
        yield list(uids[start : start + size])


@dataclass(frozen=True)
class MassUser:
    uid: str
    name: str = ""
    joined_at: datetime | None = None
    created_at: datetime | None = None
    outcome: str = ""
    detail: str = ""
    ban_id: int | None = None


@dataclass(frozen=True)
class MassPlan:
    id: int
    guid: str
    action: str
    actor: str
    reason: str
    minutes: int | None
    status: str
    created_at: datetime
    case_id: int | None
    users: list[MassUser]

    @property
    def duration(self) -> timedelta | None:
        return None if self.minutes is None else timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Preview:
    guid: str
    plan: int | None  # None: nobody to ban, nothing kept
    picked: list[Member]
    missing: list[str]  # pasted uids CometChat does not know
    already: list[str]  # already banned from the group
    privileged: list[str]  # the group's admins and moderators, never picked
    protected: list[str]  # PROTECTED_UIDS, never picked
    duration: timedelta | None
    reason: str


@dataclass
class MassBanReport:
    plan: MassPlan
    case_id: int | None
    banned: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # uid, CometChat's code/words
    unrecorded: int = 0  # banned, but their case waits for the database
    seconds: float = 0.0


class Outcome:
    """What became of one user of a mass ban (kept with the case, shown in the report)."""

    BANNED = "banned"
    ALREADY = "already_banned"
    FAILED = "failed"
    UNDONE = "undone"  # banned by it, then unbanned by its undo


UNDO_WINDOW = timedelta(hours=24)  # how long a mass action can be undone from its report


@dataclass
class UndoReport:
    guid: str
    case_id: int
    unbanned: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # banned again since, or unbanned already
    failed: list[tuple[str, str]] = field(default_factory=list)
