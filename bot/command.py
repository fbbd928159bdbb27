"""Parse the text typed after `/banned` into a request. Pure; raises typed errors."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cursor import validate_guid
from bot.errors import InvalidGuid

HELP_WORDS = {"help", "-h", "--help", "?", "usage"}


@dataclass(frozen=True)
class ShowHelp:
    pass


@dataclass(frozen=True)
class ListBanned:
    guid: str


Request = ShowHelp | ListBanned


def parse_command(text: str | None) -> Request:
    words = (text or "").split()
    if not words or words[0].lower() in HELP_WORDS:
        return ShowHelp()
    guid = validate_guid(words[0])
    if len(words) > 1:
        # A GUID never contains spaces; "cometchat guid 1" is a typo, not three arguments.
        raise InvalidGuid(" ".join(words))
    return ListBanned(guid=guid)
