"""Ban durations as typed in a command: `30m`, `2h`, `7d`, `2w` or `permanent`.

`parse_duration` returns a `timedelta`, or None for a permanent ban; anything else, or a length
outside 1 minute to 365 days, raises `BadDuration`. `describe_duration` says one back in words.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.domain.errors import BadDuration, BadExportDays

PERMANENT = "permanent"
MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(days=365)
# What the error message lists, in the order a reader thinks of them.
ACCEPTED_FORMS = ("30m", "2h", "7d", "2w", PERMANENT)

_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_UNITS["w"] = timedelta(weeks=1)
# Digits bounded so a pasted 10,000-digit number is refused by the pattern, not by arithmetic.
_SHAPE = re.compile(r"(?P<count>[0-9]{1,6})(?P<unit>[mhdw])", re.ASCII)
# A word starting with a number (signed or not) was meant as a duration, however mistyped.
_ATTEMPT = re.compile(r"[+-]?[0-9]", re.ASCII)


def parse_duration(text: str) -> timedelta | None:
    """`2h` -> 2 hours; `permanent` -> None. Case-insensitive; raises BadDuration otherwise."""
    word = text.strip().lower()
    if word == PERMANENT:
        return None
    shape = _SHAPE.fullmatch(word)
    if shape is None:
        raise BadDuration(text)
    duration = int(shape["count"]) * _UNITS[shape["unit"]]
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise BadDuration(text, out_of_range=True)
    return duration


def looks_like_duration(word: str) -> bool:
    """True if `word` is meant as a duration, good or bad: `permanent`, or anything starting with
    a number (`2h`, `400d`, `2x`, `24`, `-1d`). A command parser uses it to tell
    `ban uid 2x spam` (a bad duration, refused) from `ban uid spamming` (a reason)."""
    word = word.strip().lower()
    return word == PERMANENT or _ATTEMPT.match(word) is not None


def describe_duration(duration: timedelta | None) -> str:
    """In words, the largest whole unit: `90 min`, `24 h`, `36 h`, `7 days`, `permanent`."""
    if duration is None:
        return PERMANENT
    minutes = int(duration.total_seconds() // 60)
    if minutes % (24 * 60) == 0 and minutes >= 2 * 24 * 60:
        return f"{minutes // (24 * 60)} days"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


MAX_EXPORT_DAYS = 36_500  # a hundred years: "everything", said in days


def parse_export_days(text: str) -> int:
    """How many days back a history export reaches: a whole number from 1; BadExportDays
    otherwise."""
    word = text.strip()
    if not (word.isascii() and word.isdigit()) or not 1 <= int(word) <= MAX_EXPORT_DAYS:
        raise BadExportDays(text)
    return int(word)
