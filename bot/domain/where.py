"""Where is a user banned? A scan of every group of the app for one uid, and what it found.

The scan reads `GET /groups` page by page, then each group's whole banned list, a few groups at
once (the client's `max_parallel`; each group's pages one after another, so a scan keeps no more
reads in flight than one export does). Every one of those reads is a bulk read: the client's
`BulkGovernor` keeps it inside CometChat's per-minute rate limit with the COMETCHAT_RESERVE left
to everyone else, and within the process-wide bound on bulk requests in flight. The banned lists
are read whole, without `searchKey`: CometChat's spec does not declare it there, and a server
that matched names only would make the scan miss a ban.

Being listed is proof of a ban; not being listed is proof of nothing unless the whole list was
read and held together while it was read. A list paged while someone else is unbanned shifts
under the reader, and the user can slip from a page not yet read to one already read. So a group
counts as "not banned there" only when every page was read and the pages agree (the same
`meta.pagination.total` on each, no user on two pages, as many users as that total); otherwise,
or when the page cap came first or a read failed, the group "could not be checked".
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

from bot.cometchat import BannedUser, CometChatClient, Group
from bot.cometchat.errors import CometChatError
from bot.domain.moderation import ModerationEvent

GROUPS_PER_PAGE = 100  # CometChat's default page of groups
MAX_GROUP_PAGES = 100  # 10,000 groups: a bound in case a server never sends a short page
BANNED_PER_PAGE = 100
MAX_BANNED_PAGES = 1000
# Groups whose reads failed after which the scan reads no more: CometChat failing this many is
# failing them all, and each failure can cost a retry budget.
MAX_FAILED_GROUPS = 5

# Told how far a scan is: groups read so far, and how many there are.
ScanProgress = Callable[[int, int | None], object]


class Unchecked(StrEnum):
    """Why a group could not be checked for the user (worded in bot.slack.where_blocks)."""

    # The list changed while it was read: totals differ, pages overlap or run short.
    CHANGED = "changed"
    UNSIZED = "unsized"  # several pages, and no total to hold them to
    TOO_LONG = "too_long"  # the page cap came before the end of the list
    FAILED = "failed"  # a read failed (the error is kept)
    NOT_READ = "not_read"  # not read: the scan stopped after MAX_FAILED_GROUPS failures
    NOT_LISTED = "not_listed"  # the history bans them there, but GET /groups did not list it


class ListUnverified(Exception):
    """A banned list read to its end (or the cap) that cannot vouch for who is absent."""

    def __init__(self, why: Unchecked):
        super().__init__(why.value)
        self.why = why


@dataclass(frozen=True)
class Found:
    group: Group
    user: BannedUser


@dataclass(frozen=True)
class Gap:
    """A group the scan could not check: what it read there says nothing of absence."""

    group: Group
    why: Unchecked
    error: CometChatError | None = None


@dataclass(frozen=True)
class ScanResult:
    uid: str
    groups: int  # groups the app has, by GET /groups
    found: tuple[Found, ...]  # where the user is banned, in CometChat's order of groups
    unchecked: tuple[Gap, ...] = ()  # in CometChat's order of groups
    # The groups whose whole list was read, held together and lacks the user: the only groups
    # where "not banned" is known.
    cleared: frozenset[str] = frozenset()

    @property
    def checked(self) -> int:
        return self.groups - len(self.unchecked)


@dataclass(frozen=True)
class ScanReport:
    """A finished scan, with what the history says of each group it found, after recording."""

    result: ScanResult
    known: dict[str, ModerationEvent]  # the history's ban in each group, by guid
    no_longer: tuple[ModerationEvent, ...]  # bans the history knew that the scan cleared
    recorded: int | None  # events recorded; None when the history could not be written
    # The scan's gaps, and the groups the history bans them in that GET /groups did not list.
    unchecked: tuple[Gap, ...] = ()
    # The history's ban in each unchecked group, by guid: it stands, nothing was recorded.
    standing: dict[str, ModerationEvent] = field(default_factory=dict)
    unrecorded: int = 0  # events the database refused (each group is recorded on its own)


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


def banned_in(
    cometchat: CometChatClient, guid: str, uid: str, *, max_pages: int = MAX_BANNED_PAGES
) -> BannedUser | None:
    """`uid` as listed among `guid`'s banned users; None when the whole list was read, held
    together, and does not list them. Pages one after another (groups are what a scan reads side
    by side), up to the page that lists them. Raises `ListUnverified` when the list cannot vouch
    for the absence, and CometChat errors."""
    seen: set[str] = set()
    total: int | None = None
    changed = False
    for number in range(1, max_pages + 1):
        page = cometchat.list_banned_users(guid, page=number, per_page=BANNED_PER_PAGE, bulk=True)
        for user in page.users:
            if user.uid == uid:
                return user  # in an answer: banned, however the list moved meanwhile
        uids = {user.uid for user in page.users}
        if number == 1:
            total = page.reported_total
        elif page.reported_total is not None and page.reported_total != total:
            changed = True
        # Read on after a change: the user may still turn up further on, which is proof.
        changed = changed or not seen.isdisjoint(uids)
        seen |= uids
        if not page.has_next:
            if number == 1:
                return None  # one answer: the list as it stood at one moment
            if changed or (total is not None and len(seen) != total):
                raise ListUnverified(Unchecked.CHANGED)
            if total is None:
                raise ListUnverified(Unchecked.UNSIZED)
            return None
    raise ListUnverified(Unchecked.TOO_LONG)


def scan_all_groups(
    cometchat: CometChatClient,
    uid: str,
    *,
    progress: ScanProgress | None = None,
    max_pages: int = MAX_BANNED_PAGES,
) -> ScanResult:
    """Every group's banned list, read for `uid`. Raises CometChat errors from `GET /groups`
    (then nothing is known); a group whose read fails is a `Gap`, and the others stand."""
    groups = all_groups(cometchat)
    found: list[Found] = []
    gaps: list[Gap] = []
    cleared: set[str] = set()
    stop, lock, failures = threading.Event(), threading.Lock(), [0]

    def read(group: Group) -> Found | Gap | None:
        if stop.is_set():
            return Gap(group, Unchecked.NOT_READ)
        try:
            user = banned_in(cometchat, group.guid, uid, max_pages=max_pages)
        except ListUnverified as exc:
            return Gap(group, exc.why)
        except CometChatError as exc:
            with lock:
                failures[0] += 1
                if failures[0] >= MAX_FAILED_GROUPS:
                    stop.set()
            return Gap(group, Unchecked.FAILED, exc)
        return Found(group, user) if user is not None else None

    if progress is not None:
        progress(0, len(groups))
    pool = ThreadPoolExecutor(cometchat.max_parallel, thread_name_prefix="where-scan")
    try:
        # Each read keeps the request's context (its id in log lines); a context per task.
        futures: list[Future[Found | Gap | None]] = [
            pool.submit(contextvars.copy_context().run, read, group) for group in groups
        ]
        for done, (group, future) in enumerate(zip(groups, futures, strict=True), start=1):
            outcome = future.result()
            if isinstance(outcome, Found):
                found.append(outcome)
            elif isinstance(outcome, Gap):
                gaps.append(outcome)
            else:
                cleared.add(group.guid)
            if progress is not None:
                progress(done, len(groups))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return ScanResult(
        uid=uid,
        groups=len(groups),
        found=tuple(found),
        unchecked=tuple(gaps),
        cleared=frozenset(cleared),
    )
