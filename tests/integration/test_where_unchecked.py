"""A scan never invents an unban: a group whose banned list the scan could not read whole and
unchanged is reported "could not be checked", the history keeps its ban there and the ban's
pending expiry survives. Through the public paths (a signed `/banned user <uid>`, and
`python -m bot where <uid>`), on SQLite and on PostgreSQL (TEST_DATABASE_URL); CometChat is
FakeCometChat over MockTransport, told what to do at a given request, never timed."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli.where import main as where_main
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.store import ModerationStore
from tests.conftest import make_settings
from tests.integration.test_where import UID, dm_posts, groups, home_find_user, record
from tests.support.fakes.cometchat import FakeCometChat, Recorded, make_user
from tests.support.harness import harness
from tests.support.slack_limits import assert_valid_slack_post

SHIFTING = "g-001"  # where UID is banned, with a 7-day ban the history knows
ELSEWHERE = "g-000"  # where UID is banned too, unknown to the history
OTHERS = 250  # three pages of 100 in SHIFTING


def _bannedusers(rec: Recorded, guid: str) -> int | None:
    """The page number of a GET of `guid`'s banned list, else None."""
    if rec.method != "GET" or rec.path != f"/v3/groups/{guid}/bannedusers":
        return None
    return int(rec.query["page"][0])


def shifted_while_paged(fake: FakeCometChat) -> None:
    """UID is first on page 2; as page 2 is asked for, someone on page 1 is unbanned (by
    someone else, elsewhere): the list moves up by one and UID slips onto page 1, already read."""
    fake.banned[SHIFTING].insert(100, make_user(900, uid=UID, name="Troll Seven"))
    done = []

    def unban_someone_else(rec: Recorded) -> None:
        if _bannedusers(rec, SHIFTING) == 2 and not done:
            done.append(rec)
            with fake.lock:
                fake.banned[SHIFTING] = [u for u in fake.banned[SHIFTING] if u["uid"] != "user-005"]

    fake.interceptor = unban_someone_else


def past_the_page_cap(fake: FakeCometChat) -> None:
    """A list that never ends: every page full of others, as a server that never sends a short
    page would answer. UID is further on than any scan reads."""

    def endless(rec: Recorded):
        number = _bannedusers(rec, SHIFTING)
        if number is None:
            return None
        users = [{"uid": f"x{number}-{i}"} for i in range(100)]
        return 200, {"data": users, "meta": {"pagination": {"total": 10**6}}}, {}

    fake.interceptor = endless


def failing_mid_group(fake: FakeCometChat) -> None:
    """UID is on page 3; page 2 fails (a 5xx, with no retry budget left to try it again)."""
    fake.banned[SHIFTING].insert(220, make_user(900, uid=UID, name="Troll Seven"))

    def broken(rec: Recorded):
        if _bannedusers(rec, SHIFTING) == 2:
            return 500, {"error": {"code": "ERR_EXCEPTION", "message": "boom"}}, {}
        return None

    fake.interceptor = broken


@dataclass(frozen=True)
class Case:
    arrange: Callable[[FakeCometChat], None]
    slack_reason: str  # why, in the Slack answer
    cli_reason: str  # why, in the terminal


CASES = {
    "shifted": Case(
        shifted_while_paged,
        "its banned list changed while the scan was reading it",
        "its banned list changed while the scan was reading it",
    ),
    "page_cap": Case(
        past_the_page_cap,
        "its banned list is longer than a scan reads (100,000 users)",
        "its banned list is longer than a scan reads (100,000 users)",
    ),
    "read_failed": Case(
        failing_mid_group,
        "CometChat did not answer for it",
        "CometChat did not answer for it",
    ),
}


def cometchat(case: Case) -> FakeCometChat:
    fake = groups(3, banned_in=(0,))
    fake.banned[SHIFTING] = [make_user(i) for i in range(1, OTHERS + 1)]
    case.arrange(fake)
    return fake


def seven_day_ban(store: ModerationStore) -> datetime:
    """The history's ban of UID in SHIFTING, ending in seven days: its expiry is pending."""
    now = datetime.now(UTC).replace(microsecond=0)
    ends = now + timedelta(days=7)
    store.record(
        ModerationEvent(
            guid=SHIFTING,
            uid=UID,
            action=ModerationAction.BAN,
            source=EventSource.COMMAND,
            at=now - timedelta(hours=1),
            actor="UALICE",
            name="Troll Seven",
            ends_at=ends,
        )
    )
    assert store.pending_expiry(SHIFTING, UID) == ends
    return ends


