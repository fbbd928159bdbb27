"""Fetch a page of banned users and render it: the one place that joins CometChat to Slack."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.cometchat import BannedPage, CometChatClient, Group, GroupNotFound
from bot.domain.button_values import PageCursor
from bot.domain.moderation import ModerationEvent
from bot.domain.search import search_banned
from bot.logs import kv
from bot.slack.banned_page import UserExtras, render_banned_page
from bot.slack.kit import Json
from bot.slack.list_tools import page_tools, search_notes
from bot.slack.message import Message
from bot.slack.moderation_blocks import ban_row, unban_extras, with_notice
from bot.slack.picker import with_group_picker
from bot.store import ModerationStore
from bot.usecases.read_ahead import PagesAhead
from bot.usecases.report import report_failure

log = logging.getLogger("bot.requests")


@dataclass(frozen=True)
class RenderedPage:
    message: Message
    upstream_ms: float
    page: BannedPage | None = None  # what was rendered (e.g. to step back from an emptied page)


class GroupCache:
    """Group names change rarely; remembering them saves a request on every Next/Previous."""

    def __init__(self, ttl: float = 300.0, size: int = 512):
        self._ttl, self._size = ttl, size
        self._items: OrderedDict[str, tuple[float, Group]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, guid: str) -> Group | None:
        with self._lock:
            hit = self._items.get(guid)
            if hit is None or hit[0] < time.monotonic():
                return None
            self._items.move_to_end(guid)
            return hit[1]

    def put(self, group: Group) -> None:
        with self._lock:
            self._items[group.guid] = (time.monotonic() + self._ttl, group)
            self._items.move_to_end(group.guid)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class BannedLists:
    def __init__(
        self,
        cometchat: CometChatClient,
        history: ModerationStore | None = None,
        *,
        groups: GroupCache | None = None,
        ahead: PagesAhead | None = None,
    ):
        self._cometchat = cometchat
        self._history = history  # None: the list shows what CometChat knows, nothing more
        self._groups = groups or GroupCache()
        self.ahead = ahead  # None: every page is read when it is asked for

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.close()

    def known_bans(self, guid: str, page: BannedPage) -> Mapping[str, ModerationEvent]:
        """What the history knows of each listed user's ban (who, when, why, until when), in
        one query. Without the database the list still works, without these extras."""
        if self._history is None or not page.users:
            return {}
        try:
            return self._history.latest_bans(guid, [user.uid for user in page.users])
        except Exception as exc:
            log.warning(kv(event="history_unavailable", guid=guid, error=type(exc).__name__))
            return {}

    def group(self, guid: str) -> Group:
        group = self._groups.get(guid)
        if group is None:
            group = self._cometchat.get_group(guid)
            self._groups.put(group)
        return group

    def _group_and_page(self, cursor: PageCursor) -> tuple[Group, tuple[BannedPage, list[Json]]]:
        """The group and the page, read at the same time when the group's name is not cached:
        a cold command then costs one CometChat round trip, not two."""
        group = self._groups.get(cursor.guid)
        if group is not None:
            return group, self._page(cursor)
        if self._cometchat.max_parallel == 1:  # one request after another, as configured
            return self.group(cursor.guid), self._page(cursor)
        with ThreadPoolExecutor(1, thread_name_prefix="banned-page") as pool:
            page = pool.submit(contextvars.copy_context().run, self._page, cursor)
            # An unknown group fails both reads; the group's error, raised here, is the one
            # to report.
            group = self.group(cursor.guid)
            return group, page.result()

    def _page(self, cursor: PageCursor) -> tuple[BannedPage, list[Json]]:
        if cursor.query:
            found = search_banned(
                self._cometchat,
                cursor.guid,
                cursor.query,
                page=cursor.page,
                per_page=cursor.per_page,
            )
            return found.page, search_notes(found)
        ahead = self.ahead.take(cursor) if self.ahead is not None else None
        page = ahead or self._cometchat.list_banned_users(
            cursor.guid, page=cursor.page, per_page=cursor.per_page
        )
        return page, []

    def render(
        self,
        cursor: PageCursor,
        *,
        user_extras: UserExtras | None = None,
        footer: list[Json] | None = None,
    ) -> RenderedPage:
        """Raises CometChat errors; the caller turns them into words."""
        started = time.perf_counter()
        group, (page, notes) = self._group_and_page(cursor)
        upstream_ms = (time.perf_counter() - started) * 1000
        rows: list[Json] = [*notes, *page_tools(page, cursor), *(footer or [])]
        known = self.known_bans(cursor.guid, page)
        message = render_banned_page(
            page, cursor, group, user_extras=user_extras, footer=rows, known=known
        )
        if self.ahead is not None:
            self.ahead.after(cursor, page)  # the click most likely next
        return RenderedPage(message=message, upstream_ms=upstream_ms, page=page)


def render_page(lists: BannedLists, cursor: PageCursor, *, moderate: bool) -> RenderedPage:
    """A page of the list; with Unban and "Ban a user" buttons only for those who may act."""
    if not moderate:
        return lists.render(cursor)

    return lists.render(cursor, user_extras=unban_extras(cursor), footer=[ban_row(cursor)])


def refreshed_page(lists: BannedLists, cursor: PageCursor, notice: Message) -> Message:
    """The list after an action, with its outcome on top.

    When the page emptied (its last user was unbanned) step back a page; if that is empty too
    (others were busy), start again from page 1. Raises CometChat errors like `render_page`.
    """
    rendered = render_page(lists, cursor, moderate=True)
    for fallback in (cursor.page - 1, 1):
        if cursor.page <= 1 or rendered.page is None or rendered.page.users:
            break
        cursor = cursor.at(max(1, fallback))
        rendered = render_page(lists, cursor, moderate=True)
    return with_notice(notice, rendered.message)


@dataclass(frozen=True)
class Outcome:
    message: Message
    ok: bool
    error: BaseException | None = None  # what failed, for callers that offer a way on


def show_page(
    lists: BannedLists, cursor: PageCursor, *, moderate: bool = False, event: str
) -> Outcome:
    """Fetch and render one page; on failure, the explanation instead. Logs one line.

    `moderate`: the viewer may act, so the page carries Unban / "Ban a user" buttons.
    """
    started = time.perf_counter()
    where = {"event": event, "guid": cursor.guid, "page": cursor.page}
    try:
        rendered = render_page(lists, cursor, moderate=moderate)
    except Exception as exc:
        elapsed = (time.perf_counter() - started) * 1000  # mostly upstream time, retries included
        return Outcome(report_failure(exc, **where, ms=elapsed), ok=False, error=exc)
    log.info(
        kv(
            **where,
            outcome="ok",
            upstream_ms=rendered.upstream_ms,
            ms=(time.perf_counter() - started) * 1000,
        )
    )
    return Outcome(rendered.message, ok=True)


def offer_picker(outcome: Outcome) -> Outcome:
    """An unknown group gets the picker under the explanation: the way on, not a dead end."""
    if not isinstance(outcome.error, GroupNotFound):
        return outcome
    message = with_group_picker(outcome.message, "Pick one of the app's groups instead:")
    return Outcome(message, ok=False, error=outcome.error)
