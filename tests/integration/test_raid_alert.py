"""The raid alert through the real app: CometChat's join webhooks (Basic Auth, into the web
process's WSGI app) are counted in the shared database; past RAID_JOINS_PER_MINUTE one alert is
posted to the feed channel, edited in place while the raid lasts and marked calmed down by the
expiry loop's chore; its buttons are signed clicks. Time is a virtual clock moved by the test.
SQLite, and PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import select

from bot.domain.moderation import EventSource, ModerationAction
from bot.slack.massban_blocks import (
    AGE_ACTION_ID,
    AGE_BLOCK_ID,
    VIEW_MASSBAN,
    WINDOW_ACTION_ID,
    WINDOW_BLOCK_ID,
)
from bot.slack.raid_blocks import ACTION_RAID_DISMISS, ACTION_RAID_LOCKDOWN, ACTION_RAID_REVIEW
from bot.store import build_engine
from bot.store.migrate import upgrade
from bot.store.tables import group_joins, raid_alerts
from bot.web.wsgi import create_wsgi_app
from bot.webhooks.build import create_webhook_endpoint
from bot.webhooks.endpoint import WEBHOOK_PATH
from tests.conftest import GUID
from tests.support.clock import UtcClock
from tests.support.databases import BACKENDS, fresh_database
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.cometchat import FakeCometChat, Recorded
from tests.support.fakes.slack import SIGNING_SECRET, FakeSlack, Received
from tests.support.harness import Harness, harness, running_slack
from tests.support.slack_messages import buttons
from tests.support.webhook_payloads import encode, event, user

HOOK = ("cometchat", "hookPassw0rd123")
FEED = "C0FEED"
THRESHOLD = 3  # a fourth join within a minute is a raid
POST = "/api/chat.postMessage"
UPDATE = "/api/chat.update"


class Bot:
    """One app instance (a worker or a dyno): its harness and its webhook endpoint."""

    def __init__(self, app: Harness):
        self.app = app
        wsgi = create_wsgi_app(
            app.app,
            signing_secret=SIGNING_SECRET,
            webhooks=create_webhook_endpoint(app.services),
        )
        self.http = httpx.Client(transport=httpx.WSGITransport(app=wsgi), base_url="http://bot")

    def deliver(self, body: dict[str, Any]) -> str:
        answer = self.http.post(
            WEBHOOK_PATH,
            content=encode(body),
            headers={"content-type": "application/json"},
            auth=HOOK,
        )
        assert answer.status_code == 200
        return answer.text.strip()

    def join(self, uid: str, **fields: Any) -> str:
        return self.deliver(joined(uid, **fields))


def joined(
    uid: str, *, trigger: str = "group_member_joined", updated_at: int = 1, **fields: Any
) -> dict[str, Any]:
    body = event(trigger, members=[user(uid, **fields)], updated_at=updated_at)
    if trigger == "group_member_joined":
        del body["data"]["by"]  # a user joining acts for themselves
    return body


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as fresh:
        engine = build_engine(fresh)
        upgrade(engine)
        engine.dispose()
        yield fresh


@pytest.fixture
def clock() -> UtcClock:
    return UtcClock()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with running_slack() as fake:
        posted = itertools.count(1)
        # Slack names the message it posted: the alert is edited by that channel and ts.
        fake.api_answers["chat.postMessage"] = lambda item: {
            "ok": True,
            "channel": item.body["channel"],
            "ts": f"1700000000.{next(posted):06d}",
        }
        yield fake


@pytest.fixture
def make_bot(url, clock, slack) -> Iterator[Any]:
    with ExitStack() as stack:

        def make(*, rate_limit: dict[str, str] | None = None, **options: Any) -> Bot:
            """`rate_limit`: headers every CometChat answer carries (X-RateLimit-…)."""
            fake = FakeCometChat()
            fake.add_group(GUID, "Hiking Group")
            fake.permissions[GUID] = {"participant": {"sendMessage": "allow"}}
            transport = None
            if rate_limit is not None:

                def answer(request: httpx.Request) -> httpx.Response:
                    answered = fake.handle(request)
                    answered.headers.update(rate_limit)
                    return answered

                transport = httpx.MockTransport(answer)
            app = stack.enter_context(
                harness(
                    fake,
                    transport=transport,
                    slack=slack,
                    raid_clock=clock,
                    database_url=url,
                    cometchat_webhook_user=HOOK[0],
                    cometchat_webhook_password=HOOK[1],
                    feed_channel_id=FEED,
                    raid_joins_per_minute=THRESHOLD,
                    **options,
                )
            )
            bot = Bot(app)
            stack.callback(bot.http.close)
            return bot

        yield make


@pytest.fixture
def bot(make_bot) -> Bot:
    return make_bot()


def posts(slack: FakeSlack) -> list[Received]:
    return [r for r in slack.received if r.path == POST and r.body.get("channel") == FEED]


def updates(slack: FakeSlack) -> list[Received]:
    return [r for r in slack.received if r.path == UPDATE]


def blocks_of(item: Received) -> dict[str, Any]:
    """A Web API call's message, its blocks parsed (they travel form-encoded as JSON)."""
    body = dict(item.body)
    if isinstance(body.get("blocks"), str):
        body["blocks"] = json.loads(body["blocks"])
    return body


