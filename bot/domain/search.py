"""Search a group's banned users by name or uid, and page the matches.

CometChat's spec declares no `searchKey` on `GET /groups/{guid}/bannedusers`, so the server may
ignore it and return unfiltered pages. Filtering one server page client-side would break paging
(page 2 of the matches is not page 2 of the list), so a search walks the list itself: it reads
server pages of `SCAN_PER_PAGE` (sending `searchKey` in case CometChat honours it) through the
client's whole-list read (page 1, then the rest several at a time, in order), keeps the
matches, and stops as soon as it holds one match more than the page asked for (that one tells
whether a Next page exists) or after `MAX_SCAN_PAGES` pages. A search that stopped at that bound
says so instead of pretending the list ended there.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cometchat import BannedPage, BannedUser, CometChatClient

SCAN_PER_PAGE = 100  # CometChat's default page size; no maximum is documented for banned users
MAX_SCAN_PAGES = 100  # at most 10,000 banned users looked at per search request
MAX_QUERY_LENGTH = 100  # PageCursor.query's limit: the query travels in every button value


@dataclass(frozen=True)
class SearchResult:
    page: BannedPage  # one page of the matches; `total` is the match count when complete
    scanned: int  # banned users looked at
    complete: bool  # the whole list was looked at (False: stopped early or at the bound)
    limited: bool  # stopped at MAX_SCAN_PAGES before the list ended: matches may be missing


def normalise_query(text: str) -> str:
    """Fold runs of whitespace: `a   b` and `a b` are the same search."""
    return " ".join(text.split())


def matches(user: BannedUser, needle: str) -> bool:
    """`needle` (from `fold(query)`) is a case-insensitive substring of the name or the uid."""
    return needle in user.uid.casefold() or needle in fold(user.name or "")


def fold(text: str) -> str:
    """The form both sides of a comparison take: whitespace folded, case folded."""
    return normalise_query(text).casefold()


def search_banned(
    cometchat: CometChatClient,
    guid: str,
    query: str,
    *,
    page: int = 1,
    per_page: int = 10,
    max_scan_pages: int = MAX_SCAN_PAGES,
) -> SearchResult:
    """Page `page` of the banned users of `guid` matching `query`. Raises CometChat errors."""
    needle = fold(query)
    wanted = page * per_page + 1
    found: list[BannedUser] = []
    seen: set[str] = set()  # the list can shift between server pages; never show a user twice
    scanned = 0
    complete = False
    batches = cometchat.banned_pages(
        guid, per_page=SCAN_PER_PAGE, search=query, max_pages=max_scan_pages
    )
    try:
        for batch in batches:
            scanned += len(batch.users)
            for user in batch.users:
                if user.uid not in seen and matches(user, needle):
                    seen.add(user.uid)
                    found.append(user)
            if not batch.has_next:
                complete = True
                break
            if len(found) >= wanted:
                break
    finally:
        batches.close()  # stops the reads still ahead of what was taken
    limited = not complete and len(found) < wanted
    start = (page - 1) * per_page
    users = tuple(found[start : start + per_page])
    result = BannedPage(
        guid=guid,
        page=page,
        per_page=per_page,
        users=users,
        has_next=len(found) > start + per_page,
        total=len(found) if complete else None,
    )
    return SearchResult(page=result, scanned=scanned, complete=complete, limited=limited)
