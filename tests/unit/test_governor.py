"""The bulk-read governor on its own: what it learns from CometChat's rate-limit headers, when it
holds a bulk read back and for how long. Virtual time: its `sleep` advances the clock at once."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from bot.cometchat import CometChatClient, RateLimited
from bot.cometchat.governor import BulkGovernor
from tests.support.fakes.clock import FakeClock

NOW = 1_700_000_000.0  # virtual unix time, so Reset headers read as unix times


def governor(reserve: float = 0.5) -> tuple[BulkGovernor, FakeClock]:
    clock = FakeClock()
    clock.now = NOW
    return BulkGovernor(reserve=reserve, clock=clock, sleep=clock.sleep, wall=clock), clock


def take(gov: BulkGovernor) -> None:
    with gov.bulk_read():
        pass


@pytest.mark.parametrize(
    "names",
    [
        ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"),
        ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"),
        ("X-Rate-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"),
    ],
    ids=["RateLimit", "Rate-Limit", "Rate-Limit-bare"],
)
def test_bulk_reads_stop_at_the_reserve_until_the_reset_whatever_the_spelling(names):
    gov, clock = governor(reserve=0.5)
    limit, remaining, reset = names
    gov.observe({limit.lower(): "100", remaining.lower(): "53", reset.lower(): str(int(NOW) + 40)})
    take(gov)
    take(gov)  # 53 -> 51: still above half of 100
    assert clock.sleeps == []
    take(gov)  # 51 -> 50: the last one the reserve (50 of 100) allows
    assert clock.sleeps == []
    take(gov)  # at the floor: waits for the reset, then the new minute's budget
    assert clock.sleeps == [pytest.approx(40)]


def test_answers_out_of_order_never_raise_the_count_within_a_minute():
    gov, clock = governor()
    reset = str(int(NOW) + 30)
    gov.observe(
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "5", "x-ratelimit-reset": reset}
    )
    gov.observe(
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "9", "x-ratelimit-reset": reset}
    )
    take(gov)  # the count is still 5, the floor 5: wait
    assert clock.sleeps == [pytest.approx(30)]


def test_a_later_reset_starts_a_new_minute_with_its_own_count():
    gov, clock = governor()
    gov.observe(
        {
            "x-ratelimit-limit": "10",
            "x-ratelimit-remaining": "5",
            "x-ratelimit-reset": str(int(NOW)),
        }
    )
    gov.observe(
        {
            "x-ratelimit-limit": "10",
            "x-ratelimit-remaining": "9",
            "x-ratelimit-reset": str(int(NOW) + 60),
        }
    )
    take(gov)
    assert clock.sleeps == []


def test_without_a_reset_header_a_bulk_read_at_the_floor_waits_out_a_minute():
    gov, clock = governor()
    gov.observe({"x-rate-limit": "10", "x-rate-limit-remaining": "5"})
    take(gov)
    assert clock.sleeps == [pytest.approx(60)]


def test_a_pause_holds_every_bulk_read_until_it_ends():
    gov, clock = governor()
    gov.pause(7)
    take(gov)
    assert clock.now == pytest.approx(NOW + 7)
    take(gov)  # over: no more waiting
    assert clock.sleeps == [pytest.approx(7)]


def test_no_headers_no_waiting():
    gov, clock = governor()
    gov.observe({"content-type": "application/json"})
    for _ in range(1000):
        take(gov)
    assert clock.sleeps == []


@pytest.mark.parametrize("bad", ["-5", "1e3", "", "x", "9" * 40])
def test_garbled_headers_are_ignored(bad):
    gov, clock = governor()
    gov.observe({"x-ratelimit-limit": bad, "x-ratelimit-remaining": bad})
    take(gov)
    assert clock.sleeps == [] and gov.floor() is None


def test_a_refused_write_pauses_bulk_reads_and_its_headers_count():
    gov, clock = governor()
    headers = {"Retry-After": "9", "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0"}
    client = CometChatClient(
        "https://cometchat.test/v3",
        SecretStr("k"),
        transport=httpx.MockTransport(lambda r: httpx.Response(429, headers=headers, json={})),
        governor=gov,
        sleep=clock.sleep,
        clock=clock,
    )
    with pytest.raises(RateLimited):
        client.ban("g", "u")
    take(gov)  # paused for the Retry-After, then at the floor (0 of 10 left) until a new minute
    assert clock.sleeps[0] == pytest.approx(9) and len(clock.sleeps) == 2


def test_an_answer_counts_the_bulk_reads_still_in_flight_as_spent():
    """At a minute's turn the governor assumes the whole budget; the first answer shows what the
    app's users spent, but only as of that request: the reads still in flight come on top."""
    gov, clock = governor(reserve=0.5)
    reset = str(int(NOW) + 30)
    headers = {"x-ratelimit-limit": "40", "x-ratelimit-reset": reset}
    with gov.bulk_read(), gov.bulk_read(), gov.bulk_read():
        # Another read's answer: 26 left when it was served, three more reads on their way.
        gov.observe({**headers, "x-ratelimit-remaining": "26"})
    take(gov)  # 23 left at most -> 22
    take(gov)  # -> 21
    take(gov)  # -> 20: the floor
    assert clock.sleeps == []
    take(gov)
    assert clock.sleeps == [pytest.approx(30)]
