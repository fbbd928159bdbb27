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

import httpx
import pytest
from sqlalchemy import select

from bot.domain.moderation import EventSource, ModerationAction
from bot.slack.massban_blocks import VIEW_MASSBAN, WINDOW_ACTION_ID, WINDOW_BLOCK_ID
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
from tests.support.fakes.cometchat import FakeCometChat
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

        def make() -> Bot:
            fake = FakeCometChat()
            fake.add_group(GUID, "Hiking Group")
            fake.permissions[GUID] = {"participant": {"sendMessage": "allow"}}
            app = stack.enter_context(
                harness(
                    fake,
                    slack=slack,
                    raid_clock=clock,
                    database_url=url,
                    cometchat_webhook_user=HOOK[0],
                    cometchat_webhook_password=HOOK[1],
                    feed_channel_id=FEED,
                    raid_joins_per_minute=THRESHOLD,
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
    bot.join("unknown-1", trigger="group_member_added")
    bot.app.settle()

    alert = the_alert(bot)
    text = alert["text"]
    assert "*Raid on Hiking Group* (`cometchat-guid-1`): 4 joins in the last minute" in text
    assert "2 accounts younger than a day, 1 of unknown age" in text
    newest = json.dumps(alert["blocks"])
    assert "*Newest:* `unknown-1`" in newest and "`young-1` Fresh One" in newest
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
