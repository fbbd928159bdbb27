"""The list's own tools under a page, Share in channel and Export CSV, and their notices. Pure."""

from __future__ import annotations

from bot.cometchat.models import BannedPage
from bot.domain.button_values import PageCursor
from bot.domain.search import SearchResult
from bot.slack import kit
from bot.slack.kit import Json
from bot.slack.message import Message
from bot.slack.text import code, escape, truncate

ACTION_SHARE = "banned_share"
ACTION_EXPORT = "banned_export"
TOOLS_BLOCK_ID = "banned_tools"
SEARCH_NOTE_BLOCK_ID = "banned_search_note"


def page_tools(page: BannedPage, cursor: PageCursor) -> list[Json]:
    """Share and Export, only where there is something to share or export.

    Both buttons carry the page's cursor: Share re-renders exactly that page (an ephemeral
    message is not sent back to us with the click), Export reads its group.
    """
    if not page.users:
        return []
    value = cursor.at(page.page).encode()
    # A search page still exports everyone: say so rather than surprise.
    export = "Export CSV (all)" if cursor.query else "Export CSV"
    buttons = [
        kit.button(ACTION_SHARE, "Share in channel", value),
        kit.button(ACTION_EXPORT, export, value),
    ]
    return [kit.actions(TOOLS_BLOCK_ID, buttons)]


def search_notes(result: SearchResult) -> list[Json]:
    """A search that stopped at its bound says so rather than pretend the list ended."""
    if not result.limited:
        return []
    text = (
        f":warning: Only the first {result.scanned:,} banned users were searched: "
        "matches further down the list are not shown. Use more of the name or uid."
    )
    return [kit.context(SEARCH_NOTE_BLOCK_ID, text)]


def export_started(guid: str) -> Message:
    return Message(
        text=f":hourglass_flowing_sand: Exporting everyone banned from {code(guid)} as CSV… "
        "I will send you the file in a direct message."
    )


def export_progress(guid: str, *, rows: int, total: int | None) -> Message:
    """A long export's word on how far it is (a new message: an ephemeral one cannot be edited)."""
    of = f" of {total:,}" if total is not None and total >= rows else ""
    return Message(
        text=f":hourglass_flowing_sand: Still exporting {code(guid)}: {rows:,}{of} banned users "
        "read so far…"
    )


def export_done(
    *,
    filename: str,
    rows: int,
    complete: bool,
    title: str,
    guid: str,
    seconds: float | None = None,
) -> Message:
    more = "" if complete else " (the export stopped at that bound; the list is longer)"
    took = "" if seconds is None else f" It took {seconds:,.1f} s."
    return Message(
        text=f":white_check_mark: Sent you {code(filename)} in a direct message: *{rows:,}* "
        f"banned users of *{escape(truncate(title, 150))}* ({code(guid)}){more}.{took}"
    )


def export_comment(*, rows: int, complete: bool, title: str, guid: str) -> str:
    """The message the file arrives with, in the requester's DM (mrkdwn: escaped)."""
    more = "" if complete else " (stopped at the export bound: the list is longer)"
    return (
        f"Banned users of *{escape(truncate(title, 150))}* ({code(guid)}): "
        f"*{rows:,}* rows{more}. Times are in the `…Utc` columns as ISO-8601."
    )
