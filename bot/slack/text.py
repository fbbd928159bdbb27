"""Making untrusted strings safe for Slack `mrkdwn` and Slack's length limits."""

from __future__ import annotations

import functools
import re
import time

_MRKDWN_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Anything escape() would change: a markup character, whitespace other than a single inner space.
_CHANGED_BY_ESCAPE = re.compile(r"[&<>]|[^\S ]|  |^ | $")


def escape(value: str) -> str:
    """Escape control sequences so `<!channel>`, `<@U1>` or `<http://x|y>` render as text.

    Slack only parses `<…>` sequences, so escaping `&`, `<`, `>` is what its docs ask for.
    Line breaks are folded so one field cannot fake extra lines of the layout.
    Dozens of calls per page: most values need nothing, and one regex search says so.
    """
    if _CHANGED_BY_ESCAPE.search(value) is None:
        return value
    return " ".join(value.translate(_MRKDWN_ESCAPES).split())


def code(value: str) -> str:
    """An inline code span of an untrusted value (a backtick would end the span early)."""
    return "`" + escape(value).replace("`", "'") + "`"


def truncate(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


@functools.lru_cache(maxsize=2048)
def date_token(epoch_seconds: int, fmt: str = "{date_short_pretty} {time}") -> str:
    """A Slack date token: each reader sees it in their own time zone; UTC text as fallback.

    Up to four per user on every page, so it is cached (the same lists are paged through again
    and again) and formatted with time.strftime, a third of datetime's cost.
    """
    fallback = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch_seconds))
    return f"<!date^{epoch_seconds}^{fmt}|{fallback}>"


def plausible_epoch(value: int | None) -> int | None:
    """Accept seconds (or milliseconds, which some CometChat payloads use) within sane bounds."""
    if value is None or value <= 0:
        return None
    if value > 10**11:  # milliseconds
        value //= 1000
    # Between 2000 and 2100: anything else is garbage we should not render as a date.
    return value if 946_684_800 <= value <= 4_102_444_800 else None


_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


def mention(user_id: str) -> str:
    """A Slack user mention, only for something shaped like a user id (never `<!channel>`)."""
    return f"<@{user_id}>" if _SLACK_USER_ID.fullmatch(user_id) else code(user_id)


def case_ref(event_id: int) -> str:
    """A recorded event as moderators name it: its case number, `#1042`."""
    return f"#{event_id}"
