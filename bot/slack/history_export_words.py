"""What the moderation history's CSV export says: on its way, how far, done, and the comment the
file arrives with. Pure."""

from __future__ import annotations

from bot.slack.message import Message
from bot.slack.text import code


def history_scope(guid: str | None, days: int | None) -> str:
    """ "every group, the last 30 days", "group `g`, everything kept" (mrkdwn)."""
    where = f"group {code(guid)}" if guid else "every group"
    when = f"the last {days} day{'s' if days != 1 else ''}" if days else "everything kept"
    return f"{where}, {when}"


def history_export_started(scope: str) -> Message:
    return Message(
        text=f":hourglass_flowing_sand: Exporting the moderation history ({scope}) as CSV… "
        "I will send you the file in a direct message."
    )


def history_export_progress(scope: str, *, rows: int) -> Message:
    return Message(
        text=f":hourglass_flowing_sand: Still exporting the moderation history ({scope}): "
        f"{rows:,} cases written so far…"
    )


def history_export_done(filename: str, *, rows: int, complete: bool, scope: str) -> Message:
    more = "" if complete else " (the export stopped at its bound; the history is longer)"
    return Message(
        text=f":white_check_mark: Sent you {code(filename)} in a direct message: *{rows:,}* "
        f"cases of the moderation history ({scope}){more}."
    )


def history_export_comment(*, rows: int, complete: bool, scope: str) -> str:
    more = "" if complete else " (stopped at the export bound: the history is longer)"
    return (
        f"The moderation history ({scope}): *{rows:,}* cases{more}, oldest first. Times are "
        "UTC, ISO 8601."
    )
