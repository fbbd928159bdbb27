"""A raid alert's age look-ups on their own (bot.usecases.raid_ages), one at a time so the order
is the test's: what an answer leaves on the joins, and a drawing's look-ups dropped once one goes
unanswered. CometChat is an httpx.MockTransport; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
from pydantic import SecretStr
from sqlalchemy import select

from bot.cometchat import CometChatClient
from bot.domain.raids import Joiner, RaidAlert
from bot.store.raids import Raids
from bot.store.tables import group_joins
from bot.usecases.raid_ages import AccountAges
from tests.support.fakes.clock import FakeClock

GUID = "cometchat-guid-1"


def ages(engine, clock, answer: Callable[[str], httpx.Response]) -> tuple[AccountAges, list[str]]:
    """Look-ups one at a time against `answer` (by uid); the uids asked, in order."""
    asked: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        uid = request.url.path.rsplit("/", 1)[-1]
        asked.append(uid)
        return answer(uid)

    cometchat_clock = FakeClock()
    client = CometChatClient(
        "https://testapp.api-us.cometchat.io/v3",
        SecretStr("cc-key"),
        transport=httpx.MockTransport(handle),
        sleep=cometchat_clock.sleep,
        clock=cometchat_clock,
    )
    return AccountAges(client, Raids(engine, clock), in_flight=1), asked


def raid_of(engine, clock, uids: list[str]) -> RaidAlert:
    """Joins a second apart, the last one now."""
    start = clock() - timedelta(seconds=len(uids))
    Raids(engine, clock).record(
        GUID, [Joiner(uid, uid, start + timedelta(seconds=n + 1)) for n, uid in enumerate(uids)]
    )
    return RaidAlert(
        guid=GUID,
        raid="r-1",
        group_name="Hiking Group",
        started_at=start,
        last_raid_at=clock(),
        last_join_at=clock(),
    )


def kept(engine) -> dict[str, tuple]:
    j = group_joins
    with engine.begin() as conn:
        rows = conn.execute(select(j.c.uid, j.c.created_at, j.c.looked_up_at)).all()
    return {r.uid: (r.created_at, r.looked_up_at is not None) for r in rows}


def test_what_cometchat_says_is_kept_and_nobody_is_asked_twice(engine, clock):
    made = int((clock() - timedelta(hours=2)).timestamp())

    def answer(uid: str) -> httpx.Response:
        if uid == "ghost":
            return httpx.Response(404, json={"error": {"code": "ERR_UID_NOT_FOUND"}})
        data = {"uid": uid} if uid == "no-date" else {"uid": uid, "createdAt": made}
        return httpx.Response(200, json={"data": data})

    looking, asked = ages(engine, clock, answer)
    alert = raid_of(engine, clock, ["young", "ghost", "no-date"])

    looking.look_up(alert)
    looking.look_up(alert)

    assert asked == ["no-date", "ghost", "young"]  # newest first, once each
    assert kept(engine) == {
        "young": (clock() - timedelta(hours=2), True),
        "ghost": (None, True),  # CometChat has no such user: still unknown, not asked again
        "no-date": (None, True),
    }


def test_once_a_look_up_goes_unanswered_the_drawings_others_wait_for_the_next(engine, clock):
    down = True

    def answer(uid: str) -> httpx.Response:
        if down:
            return httpx.Response(503)
        return httpx.Response(200, json={"data": {"uid": uid, "createdAt": 1_700_000_000}})

    looking, asked = ages(engine, clock, answer)
    alert = raid_of(engine, clock, ["a", "b", "c"])

    looking.look_up(alert)
    assert asked == ["c"]  # tried once, not retried; b and a not sent
    assert all(row == (None, False) for row in kept(engine).values())

    down = False
    looking.look_up(alert)
    assert asked == ["c", "c", "b", "a"]
    assert all(looked for _created, looked in kept(engine).values())
