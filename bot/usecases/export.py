"""Export a group's whole banned list as CSV and hand it to the requester in a Slack DM.

The list is read through the client's whole-list read (page 1, then the pages it announces
several at a time, handed back in order, never more than a few pages ahead) and each page's rows
are written straight to a spooled temporary file (memory up to `SPOOL_IN_MEMORY`, disk beyond),
so thousands of users are never held as objects, nor twice. A long export reports how far it is
through a callback (`ProgressNotes` keeps that to a few messages). The file is then streamed
to Slack with the current upload flow:
`files.getUploadURLExternal` (a URL for exactly this many bytes), a POST of the raw bytes to that
URL read from the spool in chunks, and `files.completeUploadExternal`, which shares the file.
(`WebClient.files_upload_v2` does the same three steps but reads the whole file into memory.)

Where it goes: the page it came from is ephemeral, so the file must not land in the channel for
everyone. Files cannot be ephemeral, so the bot opens its DM with the requester
(`conversations.open`, scope `im:write`) and shares the file there (scope `files:write`).

Limits: one export per person and `MAX_EXPORTS_AT_ONCE` in the app (`ExportSlots`, taken when
the button is clicked, without waiting), and a time budget per export (`EXPORT_TIME_BUDGET`):
a list that does not end in time (or a server that never reports its last page) stops the export
at the next page boundary with `ExportTimedOut`, and nothing is uploaded.

Columns: every field the spec documents for a banned user, raw as CometChat sent it, plus the
four timestamps as ISO-8601 UTC. `metadata` is left out on purpose: it is where apps keep email
addresses and phone numbers, and the bot never shows it anywhere else either.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cometchat import BannedUser, CometChatClient
from bot.domain.actions import ACTIONS
from bot.domain.duration import describe_duration
from bot.domain.errors import ExportFailed, ExportRunning, ExportsBusy, ExportTimedOut
from bot.domain.moderation import ModerationEvent
from bot.domain.slots import LeaseBook, UserSlots
from bot.slack.text import plausible_epoch
from bot.store import ModerationStore

EXPORT_PER_PAGE = 100  # CometChat's default page size for banned users (no maximum documented)
MAX_EXPORT_PAGES = 1000  # 100,000 users: a bound in case a server never reports the last page
SPOOL_IN_MEMORY = 1 << 20  # bytes kept in memory before the CSV spills to a temporary file
CHUNK = 64 * 1024  # bytes per read when streaming the file to Slack
# Each export reads a whole list as fast as CometChat answers: a few at once, in the whole app,
# is all its rate limit should spend on exports.
MAX_EXPORTS_AT_ONCE = 2
# Beyond the reading budget, what an export's lease allows for the upload to Slack.
EXPORT_UPLOAD_ALLOWANCE = timedelta(minutes=5)

# (CSV header, value) in column order: the documented fields first, then the ISO times.
COLUMNS: tuple[tuple[str, Callable[[BannedUser], Any]], ...] = (
    ("uid", lambda u: u.uid),
    ("name", lambda u: u.name),
    ("avatar", lambda u: u.avatar),
    ("link", lambda u: u.link),
    ("status", lambda u: u.status),
    ("role", lambda u: u.role),
    ("scope", lambda u: u.scope),
    ("createdAt", lambda u: u.created_at),
    ("updatedAt", lambda u: u.updated_at),
    ("joinedAt", lambda u: u.joined_at),
    ("bannedAt", lambda u: u.banned_at),
    ("conversationId", lambda u: u.conversation_id),
    ("createdAtUtc", lambda u: iso_utc(u.created_at)),
    ("updatedAtUtc", lambda u: iso_utc(u.updated_at)),
    ("joinedAtUtc", lambda u: iso_utc(u.joined_at)),
    ("bannedAtUtc", lambda u: iso_utc(u.banned_at)),
)
HEADER = tuple(name for name, _ in COLUMNS)

# The moderation history's export: one row per case, oldest first.
HISTORY_BATCH = 1000  # events read per query
MAX_HISTORY_ROWS = 1_000_000  # a bound, as for a banned list: the file says when it was reached


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(event: ModerationEvent) -> str:
    """How long a ban was given for ("7 days", "permanent"); empty for what has no length."""
    if not ACTIONS[event.action].temporary:
        return ""
    return describe_duration(event.ends_at - event.at if event.ends_at else None)


HISTORY_COLUMNS: tuple[tuple[str, Callable[[ModerationEvent], Any]], ...] = (
    ("case", lambda e: e.id),
    ("time_utc", lambda e: _iso(e.at)),
    ("group", lambda e: e.guid),
    ("user", lambda e: e.uid),
    ("action", lambda e: e.action.value),
    ("actor", lambda e: e.actor),
    ("source", lambda e: e.source.value),
    ("reason", lambda e: e.reason),
    ("duration", _duration),
    ("end_utc", lambda e: _iso(e.ends_at)),
)
HISTORY_HEADER = tuple(name for name, _ in HISTORY_COLUMNS)

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class ExportSlots(UserSlots):
    """One export per user and at most `limit` in the app (see UserSlots). `budget`: the
    export's time budget in seconds; its lease lasts that long and the upload's time besides."""

    def __init__(self, book: LeaseBook, limit: int = MAX_EXPORTS_AT_ONCE, *, budget: float):
        lease = timedelta(seconds=budget) + EXPORT_UPLOAD_ALLOWANCE
        super().__init__(book, "export", limit, ttl=lease, running=ExportRunning, busy=ExportsBusy)


@dataclass(frozen=True)
class Budget:
    """Seconds an export may spend, counted from `started` on `clock`."""

    seconds: float
    started: float
    clock: Callable[[], float]

    def check(self, *, pages: int, rows: int) -> None:
        if self.clock() - self.started >= self.seconds:
            raise ExportTimedOut(self.seconds, pages=pages, rows=rows)


# Told how far an export is: users written so far, and how many the list announced (None:
# CometChat's count could not be trusted).
Progress = Callable[[int, int | None], object]


class ProgressNotes:
    """A `Progress` that passes on at most `limit` reports to `notify`: the first once `after`
    seconds have passed, the next ones `every` seconds apart. A short export says nothing."""

    def __init__(
        self,
        notify: Progress,
        *,
        clock: Callable[[], float],
        after: float = 3.0,
        every: float = 10.0,
        limit: int = 2,
    ):
        self._notify = notify
        self._clock = clock
        self._next = clock() + after
        self._every = every
        self._left = limit

    def __call__(self, rows: int, total: int | None) -> None:
        now = self._clock()
        if self._left <= 0 or now < self._next:
            return
        self._left -= 1
        self._next = now + self._every
        self._notify(rows, total)


@dataclass(frozen=True)
class CsvStats:
    rows: int  # users written (each uid once)
    pages: int  # CometChat pages read
    size: int  # bytes written
    complete: bool  # False: stopped at MAX_EXPORT_PAGES before the list ended


@dataclass(frozen=True)
class Delivered:
    stats: CsvStats
    filename: str
    file_id: str
    channel_id: str  # the requester's DM with the bot


def iso_utc(value: int | None) -> str:
    """`2021-08-25T05:27:51Z` for a plausible epoch (seconds or milliseconds), else empty."""
    epoch = plausible_epoch(value)
    if epoch is None:
        return ""
    # time.gmtime, not datetime: a third of the cost, and four of these make each CSV row.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def cell(value: Any) -> str:
    """One CSV cell. Text a spreadsheet would run as a formula is prefixed with `'`."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_banned_csv(
    cometchat: CometChatClient,
    guid: str,
    out: IO[bytes],
    *,
    per_page: int = EXPORT_PER_PAGE,
    max_pages: int = MAX_EXPORT_PAGES,
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> CsvStats:
    """Write the whole banned list of `guid` to `out` (UTF-8 CSV), in CometChat's order.

    Only the pages read ahead (at most the client's `max_ahead`) are in memory at once, plus
    the uids already written: the list can shift while it is read (someone unbans), and a user
    must not appear twice. Raises ExportTimedOut when `budget` runs out before the list ends
    (checked before the first page and after each one), and whatever a failed page raised:
    the rest of the walk is then abandoned. `progress` hears after each page.
    """
    size = _write_rows(out, [HEADER])
    seen: set[str] = set()
    pages = 0
    complete = False
    expected: int | None = None
    if budget is not None:
        budget.check(pages=0, rows=0)
    walk = cometchat.banned_pages(guid, per_page=per_page, max_pages=max_pages)
    try:
        for page in walk:
            pages += 1
            if pages == 1:
                expected = page.total
            rows = []
            for user in page.users:
                if user.uid not in seen:
                    seen.add(user.uid)
                    rows.append([cell(value(user)) for _, value in COLUMNS])
            size += _write_rows(out, rows)
            if progress is not None:
                progress(len(seen), expected)
            if not page.has_next:
                complete = True
                break
            if budget is not None:
                budget.check(pages=pages, rows=len(seen))
    finally:
        walk.close()  # a stop or a failure starts no more reads
    return CsvStats(rows=len(seen), pages=pages, size=size, complete=complete)


