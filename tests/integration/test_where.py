"""`/banned user <uid>` through the real app, as signed requests: the history's answer in the
ack, then the scan of every group posted to the response_url; CometChat is FakeCometChat (behind a
per-minute rate limit where it matters), time is virtual, the store the per-test SQLite file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.slack.home_blocks import ACTION_FIND_USER as ACTION_HOME
from bot.slack.moderation_blocks import ACTION_UNBAN
from bot.slack.text import date_token
from tests.integration.test_parallel_reads import PerMinuteLimit, VirtualClock
from tests.support.fakes.cometchat import FakeCometChat, Recorded, make_user
from tests.support.harness import MODERATOR, Harness, harness
from tests.support.slack_limits import assert_valid_ack, assert_valid_slack_post
from tests.support.slack_messages import buttons

UID = "troll-7"
VIEWER = "U0VIEWER"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WAIT = 5.0


def groups(count: int, *, banned_in: tuple[int, ...] = (), banned: int = 3) -> FakeCometChat:
    """`count` groups `g-000`…, each with `banned` others banned, and UID banned in `banned_in`."""
    fake = FakeCometChat()
    for i in range(count):
        fake.add_group(f"g-{i:03d}", f"Group {i:03d}", banned=banned)
        if i in banned_in:
            fake.banned[f"g-{i:03d}"].append(make_user(900, uid=UID, name="Troll Seven"))
    return fake


@pytest.fixture
def checked() -> Iterator[list[Harness]]:
    """Every harness a test appends is checked at the end: all it sent Slack was valid."""
    built: list[Harness] = []
    yield built
    for h in built:
        for item in list(h.slack.received):
            assert_valid_slack_post(item.path, item.body)


def record(h: Harness, guid: str, minute: int, action=ModerationAction.BAN, **extra):
    values: dict = {
        "guid": guid,
        "uid": UID,
        "action": action,
        "source": EventSource.COMMAND,
        "at": T0 + timedelta(minutes=minute),
        "actor": "UALICE",
        "name": "Troll Seven",
    }
    values.update(extra)
    return h.services.store.record(ModerationEvent(**values))


def cometchat_reads(fake: FakeCometChat) -> list[Recorded]:
    return [r for r in fake.requests if r.method == "GET"]


def test_history_answers_at_once_with_both_groups_then_the_scan_confirms(checked):
    fake = groups(3, banned_in=(0, 2))
    with harness(fake, viewer_user_ids=f"{MODERATOR},{VIEWER}") as h:
        checked.append(h)
        record(h, "g-000", 1, reason="spam <!channel>")
        record(h, "g-002", 2, source=EventSource.WEBHOOK, actor="cc-admin")
        record(h, "g-001", 3)
        record(h, "g-001", 4, ModerationAction.UNBAN)  # banned once, no longer

        reply = h.command(f"user {UID}")
        h.settle()
        scan = h.slack.responses()[-1]

    ack = reply.ack
    assert ack is not None
    assert_valid_ack(ack)
    text = str(ack["blocks"])
    assert "From the bot's history" in text
    assert "`g-000`" in text and "`g-002`" in text and "`g-001`" not in text
    assert date_token(int((T0 + timedelta(minutes=1)).timestamp())) in text
    assert "<@UALICE>" in text and "`cc-admin` (in CometChat)" in text
    assert "spam &lt;!channel&gt;" in text
    assert "Scanning every group" in text
    assert len(buttons(ack, ACTION_UNBAN)) == 2  # a moderator may unban from each
    # The scan agrees with the history: nothing new to record.
    assert "From a scan of all 3 groups" in str(scan["blocks"])
    assert "*Group 000*" in str(scan["blocks"]) and "*Group 002*" in str(scan["blocks"])
    assert len(buttons(scan, ACTION_UNBAN)) == 2
    assert "already knew" in str(scan["blocks"])


def test_a_viewer_sees_the_same_groups_without_unban_buttons(checked):
    fake = groups(2, banned_in=(1,))
    with harness(fake, viewer_user_ids=f"{MODERATOR},{VIEWER}") as h:
        checked.append(h)
        record(h, "g-001", 1)
        reply = h.command(f"user {UID}", user_id=VIEWER)
        h.settle()
        scan = h.slack.responses()[-1]
    assert reply.ack and "`g-001`" in str(reply.ack["blocks"])
    assert buttons(reply.ack, ACTION_UNBAN) == [] and buttons(scan, ACTION_UNBAN) == []


@pytest.mark.parametrize("spelling", ["X-RateLimit", "X-Rate-Limit"])
def test_an_empty_history_is_answered_by_a_scan_of_every_group_within_the_reserve(
    spelling, checked
):
    """250 groups (three pages of `GET /groups`), UID banned in two of them, one of whose lists
    is three pages long; CometChat allows 40 requests a minute, the app's users spend 6 of
    each: the scan never meets a 429 and leaves half of every minute to others."""
    fake = groups(250, banned_in=(5, 230))
    fake.banned["g-230"] = [make_user(i) for i in range(1, 251)]
    fake.banned["g-230"].insert(180, make_user(900, uid=UID, name="Troll Seven"))
    clock = VirtualClock()
    limit = PerMinuteLimit(fake, clock, limit=40, others=6, spelling=spelling)
    with harness(
        fake,
        transport=httpx.MockTransport(limit),
        clock=clock,
        sleep=clock.sleep,
        wall=clock,
        # One read at a time: in virtual time each sleeper moves the shared clock on, so reads
        # side by side can land in a later minute than the governor counted them in.
        cometchat_max_parallel=1,
    ) as h:
        checked.append(h)
        reply = h.command(f"user {UID}")
        h.settle(timeout=30)
        posts = h.slack.responses()
        bans = h.services.store.bans_of(UID)

    assert reply.ack and "knows of no group" in reply.ack["text"]
    scan, progress = posts[-1], posts[:-1]
    blocks = str(scan["blocks"])
    assert "From a scan of all 250 groups" in blocks
    assert "*Group 005*" in blocks and "*Group 230*" in blocks
    assert len(buttons(scan, ACTION_UNBAN)) == 2
    assert 1 <= len(progress) <= 2  # a response_url takes five messages: never more than three
    assert all("Still scanning" in p["text"] and "of 250 groups" in p["text"] for p in progress)
    group_pages = sorted(int(r.query["page"][0]) for r in fake.requests if r.path == "/v3/groups")
    assert group_pages == [1, 2, 3]
    assert limit.refused == 0  # never pushed CometChat into a 429
    assert min(limit.lowest.values()) >= 20  # half of each minute's 40 was left to others
    assert len(limit.spent) >= 3  # it waited for new minutes instead of pushing on
    # Recorded: the next lookup knows both groups.
    assert {(b.guid, b.source) for b in bans} == {
        ("g-005", EventSource.SCAN),
        ("g-230", EventSource.SCAN),
    }


def test_the_scan_reads_a_few_groups_at_once_never_more_than_max_parallel(checked):
    fake = groups(40, banned_in=(39,))
    fake.banned["g-007"] = [make_user(i) for i in range(1, 251)]  # three pages, one by one
    overlap = threading.Barrier(4, timeout=WAIT)  # broken (the test failed) unless 4 overlap
    lock, now, most = threading.Lock(), [0], [0]

    def count(rec: Recorded):
        if not rec.path.endswith("/bannedusers"):
            return None
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        try:
            if rec.path in {f"/v3/groups/g-00{i}/bannedusers" for i in range(4)}:
                overlap.wait()
        finally:
            with lock:
                now[0] -= 1
        return None

    fake.interceptor = count
    with harness(fake, cometchat_max_parallel=4) as h:
        checked.append(h)
        h.command(f"user {UID}")
        h.settle()
        scan = h.slack.responses()[-1]
    assert "*Group 039*" in str(scan["blocks"])
    assert most[0] == 4


def test_the_scan_is_recorded_and_the_next_lookup_asks_cometchat_nothing(checked):
    fake = groups(4, banned_in=(1, 3))
    with harness(fake) as h:
        checked.append(h)
        record(h, "g-002", 1)  # the history believes in a ban CometChat no longer has
        h.command(f"user {UID}")
        h.settle()
        scan = h.slack.responses()[-1]
        before = len(fake.requests)

        again = h.command(f"user {UID}")
        h.settle()
        after = len(fake.requests)
        states = h.services.store.states_of(UID)

    assert "no longer banned" in str(scan["blocks"]) and "`g-002`" in str(scan["blocks"])
    assert "3 changes" in str(scan["blocks"])
    assert states["g-002"].action is ModerationAction.UNBAN
    assert states["g-002"].source is EventSource.SCAN
    assert after == before  # answered from the history alone
    text = str(again.ack and again.ack["blocks"])
    assert "`g-001`" in text and "`g-003`" in text and "`g-002`" not in text
    assert "seen banned by a scan" in text and "no new scan" in text


def test_a_second_scan_while_one_runs_is_told_to_wait(checked):
    fake = groups(3, banned_in=(1,))
    release, reached = threading.Event(), threading.Event()

    def hold(rec: Recorded):
        if rec.path.endswith("/bannedusers"):
            reached.set()
            release.wait(WAIT)
        return None

    fake.interceptor = hold
    with harness(fake, viewer_user_ids=f"{MODERATOR},{VIEWER}") as h:
        checked.append(h)
        h.command(f"user {UID}")
        assert reached.wait(WAIT)
        mine = h.command(f"user {UID}")
        theirs = h.command("user someone-else", user_id=VIEWER)
        release.set()
        h.settle()
        scans = [p for p in h.slack.responses() if "From a scan" in str(p.get("blocks"))]

    assert mine.ack and "You already have a scan" in str(mine.ack["blocks"])
    assert "From the bot's history" in str(mine.ack["blocks"])  # the instant answer still comes
    assert theirs.ack and "Someone else's scan" in str(theirs.ack["blocks"])
    assert len(scans) == 1


def test_a_malformed_uid_gets_the_usual_message_and_nothing_is_looked_up(checked):
    fake = groups(2)
    with harness(fake) as h:
        checked.append(h)
        reply = h.command("user a/b")
        h.settle()
    assert reply.ack and "is not a valid CometChat user id" in reply.ack["text"]
    assert fake.requests == []


def test_a_user_banned_nowhere_is_said_so_after_the_scan(checked):
    fake = groups(3)
    with harness(fake) as h:
        checked.append(h)
        reply = h.command("user nobody-at-all")
        h.settle()
        scan = h.slack.responses()[-1]
        recorded = h.services.store.states_of("nobody-at-all")
    assert reply.ack and "knows of no group" in reply.ack["text"]
    assert "`nobody-at-all` is not banned in any group." in scan["text"]
    assert recorded == {}


def test_a_group_whose_read_fails_is_not_checked_and_the_others_are_recorded(checked):
    fake = groups(5, banned_in=(0,))

    def broken(rec: Recorded):
        if rec.path == "/v3/groups/g-003/bannedusers":
            return 500, {"error": {"code": "ERR_EXCEPTION", "message": "boom"}}, {}
        return None

    fake.interceptor = broken
    with harness(fake, cometchat_retry_budget=0.001) as h:
        checked.append(h)
        record(h, "g-003", 1)
        h.command(f"user {UID}")
        h.settle()
        scan = h.slack.responses()[-1]
        recorded = h.services.store.states_of(UID)
        free = h.services.scans.running
    blocks = str(scan["blocks"])
    assert "*From a scan of all 5 groups* · `troll-7` · 1 could not be checked" in blocks
    assert "`g-003`" in blocks and "CometChat did not answer for it" in blocks
    assert recorded["g-000"].source is EventSource.SCAN  # g-000's outcome stands
    assert recorded["g-003"].source is EventSource.COMMAND  # g-003's ban is left as it was
    assert free == 0


def test_cometchat_failing_on_every_group_stops_the_scan_after_a_few(checked):
    from bot.domain.where import MAX_FAILED_GROUPS

    fake = groups(30, banned_in=(0,))
    fake.interceptor = lambda rec: (
        (500, {"error": {"code": "ERR_EXCEPTION", "message": "down"}}, {})
        if rec.path.endswith("/bannedusers")
        else None
    )
    with harness(fake, cometchat_retry_budget=0.001, cometchat_max_parallel=1) as h:
        checked.append(h)
        h.command(f"user {UID}")
        h.settle()
        scan = h.slack.responses()[-1]
    reads = [r for r in fake.requests if r.path.endswith("/bannedusers")]
    assert len(reads) == MAX_FAILED_GROUPS  # one group at a time: the sixth is never asked
    assert "No group could be checked for `troll-7` (30 groups)." in scan["text"]
    assert "the scan stopped reading after 5 groups failed" in str(scan["blocks"])


def test_a_scan_that_cannot_list_the_groups_says_so_and_records_nothing(checked):
    fake = groups(5, banned_in=(0,))
    fake.interceptor = lambda rec: (
        (500, {"error": {"code": "ERR_EXCEPTION", "message": "boom"}}, {})
        if rec.path == "/v3/groups"
        else None
    )
    with harness(fake, cometchat_retry_budget=0.001) as h:
        checked.append(h)
        h.command(f"user {UID}")
        h.settle()
        scan = h.slack.responses()[-1]
        recorded = h.services.store.states_of(UID)
        free = h.services.scans.running
    assert "did not finish, so nothing was recorded" in scan["text"]
    assert "CometChat" in scan["text"]  # today's wording of an unavailable CometChat
    assert recorded == {} and free == 0


# -- the Home tab's "find a user" --------------------------------------------------------------


def home_find_user(h: Harness, typed: str, *, user_id: str = MODERATOR, dispatched: bool = False):
    """A click of the Home tab's Find button (the uid in the view's state), or Enter in its
    input (`dispatched`: the uid in the action itself). A Home tab has no response_url."""
    from tests.support.fakes.slack import block_actions_body

    if dispatched:
        action = {
            "type": "plain_text_input",
            "action_id": ACTION_HOME,
            "block_id": "find",
            "value": typed,
            "action_ts": "1.3",
        }
    else:
        action = {
            "type": "button",
            "action_id": ACTION_HOME,
            "block_id": "find_go",
            "value": "find",
            "action_ts": "1.3",
        }
    view = {
        "id": "V0HOME",
        "type": "home",
        "state": {"values": {"find": {"uid": {"type": "plain_text_input", "value": typed}}}},
    }
    body = block_actions_body(
        action, "", user_id=user_id, container={"type": "view", "view_id": "V0HOME"}, view=view
    )
    return h.signed(body)


def dm_posts(h: Harness) -> list[dict]:
    return [r.body for r in h.slack.received if r.path == "/api/chat.postMessage"]


@pytest.mark.parametrize("dispatched", [False, True])
def test_the_home_tabs_find_a_user_answers_in_a_dm(dispatched, checked):
    fake = groups(3, banned_in=(0, 2))
    with harness(fake) as h:
        checked.append(h)
        record(h, "g-000", 1)
        response = home_find_user(h, f" {UID} ", dispatched=dispatched)
        h.slack.wait_for(2, path_prefix="/api/chat.postMessage")
        h.settle()
        posts = dm_posts(h)
    assert response.status == 200
    history, scan = posts[0], posts[-1]
    assert history["channel"] == "D0" + MODERATOR[1:]  # the requester's DM with the bot
    assert "From the bot's history" in str(history["blocks"]) and "`g-000`" in str(
        history["blocks"]
    )
    assert "From a scan of all 3 groups" in str(scan["blocks"])
    assert len(buttons(scan, ACTION_UNBAN)) == 2  # a moderator may unban from the DM too


def test_the_home_tabs_find_a_user_words_a_malformed_uid_and_looks_nothing_up(checked):
    fake = groups(2)
    with harness(fake) as h:
        checked.append(h)
        home_find_user(h, "a/b")
        (post,) = h.slack.wait_for(1, path_prefix="/api/chat.postMessage")
        h.settle()
    assert "is not a valid CometChat user id" in post.body["text"]
    assert fake.requests == []