def raid(bot: Bot, count: int, *, prefix: str = "raider", **fields: Any) -> None:
    """Joins one after another, each counted before the next arrives."""
    for n in range(count):
        assert bot.join(f"{prefix}-{n:02d}", **fields) == "queued"
        bot.app.settle()


def user_lookups(bot: Bot) -> list[str]:
    """The uids the bot asked CometChat about (`GET /users/{uid}`), in order."""
    prefix = "/v3/users/"
    return [
        unquote(r.path[len(prefix) :])
        for r in bot.app.cometchat.requests
        if r.method == "GET" and r.path.startswith(prefix)
    ]


def alert_value(message: dict[str, Any], action_id: str) -> str:
    (found,) = buttons(message, action_id)
    return found["value"]


def the_alert(bot: Bot) -> dict[str, Any]:
    (posted,) = posts(bot.app.slack)
    return blocks_of(posted)


def test_joins_below_the_threshold_post_nothing(bot):
    raid(bot, THRESHOLD)

    assert posts(bot.app.slack) == []
    with bot.app.services.store.engine.begin() as conn:
        assert conn.execute(select(raid_alerts)).all() == []
        assert len(conn.execute(select(group_joins)).all()) == THRESHOLD


def test_past_the_threshold_one_alert_shows_counts_young_accounts_and_the_newest(bot, clock):
    now = int(clock.now.timestamp())
    bot.join("young-1", name="Fresh One", createdAt=now - 3600)
    bot.join("young-2", createdAt=now - 7200)
    bot.join("old-1", createdAt=now - 90 * 86400)
    bot.app.settle()
    assert posts(bot.app.slack) == []
    clock.advance(timedelta(seconds=10))
    bot.join("ghost-1", trigger="group_member_added")  # CometChat knows no such user
    bot.app.settle()

    alert = the_alert(bot)
    text = alert["text"]
    assert "*Raid on Hiking Group* (`cometchat-guid-1`): 4 joins in the last minute" in text
    assert "2 accounts younger than a day, 1 of unknown age" in text
    newest = json.dumps(alert["blocks"])
    assert "*Newest:* `ghost-1`" in newest and "`young-1` Fresh One" in newest
    # Ages the webhook gave are believed: only the one it did not give was asked for.
    assert user_lookups(bot) == ["ghost-1"]
    assert [b["text"]["text"] for b in buttons(alert)] == [
        "Review and mass ban",
        "Lock down 30 min",
        "Dismiss",
    ]
    (lockdown,) = buttons(alert, ACTION_RAID_LOCKDOWN)
    assert lockdown["confirm"]["confirm"]["text"] == "Lock down"  # Slack asks first
    assert updates(bot.app.slack) == []


def test_further_joins_edit_the_same_message_throttled(bot, clock):
    raid(bot, THRESHOLD + 1)
    assert len(posts(bot.app.slack)) == 1

    clock.advance(timedelta(seconds=10))
    raid(bot, 2, prefix="more")
    (edit,) = updates(bot.app.slack)
    assert (edit.body["channel"], edit.body["ts"]) == (FEED, "1700000000.000001")
    # The first of the two brought the edit; the second came within the throttle.
    assert "5 joins in the last minute, 5 joins since" in edit.body["text"]

    clock.advance(timedelta(seconds=2))  # within the throttle: no edit now…
    raid(bot, 1, prefix="late")
    assert len(updates(bot.app.slack)) == 1
    clock.advance(timedelta(seconds=4))  # …the loop's next round brings it up to date
    bot.app.services.expiries.run_chores()
    latest = updates(bot.app.slack)[-1]
    assert latest.body["ts"] == "1700000000.000001"
    assert "7 joins since" in latest.body["text"]
    assert len(posts(bot.app.slack)) == 1