def write_history_csv(
    store: ModerationStore,
    out: IO[bytes],
    *,
    guid: str | None = None,
    since: datetime | None = None,
    batch: int = HISTORY_BATCH,
    max_rows: int = MAX_HISTORY_ROWS,
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> CsvStats:
    """Write the moderation history (of `guid`, from `since`) to `out` as UTF-8 CSV, oldest
    first, a batch of events at a time: only one batch is in memory. Every cell goes through
    the formula guard (reasons, notes and names are anyone's text). Raises ExportTimedOut when
    `budget` runs out before the end."""
    size = _write_rows(out, [HISTORY_HEADER])
    rows = batches = 0
    complete = True
    if budget is not None:
        budget.check(pages=0, rows=0)
    for events in store.history_batches(guid=guid, since=since, batch=batch):
        batches += 1
        kept = events[: max_rows - rows]
        size += _write_rows(out, [[cell(value(e)) for _, value in HISTORY_COLUMNS] for e in kept])
        rows += len(kept)
        if progress is not None:
            progress(rows, None)
        if rows >= max_rows:
            complete = False
            break
        if budget is not None:
            budget.check(pages=batches, rows=rows)
    return CsvStats(rows=rows, pages=batches, size=size, complete=complete)


def export_history_to_dm(
    store: ModerationStore,
    files: SlackFiles,
    *,
    guid: str | None,
    since: datetime | None,
    title: str,
    user_id: str,
    comment: Callable[[CsvStats], str],
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> Delivered:
    """The moderation history as a CSV file in the requester's DM with the bot (as
    `export_to_dm`: the DM opened first, the file spooled, then streamed to Slack)."""
    return _spool_to_dm(
        files,
        lambda out: write_history_csv(
            store, out, guid=guid, since=since, budget=budget, progress=progress
        ),
        filename=export_filename(guid or "all-groups", prefix="history"),
        title=title,
        user_id=user_id,
        comment=comment,
    )


def _write_rows(out: IO[bytes], rows: list) -> int:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)  # RFC 4180 line ends
    data = buffer.getvalue().encode("utf-8")
    out.write(data)
    return len(data)


def export_filename(guid: str, now: datetime | None = None, *, prefix: str = "banned") -> str:
    stamp = (now or datetime.now(tz=UTC)).strftime("%Y%m%d-%H%M%S")
    return f"{prefix}-{_FILENAME_UNSAFE.sub('_', guid)}-{stamp}.csv"


class SlackFiles:
    """Slack's external upload flow over a WebClient (API calls) and httpx (the bytes)."""

    def __init__(self, client: WebClient, http: httpx.Client):
        self._client = client
        self._http = http

    def open_dm(self, user_id: str) -> str:
        response = self._call(self._client.conversations_open, users=user_id)
        channel = response.get("channel")
        if not isinstance(channel, dict) or not isinstance(channel.get("id"), str):
            raise ExportFailed("bad_response", step="conversations.open")
        return channel["id"]

    def upload(
        self,
        file: IO[bytes],
        size: int,
        *,
        filename: str,
        title: str,
        channel_id: str,
        comment: str,
    ) -> str:
        """Upload `size` bytes of `file` (from its start) and share it in `channel_id`."""
        ticket = self._call(self._client.files_getUploadURLExternal, filename=filename, length=size)
        upload_url, file_id = ticket.get("upload_url"), ticket.get("file_id")
        if not isinstance(upload_url, str) or not isinstance(file_id, str):
            raise ExportFailed("bad_response", step="files.getUploadURLExternal")
        file.seek(0)
        try:
            # No token here: the URL itself is the credential, and it is Slack's, not ours.
            response = self._http.post(
                upload_url,
                content=_chunks(file),
                headers={"content-type": "application/octet-stream", "content-length": str(size)},
            )
        except httpx.HTTPError as exc:
            raise ExportFailed(type(exc).__name__, step="upload") from None
        if response.status_code != 200:
            raise ExportFailed(f"http_{response.status_code}", step="upload")
        self._call(
            self._client.files_completeUploadExternal,
            files=[{"id": file_id, "title": title}],
            channel_id=channel_id,
            initial_comment=comment,
        )
        return file_id

    @staticmethod
    def _call(method: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            raise ExportFailed(
                str(data.get("error") or "slack_error"),
                step=method.__name__,
                needed=data.get("needed") if isinstance(data.get("needed"), str) else None,
            ) from None


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    while chunk := file.read(CHUNK):
        yield chunk


def export_to_dm(
    cometchat: CometChatClient,
    files: SlackFiles,
    *,
    guid: str,
    title: str,
    user_id: str,
    comment: Callable[[CsvStats], str],
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> Delivered:
    """The whole list of `guid`, as a CSV file in the requester's DM with the bot.

    The DM is opened first so a missing scope fails before thousands of users are read.
    Raises CometChat errors, ExportFailed and ExportTimedOut (then nothing was uploaded).
    """
    return _spool_to_dm(
        files,
        lambda out: write_banned_csv(cometchat, guid, out, budget=budget, progress=progress),
        filename=export_filename(guid),
        title=title,
        user_id=user_id,
        comment=comment,
    )


def _spool_to_dm(
    files: SlackFiles,
    write: Callable[[IO[bytes]], CsvStats],
    *,
    filename: str,
    title: str,
    user_id: str,
    comment: Callable[[CsvStats], str],
) -> Delivered:
    """Open the requester's DM (first: a missing scope fails before anything is read), `write`
    the CSV to a spool, then stream it to Slack and share it there."""
    channel_id = files.open_dm(user_id)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b") as spool:
        stats = write(spool)
        file_id = files.upload(
            spool,
            stats.size,
            filename=filename,
            title=title,
            channel_id=channel_id,
            comment=comment(stats),
        )
    return Delivered(stats=stats, filename=filename, file_id=file_id, channel_id=channel_id)
