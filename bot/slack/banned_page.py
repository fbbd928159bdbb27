"""Render one page of a group's banned users as Block Kit. Pure: models in, message out."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.cometchat.models import BannedPage, BannedUser, Group
from bot.domain.button_values import HistoryRef, PageCursor
from bot.domain.errors import InvalidUid
from bot.domain.moderation import ModerationEvent
from bot.slack import kit
from bot.slack.history_blocks import ACTION_HISTORY, actor_of, case_button
from bot.slack.kit import Json
from bot.slack.message import Message
from bot.slack.text import case_ref, code, date_token, escape, plausible_epoch, truncate

ACTION_PREVIOUS = "banned_page_previous"
ACTION_NEXT = "banned_page_next"
NAV_BLOCK_ID = "banned_nav"

NAME_LIMIT = 150

REASON_LIMIT = 200  # in the list; the history shows all of it

# Buttons a caller puts before a user's History button (moderators' Unban).
UserExtras = Callable[[BannedUser], list[Json]]


def render_banned_page(
    page: BannedPage,
    cursor: PageCursor,
    group: Group | None = None,
    *,
    user_extras: UserExtras | None = None,
    footer: list[Json] | None = None,
    known: Mapping[str, ModerationEvent] | None = None,
) -> Message:
    """`known`: what the bot's history knows of a user's ban, by uid; users it has never seen
    banned get nothing extra (not "unknown")."""
    title = group.display_name if group else page.guid
    blocks: list[Json] = [
        kit.header("banned_header", f"Banned from {title}"),
        kit.context("banned_summary", _summary(page, cursor.query)),
    ]
    if page.users:
        blocks.append(kit.divider("banned_divider"))
        # CometChat may ignore perPage; more rows than asked for would break Slack's 50 blocks
        # (the cursor caps per_page at MAX_PAGE_SIZE).
        shown = page.users[: cursor.per_page]
        for index, user in enumerate(shown):
            ban = (known or {}).get(user.uid)
            blocks.append(_user_section(user, index, ban))
            extras = user_extras(user) if user_extras else []
            buttons = [*extras, *_history_button(cursor.guid, user)]
            case = case_button(ban) if ban is not None else None
            if case is not None:
                buttons.append(case)
            if buttons:
                blocks.append(kit.actions(None, buttons))
        if len(shown) < len(page.users):
            hidden = len(page.users) - len(shown)
            note = f"{hidden} more on this page not shown: CometChat sent more than asked for."
            blocks.append(kit.context("banned_overflow", note))
    else:
        blocks.append(kit.section("banned_empty", _empty_text(page, cursor.query)))
    nav = _navigation(page, cursor)
    if nav:
        blocks.append(nav)
    blocks.extend(footer or [])
    return Message(text=_fallback(page, title, cursor.query), blocks=tuple(blocks))


def _summary(page: BannedPage, query: str | None = None) -> str:
    parts = [f"Group {code(page.guid)}"]
    if query:  # a search: the total is the number of matches, when the search saw them all
        total = f"*{page.total}* " if page.total is not None else ""
        parts.append(f"{total}matching {code(query)}")
    elif page.total is not None:
        parts.append(f"*{page.total}* banned")
    if page.users:
        last = page.first_index + len(page.users) - 1
        parts.append(f"showing {page.first_index}–{last}")
    pages = page.total_pages
    parts.append(f"page {page.page} of {pages}" if pages else f"page {page.page}")
    return " · ".join(parts)


def _fallback(page: BannedPage, title: str, query: str | None = None) -> str:
    # The top-level text is mrkdwn too (notifications): a group name must not ping or link.
    title = escape(truncate(title, 150))
    matching = f" matching {code(query)}" if query else ""
    if not page.users and page.page == 1:
        if query:
            return f"No banned user{matching} in {title}."
        return f"Nobody is banned from {title}."
    if page.total is None:
        total = "Users"
    else:
        total = f"{page.total} user" if page.total == 1 else f"{page.total} users"
    pages = f" of {page.total_pages}" if page.total_pages else ""
    return truncate(f"{total}{matching} banned from {title} (page {page.page}{pages})", 3000)


def _empty_text(page: BannedPage, query: str | None = None) -> str:
    if page.page == 1 and query:
        return f"No banned user matching {code(query)} in {code(page.guid)}."
    if page.page == 1:
        return f"Nobody is banned from {code(page.guid)}. :white_check_mark:"
    return f"No banned users on page {page.page} — the list may have changed since it was shown."


def _history_button(guid: str, user: BannedUser) -> list[Json]:
    try:
        value = HistoryRef(guid=guid, uid=user.uid).encode()
    except (InvalidUid, ValueError):
        return []  # a uid CometChat should never issue: no button rather than a broken one
    # The name too: a screen reader reading out twenty "History" buttons says nothing.
    return [kit.button(ACTION_HISTORY, f"History of {' '.join(user.display_name.split())}", value)]


def known_ban_line(ban: ModerationEvent) -> str:
    """ "Banned by @alice 3 days ago · spamming links · ends in 5 hours": relative times as
    Slack date tokens, so each reader sees them in their own time zone."""
    actor = actor_of(ban)
    by = f" by {actor}" if actor else ""
    parts = [f"Banned{by} {date_token(int(ban.at.timestamp()), '{ago}')}"]
    if ban.id is not None:
        parts.insert(0, f"Case {case_ref(ban.id)}")
    if ban.reason:
        parts.append(escape(truncate(" ".join(ban.reason.split()), REASON_LIMIT)))
    if ban.ends_at is not None:
        parts.append(f"ends {date_token(int(ban.ends_at.timestamp()), '{ago}')}")
    return " · ".join(parts)


def _user_section(user: BannedUser, index: int, ban: ModerationEvent | None = None) -> Json:
    name = truncate(escape(user.display_name), NAME_LIMIT)
    lines = [f"*{name}*  {code(truncate(user.uid, 200))}"]
    facts = []
    if user.role:
        facts.append(f"Role: {escape(truncate(user.role, 50))}")
    if user.status:
        facts.append(f"Status: {escape(truncate(user.status, 50))}")
    if user.scope:
        facts.append(f"Scope: {escape(truncate(user.scope, 50))}")
    if facts:
        lines.append(" · ".join(facts))
    dates = []
    for label, value in (
        ("Banned", user.banned_at),
        ("Joined", user.joined_at),
        ("Created", user.created_at),
        ("Updated", user.updated_at),
    ):
        epoch = plausible_epoch(value)
        if epoch is not None:
            dates.append(f"{label} {date_token(epoch)}")
    if dates:
        lines.append(" · ".join(dates))
    if ban is not None:
        lines.append(known_ban_line(ban))
    accessory = None
    if user.avatar and kit.usable_image_url(user.avatar):
        accessory = kit.image(user.avatar, truncate(user.display_name, 100))
    return kit.section(f"banned_user_{index}", "\n".join(lines), accessory)


def _navigation(page: BannedPage, cursor: PageCursor) -> Json | None:
    buttons = []
    if page.has_previous:
        buttons.append(kit.button(ACTION_PREVIOUS, "◀ Previous", cursor.at(page.page - 1).encode()))
    if page.has_next:
        buttons.append(
            kit.button(ACTION_NEXT, "Next ▶", cursor.at(page.page + 1).encode(), style="primary")
        )
    return kit.actions(NAV_BLOCK_ID, buttons) if buttons else None
