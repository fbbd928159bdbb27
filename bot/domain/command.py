"""Parse the text typed after `/banned` into a request. Pure; raises typed errors."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import QueryTooLong
from bot.domain.ids import validate_guid, validate_uid
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
    """`/banned <guid> ban <uid>`: asks for confirmation before anything changes."""

    guid: str
    uid: str


Request = ShowHelp | ListBanned | BanUser


def parse_command(text: str | None) -> Request:
    words = (text or "").split()
    if not words or words[0].lower() in HELP_WORDS:
        return ShowHelp()
    guid = validate_guid(words[0])
    if len(words) == 3 and words[1].lower() == "ban":
        return BanUser(guid=guid, uid=validate_uid(words[2]))
    query = normalise_query(" ".join(words[1:])) or None
    if query and len(query) > MAX_QUERY_LENGTH:
        # It travels in every button value; refuse rather than search for a cut-off text.
        raise QueryTooLong(query, MAX_QUERY_LENGTH)
    return ListBanned(guid=guid, query=query)
