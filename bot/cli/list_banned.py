"""`python -m bot list <guid> [--page N]`: a group's banned users as a table in the terminal.

The same CometChat client and models as `/banned`; only the renderer differs (plain text, no
mrkdwn). Names come from CometChat users, so control characters are neutralised before printing:
a name must not be able to move the cursor or recolour the operator's terminal.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from datetime import UTC, datetime
from typing import TextIO

import httpx

from bot.cometchat import BannedPage, BannedUser, CometChatClient, Group, RetryPolicy
from bot.cometchat import errors as cc
from bot.domain.button_values import MAX_PAGE
from bot.domain.errors import InvalidGuid
from bot.domain.ids import validate_guid
from bot.settings import Settings
from bot.slack.bot_error_words import invalid_guid_reason
from bot.slack.messages import explain, operator_hint
from bot.slack.text import plausible_epoch

MAX_PER_PAGE = 100  # CometChat states no maximum for banned users; a terminal page stays readable
WIDTHS = {"Name": 32, "UID": 40}  # longer values are cut with "…"; other columns are short
DEFAULT_WIDTH = 20


class _ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # Raise instead of exiting so the caller decides the exit status and the stream.
        raise _ArgumentError(message)


def build_parser(default_per_page: int = 10) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m bot list",
        description="List who is banned from a CometChat group, a page at a time.",
    )
    parser.add_argument("guid", help="the group's GUID, as in /banned <group-guid>")
    parser.add_argument("--page", type=_bounded(1, MAX_PAGE), default=1, help="page number (1…)")
    parser.add_argument(
        "--per-page",
        type=_bounded(1, MAX_PER_PAGE),
        default=default_per_page,
        help=f"users per page (1–{MAX_PER_PAGE}; default PAGE_SIZE, {default_per_page})",
    )
    return parser


def _bounded(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def main(
    argv: list[str],
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """0: listed; 1: CometChat said no or is unreachable; 2: bad arguments."""
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser(settings.page_size)
    try:
        args = parser.parse_args(argv)
        guid = validate_guid(args.guid)
    except _ArgumentError as exc:
        err.write(f"{parser.format_usage()}error: {exc}\n")
        return 2
    except InvalidGuid as exc:
        err.write(f"error: {explain_invalid_guid(exc)}\n")
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    client = CometChatClient(
        settings.cometchat_url,
        settings.cometchat_api_key,
        transport=transport,
        timeout=settings.cometchat_timeout,
        max_connections=2,
        retry=RetryPolicy(budget=settings.cometchat_retry_budget),
    )
    try:
        group = client.get_group(guid)
        page = client.list_banned_users(guid, page=args.page, per_page=args.per_page)
    except cc.CometChatError as exc:
        err.write(f"error: {explain_plain(exc)}\n")
        return 1
    finally:
        client.close()
    out.write(render_table(page, group, default_per_page=settings.page_size))
    return 0


# -- words ----------------------------------------------------------------------------------


def explain_invalid_guid(error: InvalidGuid) -> str:
    return invalid_guid_reason(repr(clean(error.guid, 40)), too_long=error.too_long)


def explain_plain(error: cc.CometChatError) -> str:
    """The `/banned` wording, as plain text; for the operator, the operator's hint instead."""
    hint = operator_hint(error)
    if hint:
        return f"{hint}. Run `python -m bot check` for details."
    return mrkdwn_to_plain(explain(error).text)


_EMOJI = re.compile(r":[a-z0-9_+\-]+:\s*")


def mrkdwn_to_plain(text: str) -> str:
    text = _EMOJI.sub("", text).replace("*", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


# -- the table ------------------------------------------------------------------------------


def render_table(
    page: BannedPage, group: Group | None = None, *, default_per_page: int = 10
) -> str:
    """Pure: a page of banned users in, the terminal text out."""
    title = clean(group.display_name if group else page.guid, 80)
    lines = [f"Banned from {title} ({clean(page.guid, 100)})"]
    if not page.users:
        if page.page == 1:
            lines.append("Nobody is banned from this group.")
        else:
            lines.append(
                f"No banned users on page {page.page}: the list is shorter than that "
                f"(try --page 1)."
            )
        return "\n".join(lines) + "\n"
    lines.append(_summary(page))
    lines.append("")
    lines.extend(_table(page))
    if page.has_previous or page.has_next:
        lines.append("")
    command = f"python -m bot list {page.guid}"
    if page.per_page != default_per_page:
        command += f" --per-page {page.per_page}"
    if page.has_previous:
        lines.append(f"Previous: {command} --page {page.page - 1}")
    if page.has_next:
        lines.append(f"Next:     {command} --page {page.page + 1}")
    return "\n".join(lines) + "\n"


def _summary(page: BannedPage) -> str:
    parts = []
    if page.total is not None:
        parts.append(f"{page.total} banned")
    last = page.first_index + len(page.users) - 1
    parts.append(f"showing {page.first_index}–{last}")
    pages = page.total_pages
    parts.append(f"page {page.page} of {pages}" if pages else f"page {page.page}")
    return " · ".join(parts)


# Optional columns appear only when at least one user on the page has a value for them.
_OPTIONAL: tuple[tuple[str, str], ...] = (
    ("Role", "role"),
    ("Status", "status"),
    ("Scope", "scope"),
    ("Banned (UTC)", "banned_at"),
    ("Joined (UTC)", "joined_at"),
    ("Created (UTC)", "created_at"),
)


def _table(page: BannedPage) -> list[str]:
    columns = ["#", "Name", "UID"]
    attributes = [
        (header, attr)
        for header, attr in _OPTIONAL
        if any(_cell(user, attr) for user in page.users)
    ]
    columns += [header for header, _ in attributes]
    rows = []
    for offset, user in enumerate(page.users):
        row = [str(page.first_index + offset), clean(user.display_name, WIDTHS["Name"])]
        row.append(clean(user.uid, WIDTHS["UID"]))
        row += [_cell(user, attr) or "-" for _, attr in attributes]
        rows.append(row)
    widths = [max(width(cell) for cell in column) for column in zip(columns, *rows, strict=True)]
    return [_line(columns, widths), _line(["-" * w for w in widths], widths)] + [
        _line(row, widths) for row in rows
    ]


def _cell(user: BannedUser, attr: str) -> str:
    value = getattr(user, attr)
    if attr.endswith("_at"):
        epoch = plausible_epoch(value)
        return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M") if epoch else ""
    return clean(value, DEFAULT_WIDTH) if value else ""


def _line(cells: list[str], widths: list[int]) -> str:
    padded = [cell + " " * (w - width(cell)) for cell, w in zip(cells, widths, strict=True)]
    padded[0] = cells[0].rjust(widths[0])  # numbers line up on the right
    return "  ".join(padded).rstrip()


def clean(value: str, limit: int) -> str:
    """One printable line: control characters (ESC, CR, BEL…) become '?', runs of space fold."""
    text = "".join("?" if _unsafe(ch) else ch for ch in value)
    text = " ".join(text.split())
    if width(text) <= limit:
        return text
    cut, used = [], 0
    for ch in text:
        used += width(ch)
        if used > limit - 1:
            break
        cut.append(ch)
    return "".join(cut) + "…"


def _unsafe(ch: str) -> bool:
    # Cc: ESC, BEL, CR…; Cf: bidi overrides that reorder the line. ZWJ is kept for emoji.
    return unicodedata.category(ch) in ("Cc", "Cf") and ch not in " \t\n\u200d"


def width(text: str) -> int:
    """Terminal columns: East Asian wide characters take two, combining marks none."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total
