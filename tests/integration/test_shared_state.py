"""What governs every process is kept in the database: two apps built on one database (as two
gunicorn workers or two dynos are) see each other's export and scan slots, recent scans and Home
tab viewers; a slot whose holder died frees itself; and with the database gone, each process
still bounds its own work. On SQLite and on PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.domain.button_values import PageCursor
from bot.domain.errors import ExportRunning, ExportsBusy
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.domain.slots import Denied
from bot.slack.list_tools import ACTION_EXPORT
from bot.store import build_engine
from bot.store.leases import WorkLeases
from bot.usecases.export import ExportSlots
from tests.integration.test_where import UID, groups
from tests.support.clock import UtcClock
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import FakeSlack, home_opened_body
from tests.support.harness import MODERATOR, Harness, Reply, harness, running_slack
from tests.support.hold import Hold

GUID = "cometchat-guid-1"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PUBLISH = "/api/views.publish"


class UnixClock:
    """The Home tab's clock (Unix seconds), moved by the test; both apps read the same one."""

    def __init__(self) -> None:
        self.now = T0.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def two_apps(
    database, engines: Callable[[], Engine]
) -> Iterator[Callable[..., tuple[Harness, Harness]]]:
    """Builds two apps on the run's database (emptied by `engines`), each with its own pool,
    job queue and CometChat fake, as two workers have."""
    _backend, url = database
    with ExitStack() as stack:

        def build(first: FakeCometChat, second: FakeCometChat, **shared) -> tuple[Harness, Harness]:
            a = stack.enter_context(harness(first, database_url=url, **shared))
            b = stack.enter_context(harness(second, database_url=url, **shared))
            return a, b

        yield build


def _list(banned: int = 30) -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=banned)
    return fake


def _export(h: Harness, user: str):
    return h.click(ACTION_EXPORT, PageCursor(guid=GUID, page=1, per_page=10).encode(), user_id=user)


def test_an_export_running_in_one_worker_refuses_the_same_persons_second_in_another(two_apps):
    a_fake, b_fake = _list(), _list()
    a, b = two_apps(a_fake, b_fake)
    hold = Hold(a_fake)
    _export(a, MODERATOR)
    hold.wait_held(1)

    refused = _export(b, MODERATOR)

    assert "You already have an export running" in _said(refused)
    assert b_fake.requests == []  # refused before any read
    assert b.services.exports.running == 1  # b counts the export a runs
    hold.release()
    a.settle()
    assert a.services.exports.running == 0 and b.services.exports.running == 0
    assert "You already have an export running" not in _said(_export(b, MODERATOR))
    b.settle()


def test_the_app_wide_export_limit_counts_both_workers(two_apps):
    a_fake, b_fake = _list(), _list()
    a, b = two_apps(a_fake, b_fake)
    hold_a, hold_b = Hold(a_fake), Hold(b_fake)
    _export(a, "U0A")
    _export(b, "U0B")
    hold_a.wait_held(1)
    hold_b.wait_held(1)

    refused = _export(a, "U0C")

    assert "2 exports are already running" in _said(refused)
    hold_a.release()
    hold_b.release()
    a.settle()
    b.settle()


def test_a_scan_recorded_by_one_worker_answers_the_next_lookup_in_another(two_apps):
    a_fake, b_fake = groups(3, banned_in=(1,)), groups(3, banned_in=(1,))
    a, b = two_apps(a_fake, b_fake)
    a.command(f"user {UID}")
    a.settle()
    assert a_fake.requests  # a scanned every group

    reply = b.command(f"user {UID}")
    b.settle()

    assert "no new scan was started" in _said(reply)
    assert "g-001" in _said(reply)  # the history a's scan recorded
    assert b_fake.requests == []


def test_one_scan_in_the_app_whichever_worker_is_asked(two_apps):
    a_fake, b_fake = groups(2), groups(2)
    a, b = two_apps(a_fake, b_fake)
    gate = threading.Event()
    entered = threading.Event()

    def hold(rec):
        if rec.path.endswith("/bannedusers"):
            entered.set()
            assert gate.wait(10)

    a_fake.interceptor = hold
    try:
        a.command(f"user {UID}", user_id="U0A")
        assert entered.wait(10)

        reply = b.command("user someone-else", user_id="U0B")

        assert "Someone else's scan of every group is running" in _said(reply)
        assert b_fake.requests == []
        assert b.services.scans.running == 1
    finally:
        gate.set()
    a.settle()
    b.settle()