def assert_history_kept(store: ModerationStore, ends: datetime) -> None:
    states = store.states_of(UID)
    assert states[SHIFTING].action is ModerationAction.BAN
    assert states[SHIFTING].source is EventSource.COMMAND  # no unban (nor anything) recorded
    assert store.pending_expiry(SHIFTING, UID) == ends  # the 7-day ban still ends on time
    # The other group's outcome stands on its own: recorded.
    assert states[ELSEWHERE].action is ModerationAction.BAN
    assert states[ELSEWHERE].source is EventSource.SCAN


@pytest.fixture
def database_url(database, engines) -> str:
    """The run's migrated database, SQLite or PostgreSQL (`engines` empties it)."""
    return database[1]


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def test_the_command_reports_the_group_unchecked_and_keeps_the_ban(case, database_url):
    fake = cometchat(case)
    # No retry budget to speak of: a failed read fails at once, without a back-off.
    with harness(fake, database_url=database_url, cometchat_retry_budget=0.001) as h:
        store = h.services.store
        ends = seven_day_ban(store)
        h.command(f"user {UID}")
        h.settle(timeout=60)
        scan = h.slack.responses()[-1]
        assert_history_kept(store, ends)
        for item in list(h.slack.received):
            assert_valid_slack_post(item.path, item.body)

    blocks = str(scan["blocks"])
    assert "1 group could not be checked" in scan["text"]
    assert "Could not be checked" in blocks and f"`{SHIFTING}`" in blocks
    assert case.slack_reason in blocks
    assert "the history's ban stands" in blocks
    assert "no longer banned" not in blocks
    assert "*Group 000*" in blocks  # found where it was read whole


def test_the_home_tabs_find_a_user_reports_the_group_unchecked_and_keeps_the_ban(database_url):
    fake = cometchat(CASES["shifted"])
    with harness(fake, database_url=database_url) as h:
        ends = seven_day_ban(h.services.store)
        home_find_user(h, UID)
        h.slack.wait_for(2, path_prefix="/api/chat.postMessage")
        h.settle()
        scan = dm_posts(h)[-1]
        assert_history_kept(h.services.store, ends)
    blocks = str(scan["blocks"])
    assert "Could not be checked" in blocks and f"`{SHIFTING}`" in blocks
    assert "no longer banned" not in blocks


def test_what_the_history_hears_during_a_scan_wins_even_when_timed_before_it(database_url):
    """A webhook's unban recorded while the scan reads, timed by CometChat before the scan
    started: newer by its id, so the scan's sighting of a ban is not recorded over it."""
    fake = groups(3, banned_in=(0, 1))
    heard = []

    def hear_an_unban(rec: Recorded) -> None:
        if _bannedusers(rec, SHIFTING) == 1 and not heard:
            # Timed by CometChat well before the scan started (record's T0 is in March).
            heard.append(record(h, SHIFTING, 1, ModerationAction.UNBAN, source=EventSource.WEBHOOK))

    fake.interceptor = hear_an_unban
    with harness(fake, database_url=database_url, cometchat_max_parallel=1) as h:
        h.command(f"user {UID}")
        h.settle()
        states = h.services.store.states_of(UID)
    assert heard
    assert states[SHIFTING].source is EventSource.WEBHOOK  # the scan left it alone
    assert states[ELSEWHERE].source is EventSource.SCAN  # and recorded the rest


def test_a_lookup_after_an_unchecked_scan_scans_again(database_url):
    fake = cometchat(CASES["shifted"])
    with harness(fake, database_url=database_url) as h:
        seven_day_ban(h.services.store)
        h.command(f"user {UID}")
        h.settle()
        again = h.command(f"user {UID}")
        h.settle()
    # The first scan could not check every group: the history is not enough to answer alone.
    assert again.ack and "Scanning every group" in str(again.ack["blocks"])


def test_the_cli_reports_the_group_unchecked_and_keeps_the_ban(case, database_url, engines):
    fake = cometchat(case)
    settings = make_settings(database_url=database_url, cometchat_retry_budget=0.001)
    store = ModerationStore(engines())
    ends = seven_day_ban(store)
    out, err = io.StringIO(), io.StringIO()

    status = where_main([UID], settings, transport=fake.transport(), store=store, out=out, err=err)

    assert status == 0, err.getvalue()
    scan = out.getvalue().split("From a scan")[1]
    assert " of all 3 groups (1 could not be checked): banned in 1 group" in scan
    assert "Could not be checked (1 group)" in scan
    assert f"Group 001 ({SHIFTING}): {case.cli_reason}; the history's ban stands" in scan
    assert "No longer banned" not in scan
    assert_history_kept(store, ends)
