"""CometChat webhooks through the real web process: the WSGI app over HTTP on loopback, the Bolt
app behind it, FakeSlack for the Web API and response_urls, FakeCometChat for the REST API."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from wsgiref.simple_server import make_server

import httpx
import pytest

from bot.app import create_app
from bot.domain.button_values import PageCursor, UnbanRef
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.services import Services, build_services
from bot.slack.feed_blocks import ACTION_OPEN_LIST
from bot.slack.moderation_blocks import ACTION_ACT_CONFIRM, ACTION_UNBAN
from bot.web.wsgi import create_wsgi_app
from bot.webhooks.build import create_webhook_endpoint
from bot.webhooks.endpoint import MAX_BODY, WEBHOOK_PATH
from tests.conftest import GUID, _QuietHandler, _ThreadingWSGIServer, make_settings
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    Received,
    action_body,
    sign,
)
from tests.support.slack_messages import buttons
from tests.support.webhook_payloads import TRIGGERS, encode, event, example, user

HOOK_USER = "cometchat"
HOOK_PASSWORD = "hookPassw0rd123"
FEED = "C0FEED"
MODERATOR = "U0MOD"
POST = "/api/chat.postMessage"


class LiveFeed:
    """The whole web process on a loopback port, with CometChat's and Slack's sides to hand."""

    def __init__(self, url: str, services: Services, slack: FakeSlack, caplog):
        self.url, self.services, self.slack = url, services, slack
        self.caplog = caplog
        self.http = httpx.Client(base_url=url, timeout=10)

    def deliver(
        self,
        body: dict | bytes,
        *,
        auth: tuple[str, str] | None = (HOOK_USER, HOOK_PASSWORD),
        content_type: str = "Application/json",  # as CometChat was seen sending it
        headers: dict | None = None,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else encode(body)
        return self.http.post(
            WEBHOOK_PATH,
            content=raw,
            headers={"content-type": content_type, **(headers or {})},
            auth=auth,
        )

    def click(self, payload: dict) -> httpx.Response:
        return self.click_raw(urlencode({"payload": json.dumps(payload)}).encode())

    def click_raw(self, raw: bytes) -> httpx.Response:
        """A signed block_actions body (tests.support.fakes.slack.action_body)."""
        headers = {"content-type": "application/x-www-form-urlencoded", **sign(raw)}
        return self.http.post("/slack/events", content=raw, headers=headers)

    def posts(self, count: int) -> list[Received]:
        """Wait for `count` feed posts (chat.postMessage) and return them."""
        return self.slack.wait_for(count, path_prefix=POST)

    def posted_after_settling(self) -> list[Received]:
        """Everything posted, once all accepted background work has finished.

        Each post attempt logs one `event=feed_post` line before its job ends, so after the drain
        the log knows how many posts to expect, even if FakeSlack has yet to record the last.
        """
        assert self.services.responder.drain(5)
        attempts = [r for r in self.caplog.records if "event=feed_post" in r.getMessage()]
        posted = self.slack.wait_for(len(attempts), path_prefix=POST)
        assert len(posted) == len(attempts)
        return posted


@pytest.fixture
def start(slack: FakeSlack, cometchat: FakeCometChat, caplog) -> Iterator[Callable[..., LiveFeed]]:
    caplog.set_level(logging.INFO)
    running: list[tuple[LiveFeed, _ThreadingWSGIServer]] = []

    def start(**overrides) -> LiveFeed:
        values = {
            "slack_api_url": slack.url + "/api/",
            "cometchat_webhook_user": HOOK_USER,
            "cometchat_webhook_password": HOOK_PASSWORD,
            "feed_channel_id": FEED,
            "moderator_user_ids": MODERATOR,
            **overrides,
        }
        services = build_services(
            make_settings(**values), cometchat_transport=cometchat.transport()
        )
        # Wired exactly as bot.web.server wires production.
        wsgi = create_wsgi_app(
            create_app(services),
            signing_secret=SIGNING_SECRET,
            webhooks=create_webhook_endpoint(services),
        )
        server = make_server(
            "127.0.0.1", 0, wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        # A short poll interval only makes shutdown() prompt; requests are served as they come.
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        live = LiveFeed(f"http://127.0.0.1:{server.server_port}", services, slack, caplog)
        running.append((live, server))
        return live

    yield start
    for live, server in running:
        live.http.close()
        server.shutdown()
        server.server_close()
        live.services.responder.drain(5)
        live.services.close()


@pytest.fixture
def feed(start) -> LiveFeed:
    return start()


def click_payload(message: dict, button: dict, response_url: str, *, user_id: str = MODERATOR):
    """A block_actions payload for a click on `button` of a channel message, as Slack sends it."""
    block_id = next(b["block_id"] for b in message["blocks"] if button in b.get("elements", []))
    return {
        "type": "block_actions",
        "team": {"id": "T0TEAM", "domain": "example"},
        "user": {"id": user_id, "username": "mod", "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "token": "deprecated",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": FEED},
        "trigger_id": "123.456.abc",
        "channel": {"id": FEED, "name": "moderation-feed"},
        "message": {"type": "message", "ts": "1.2", **message},
        "response_url": response_url,
        "actions": [{**button, "block_id": block_id, "action_ts": "1.3"}],
    }


# -- delivery and the message ----------------------------------------------------------------


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_each_documented_event_becomes_one_message_in_the_feed_channel(feed, trigger):
    response = feed.deliver(example(trigger))

    assert response.status_code == 200 and response.text == "queued\n"
    (post,) = feed.posts(1)
    assert post.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert post.body["channel"] == FEED
    assert "George Alan (cometchat-uid-2)" in post.body["text"]
    assert post.body["blocks"][0]["block_id"] == "feed_event"
    assert post.body["unfurl_links"] is False
    assert len(feed.posted_after_settling()) == 1


def test_answers_at_once_while_slack_is_still_being_posted_to(feed, slack):
    release = threading.Event()

    def slow(_received: Received) -> dict:
        release.wait(10)
        return {"ok": True}

    slack.api_answers["chat.postMessage"] = slow
    try:
        response = feed.deliver(example("group_member_banned"))
        assert response.status_code == 200  # while chat.postMessage is still held
        assert feed.services.responder.pending == 1
    finally:
        release.set()
    feed.posts(1)


def test_several_members_in_one_event_are_one_message(feed):
    people = [user("u-ann", "Ann"), user("u-bob", "Bob"), user("u-cy", "Cy")]
    assert feed.deliver(event(members=people)).status_code == 200

    (post,) = feed.posted_after_settling()
    assert post.body["text"] == "3 users were banned from Hiking Group by Andrew Joseph"
    assert [UnbanRef.decode(b["value"]).uid for b in buttons(post.body, ACTION_UNBAN)] == [
        "u-ann",
        "u-bob",
        "u-cy",
    ]


def test_redelivered_event_is_posted_once(feed):
    body = example("group_member_banned")
    answers = [feed.deliver(body).text for _ in range(3)]  # the first try, retries at 10 s, 30 s
    assert answers == ["queued\n", "duplicate\n", "duplicate\n"]
    later = event(updated_at=1696933600)  # the same user banned again later: a new event
    assert feed.deliver(later).text == "queued\n"
    assert len(feed.posted_after_settling()) == 2


def test_onbehalfof_quirk_posts_a_hedged_message_without_unban(feed):
    actor = user("mod-1", "Mia Moderator")
    assert feed.deliver(event(members=[dict(actor)], by=actor)).status_code == 200

    (post,) = feed.posted_after_settling()
    assert post.body["text"] == "A user was banned from Hiking Group by Mia Moderator"
    assert buttons(post.body, ACTION_UNBAN) == []
    assert len(buttons(post.body, ACTION_OPEN_LIST)) == 1


def test_no_unban_buttons_when_no_moderators_are_configured(start):
    feed = start(moderator_user_ids="")
    feed.deliver(example("group_member_banned"))
    (post,) = feed.posted_after_settling()
    assert buttons(post.body, ACTION_UNBAN) == []


def test_slack_refusing_the_post_is_logged_with_a_hint(feed, slack, caplog):
    caplog.set_level(logging.INFO)
    slack.api_answers["chat.postMessage"] = lambda _r: {"ok": False, "error": "not_in_channel"}
    assert feed.deliver(example("group_member_banned")).status_code == 200
    feed.posted_after_settling()
    assert "outcome=slack_error error=not_in_channel" in caplog.text
    assert "invite the bot to the FEED_CHANNEL_ID channel" in caplog.text


# -- what is refused, and what is ignored -------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [None, (HOOK_USER, "wrong"), ("someone", HOOK_PASSWORD), (HOOK_USER, HOOK_PASSWORD + "x")],
)
def test_wrong_or_missing_credentials_get_401_and_nothing_is_posted(feed, auth, caplog):
    caplog.set_level(logging.INFO)
    response = feed.deliver(example("group_member_banned"), auth=auth)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic ")
    assert feed.posted_after_settling() == []
    assert "outcome=bad_auth" in caplog.text
    assert HOOK_PASSWORD not in caplog.text


def test_unauthenticated_oversized_body_is_refused_as_unauthorised(feed):
    response = feed.deliver(b"x" * (MAX_BODY + 1), auth=None)
    assert response.status_code == 401


def test_oversized_body_is_refused_before_parsing(feed, caplog):
    caplog.set_level(logging.INFO)
    body = example("group_member_banned")
    body["padding"] = "x" * MAX_BODY  # valid JSON, valid event: refused for its size alone
    response = feed.deliver(body)

    assert response.status_code == 413
    assert feed.posted_after_settling() == []
    assert "outcome=too_large" in caplog.text


def test_a_body_just_under_the_limit_is_accepted(feed):
    body = example("group_member_banned")
    body["padding"] = ""
    body["padding"] = "x" * (MAX_BODY - len(encode(body)))
    assert len(encode(body)) == MAX_BODY
    assert feed.deliver(body).text == "queued\n"


@pytest.mark.parametrize(
    ("raw", "outcome"),
    [
        (b"{not json", "outcome=malformed"),
        (encode({"trigger": "group_member_banned", "data": {"members": {}}}), "outcome=malformed"),
        (encode(event("group_member_left")), "outcome=ignored_trigger trigger=group_member_left"),
        (encode(event("message_sent")), "outcome=ignored_trigger trigger=message_sent"),
    ],
    ids=["not_json", "no_members", "member_left", "message_sent"],
)
def test_malformed_or_unknown_events_answer_200_and_post_nothing(feed, raw, outcome, caplog):
    caplog.set_level(logging.INFO)
    response = feed.deliver(raw)

    assert response.status_code == 200  # so CometChat does not retry something that cannot improve
    assert feed.posted_after_settling() == []
    assert outcome in caplog.text


@pytest.mark.parametrize("trigger", ["group_member_joined", "group_member_added"])
def test_joins_are_ignored_when_the_raid_alert_is_off(start, trigger, caplog):
    feed = start(raid_joins_per_minute=0)
    response = feed.deliver(event(trigger))

    assert response.status_code == 200 and response.text == "ignored\n"
    assert feed.posted_after_settling() == []
    assert f"outcome=ignored_trigger trigger={trigger}" in caplog.text


def test_content_type_other_than_json_is_refused(feed):
    response = feed.deliver(example("group_member_banned"), content_type="text/plain")
    assert response.status_code == 415
    assert feed.posted_after_settling() == []


def test_content_type_with_parameters_is_json(feed):
    response = feed.deliver(
        example("group_member_banned"), content_type="application/JSON; charset=UTF-8"
    )
    assert response.text == "queued\n"


def test_only_post_is_served(feed):
    response = feed.http.get(WEBHOOK_PATH, auth=(HOOK_USER, HOOK_PASSWORD))
    assert response.status_code == 405 and response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (
            {
                "cometchat_webhook_user": "",
                "cometchat_webhook_password": None,
                "feed_channel_id": "",
            },
            "COMETCHAT_WEBHOOK_USER",
        ),
        ({"cometchat_webhook_password": None}, "COMETCHAT_WEBHOOK_PASSWORD"),
        ({"cometchat_webhook_password": ""}, "COMETCHAT_WEBHOOK_PASSWORD"),
        ({"feed_channel_id": ""}, "FEED_CHANNEL_ID"),
    ],
)
def test_endpoint_is_shut_not_open_when_settings_are_missing(start, overrides, named, caplog):
    caplog.set_level(logging.INFO)
    feed = start(**overrides)
    assert f"event=webhooks_disabled path={WEBHOOK_PATH}" in caplog.text and named in caplog.text

    for auth in ((HOOK_USER, HOOK_PASSWORD), ("", ""), None):
        assert feed.deliver(example("group_member_banned"), auth=auth).status_code == 404
    assert feed.posted_after_settling() == []
    assert feed.http.get("/healthz").status_code == 200  # the rest of the process is unaffected


# -- filters ---------------------------------------------------------------------------------


def test_group_filter_posts_only_the_listed_groups(start):
    feed = start(feed_groups="other-group, third")
    assert feed.deliver(example("group_member_banned")).text == "filtered_group\n"
    assert feed.deliver(event(guid="third")).text == "queued\n"
    (post,) = feed.posted_after_settling()
    assert "`third`" in post.body["blocks"][0]["text"]["text"]


def test_trigger_filter_posts_only_the_listed_triggers(start):
    feed = start(feed_triggers="kicked,group_member_unbanned")
    assert feed.deliver(example("group_member_banned")).text == "filtered_trigger\n"
    assert feed.deliver(example("group_member_kicked")).text == "queued\n"
    assert feed.deliver(example("group_member_unbanned")).text == "queued\n"
    assert len(feed.posted_after_settling()) == 2


def test_a_trigger_filter_of_typos_posts_nothing_and_says_so(start, caplog):
    caplog.set_level(logging.INFO)
    feed = start(feed_triggers="bannned")
    assert feed.deliver(example("group_member_banned")).text == "filtered_trigger\n"
    assert "event=feed_triggers_unknown ignored=bannned" in caplog.text
    assert "event=feed_triggers_none_valid" in caplog.text


# -- the buttons on a feed message --------------------------------------------------------------


def test_view_banned_list_shows_the_first_page_to_the_clicker_only(feed, slack, cometchat):
    feed.deliver(event(guid=GUID))
    (post,) = feed.posts(1)
    (button,) = buttons(post.body, ACTION_OPEN_LIST)
    assert PageCursor.decode(button["value"]) == PageCursor(guid=GUID, page=1, per_page=10)

    url = slack.url + "/response/open"
    assert feed.click(click_payload(post.body, button, url, user_id="U0ANYONE")).status_code == 200
    (answer,) = slack.wait_for(1, path_prefix="/response/open")
    assert answer.body["response_type"] == "ephemeral"
    assert answer.body["replace_original"] is False  # the feed message stays for everyone
    assert "57 users banned from Hiking Group" in answer.body["text"]
    # The page was read (the group's name may be read at the same time, in either order).
    assert any(r.path.endswith("/bannedusers") for r in cometchat.requests if r.method == "GET")


def test_view_banned_list_is_refused_to_someone_who_may_not_view(start, slack, cometchat):
    feed = start(viewer_user_ids="U0VIEWER")
    feed.deliver(event(guid=GUID))
    (post,) = feed.posts(1)
    (button,) = buttons(post.body, ACTION_OPEN_LIST)

    url = slack.url + "/response/nope"
    feed.click(click_payload(post.body, button, url, user_id="U0STRANGER"))
    (answer,) = slack.wait_for(1, path_prefix="/response/nope")
    assert "not allowed" in answer.body["text"]
    assert cometchat.requests == []


def test_view_banned_list_gives_a_moderator_the_moderation_buttons(feed, slack):
    feed.deliver(event(guid=GUID))
    (post,) = feed.posts(1)
    (button,) = buttons(post.body, ACTION_OPEN_LIST)

    feed.click(click_payload(post.body, button, slack.url + "/response/mod", user_id=MODERATOR))
    (answer,) = slack.wait_for(1, path_prefix="/response/mod")
    assert len(buttons(answer.body, ACTION_UNBAN)) == 10  # one per user on the page


def banned_uids(cometchat: FakeCometChat) -> list[str]:
    return [u["uid"] for u in cometchat.banned[GUID]]


def test_unban_from_a_feed_message_asks_with_the_card_then_unbans(feed, slack, cometchat):
    assert "user-005" in banned_uids(cometchat)
    feed.deliver(event(guid=GUID, members=[user("user-005", "User 005")]))
    (post,) = feed.posts(1)
    (unban,) = buttons(post.body, ACTION_UNBAN)
    assert "confirm" not in unban  # the click asks, with the user's card

    url = slack.url + "/response/unban"
    assert feed.click(click_payload(post.body, unban, url)).status_code == 200
    (asked,) = slack.wait_for(1, path_prefix="/response/unban")
    # The feed is the channel's: the card and its Confirm go to the clicker alone.
    assert asked.body["response_type"] == "ephemeral" and asked.body["replace_original"] is False
    assert "*User 005* `user-005`" in json.dumps(asked.body["blocks"])
    assert [r for r in cometchat.requests if r.method == "DELETE"] == []

    (confirm,) = buttons(asked.body, ACTION_ACT_CONFIRM)
    raw = action_body(ACTION_ACT_CONFIRM, confirm["value"], slack.url + "/response/ok")
    assert feed.click_raw(raw).status_code == 200
    (answer,) = slack.wait_for(1, path_prefix="/response/ok")

    deletes = [r for r in cometchat.requests if r.method == "DELETE"]
    assert [r.path for r in deletes] == [f"/v3/groups/{GUID}/bannedusers/user-005"]
    assert "user-005" not in banned_uids(cometchat)
    assert answer.body["replace_original"] is True  # the spent confirmation says what happened
    assert "Unbanned `user-005`" in answer.body["text"]
    assert buttons(answer.body, ACTION_ACT_CONFIRM) == []


def test_unban_from_a_feed_message_is_refused_to_a_non_moderator(feed, slack, cometchat):
    feed.deliver(event(guid=GUID, members=[user("user-005", "User 005")]))
    (post,) = feed.posts(1)
    (unban,) = buttons(post.body, ACTION_UNBAN)

    url = slack.url + "/response/forged"
    feed.click(click_payload(post.body, unban, url, user_id="U0INTRUDER"))
    (answer,) = slack.wait_for(1, path_prefix="/response/forged")
    assert "not allowed" in answer.body["text"]
    assert [r for r in cometchat.requests if r.method == "DELETE"] == []
    assert "user-005" in banned_uids(cometchat)


def test_unban_of_someone_already_unbanned_says_so(feed, slack, cometchat):
    cometchat.banned[GUID] = [u for u in cometchat.banned[GUID] if u["uid"] != "user-005"]
    feed.deliver(event(guid=GUID, members=[user("user-005", "User 005")]))
    (post,) = feed.posts(1)
    (unban,) = buttons(post.body, ACTION_UNBAN)

    feed.click(click_payload(post.body, unban, slack.url + "/response/stale"))
    (asked,) = slack.wait_for(1, path_prefix="/response/stale")
    (confirm,) = buttons(asked.body, ACTION_ACT_CONFIRM)
    feed.click_raw(action_body(ACTION_ACT_CONFIRM, confirm["value"], slack.url + "/response/ok"))
    (answer,) = slack.wait_for(1, path_prefix="/response/ok")
    assert "not banned" in answer.body["text"].lower()


def test_a_feed_channel_outside_the_viewer_channels_is_flagged_at_start(start, caplog):
    start(viewer_channel_ids="C0OTHER")
    assert "event=feed_channel_not_viewable" in caplog.text
    caplog.clear()
    start(viewer_channel_ids=f"C0OTHER,{FEED}")
    assert "feed_channel_not_viewable" not in caplog.text


# -- what is heard goes into the history --------------------------------------------------------


def _history(feed: LiveFeed, uid: str, guid: str = GUID) -> list:
    assert feed.services.responder.drain(5)  # the record is made on the background job
    return feed.services.store.history(guid, uid).events


def test_a_ban_heard_by_webhook_is_recorded_with_who_did_it_even_for_a_group_the_feed_skips(start):
    feed = start(feed_groups="some-other-group")  # the feed posts nothing for this group
    body = event(
        "group_member_banned",
        members=[user("cometchat-uid-7", "Mallory")],
        by=user("cometchat-uid-1", "Andrew Joseph"),
        updated_at=int(time.time()),
    )
    assert feed.deliver(body).text.strip() == "filtered_group"
    (recorded,) = _history(feed, "cometchat-uid-7")
    assert (recorded.action, recorded.source, recorded.actor, recorded.name) == (
        ModerationAction.BAN,
        EventSource.WEBHOOK,
        "cometchat-uid-1",
        "Mallory",
    )
    assert [p for p in feed.slack.received if p.path == POST] == []


def test_a_retried_delivery_is_recorded_once(feed):
    body = event("group_member_kicked", members=[user("cometchat-uid-8")])
    assert feed.deliver(body).text.strip() == "queued"
    assert feed.deliver(body).text.strip() == "duplicate"
    assert [e.action for e in _history(feed, "cometchat-uid-8")] == [ModerationAction.KICK]


def test_an_unban_heard_from_elsewhere_cancels_the_pending_end_of_a_temporary_ban(feed):
    store = feed.services.store
    now = datetime.now(UTC)
    store.record(
        ModerationEvent(
            guid=GUID,
            uid="cometchat-uid-9",
            action=ModerationAction.BAN,
            source=EventSource.COMMAND,
            at=now - timedelta(hours=1),
            actor=MODERATOR,
            ends_at=now + timedelta(hours=23),
        )
    )
    assert store.pending_expiry(GUID, "cometchat-uid-9") is not None
    body = event("group_member_unbanned", members=[user("cometchat-uid-9")])
    assert feed.deliver(body).text.strip() == "queued"
    actions = [e.action for e in _history(feed, "cometchat-uid-9")]
    assert actions == [ModerationAction.UNBAN, ModerationAction.BAN]  # newest first
    assert store.pending_expiry(GUID, "cometchat-uid-9") is None


def test_the_echo_of_the_bot_s_own_ban_is_not_recorded_twice(feed):
    store = feed.services.store
    store.record(
        ModerationEvent(
            guid=GUID,
            uid="cometchat-uid-10",
            action=ModerationAction.BAN,
            source=EventSource.BUTTON,
            at=datetime.now(UTC),
            actor=MODERATOR,
            reason="spam",
        )
    )
    body = event(
        "group_member_banned", members=[user("cometchat-uid-10")], updated_at=int(time.time())
    )
    assert feed.deliver(body).text.strip() == "queued"
    (only,) = _history(feed, "cometchat-uid-10")
    assert (only.source, only.reason) == (EventSource.BUTTON, "spam")
