"""Parse the text typed after `/banned` into a request. Pure; raises typed errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.actions import COMMAND_VERBS
from bot.domain.cases import parse_case_number
from bot.domain.duration import looks_like_duration, parse_duration, parse_export_days
from bot.domain.errors import (
    BadDuration,
    BadExportDays,
    BadLockdownDuration,
    NothingToRecord,
    QueryTooLong,
)
from bot.domain.ids import validate_guid, validate_uid
from bot.domain.moderation import ModerationAction, validate_reason
from bot.domain.search import MAX_QUERY_LENGTH, normalise_query

HELP_WORDS = {"help", "-h", "--help", "?", "usage"}


@dataclass(frozen=True)
class ShowHelp:
    pass


@dataclass(frozen=True)
class ListBanned:
    guid: str
    query: str | None = None  # `/banned <guid> <text>`: only users whose name or uid matches


@dataclass(frozen=True)
class BanUser:
    """`/banned <guid> ban <uid> [<duration>] [<reason…>]`: asks for confirmation before
    anything changes. No duration means permanent."""

    guid: str
    uid: str
    duration: timedelta | None = None
    reason: str = ""


@dataclass(frozen=True)
class ModerateUser:
    """`/banned <guid> <verb> <uid> [<reason…>]` for an action other than a ban: a kick asks
    for confirmation before anything changes; a note (`<text…>`) is only recorded."""

    action: ModerationAction
    guid: str
    uid: str
    reason: str = ""


@dataclass(frozen=True)
class MassBan:
    """`/banned <guid> massban`: the mass ban form; nothing changes before its preview is
    confirmed."""

    guid: str


@dataclass(frozen=True)
class LockDown:
    """`/banned <guid> lockdown <duration> [<reason…>]`: participants may not send messages
    until the duration is over (or a moderator lifts it)."""

    guid: str
    duration: timedelta
    reason: str = ""


@dataclass(frozen=True)
class ShowHistory:
    """`/banned <guid> history <uid>`: what the bot knows of this user in this group."""

    guid: str
    uid: str


@dataclass(frozen=True)
class FindUser:
    """`/banned user <uid>`: every group this user is banned from (the history's answer at once,
    then a scan of every group)."""

    uid: str


@dataclass(frozen=True)
class ShowCase:
    """`/banned case <n>`: one recorded event, its evidence and its edits."""

    number: int


@dataclass(frozen=True)
class ExportHistory:
    """`/banned history export [<guid>] [<days>]`: the moderation history as a CSV file."""

    guid: str | None = None  # None: every group
    days: int | None = None  # None: everything kept


Request = (
    ShowHelp
    | ListBanned
    | BanUser
    | ModerateUser
    | MassBan
    | LockDown
    | ShowHistory
    | FindUser
    | ShowCase
    | ExportHistory
)


def parse_command(text: str | None) -> Request:
    words = (text or "").split()
    if not words or words[0].lower() in HELP_WORDS:
        return ShowHelp()
    if len(words) == 2 and words[0].lower() == "user":
        # Exactly two words: `/banned user <text…>` with more is still a search in group `user`.
        return FindUser(uid=validate_uid(words[1]))
    if len(words) == 2 and words[0].lower() == "case":
        # As `user`: exactly two words, so a search in a group named `case` still works.
        return ShowCase(number=parse_case_number(words[1]))
    if len(words) in (2, 3, 4) and [w.lower() for w in words[:2]] == ["history", "export"]:
        return _export_history(words[2:])
    guid = validate_guid(words[0])
    verb = words[1].lower() if len(words) > 1 else ""
    spec = COMMAND_VERBS.get(verb)
    if spec is not None and len(words) >= 3:
        if spec.temporary:
            return _ban(guid, words[2:])
        uid = validate_uid(words[2])
        reason = validate_reason(" ".join(words[3:]))
        if spec.records_only and not reason:
            raise NothingToRecord(spec.verb)  # a note is its text
        return ModerateUser(spec.action, guid, uid, reason)
    if verb == "massban" and len(words) == 2:
        return MassBan(guid=guid)
    if verb == "lockdown" and len(words) >= 3:
        try:
            duration = parse_duration(words[2])
        except BadDuration:
            duration = None
        if duration is None:  # a lockdown always ends: `permanent` is no length for one
            raise BadLockdownDuration(words[2])
        return LockDown(guid=guid, duration=duration, reason=validate_reason(" ".join(words[3:])))
    if verb == "history" and len(words) == 3:
        return ShowHistory(guid=guid, uid=validate_uid(words[2]))
    query = normalise_query(" ".join(words[1:])) or None
    if query and len(query) > MAX_QUERY_LENGTH:
        # It travels in every button value; refuse rather than search for a cut-off text.
        raise QueryTooLong(query, MAX_QUERY_LENGTH)
    return ListBanned(guid=guid, query=query)


def _ban(guid: str, words: list[str]) -> BanUser:
    uid = validate_uid(words[0])
    rest = words[1:]
    duration = None
    # A first word shaped like a duration is one (`400d` is a bad duration, not a reason).
    if rest and looks_like_duration(rest[0]):
        duration = parse_duration(rest[0])
        rest = rest[1:]
    return BanUser(guid=guid, uid=uid, duration=duration, reason=validate_reason(" ".join(rest)))


def _export_history(words: list[str]) -> ExportHistory:
    """`[<guid>] [<days>]`: a last word of digits is the days (a guid of digits alone needs the
    days after it)."""
    days = None
    if words and words[-1].isascii() and words[-1].isdigit():
        days = parse_export_days(words.pop())
    if len(words) > 1:
        raise BadExportDays(words[-1])
    return ExportHistory(guid=validate_guid(words[0]) if words else None, days=days)