def test_a_raid_alert_heard_by_two_processes_is_posted_once(make_bot, clock):
    one, other = make_bot(), make_bot()
    # Below the threshold, joins heard by either are counted together…
    one.join("raider-a")
    other.join("raider-b")
    one.join("raider-c")
    for bot in (one, other):
        bot.app.settle()
    assert posts(one.app.slack) == []

    # …and past it both race to post, each from its own threads.
    def deliver(bot: Bot, uid: str) -> None:
        bot.join(uid)

    threads = [
        threading.Thread(target=deliver, args=(bot, f"raider-{bot_n}{n}"))
        for n in range(4)
        for bot_n, bot in enumerate((one, other))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for bot in (one, other):
        bot.app.settle()

    (posted,) = posts(one.app.slack)
    assert "joins in the last minute" in posted.body["text"]
    clock.advance(timedelta(seconds=10))
    other.join("raider-last")
    other.app.settle()
    one.app.services.expiries.run_chores()
    other.app.services.expiries.run_chores()
    assert len(posts(one.app.slack)) == 1
    edits = updates(one.app.slack)
    assert edits and {e.body["ts"] for e in edits} == {"1700000000.000001"}
    assert "12 joins since" in edits[-1].body["text"]


def test_the_alert_says_when_the_raid_calmed_down(bot, clock):
    raid(bot, THRESHOLD + 2)
    clock.advance(timedelta(minutes=2))
    bot.app.services.expiries.run_chores()
    assert all("calmed down" not in e.body["text"] for e in updates(bot.app.slack))

    clock.advance(timedelta(minutes=1, seconds=1))
    bot.app.services.expiries.run_chores()
    calmed = blocks_of(updates(bot.app.slack)[-1])
    assert calmed["ts"] == "1700000000.000001"
    assert "calmed down" in calmed["text"] and "5 joins in total" in calmed["text"]
    assert [b["action_id"] for b in buttons(calmed)] == [ACTION_RAID_REVIEW]
    edits = len(updates(bot.app.slack))
    bot.app.services.expiries.run_chores()
    assert len(updates(bot.app.slack)) == edits  # said once

    # The next raid is another alert.
    clock.advance(timedelta(minutes=1))
    raid(bot, THRESHOLD + 1, prefix="second")
    assert len(posts(bot.app.slack)) == 2


def test_dismiss_says_who_and_stops_the_edits(bot, clock):
    raid(bot, THRESHOLD + 1)
    value = alert_value(the_alert(bot), ACTION_RAID_DISMISS)

    reply = bot.app.click(ACTION_RAID_DISMISS, value, answered=True)
    assert "Dismissed the raid alert" in reply.texts()
    dismissed = blocks_of(updates(bot.app.slack)[-1])
    assert "Dismissed by <@U0MOD>" in json.dumps(dismissed["blocks"])
    assert buttons(dismissed) == []

    edits = len(updates(bot.app.slack))
    clock.advance(timedelta(seconds=10))
    raid(bot, 3, prefix="more")
    bot.app.services.expiries.run_chores()
    assert len(updates(bot.app.slack)) == edits
    again = bot.app.click(ACTION_RAID_DISMISS, value, answered=True)
    assert "already dismissed by <@U0MOD>" in again.texts()


def test_review_opens_the_mass_ban_form_with_the_raid_window(bot, clock):
    raid(bot, THRESHOLD + 1)
    value = alert_value(the_alert(bot), ACTION_RAID_REVIEW)
    clock.advance(timedelta(minutes=2, seconds=30))

    mark = len(bot.app.slack.received)
    assert bot.app.click(ACTION_RAID_REVIEW, value).status == 200
    bot.app.settle()
    (opened,) = [r for r in bot.app.slack.received[mark:] if r.path == "/api/views.open"]
    view = opened.body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == VIEW_MASSBAN
    (window,) = [b for b in view["blocks"] if b.get("block_id") == WINDOW_BLOCK_ID]
    assert window["element"]["action_id"] == WINDOW_ACTION_ID
    assert window["element"]["initial_value"] == "3"  # 2.5 minutes, rounded up
    assert GUID in view["private_metadata"]


def test_lock_down_button_locks_the_group_for_30_minutes(bot):
    raid(bot, THRESHOLD + 1)
    value = alert_value(the_alert(bot), ACTION_RAID_LOCKDOWN)

    reply = bot.app.click(ACTION_RAID_LOCKDOWN, value, answered=True)

    assert "Locked down group `cometchat-guid-1` for 30 min" in reply.texts()
    assert bot.app.cometchat.permissions[GUID]["participant"]["sendMessage"] == "deny"
    kept = bot.app.services.store.lockdowns.current(GUID)
    assert kept is not None and kept.ends_at - kept.started_at == timedelta(minutes=30)
    events = [(e.action, e.source) for e in bot.app.services.store.recent_events(10) if e.uid == ""]
    assert events == [(ModerationAction.LOCKDOWN, EventSource.BUTTON)]


@pytest.mark.parametrize(
    "action_id", [ACTION_RAID_REVIEW, ACTION_RAID_LOCKDOWN, ACTION_RAID_DISMISS]
)
def test_someone_not_a_moderator_is_refused_and_nothing_changes(bot, action_id):
    raid(bot, THRESHOLD + 1)
    value = alert_value(the_alert(bot), action_id)
    mark = len(bot.app.slack.received)

    reply = bot.app.click(action_id, value, user_id="U0NOBODY", answered=True)
    bot.app.settle()

    assert "you are not allowed to" in reply.texts()
    paths = {r.path for r in bot.app.slack.received[mark:]}
    assert not paths & {"/api/views.open", UPDATE}
    assert bot.app.cometchat.permissions[GUID]["participant"]["sendMessage"] == "allow"
    current = bot.app.services.raids.alert(GUID, json.loads(value)["r"])
    assert current is not None and current.dismissed_at is None


def test_a_delivery_heard_twice_is_counted_once(bot):
    for n in range(THRESHOLD):
        body = joined(f"raider-{n}", updated_at=100 + n)
        assert bot.deliver(body) == "queued"
        assert bot.deliver(body) == "duplicate"  # CometChat's retry
    # The same user in a delivery that is no retry (the group moved on): still one join.
    assert bot.join("raider-0", updated_at=500) == "queued"
    bot.app.settle()

    assert posts(bot.app.slack) == []
    with bot.app.services.store.engine.begin() as conn:
        assert len(conn.execute(select(group_joins)).all()) == THRESHOLD


def test_an_alert_slack_refused_is_posted_by_the_loop_once_its_claim_runs_out(bot, clock):
    answers = bot.app.slack.api_answers
    working = answers["chat.postMessage"]
    answers["chat.postMessage"] = lambda item: {"ok": False, "error": "not_in_channel"}
    raid(bot, THRESHOLD + 1)
    refused = [r for r in bot.app.slack.received if r.path == POST]
    assert len(refused) == 1

    answers["chat.postMessage"] = working
    clock.advance(timedelta(seconds=10))
    bot.app.services.expiries.run_chores()  # still the first poster's turn
    assert len([r for r in bot.app.slack.received if r.path == POST]) == 1
    clock.advance(timedelta(seconds=25))
    bot.app.services.expiries.run_chores()
    (posted,) = [r for r in bot.app.slack.received if r.path == POST][1:]
    assert "4 joins since" in posted.body["text"]
    clock.advance(timedelta(seconds=10))
    raid(bot, 1, prefix="more")
    assert updates(bot.app.slack)[-1].body["ts"] == "1700000000.000001"  # Slack's answer's


def test_joins_of_a_quiet_group_are_forgotten_after_15_minutes(bot, clock):
    raid(bot, 2)
    clock.advance(timedelta(minutes=14))
    bot.app.services.expiries.run_chores()
    with bot.app.services.store.engine.begin() as conn:
        assert len(conn.execute(select(group_joins)).all()) == 2
    clock.advance(timedelta(minutes=2))
    bot.app.services.expiries.run_chores()
    with bot.app.services.store.engine.begin() as conn:
        assert conn.execute(select(group_joins)).all() == []


def test_a_long_raid_counts_every_join_in_its_total(bot, clock):
    for wave in range(7):  # a raid-level minute every 2.5 minutes, for 15 minutes
        raid(bot, THRESHOLD + 1, prefix=f"wave{wave}")
        clock.advance(timedelta(minutes=2, seconds=30))
        bot.app.services.expiries.run_chores()
    assert all("calmed down" not in e.body["text"] for e in updates(bot.app.slack))

    clock.advance(timedelta(minutes=1))
    bot.app.services.expiries.run_chores()
    calmed = updates(bot.app.slack)[-1].body["text"]
    assert "calmed down" in calmed and "28 joins in total" in calmed
    assert len(posts(bot.app.slack)) == 1


# -- account ages, looked up in CometChat when the alert is drawn -------------------------------


def test_ages_the_webhook_lacks_are_looked_up_once_and_counted(bot, clock):
    now = int(clock.now.timestamp())
    cometchat = bot.app.cometchat
    ages = {"young-a": 3600, "young-b": 7200, "young-c": 600, "old-a": 90 * 86400}
    for uid, age in ages.items():
        cometchat.add_member(GUID, uid, created_at=now - age)
    for uid in ("young-a", "young-b", "old-a", "ghost-1"):  # no createdAt, as CometChat sends
        assert bot.join(uid) == "queued"
    bot.app.settle()

    assert "2 accounts younger than a day, 1 of unknown age" in the_alert(bot)["text"]
    assert sorted(user_lookups(bot)) == ["ghost-1", "old-a", "young-a", "young-b"]
    with bot.app.services.store.engine.begin() as conn:
        found = dict(conn.execute(select(group_joins.c.uid, group_joins.c.created_at)).all())
    assert found["young-a"] == clock.now - timedelta(hours=1)
    assert found["ghost-1"] is None

    # The next edits ask only about whoever is new: not the found, not the one CometChat lacks,
    # not someone heard joining again.
    clock.advance(timedelta(seconds=10))
    bot.join("young-c")
    bot.app.settle()
    assert (
        "3 accounts younger than a day, 1 of unknown age" in updates(bot.app.slack)[-1].body["text"]
    )
    clock.advance(timedelta(seconds=10))
    bot.join("old-a", updated_at=2)
    bot.app.settle()
    assert len(updates(bot.app.slack)) == 2
    assert sorted(user_lookups(bot)) == ["ghost-1", "old-a", "young-a", "young-b", "young-c"]


@pytest.mark.parametrize(
    ("status", "code"), [(503, "ERR_EXCEPTION"), (429, "ERR_TOO_MANY_REQUESTS")]
)
def test_a_look_up_without_answer_leaves_the_age_unknown_and_is_tried_at_a_later_edit(
    bot, clock, status, code
):
    now = int(clock.now.timestamp())
    cometchat = bot.app.cometchat
    for n in range(THRESHOLD + 1):
        cometchat.add_member(GUID, f"raider-{n:02d}", created_at=now - 3600)

    def unanswered(rec: Recorded) -> tuple[int, object, dict] | None:
        if rec.path.startswith("/v3/users/"):
            return status, {"error": {"code": code, "message": "not now"}}, {}
        return None

    cometchat.interceptor = unanswered
    raid(bot, THRESHOLD + 1)

    text = the_alert(bot)["text"]
    assert "4 joins in the last minute" in text
    assert "0 accounts younger than a day, 4 of unknown age" in text
    # Tried once each, not retried; once one went unanswered, those not yet sent were dropped.
    tried = user_lookups(bot)
    assert 1 <= len(tried) <= 4 and len(set(tried)) == len(tried)

    cometchat.interceptor = None
    clock.advance(timedelta(seconds=10))
    raid(bot, 1, prefix="more")  # an account CometChat made long ago
    (edit,) = updates(bot.app.slack)
    assert "5 joins since" in edit.body["text"]
    assert "4 accounts younger than a day." in edit.body["text"]
    later = user_lookups(bot)[len(tried) :]
    assert sorted(later) == ["more-00", *(f"raider-{n:02d}" for n in range(4))]


def test_look_ups_are_bounded_per_drawing_newest_first(bot, clock):
    now = int(clock.now.timestamp())
    # One delivery naming 30 joiners, a second apart (CometChat's users made long ago).
    members = [user(f"raider-{n:02d}", joinedAt=now - 30 + n) for n in range(30)]
    assert bot.deliver(event("group_member_added", members=members)) == "queued"
    bot.app.settle()

    text = the_alert(bot)["text"]
    assert "30 joins in the last minute" in text
    assert "0 accounts younger than a day, 5 of unknown age" in text
    assert sorted(user_lookups(bot)) == [f"raider-{n:02d}" for n in range(5, 30)]

    clock.advance(timedelta(seconds=10))
    raid(bot, 1, prefix="late")
    (edit,) = updates(bot.app.slack)
    assert "0 accounts younger than a day." in edit.body["text"]
    asked = user_lookups(bot)
    assert sorted(asked[25:]) == ["late-00", *(f"raider-{n:02d}" for n in range(5))]
    assert len(set(asked)) == len(asked) == 31


def test_age_look_ups_never_spend_the_rate_limit_reserve(make_bot, clock):
    # The app's users have spent half of the minute's budget: what is left is the reserve
    # (COMETCHAT_RESERVE=0.5) kept for moderators' own reads.
    cometchat_clock = FakeClock()
    bot = make_bot(
        rate_limit={"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "50"},
        clock=cometchat_clock,
        sleep=cometchat_clock.sleep,
        read_ahead=False,
    )
    before = bot.app.command(GUID)  # a moderator's read: the bot learns the budget
    assert before.ack is not None and before.ack.get("text")

    raid(bot, THRESHOLD + 1)

    assert "0 accounts younger than a day, 4 of unknown age" in the_alert(bot)["text"]
    assert user_lookups(bot) == []  # not sent: they would have dipped into the reserve
    lists = len(bot.app.cometchat.requests)
    after = bot.app.command(GUID)  # moderators' reads still go, and nothing waited
    assert after.ack is not None and after.ack.get("text")
    assert len(bot.app.cometchat.requests) > lists
    assert cometchat_clock.sleeps == []


# -- Review and mass ban: the age filter ---------------------------------------------------------


def review_form(bot: Bot) -> dict[str, Any]:
    value = alert_value(the_alert(bot), ACTION_RAID_REVIEW)
    mark = len(bot.app.slack.received)
    assert bot.app.click(ACTION_RAID_REVIEW, value).status == 200
    bot.app.settle()
    (opened,) = [r for r in bot.app.slack.received[mark:] if r.path == "/api/views.open"]
    view = opened.body["view"]
    return json.loads(view) if isinstance(view, str) else view


def age_field(view: dict[str, Any]) -> dict[str, Any]:
    (age,) = [b for b in view["blocks"] if b.get("block_id") == AGE_BLOCK_ID]
    assert age["element"]["action_id"] == AGE_ACTION_ID
    return age


def test_review_fills_in_a_day_when_most_of_the_raid_is_that_young(bot, clock):
    now = int(clock.now.timestamp())
    for n in range(3):
        bot.join(f"young-{n}", createdAt=now - 3600)
    bot.join("old-1", createdAt=now - 90 * 86400)
    bot.app.settle()

    age = age_field(review_form(bot))

    assert age["element"]["initial_value"] == "1"
    assert "Filled in by the raid alert" in age["hint"]["text"]
    assert "Older accounts that joined in the window are left out" in age["hint"]["text"]


def test_review_leaves_the_age_empty_unless_most_of_the_raid_is_known_to_be_young(bot, clock):
    now = int(clock.now.timestamp())
    # Half young, half of unknown age: the young are not most of the raid.
    bot.join("young-1", createdAt=now - 3600)
    bot.join("young-2", createdAt=now - 3600)
    bot.join("ghost-1")
    bot.join("ghost-2")
    bot.app.settle()
    assert "2 accounts younger than a day, 2 of unknown age" in the_alert(bot)["text"]

    view = review_form(bot)

    age = age_field(view)
    assert "initial_value" not in age["element"]
    assert age["hint"]["text"].endswith("Empty: any age.")
    assert "raid" not in age["hint"]["text"]
    (window,) = [b for b in view["blocks"] if b.get("block_id") == WINDOW_BLOCK_ID]
    assert window["element"]["initial_value"] == "1"  # the window is filled in all the same
