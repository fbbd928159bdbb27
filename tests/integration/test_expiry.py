"""Temporary bans end by themselves, exactly once, whatever the number of processes."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from bot.cometchat import CometChatClient
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.store import ModerationStore
from bot.usecases.expiry import BACKOFF, ExpiryLoop, ExpiryScheduler, ExpiryStatus
from tests.support.clock import UtcClock

GUID, UID = "cometchat-guid-1", "cometchat-uid-7"
BASE = "https://cometchat.test/v3"


class CountingCometChat:
    """A MockTransport handler for DELETE …/bannedusers/{uid} that counts the calls, answering
    as CometChat does: banned -> 200, not banned -> ERR_NOT_A_BANNED_USER, or a 500 if told."""

    def __init__(self, banned: set[tuple[str, str]]):
        self.banned = set(banned)
        self.deletes: list[tuple[str, str]] = []
        self.failing = False
        self._lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        guid, uid = parts[-3], parts[-1]
        assert request.method == "DELETE" and parts[-2] == "bannedusers"
        with self._lock:
            self.deletes.append((guid, uid))
            if self.failing:
                return httpx.Response(500, json={"error": {"code": "ERR_INTERNAL"}})
            if (guid, uid) not in self.banned:
                return httpx.Response(
                    400, json={"error": {"code": "ERR_NOT_A_BANNED_USER", "message": "no"}}
                )
            self.banned.discard((guid, uid))
        return httpx.Response(200, json={"data": {"success": True}})

    def client(self) -> CometChatClient:
        return CometChatClient(BASE, SecretStr("key"), transport=httpx.MockTransport(self.handle))


def temporary_ban(clock, uid=UID, hours=24, reason="spamming links") -> ModerationEvent:
    return ModerationEvent(
        guid=GUID,
        uid=uid,
        name="Seven",
        action=ModerationAction.BAN,
        source=EventSource.COMMAND,
        actor="UALICE",
        reason=reason,
        at=clock(),
        ends_at=clock() + timedelta(hours=hours),
    )


@pytest.fixture
def clock() -> UtcClock:
    return UtcClock()


def test_an_expired_ban_is_lifted_recorded_and_reported(engine, clock):
    cometchat = CountingCometChat({(GUID, UID)})
    store = ModerationStore(engine, clock=clock)
    ban = store.record(temporary_ban(clock))
    scheduler = ExpiryScheduler(store, cometchat.client(), clock=clock)

    assert scheduler.tick() == []  # not due yet
    clock.advance(timedelta(hours=24))
    [outcome] = scheduler.tick()

    assert outcome.status is ExpiryStatus.UNBANNED and outcome.done
    assert outcome.ban == ban  # who banned, why, for how long: for the audit line
    assert outcome.event is not None and outcome.event.action is ModerationAction.EXPIRE
    assert cometchat.deletes == [(GUID, UID)]
    assert scheduler.tick() == []
    assert cometchat.deletes == [(GUID, UID)]  # never sent again after a success


def test_not_banned_any_more_counts_as_done(engine, clock):
    cometchat = CountingCometChat(set())  # unbanned in CometChat's dashboard, unheard of
    store = ModerationStore(engine, clock=clock)
    store.record(temporary_ban(clock, hours=1))
    clock.advance(timedelta(hours=1))

    [outcome] = ExpiryScheduler(store, cometchat.client(), clock=clock).tick()

    assert outcome.status is ExpiryStatus.NOT_BANNED and outcome.done
    assert store.pending_expiry(GUID, UID) is None


def test_a_failure_is_retried_with_back_off_until_it_succeeds(engine, clock):
    cometchat = CountingCometChat({(GUID, UID)})
    cometchat.failing = True
    store = ModerationStore(engine, clock=clock)
    store.record(temporary_ban(clock, hours=1))
    clock.advance(timedelta(hours=1))
    scheduler = ExpiryScheduler(store, cometchat.client(), clock=clock)

    [failed] = scheduler.tick()
    assert failed.status is ExpiryStatus.FAILED
    assert failed.retry_at == clock() + BACKOFF[0]
    assert scheduler.tick() == []  # backing off
    clock.advance(BACKOFF[0])
    [again] = scheduler.tick()
    assert again.retry_at == clock() + BACKOFF[1]  # longer each time

    cometchat.failing = False
    clock.advance(BACKOFF[1])
    [done] = scheduler.tick()
    assert done.status is ExpiryStatus.UNBANNED
    assert len(cometchat.deletes) == 3
    assert store.pending_expiry(GUID, UID) is None


def test_an_unban_by_hand_cancels_the_expiry(engine, clock):
    cometchat = CountingCometChat({(GUID, UID)})
    store = ModerationStore(engine, clock=clock)
    store.record(temporary_ban(clock, hours=1))
    store.record(
        ModerationEvent(
            guid=GUID,
            uid=UID,
            action=ModerationAction.UNBAN,
            source=EventSource.BUTTON,
            actor="UBOB",
            at=clock(),
        )
    )
    clock.advance(timedelta(hours=2))
    assert ExpiryScheduler(store, cometchat.client(), clock=clock).tick() == []
    assert cometchat.deletes == []


def test_a_re_ban_replaces_the_expiry(engine, clock):
    cometchat = CountingCometChat({(GUID, UID)})
    store = ModerationStore(engine, clock=clock)
    store.record(temporary_ban(clock, hours=1))
    store.record(temporary_ban(clock, hours=48, reason="again"))
    scheduler = ExpiryScheduler(store, cometchat.client(), clock=clock)

    clock.advance(timedelta(hours=2))
    assert scheduler.tick() == []
    clock.advance(timedelta(hours=46))
    [outcome] = scheduler.tick()
    assert outcome.ban is not None and outcome.ban.reason == "again"
    assert cometchat.deletes == [(GUID, UID)]


@pytest.mark.parametrize("workers", [2, 4])
def test_processes_racing_for_one_expired_ban_send_one_delete(engines, clock, workers):
    """Each worker has its own engine (its own connections), as separate dynos would; a barrier
    lines up their ticks so they claim at the same moment."""
    cometchat = CountingCometChat({(GUID, f"u{n}") for n in range(10)})
    setup = ModerationStore(engines(), clock=clock)
    for n in range(10):
        setup.record(temporary_ban(clock, uid=f"u{n}", hours=1))
    clock.advance(timedelta(hours=1))
    schedulers = [
        ExpiryScheduler(ModerationStore(engines(), clock=clock), cometchat.client(), clock=clock)
        for _ in range(workers)
    ]
    barrier = threading.Barrier(workers)
    results: list[list] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = schedulers[index].tick()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(cometchat.deletes) == sorted((GUID, f"u{n}") for n in range(10))
    done = [o for result in results for o in result]
    assert sorted(o.expiry.uid for o in done) == sorted(f"u{n}" for n in range(10))
    assert all(o.status is ExpiryStatus.UNBANNED for o in done)
    assert len(setup.history(GUID, "u0").events) == 2  # the ban and one expiry


def test_an_expiry_missed_while_stopped_happens_at_start(engines, clock):
    cometchat = CountingCometChat({(GUID, UID)})
    ModerationStore(engines(), clock=clock).record(temporary_ban(clock, hours=1))
    clock.advance(timedelta(days=3))  # the bot was down when it fell due

    # A fresh process: new engine, new loop, long interval so only the start-up round can run.
    reported = threading.Event()
    outcomes: list = []

    def report(round_outcomes) -> None:
        outcomes.extend(round_outcomes)
        reported.set()

    scheduler = ExpiryScheduler(
        ModerationStore(engines(), clock=clock), cometchat.client(), clock=clock
    )
    loop = ExpiryLoop(scheduler, interval=3600, report=report)
    loop.start()
    try:
        assert reported.wait(timeout=10)
    finally:
        assert loop.stop(timeout=10)
    assert [o.status for o in outcomes] == [ExpiryStatus.UNBANNED]
    assert cometchat.deletes == [(GUID, UID)]
    assert not loop.running


def test_a_round_survives_a_broken_database(clock):
    class BrokenStore:
        def claim_due_expiries(self, **_kw):
            raise RuntimeError("database gone")

    loop = ExpiryLoop(ExpiryScheduler(BrokenStore(), CountingCometChat(set()).client()))  # type: ignore[arg-type]
    assert loop.run_once() == []
