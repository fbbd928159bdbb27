"""Where is a user banned? A scan of every group of the app for one uid, and what it found.

The scan reads `GET /groups` page by page, then each group's whole banned list, a few groups at
once (the client's `max_parallel`; each group's pages one after another, so a scan keeps no more
reads in flight than one export does). Every one of those reads is a bulk read: the client's
`BulkGovernor` keeps it inside CometChat's per-minute rate limit with the COMETCHAT_RESERVE left
to everyone else, and within the process-wide bound on bulk requests in flight. The banned lists
are read whole, without `searchKey`: CometChat's spec does not declare it there, and a server
that matched names only would make the scan miss a ban (and record an unban that never was).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from bot.cometchat import BannedUser, CometChatClient, Group
from bot.domain.moderation import ModerationEvent

GROUPS_PER_PAGE = 100  # CometChat's default page of groups
MAX_GROUP_PAGES = 100  # 10,000 groups: a bound in case a server never sends a short page
BANNED_PER_PAGE = 100
MAX_BANNED_PAGES = 1000

# Told how far a scan is: groups read so far, and how many there are.
ScanProgress = Callable[[int, int | None], object]


@dataclass(frozen=True)
class Found:
    group: Group
    user: BannedUser


@dataclass(frozen=True)
class ScanResult:
    uid: str
    groups: int  # groups scanned: all the app has
    found: tuple[Found, ...]  # where the user is banned, in CometChat's order of groups


@dataclass(frozen=True)
class ScanReport:
    """A finished scan, with what the history says of each group it found, after recording."""

    result: ScanResult
    known: dict[str, ModerationEvent]  # the history's ban in each group, by guid
    no_longer: tuple[ModerationEvent, ...]  # bans the history knew that the scan did not find
    recorded: int | None  # events recorded; None when the history could not be written


def all_groups(cometchat: CometChatClient, *, per_page: int = GROUPS_PER_PAGE) -> list[Group]:
    """Every group of the app, page after page, each read a bulk read. Raises CometChat errors."""
    groups: dict[str, Group] = {}
    for number in range(1, MAX_GROUP_PAGES + 1):
        page = cometchat.list_groups(page=number, per_page=per_page, bulk=True)
        for group in page:
            groups.setdefault(group.guid, group)  # a list that shifts while read: each once
        if len(page) < per_page:
            break
    return list(groups.values())


def banned_in(cometchat: CometChatClient, guid: str, uid: str) -> BannedUser | None:
    """`uid` as listed among `guid`'s banned users, or None. Pages one after another (groups
    are what a scan reads side by side), up to the page that lists them."""
    for number in range(1, MAX_BANNED_PAGES + 1):
        page = cometchat.list_banned_users(guid, page=number, per_page=BANNED_PER_PAGE, bulk=True)
        for user in page.users:
            if user.uid == uid:
                return user
        if not page.has_next:
            break
    return None


def scan_all_groups(
    cometchat: CometChatClient, uid: str, *, progress: ScanProgress | None = None
) -> ScanResult:
    """Every group's banned list, read for `uid`. Raises the first CometChat error met (the rest
    of the scan is then abandoned)."""
    groups = all_groups(cometchat)
    found: list[Found] = []
    if progress is not None:
        progress(0, len(groups))
    pool = ThreadPoolExecutor(cometchat.max_parallel, thread_name_prefix="where-scan")
    try:
        # Each read keeps the request's context (its id in log lines); a context per task.
        futures: list[Future[BannedUser | None]] = [
            pool.submit(contextvars.copy_context().run, banned_in, cometchat, group.guid, uid)
            for group in groups
        ]
        for done, (group, future) in enumerate(zip(groups, futures, strict=True), start=1):
            user = future.result()
            if user is not None:
                found.append(Found(group, user))
            if progress is not None:
                progress(done, len(groups))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return ScanResult(uid=uid, groups=len(groups), found=tuple(found))
