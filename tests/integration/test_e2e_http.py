"""Signed requests through the real Bolt app over HTTP; a local server stands in for Slack."""

from __future__ import annotations

import json
import threading
import time

from bot.slack.banned_page import ACTION_NEXT, ACTION_PREVIOUS
from tests.conftest import GUID
from tests.support.fakes.slack import action_body, command_body
from tests.support.slack_messages import button, listed_uids


def test_slash_command_answers_with_first_page_in_the_ack(live_app, slack):
    response = live_app.post(command_body(GUID, slack.url + "/response/1"))

    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "57 users banned from Hiking Group" in body["text"]
    assert body["blocks"][0]["text"]["text"] == "Banned from Hiking Group"
    assert listed_uids(body) == [f"user-{i:03d}" for i in range(1, 11)]
    assert button(body, ACTION_NEXT) is not None
    assert button(body, ACTION_PREVIOUS) is None


def test_walking_next_then_previous_across_57_users(live_app, slack):
    message = live_app.post(command_body(GUID, slack.url + "/response/0")).json()
    seen = list(listed_uids(message))
    pages = [message]
    for step in range(1, 10):
        next_button = button(message, ACTION_NEXT)
        if next_button is None:
            break
        url = f"{slack.url}/response/next{step}"
        assert live_app.post(action_body(ACTION_NEXT, next_button["value"], url)).status_code == 200
        (delivered,) = slack.wait_for(1, path_prefix=f"/response/next{step}")
        message = delivered.body
        assert message["replace_original"] is True
        seen.extend(listed_uids(message))
        pages.append(message)

    assert seen == [f"user-{i:03d}" for i in range(1, 58)]  # every user exactly once, in order
    assert len(pages) == 6 and button(pages[-1], ACTION_NEXT) is None
    assert "page 6 of 6" in pages[-1]["blocks"][1]["elements"][0]["text"]

    back = button(pages[-1], ACTION_PREVIOUS)
    assert live_app.post(action_body(ACTION_PREVIOUS, back["value"], slack.url + "/response/back"))
    (delivered,) = slack.wait_for(1, path_prefix="/response/back")
    assert delivered.body["replace_original"] is True
    assert listed_uids(delivered.body) == listed_uids(pages[-2])


def test_forged_signature_is_rejected_and_nothing_is_fetched(live_app, slack, cometchat):
    body = command_body(GUID, slack.url + "/response/1")
    response = live_app.post(body, secret="not-the-signing-secret")
    assert response.status_code == 401
    assert cometchat.requests == []


def test_stale_signature_is_rejected(live_app, slack, cometchat):
    body = command_body(GUID, slack.url + "/response/1")
    response = live_app.post(body, timestamp=int(time.time()) - 6 * 60)
    assert response.status_code == 401
    assert cometchat.requests == []


def test_slow_cometchat_acks_at_once_and_delivers_through_response_url(live_app, slack, cometchat):
    release = threading.Event()

    def hold(rec):
        release.wait(10)  # CometChat "slow": answers only when the test says so
        return None

    cometchat.interceptor = hold
    live_app.services.settings.ack_budget = 0.05
    response = live_app.post(command_body(GUID, slack.url + "/response/slow"))
    assert response.status_code == 200
    assert response.content == b""  # acknowledged without waiting for CometChat
    assert slack.responses() == []
    release.set()
    (delivered,) = slack.wait_for(1, path_prefix="/response/slow")
    assert delivered.body["response_type"] == "ephemeral"
    assert "57 users banned" in delivered.body["text"]


def test_tampered_button_value_gets_a_clear_message(live_app, slack, cometchat):
    url = slack.url + "/response/bad"
    value = json.dumps({"g": "../../users", "p": 1, "n": 10})
    assert live_app.post(action_body(ACTION_NEXT, value, url)).status_code == 200
    (delivered,) = slack.wait_for(1, path_prefix="/response/bad")
    assert "no longer works" in delivered.body["text"]
    assert delivered.body["replace_original"] is False
    assert cometchat.requests == []


def test_health_route_answers_without_upstream(live_app, cometchat, slack):
    response = live_app.http.get("/healthz")
    assert response.status_code == 200 and response.text == "ok\n"
    assert cometchat.requests == [] and slack.since_startup() == []
