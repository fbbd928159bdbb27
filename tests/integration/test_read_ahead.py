"""Next without waiting: page N+1 is read in the background once page N is answered, and a click
on Next is answered from it while it is fresh (read within 30 s, no event of that group since).

Time is virtual (the CometChat clock); the read ahead is awaited with `settle`, never a sleep.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.slack.banned_page import ACTION_NEXT
from tests.conftest import GUID
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.cometchat import FakeCometChat, Recorded
from tests.support.harness import Harness, harness


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def h(cometchat: FakeCometChat, clock: FakeClock) -> Iterator[Harness]:
    with harness(cometchat, clock=clock, sleep=clock.sleep, read_ahead=True) as built:
        yield built


def reads_of_page(h: Harness, page: int, guid: str = GUID) -> int:
    return sum(
        1
        for r in h.cometchat.requests
        if r.path == f"/v3/groups/{guid}/bannedusers" and r.query["page"] == [str(page)]
    )


def next_value(message: dict) -> str:
    (value,) = [
        element["value"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id") == ACTION_NEXT
    ]
    return value


def first_page_then_read_ahead(h: Harness) -> dict:
    first = h.command(GUID)
    assert first.ack is not None and "57 users banned" in first.ack["text"]
    assert h.services.lists.ahead is not None
    assert h.services.lists.ahead.settle(10)
    return first.ack


def click_next(h: Harness, message: dict) -> dict:
    (answer,) = h.click(ACTION_NEXT, next_value(message)).messages
    return answer


def page_as_read_at_the_click(cometchat: FakeCometChat, message: dict) -> dict:
    """The same click answered by a bot that reads nothing ahead."""
    with harness(cometchat, read_ahead=False) as plain:
        (answer,) = plain.click(ACTION_NEXT, next_value(message)).messages
    return answer


def test_next_is_answered_from_the_page_read_ahead_and_says_the_same(h, cometchat):
    first = first_page_then_read_ahead(h)
    assert reads_of_page(h, 2) == 1  # read once, in the background

    answer = click_next(h, first)

    assert reads_of_page(h, 2) == 1  # the click sent no request of its own
    assert "page 2 of 6" in str(answer["blocks"])
    expected = page_as_read_at_the_click(cometchat, first)
    assert (answer["text"], answer["blocks"]) == (expected["text"], expected["blocks"])


def test_each_answered_page_reads_the_one_after_it(h):
    message = first_page_then_read_ahead(h)
    for page in range(2, 7):
        message = click_next(h, message)
        assert h.services.lists.ahead.settle(10)
        assert reads_of_page(h, page) == 1
    assert reads_of_page(h, 7) == 0  # the last page has no page after it to read


def test_a_page_read_ahead_more_than_30_s_ago_is_read_again(h, clock):
    first = first_page_then_read_ahead(h)
    clock.now += 30.0

    answer = click_next(h, first)

    assert reads_of_page(h, 2) == 2
    assert "page 2 of 6" in str(answer["blocks"])


def test_a_page_read_ahead_is_not_used_once_an_event_of_that_group_is_recorded(h, cometchat):
    first = first_page_then_read_ahead(h)
    # Another worker hears that user-003 was unbanned in the chat app: page 2 has shifted.
    cometchat.banned[GUID] = [u for u in cometchat.banned[GUID] if u["uid"] != "user-003"]
    h.services.store.record(
        ModerationEvent(
            guid=GUID,
            uid="user-003",
            action=ModerationAction.UNBAN,
            source=EventSource.WEBHOOK,
            at=datetime.now(UTC),
            actor="cometchat-admin",
        )
    )

    answer = click_next(h, first)

    assert reads_of_page(h, 2) == 2
    assert "user-011" not in str(answer["blocks"])  # now the last user of page 1
    expected = page_as_read_at_the_click(cometchat, first)
    assert (answer["text"], answer["blocks"]) == (expected["text"], expected["blocks"])


def test_an_event_in_another_group_leaves_the_page_read_ahead_fresh(h):
    first = first_page_then_read_ahead(h)
    h.services.store.record(
        ModerationEvent(
            guid="empty-group",
            uid="user-900",
            action=ModerationAction.BAN,
            source=EventSource.WEBHOOK,
            at=datetime.now(UTC),
        )
    )

    click_next(h, first)

    assert reads_of_page(h, 2) == 1


def test_reading_ahead_never_spends_the_rate_limit_reserve(cometchat, clock):
    # Half of the minute's budget is kept for people (COMETCHAT_RESERVE=0.5): 50 of 100 left.
    def at_the_reserve(request: httpx.Request) -> httpx.Response:
        answer = cometchat.handle(request)
        answer.headers.update({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "50"})
        return answer

    transport = httpx.MockTransport(at_the_reserve)
    with harness(
        cometchat, transport=transport, clock=clock, sleep=clock.sleep, read_ahead=True
    ) as h:
        first = first_page_then_read_ahead(h)
        assert reads_of_page(h, 2) == 0  # not sent: it would have dipped into the reserve

        answer = click_next(h, first)  # a person's click is never held back

    assert reads_of_page(h, 2) == 1
    assert "page 2 of 6" in str(answer["blocks"])
    assert clock.sleeps == []  # and nothing waited for the budget


def test_a_read_ahead_that_fails_leaves_the_click_to_read_the_page(cometchat, clock):
    failed: list[Recorded] = []

    def first_page_two_fails(rec: Recorded) -> tuple[int, object, dict] | None:
        if rec.query.get("page") == ["2"] and not failed:
            failed.append(rec)
            return 500, {"error": {"code": "ERR_INTERNAL"}}, {}
        return None

    cometchat.interceptor = first_page_two_fails
    with harness(cometchat, clock=clock, sleep=clock.sleep, read_ahead=True) as h:
        first = first_page_then_read_ahead(h)
        assert len(failed) == 1 and clock.sleeps == []  # tried once, never retried

        answer = click_next(h, first)

    assert reads_of_page(h, 2) == 2
    assert "page 2 of 6" in str(answer["blocks"])