def test_an_event_recorded_by_one_worker_refreshes_a_home_tab_opened_through_another(
    two_apps,
):
    clock = UnixClock()
    with running_slack() as slack:
        a, b = two_apps(FakeCometChat(), FakeCometChat(), slack=slack, home_clock=clock)
        assert a.signed_json(home_opened_body(MODERATOR)).status == 200
        a.settle()
        assert _publishes(slack) == 1
        clock.now += 61  # past the once-a-minute limit

        b.services.store.record(_event(ModerationAction.BAN))
        b.settle()

        assert _publishes(slack) == 2  # b refreshed the viewer a served
        assert b.deferred == [] and a.deferred == []


def test_a_burst_across_workers_defers_one_refresh_for_the_whole_app(two_apps):
    clock = UnixClock()
    with running_slack() as slack:
        a, b = two_apps(FakeCometChat(), FakeCometChat(), slack=slack, home_clock=clock)
        a.signed_json(home_opened_body(MODERATOR))
        a.settle()
        clock.now += 5
        b.signed_json(home_opened_body(MODERATOR))  # opened again, through the other worker
        b.settle()
        clock.now += 10  # inside the minute since the last publish
        for h in (a, b, a, b):
            h.services.store.record(_event(ModerationAction.KICK))
        deferred = a.deferred + b.deferred
        assert len(deferred) == 1  # one deferred refresh, in whichever worker claimed it
        ((delay, refresh),) = deferred
        assert delay == pytest.approx(50)  # a minute after the last publish, through b
        clock.now += delay
        refresh()
        a.settle()
        b.settle()
        assert _publishes(slack) == 3  # two opens, one refresh


def _event(action: ModerationAction) -> ModerationEvent:
    return ModerationEvent(
        guid=GUID, uid="user-001", action=action, source=EventSource.COMMAND, at=T0
    )


def _said(reply: Reply) -> str:
    """Everything the person was shown: texts and blocks, of the ack and each later message."""
    return json.dumps(reply.messages)


def _publishes(slack: FakeSlack) -> int:
    return sum(1 for r in slack.received if r.path == PUBLISH)


# -- the leases themselves -------------------------------------------------------------------


def test_a_slot_held_by_a_worker_that_died_frees_itself_when_its_lease_ends(engines):
    clock = UtcClock(T0)
    dead = ExportSlots(WorkLeases(engines(), clock=clock), limit=1, budget=60)
    alive = ExportSlots(WorkLeases(engines(), clock=clock), limit=1, budget=60)
    dead.take("U1")  # and never released: the worker was killed

    with pytest.raises(ExportsBusy):
        alive.take("U2")
    with pytest.raises(ExportRunning):
        alive.take("U1")
    clock.advance(timedelta(seconds=60) + timedelta(minutes=5))  # the budget and the upload's
    alive.take("U2")
    dead.release("U1")  # the old holder's late release leaves the new lease alone
    with pytest.raises(ExportsBusy):
        alive.take("U3")


def test_racing_workers_never_take_more_slots_than_the_limit(engines):
    books = [WorkLeases(engines()) for _ in range(8)]
    start = threading.Barrier(len(books))
    got: list[str | Denied] = []

    def take(book: WorkLeases, person: str) -> None:
        start.wait(10)
        got.append(book.take("export", person, limit=2, ttl=timedelta(minutes=1)))

    threads = [
        threading.Thread(target=take, args=(book, f"U{n % 6}")) for n, book in enumerate(books)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(got) == 8
    assert sum(not isinstance(g, Denied) for g in got) == 2  # a token each, no more
    assert books[0].held("export") == 2


def test_with_the_database_unreachable_each_process_still_bounds_its_own_work(caplog):
    # Nothing listens on port 1: the connection is refused, as by a database that is down.
    engine = build_engine(
        "postgresql://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    slots = ExportSlots(WorkLeases(engine), limit=1, budget=60)
    try:
        slots.take("U1")
        with pytest.raises(ExportRunning):
            slots.take("U1")
        with pytest.raises(ExportsBusy):
            slots.take("U2")
        assert slots.running == 1
        slots.release("U1")
        slots.take("U2")
    finally:
        engine.dispose()
    assert any("outcome=local" in r.getMessage() for r in caplog.records)
