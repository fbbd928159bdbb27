"""The bot's record never contradicts CometChat, and a moderator's last decision stands: races
between an expiry and a moderator, webhook echoes, retries and database outages, each driven
through the web process (signed Slack clicks, webhooks over HTTP) and the expiry loop, on SQLite
and PostgreSQL. Races are lined up with events: the fake CometChat holds the expiry's DELETE
until the other side has either gone through or is seen waiting for the member.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from bot.domain.button_values import ActionRef, BanConfirmRef
from bot.domain.member_events import parse_event
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.slack.moderation_blocks import ACTION_ACT_CONFIRM, ACTION_BAN_CONFIRM
from bot.store import ModerationStore, build_engine
from bot.usecases.expiry import ExpiryStatus
from bot.webhooks.dedupe import StoredSeenEvents
from tests.conftest import GUID
from tests.integration.test_webhooks_http import POST, LiveFeed, start  # noqa: F401
from tests.support.clock import UtcClock
from tests.support.databases import BACKENDS, fresh_postgres_database
from tests.support.fakes.cometchat import FakeCometChat, Recorded
from tests.support.fakes.slack import sign
from tests.support.harness import FORM, MODERATOR, click_body
from tests.support.outage import Outage, own_database
from tests.support.webhook_payloads import encode, event, user

AUDIT = "C0AUDIT"
UID = "user-001"  # banned in the fake's group
BAN, UNBAN, EXPIRE = ModerationAction.BAN, ModerationAction.UNBAN, ModerationAction.EXPIRE


@pytest.fixture(params=BACKENDS)
def live(request, tmp_path, start) -> Iterator[tuple[LiveFeed, str]]:  # noqa: F811
    """The web process on a database of its own (SQLite or PostgreSQL): (feed, database url)."""
    with own_database(request.param, tmp_path) as url:
        yield start(database_url=url, audit_channel_id=AUDIT), url


def ended_ban(store: ModerationStore, uid: str = UID, *, hours_ago: int = 1) -> ModerationEvent:
    """A temporary ban whose end has come, its expiry still pending (the loop has not run)."""
    started = datetime.now(UTC) - timedelta(hours=hours_ago + 24)
    return store.record(
        ModerationEvent(
            guid=GUID,
            uid=uid,
            action=BAN,
            source=EventSource.COMMAND,
            actor="U0ALICE",
            reason="spam",
            at=started,
            ends_at=started + timedelta(hours=24),
        )
    )


def banned(cometchat: FakeCometChat, uid: str = UID) -> bool:
    return uid in {u["uid"] for u in cometchat.banned[GUID]}


def actions(feed: LiveFeed, uid: str = UID) -> list[ModerationAction]:
    assert feed.services.responder.drain(10)
    return [e.action for e in feed.services.store.history(GUID, uid).events]


def click(feed: LiveFeed, action_id: str, value: str) -> httpx.Response:
    raw = click_body(
        action_id, value, feed.slack.url + "/response/1/", user_id=MODERATOR, block_id="x"
    )
    return feed.http.post("/slack/events", content=raw, headers={"content-type": FORM, **sign(raw)})


def on(method: str, uid: str, then: Callable[[], None]) -> Callable[[Recorded], None]:
    """A fake CometChat interceptor running `then` when `method …/bannedusers/{uid}` arrives."""

    def intercept(rec: Recorded) -> None:
        if rec.method == method and rec.path.endswith(f"/bannedusers/{uid}"):
            then()

    return intercept


@contextmanager
def when_logged(needle: str, flag: threading.Event) -> Iterator[None]:
    """Set `flag` when a `bot.store` line containing `needle` is logged (a change waiting for
    the member's lock says so)."""

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if needle in record.getMessage():
                flag.set()

    logger = logging.getLogger("bot.store")
    watch, level = Watch(), logger.level
    logger.addHandler(watch)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(watch)
        logger.setLevel(level)


def audit_posts(feed: LiveFeed) -> list[str]:
    return [
        p.body["text"]
        for p in feed.slack.received
        if p.path == POST and p.body.get("channel") == AUDIT
    ]


# -- a moderator's decision and an expiry in flight --------------------------------------------


def test_a_permanent_ban_made_while_an_expiry_unbans_lands_after_it(live, cometchat):
    feed, _url = live
    store = feed.services.store
    ended_ban(store)
    delete_arrived, release, ban_went_ahead_or_waits = (threading.Event() for _ in range(3))

    def hold_delete() -> None:
        delete_arrived.set()
        assert release.wait(10)

    holds = on("DELETE", UID, hold_delete)
    sees_ban = on("POST", UID, ban_went_ahead_or_waits.set)
    cometchat.interceptor = lambda rec: holds(rec) or sees_ban(rec)
    outcomes: list = []
    expiry = threading.Thread(target=lambda: outcomes.extend(feed.services.expiries.run_once()))
    with when_logged("event=member_busy", ban_went_ahead_or_waits):
        expiry.start()
        assert delete_arrived.wait(10)  # the expiry's unban is in flight
        assert click(feed, ACTION_BAN_CONFIRM, BanConfirmRef(guid=GUID, uid=UID).encode())
        assert ban_went_ahead_or_waits.wait(10)
        release.set()
        expiry.join(10)
        assert actions(feed) == [BAN, EXPIRE, BAN]

    assert [o.status for o in outcomes] == [ExpiryStatus.UNBANNED]
    assert banned(cometchat)  # the moderator's word is the last one in CometChat too
    latest = store.history(GUID, UID).events[0]
    assert (latest.actor, latest.ends_at) == (MODERATOR, None)
    assert store.pending_expiry(GUID, UID) is None


# -- one event, one record ---------------------------------------------------------------------


@pytest.mark.parametrize("echo_arrives", ["while_the_expiry_unbans", "after_it_is_recorded"])
def test_the_webhook_echo_of_an_expiry_is_recognised_as_that_expiry(live, cometchat, echo_arrives):
    feed, _url = live
    store = feed.services.store
    ended_ban(store)
    echo = event(
        "group_member_unbanned",
        members=[user(UID)],
        by=user("app-admin"),
        updated_at=int(time.time()),
    )
    heard = threading.Event()  # the echo's record has been made, or waits for the member
    store.on_record(lambda e: heard.set() if e.source is EventSource.WEBHOOK else None)

    def echo_now() -> None:
        assert feed.deliver(echo).text.strip() == "queued"
        assert heard.wait(10)

    with when_logged("event=member_busy", heard):
        if echo_arrives == "while_the_expiry_unbans":
            cometchat.interceptor = on("DELETE", UID, echo_now)
            outcomes = feed.services.expiries.run_once()
        else:
            outcomes = feed.services.expiries.run_once()
            assert feed.deliver(echo).text.strip() == "queued"
        assert actions(feed) == [EXPIRE, BAN]  # one end of one ban

    assert [o.status for o in outcomes] == [ExpiryStatus.UNBANNED]
    assert not banned(cometchat)
    [announced] = audit_posts(feed)
    assert "unbanned automatically" in announced


def test_a_ban_unban_and_ban_again_by_the_same_moderator_are_three_events(live):
    feed, _url = live
    mallory, andrew = user("cometchat-uid-7", "Mallory"), user("cometchat-uid-1", "Andrew")
    answers = []
    for trigger in ("group_member_banned", "group_member_unbanned", "group_member_banned"):
        body = event(trigger, members=[mallory], by=andrew)  # identical apart from the trigger
        answers.append(feed.deliver(body).text.strip())
        answers.append(feed.deliver(body).text.strip())  # CometChat's retry of it

    assert answers == ["queued", "duplicate"] * 3
    assert actions(feed, "cometchat-uid-7") == [BAN, UNBAN, BAN]
    assert len(feed.posted_after_settling()) == 3


def test_a_user_kicked_again_minutes_later_is_recorded_again(live):
    feed, _url = live
    now = int(time.time())
    for updated_at in (now - 300, now):  # rejoined in between (not an event the feed takes)
        body = event("group_member_kicked", members=[user("u-9")], updated_at=updated_at)
        assert feed.deliver(body).text.strip() == "queued"
    assert actions(feed, "u-9") == [ModerationAction.KICK, ModerationAction.KICK]


def test_the_same_delivery_minutes_later_is_a_new_event_but_a_retry_is_not(engine):
    clock = UtcClock()
    seen = StoredSeenEvents(ModerationStore(engine, clock=clock))
    key = parse_event(encode(event("group_member_kicked", members=[user("u-9")]))).dedupe_key()
    assert seen.first_sighting(key) is True
    clock.advance(timedelta(seconds=40))  # CometChat's last retry
    assert seen.first_sighting(key) is False
    clock.advance(timedelta(minutes=3))  # kicked again after rejoining: the same body
    assert seen.first_sighting(key) is True


# -- a database outage loses nothing -----------------------------------------------------------


def test_decisions_made_during_an_outage_are_not_undone_by_an_old_expiry(live, cometchat):
    feed, url = live
    store = feed.services.store
    ended_ban(store)  # its expiry is due, but the loop has not run yet
    outage = Outage(url)
    outage.start()
    try:
        unban = ActionRef(action=UNBAN, guid=GUID, uid=UID, source=EventSource.BUTTON).encode()
        assert click(feed, ACTION_ACT_CONFIRM, unban)  # the confirmed Unban of a feed message
        feed.slack.wait_for(1, path_prefix="/response/")  # done, history not recorded
        assert click(feed, ACTION_BAN_CONFIRM, BanConfirmRef(guid=GUID, uid=UID).encode())
        answers = feed.slack.wait_for(2, path_prefix="/response/")
        assert all("could not be recorded" in a.body["text"] for a in answers)
        assert banned(cometchat)
    finally:
        outage.end()

    outcomes = feed.services.expiries.run_once()  # the first round once the database is back

    assert outcomes == []
    assert banned(cometchat)  # the permanent ban stands
    assert actions(feed) == [BAN, UNBAN, BAN]
    latest = store.history(GUID, UID).events[0]
    assert (latest.actor, latest.ends_at) == (MODERATOR, None)
    assert store.pending_expiry(GUID, UID) is None
    assert store.queued == 0


def test_events_heard_during_an_outage_are_not_undone_by_an_old_expiry(live, cometchat):
    feed, url = live
    store = feed.services.store
    ended_ban(store)
    outage = Outage(url)
    outage.start()
    try:  # unbanned, then banned for good, from CometChat's dashboard
        for trigger in ("group_member_unbanned", "group_member_banned"):
            body = event(trigger, members=[user(UID)], by=user("dashboard-admin"))
            assert feed.deliver(body).text.strip() == "queued"
        feed.posts(2)  # posted to the feed at once; each record was tried before its post
    finally:
        outage.end()

    assert feed.services.expiries.run_once() == []
    assert banned(cometchat)
    assert actions(feed) == [BAN, UNBAN, BAN]
    assert store.pending_expiry(GUID, UID) is None


def test_an_outage_in_the_middle_of_an_expiry_round_keeps_what_was_done(live, cometchat):
    feed, url = live
    store = feed.services.store
    first, second, third = "user-001", "user-002", "user-003"
    for hours_ago, uid in ((3, first), (2, second), (1, third)):  # ended in this order
        ended_ban(store, uid, hours_ago=hours_ago)
    outage = Outage(url)
    cometchat.interceptor = on("DELETE", second, outage.start)  # the database goes mid-round
    try:
        outcomes = feed.services.expiries.run_once()
    finally:
        outage.end()

    assert [(o.expiry.uid, o.status) for o in outcomes] == [
        (first, ExpiryStatus.UNBANNED),
        (second, ExpiryStatus.UNBANNED),  # unbanned in CometChat; its record waits
        (third, ExpiryStatus.FAILED),  # not sent: due again once its claim runs out
    ]
    assert not banned(cometchat, first) and not banned(cometchat, second)
    assert banned(cometchat, third)
    first_said, second_said = audit_posts(feed)  # both announced, though one is unrecorded
    assert f"`{first}` was unbanned automatically" in first_said
    assert f"`{second}` was unbanned automatically" in second_said
    assert actions(feed, first) == [EXPIRE, BAN]

    feed.services.expiries.run_once()  # the database is back: the waiting record is stored
    assert actions(feed, second) == [EXPIRE, BAN]
    assert store.pending_expiry(GUID, second) is None


# -- the member's lock, across processes ------------------------------------------------------


def test_on_postgresql_a_change_holds_the_member_for_every_process():
    with fresh_postgres_database() as url:
        from bot.store.members import advisory_key
        from bot.store.migrate import upgrade

        mine, theirs = build_engine(url), build_engine(url)
        upgrade(mine)
        store = ModerationStore(mine)
        probe = select(func.pg_try_advisory_xact_lock(advisory_key(GUID, UID)))
        try:
            with store.member(GUID, UID), theirs.begin() as other:
                assert other.execute(probe).scalar() is False  # another process would wait
            with theirs.begin() as other:
                assert other.execute(probe).scalar() is True
        finally:
            mine.dispose()
            theirs.dispose()
