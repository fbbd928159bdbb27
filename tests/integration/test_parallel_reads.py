"""Reads at network speed: a cold page and its group name at once, searches and exports reading
pages in parallel within COMETCHAT_MAX_PARALLEL and in CometChat's order, and the governor keeping
those bulk reads inside CometChat's per-minute rate limit. CometChat is FakeCometChat over
httpx.MockTransport; overlap is proven with barriers and events, time is virtual."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from bot.cometchat import (
    CometChatClient,
    GroupNotFound,
    RateLimited,
    RetryPolicy,
    Unavailable,
    UnexpectedResponse,
)
from bot.cometchat.governor import BulkGovernor
from bot.domain.button_values import PageCursor
from bot.domain.search import search_banned
from bot.services import build_services
from bot.slack.list_tools import ACTION_EXPORT
from bot.usecases.banned_list import BannedLists, render_page
from bot.usecases.export import ProgressNotes, write_banned_csv
from tests.conftest import make_settings
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.cometchat import API_KEY, FakeCometChat, Recorded
from tests.support.harness import harness

NOW = 1_700_000_000.0
WAIT = 5.0  # seconds a barrier or event may take before the test fails (never reached when green)


class VirtualClock(FakeClock):
    """FakeClock for several threads: sleeping advances the shared time under a lock."""

    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            super().sleep(seconds)


def client(
    fake: FakeCometChat,
    *,
    max_parallel: int = 8,
    clock: VirtualClock | None = None,
    reserve: float = 0.5,
    total: int = 16,
    retry: RetryPolicy | None = None,
    handler: Callable[[httpx.Request], httpx.Response] | None = None,
) -> CometChatClient:
    clock = clock or VirtualClock()
    return CometChatClient(
        "https://cometchat.test/v3",
        SecretStr(API_KEY),
        transport=httpx.MockTransport(handler or fake.handle),
        max_parallel=max_parallel,
        sleep=clock.sleep,
        clock=clock,
        retry=retry,
        governor=BulkGovernor(
            reserve=reserve, max_in_flight=total, clock=clock, sleep=clock.sleep, wall=clock
        ),
    )


class InFlight:
    """An interceptor that counts banned-list reads in flight and remembers the most at once.
    `hold(rec)` may block a read (on an event or a barrier) to make overlap observable."""

    def __init__(self, hold: Callable[[Recorded], None] = lambda rec: None):
        self.now = 0
        self.most = 0
        self.pages: list[int] = []
        self._lock = threading.Lock()
        self._hold = hold

    def __call__(self, rec: Recorded):
        if not rec.path.endswith("/bannedusers"):
            return None
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.pages.append(int(rec.query["page"][0]))
        try:
            self._hold(rec)
        finally:
            with self._lock:
                self.now -= 1
        return None


def meet(barrier: threading.Barrier) -> None:
    """Wait at `barrier` (an interceptor that answers nothing itself)."""
    barrier.wait()


def page_of(rec: Recorded) -> int:
    return int(rec.query["page"][0])


def uids(data: bytes) -> list[str]:
    return [line.split(",")[0] for line in data.decode().splitlines()[1:]]


# -- a command's first page ------------------------------------------------------------------


def test_a_cold_command_reads_the_group_name_and_the_page_at_once():
    fake = FakeCometChat()
    fake.add_group("g", "Hikers", banned=57)
    both = threading.Barrier(2, timeout=WAIT)  # broken (and the test failed) unless both overlap
    fake.interceptor = lambda rec: meet(both)

    rendered = BannedLists(client(fake)).render(PageCursor(guid="g", page=1, per_page=10))

    assert "Hikers" in rendered.message.text and rendered.page is not None
    assert len(rendered.page.users) == 10
    assert sorted(r.path for r in fake.requests) == ["/v3/groups/g", "/v3/groups/g/bannedusers"]


def test_a_moderators_cold_command_reads_them_at_once_too(slack):
    fake = FakeCometChat()
    fake.add_group("g", "Hikers", banned=57)
    both = threading.Barrier(2, timeout=WAIT)
    fake.interceptor = lambda rec: meet(both)
    settings = make_settings(slack_api_url=slack.url + "/api/", moderator_user_ids="U0MOD")
    services = build_services(settings, cometchat_transport=fake.transport())
    try:
        message = render_page(services.lists, PageCursor(guid="g"), moderate=True).message.to_dict()
    finally:
        services.close()
    assert len(fake.requests) == 2
    assert message["blocks"][0]["text"]["text"] == "Banned from Hikers"  # the group, read too
    assert any(b["type"] == "actions" for b in message["blocks"])  # and the moderators' buttons


def test_a_cold_search_reads_the_group_name_while_it_walks():
    fake = FakeCometChat()
    fake.add_group("g", "Hikers", banned=57)
    both = threading.Barrier(2, timeout=WAIT)
    fake.interceptor = lambda rec: meet(both) if page_of_or_group(rec) <= 1 else None
    cursor = PageCursor(guid="g", page=1, per_page=10, query="user-05")
    rendered = BannedLists(client(fake)).render(cursor)
    assert rendered.page is not None and [u.uid for u in rendered.page.users] == [
        f"user-{i:03d}" for i in range(50, 58)
    ]


def page_of_or_group(rec: Recorded) -> int:
    return page_of(rec) if "page" in rec.query else 0


def test_an_unknown_group_is_reported_as_such_when_both_reads_fail():
    fake = FakeCometChat()
    with pytest.raises(GroupNotFound):
        BannedLists(client(fake)).render(PageCursor(guid="nope", page=1))


def test_with_one_read_at_a_time_the_group_name_comes_first_then_the_page():
    fake = FakeCometChat()
    fake.add_group("g", banned=5)
    BannedLists(client(fake, max_parallel=1)).render(PageCursor(guid="g", page=1))
    assert [r.path for r in fake.requests] == ["/v3/groups/g", "/v3/groups/g/bannedusers"]


# -- whole-list reads: bound, order, fallbacks -----------------------------------------------


@pytest.mark.parametrize("max_parallel", [2, 5, 8])
def test_an_export_keeps_at_most_max_parallel_reads_in_flight_and_cometchats_order(max_parallel):
    fake = FakeCometChat()
    fake.add_group("g", banned=2_050)  # 21 pages of 100
    # The first wave after page 1 must fill the bound: each read waits until all of it is in.
    wave = threading.Barrier(max_parallel, timeout=WAIT)
    flight = InFlight(lambda rec: wave.wait() if 2 <= page_of(rec) <= 1 + max_parallel else None)
    fake.interceptor = flight
    out = io.BytesIO()

    stats = write_banned_csv(client(fake, max_parallel=max_parallel), "g", out)

    assert flight.most == max_parallel
    assert uids(out.getvalue()) == [u["uid"] for u in fake.banned["g"]]  # in order, each once
    assert stats.rows == 2_050 and stats.pages == 21 and stats.complete
    assert sorted(flight.pages) == list(range(1, 22))  # every page read exactly once


def test_a_search_keeps_the_bound_and_finds_matches_in_order():
    fake = FakeCometChat()
    fake.add_group("g", banned=2_500)
    for i in (120, 1_999, 2_499):
        fake.banned["g"][i]["name"] = f"Needle {i}"
    wave = threading.Barrier(4, timeout=WAIT)
    flight = InFlight(lambda rec: wave.wait() if 2 <= page_of(rec) <= 5 else None)
    fake.interceptor = flight

    found = search_banned(client(fake, max_parallel=4), "g", "needle", per_page=10)

    assert [u.name for u in found.page.users] == ["Needle 120", "Needle 1999", "Needle 2499"]
    assert found.page.total == 3 and found.scanned == 2_500 and not found.limited
    assert flight.most == 4 and sorted(flight.pages) == list(range(1, 26))


def test_a_search_that_has_enough_on_page_one_reads_nothing_more():
    fake = FakeCometChat()
    fake.add_group("g", banned=2_500)
    flight = InFlight()
    fake.interceptor = flight
    found = search_banned(client(fake), "g", "user", per_page=10)
    assert flight.pages == [1] and found.page.has_next


def test_search_reads_up_to_ten_thousand_users_and_says_when_it_stopped():
    fake = FakeCometChat()
    fake.add_group("g", banned=10_100)
    fake.banned["g"][-1]["name"] = "Needle"  # beyond the bound
    found = search_banned(client(fake), "g", "needle")
    assert found.scanned == 10_000 and found.limited and found.page.users == ()


def _changing_meta(fake: FakeCometChat, change: Callable[[dict], dict | None]):
    def handle(request: httpx.Request) -> httpx.Response:
        answer = fake.handle(request)
        if not request.url.path.endswith("/bannedusers"):
            return answer
        body = answer.json()
        meta = change(body["meta"]["pagination"])
        body["meta"] = {} if meta is None else {"pagination": meta}
        return httpx.Response(answer.status_code, json=body)

    return handle


@pytest.mark.parametrize(
    "change",
    [
        lambda meta: None,  # no meta.pagination at all
        lambda meta: {**meta, "total_pages": meta["total_pages"] + 3},  # pages vs total
        lambda meta: {**meta, "per_page": 50},  # not the page size asked for
        lambda meta: {**meta, "count": 7},  # not what the page holds
    ],
    ids=["missing", "pages-vs-total", "per-page", "count"],
)
def test_missing_or_contradictory_pagination_falls_back_to_one_page_after_another(change):
    fake = FakeCometChat()
    fake.add_group("g", banned=650)
    out = io.BytesIO()
    written: dict[int, int] = {}

    def note(rec: Recorded) -> None:
        written[page_of(rec)] = len(uids(out.getvalue()))

    fake.interceptor = note
    stats = write_banned_csv(client(fake, handler=_changing_meta(fake, change)), "g", out)
    # Each page asked for only once the one before it is in the file: one after another.
    assert written == {k: (k - 1) * 100 for k in range(1, 8)}
    assert stats.rows == 650 and stats.complete
    assert uids(out.getvalue()) == [u["uid"] for u in fake.banned["g"]]


def test_a_short_page_in_the_middle_ends_the_walk_as_it_would_one_by_one():
    fake = FakeCometChat()
    fake.add_group("g", banned=900)

    def shrink(rec: Recorded):
        if rec.path.endswith("/bannedusers") and page_of(rec) == 4:
            chunk = fake.banned["g"][300:340]  # someone unbanned: page 4 is the last now
            return 200, {"data": chunk, "meta": {"pagination": {"total": 340}}}, {}
        return None

    fake.interceptor = shrink
    out = io.BytesIO()
    stats = write_banned_csv(client(fake), "g", out)
    assert stats.rows == 340 and stats.pages == 4 and stats.complete
    assert uids(out.getvalue()) == [u["uid"] for u in fake.banned["g"][:340]]


def test_an_over_filled_page_and_a_shifted_list_never_list_a_user_twice():
    fake = FakeCometChat()
    fake.add_group("g", banned=500)

    def overfill(rec: Recorded):
        if rec.path.endswith("/bannedusers") and page_of(rec) == 3:
            chunk = fake.banned["g"][195:300]  # five of page 2 again, 105 in all
            meta = {"pagination": {"total": 500, "per_page": 100, "total_pages": 5}}
            return 200, {"data": chunk, "meta": meta}, {}
        return None

    fake.interceptor = overfill
    out = io.BytesIO()
    stats = write_banned_csv(client(fake), "g", out)
    assert uids(out.getvalue()) == [u["uid"] for u in fake.banned["g"]]
    assert stats.rows == 500


def test_pages_are_written_as_they_come_never_more_than_the_bound_ahead():
    fake = FakeCometChat()
    fake.add_group("g", banned=1_000)
    out = io.BytesIO()
    written: dict[int, int] = {}
    lock = threading.Lock()

    def note(rec: Recorded):
        if rec.path.endswith("/bannedusers"):
            with lock:
                written[page_of(rec)] = len(uids(out.getvalue()))

    fake.interceptor = lambda rec: note(rec)
    write_banned_csv(client(fake, max_parallel=2), "g", out)
    # Page k is asked for only once page k - 4 is in the file: two pages in flight and two more
    # held or asked for (twice max_parallel) at most.
    assert sorted(written) == list(range(1, 11))
    assert all(written[k] >= (k - 4) * 100 for k in written), written
    assert any(written[k] < (k - 2) * 100 for k in written), written  # and it does read ahead


def test_a_slow_page_holds_up_no_other_read_and_the_bound_still_holds():
    fake = FakeCometChat()
    fake.add_group("g", banned=1_000)
    fifth_asked = threading.Event()
    asked_while_held: list[list[int]] = []

    def hold(rec: Recorded) -> None:
        if page_of(rec) == 5:
            fifth_asked.set()
        if page_of(rec) == 2:
            # Page 2 answers only once page 5 was asked for: pages 3 and 4, answered meanwhile,
            # each freed a read for the next page although page 2, the oldest, was not in.
            fifth_asked.wait(WAIT)
            asked_while_held.append(sorted(flight.pages))

    flight = InFlight(hold)
    fake.interceptor = flight
    out = io.BytesIO()

    stats = write_banned_csv(client(fake, max_parallel=2), "g", out)

    # Pages 3-5 were read while page 2 was held, and no further: twice max_parallel ahead.
    assert asked_while_held == [[1, 2, 3, 4, 5]]
    assert flight.most == 2  # never more than max_parallel in flight
    assert stats.rows == 1_000 and stats.complete
    assert uids(out.getvalue()) == [u["uid"] for u in fake.banned["g"]]  # still in order


@pytest.mark.parametrize("failing", [2, 6])
def test_a_page_failing_mid_walk_fails_the_whole_export_and_search(failing):
    fake = FakeCometChat()
    fake.add_group("g", banned=1_000)
    fake.interceptor = lambda rec: (
        (503, {"error": {"code": "ERR_EXCEPTION"}}, {})
        if rec.path.endswith("/bannedusers") and page_of(rec) == failing
        else None
    )
    once = RetryPolicy(attempts=1)
    with pytest.raises(Unavailable):
        write_banned_csv(client(fake, retry=once), "g", io.BytesIO())
    with pytest.raises(Unavailable):
        search_banned(client(fake, retry=once), "g", "no such user")


def test_a_page_of_the_wrong_shape_mid_walk_fails_it_in_order_after_the_pages_before():
    fake = FakeCometChat()
    fake.add_group("g", banned=1_000)
    fake.interceptor = lambda rec: (
        (200, {"meta": {}}, {})  # JSON, but no `data`: read by the walk, not the read's thread
        if rec.path.endswith("/bannedusers") and page_of(rec) == 6
        else None
    )
    out = io.BytesIO()
    with pytest.raises(UnexpectedResponse):
        write_banned_csv(client(fake), "g", out)
    assert uids(out.getvalue()) == [u["uid"] for u in fake.banned["g"][:500]]  # pages 1-5


# -- the rate limit --------------------------------------------------------------------------


class PerMinuteLimit:
    """CometChat's rate limit as its docs describe it: `limit` requests per app per minute,
    answered 429 + Retry-After beyond it, every answer carrying the limit headers (in one of the
    two spellings the docs use). The app's own users spend `others` at the start of each minute."""

    def __init__(
        self, fake: FakeCometChat, clock: VirtualClock, *, limit: int, others: int, spelling: str
    ):
        self.fake, self.clock, self.limit, self.others = fake, clock, limit, others
        self.prefix = spelling
        self.spent: dict[int, int] = {}
        self.lowest: dict[int, int] = {}  # minute -> lowest Remaining after a bot request
        self.refused = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            minute = int(self.clock.now // 60)
            spent = self.spent.setdefault(minute, self.others)
            limit_name = "X-Rate-Limit" if self.prefix == "X-Rate-Limit" else f"{self.prefix}-Limit"
            headers = {limit_name: str(self.limit), f"{self.prefix}-Reset": str((minute + 1) * 60)}
            if spent >= self.limit:
                self.refused += 1
                headers["Retry-After"] = str(int((minute + 1) * 60 - self.clock.now) + 1)
                headers[f"{self.prefix}-Remaining"] = "0"
                error = {"error": {"code": "ERR_TOO_MANY_REQUESTS"}}
                return httpx.Response(429, json=error, headers=headers)
            self.spent[minute] = spent + 1
            remaining = self.limit - spent - 1
            self.lowest[minute] = min(self.lowest.get(minute, remaining), remaining)
            headers[f"{self.prefix}-Remaining"] = str(remaining)
        answer = self.fake.handle(request)
        return httpx.Response(answer.status_code, content=answer.content, headers=headers)


@pytest.mark.parametrize("spelling", ["X-RateLimit", "X-Rate-Limit"])
def test_an_export_never_meets_a_429_and_leaves_the_reserve(spelling):
    fake = FakeCometChat()
    fake.add_group("g", banned=4_000)  # 40 pages: more than one minute's bulk budget
    clock = VirtualClock()
    limit = PerMinuteLimit(fake, clock, limit=40, others=6, spelling=spelling)
    out = io.BytesIO()

    stats = write_banned_csv(client(fake, clock=clock, reserve=0.5, handler=limit), "g", out)

    assert stats.rows == 4_000 and stats.complete
    assert limit.refused == 0  # never pushed CometChat into a 429
    assert min(limit.lowest.values()) >= 20  # half of each minute's 40 was left to others
    assert len(limit.spent) >= 3  # it waited for new minutes instead of pushing on
    assert uids(out.getvalue()) == [u["uid"] for u in fake.banned["g"]]


def test_a_429_pauses_every_bulk_read_but_not_a_persons_page():
    fake = FakeCometChat()
    fake.add_group("g", banned=300)
    clock = VirtualClock()
    answered: list[tuple[float, int, str]] = []

    def once_limited(rec: Recorded):
        if rec.path.endswith("/bannedusers"):
            answered.append((clock.now, page_of(rec), rec.query.get("perPage", ["?"])[0]))
            if len(answered) == 1:
                return 429, {"error": {"code": "ERR_TOO_MANY_REQUESTS"}}, {"Retry-After": "7"}
        return None

    fake.interceptor = once_limited
    cometchat = client(fake, clock=clock, retry=RetryPolicy(attempts=1))
    with pytest.raises(RateLimited):  # one export's read is refused…
        cometchat.list_banned_users("g", page=2, per_page=100, bulk=True)
    # …a person's page goes at once…
    cometchat.list_banned_users("g", page=1, per_page=10)
    assert answered[-1] == (NOW, 1, "10")
    # …and another walk (a search) waits out the whole Retry-After before its first read.
    search_banned(cometchat, "g", "user-299")
    assert all(at >= NOW + 7 for at, _, per_page in answered[2:])
    assert len(answered) == 2 + 3


def test_a_persons_page_does_not_wait_behind_a_running_export():
    fake = FakeCometChat()
    fake.add_group("g", banned=3_000)
    release = threading.Event()
    stuck = threading.Barrier(3, timeout=WAIT)  # two export reads and this test
    timed_out: list[int] = []

    def hold(rec: Recorded):
        if rec.query.get("perPage") == ["100"] and page_of(rec) in (2, 3):
            stuck.wait()  # the export's reads are all in flight…
            if not release.wait(WAIT):  # …and stay there until the person has been served
                timed_out.append(page_of(rec))

    fake.interceptor = InFlight(hold)
    # The whole process's bulk slots are taken by this export.
    cometchat = client(fake, max_parallel=2, total=2)
    export = threading.Thread(target=write_banned_csv, args=(cometchat, "g", io.BytesIO()))
    export.start()
    try:
        stuck.wait()
        page = cometchat.list_banned_users("g", page=3, per_page=10)  # a Next click
        assert page.users[0].uid == "user-021"
    finally:
        release.set()
        export.join(WAIT)
    assert not export.is_alive() and timed_out == []


# -- progress ----------------------------------------------------------------------------------


def test_progress_is_told_a_few_times_and_only_for_a_long_export():
    clock = FakeClock()
    told: list[tuple[float, int, int | None]] = []
    notes = ProgressNotes(
        lambda rows, total: told.append((clock.now, rows, total)), clock=clock, after=3, every=10
    )
    for rows in range(100, 20_001, 100):  # a page every half second
        notes(rows, 20_000)
        clock.now += 0.5
    assert told == [(3.0, 700, 20_000), (13.0, 2_700, 20_000)]

    quick = FakeClock()
    silent: list[int] = []
    short = ProgressNotes(lambda rows, total: silent.append(rows), clock=quick)
    for rows in range(100, 2_001, 100):
        short(rows, 2_000)
        quick.now += 0.1
    assert silent == []


def test_the_export_reports_rows_read_of_the_total_the_list_announced():
    fake = FakeCometChat()
    fake.add_group("g", banned=250)
    told: list[tuple[int, int | None]] = []
    write_banned_csv(
        client(fake), "g", io.BytesIO(), progress=lambda rows, total: told.append((rows, total))
    )
    assert told == [(100, 250), (200, 250), (250, 250)]


def test_a_long_export_says_how_far_it_is_twice_then_how_long_it_took():
    """Each page takes a virtual second: 40 pages, so two progress messages (after 3 s, then
    10 s later) between "Exporting…" and the outcome: four of a response_url's five uses."""
    clock = VirtualClock()
    fake = FakeCometChat()
    fake.add_group("g", "Big", banned=4_000)

    def slow(rec: Recorded):
        if rec.path.endswith("/bannedusers"):
            clock.sleep(1.0)

    fake.interceptor = slow
    with harness(fake, clock=clock, sleep=clock.sleep) as h:
        h.click(ACTION_EXPORT, PageCursor(guid="g", page=1, per_page=10).encode())
        h.settle()
        texts = [m["text"] for m in h.slack.responses()]
        (upload,) = h.slack.uploads()

    assert len(texts) == 4, texts
    assert "Exporting" in texts[0]
    assert all("Still exporting" in t and "of 4,000 banned users read" in t for t in texts[1:3])
    assert "*4,000* banned users" in texts[3] and "It took" in texts[3]
    assert len(uids(upload.raw)) == 4_000
