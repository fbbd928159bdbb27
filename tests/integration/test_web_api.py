"""The Slack Web API client as services builds it: slack_sdk's WebClient and its shipped retry
handlers, against FakeSlack on loopback (each call is a new urllib connection)."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import new_web_client
from tests.support.fakes.slack import BOT_TOKEN, HANG_UP, Answer, FakeSlack

RATE_LIMITED = Answer(
    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
)


def client_for(slack: FakeSlack, *answers: dict | Answer) -> WebClient:
    """chat.postMessage answers `answers` in turn (the last one repeats)."""
    calls: list[int] = []

    def answer(_received) -> dict | Answer:
        calls.append(1)
        return answers[min(len(calls), len(answers)) - 1]

    slack.api_answers["chat.postMessage"] = answer
    return new_web_client(token=BOT_TOKEN, base_url=slack.url + "/api/")


def posts(slack: FakeSlack) -> list:
    return [r for r in slack.received if r.path == "/api/chat.postMessage"]


def test_a_call_sends_the_bot_token_and_json_to_the_method_url(slack):
    client = client_for(slack, {"ok": True, "ts": "1.2"})

    assert client.chat_postMessage(channel="C1", text="hello")["ts"] == "1.2"

    (posted,) = posts(slack)
    assert posted.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert json.loads(posted.raw) == {"channel": "C1", "text": "hello"}


def test_an_api_error_is_slacks_own_error(slack):
    client = client_for(slack, {"ok": False, "error": "not_in_channel"})
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hello")
    assert raised.value.response["error"] == "not_in_channel"


def test_rate_limit_is_waited_out_by_slack_sdks_retry_handler(slack):
    client = client_for(slack, RATE_LIMITED, {"ok": True})
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert len(posts(slack)) == 2


def test_rate_limit_retries_stop_after_two(slack):
    client = client_for(slack, RATE_LIMITED)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert len(posts(slack)) == 3  # RateLimitErrorRetryHandler(max_retry_count=2)


def test_a_dropped_connection_is_retried_once_then_raised(slack):
    client = client_for(slack, HANG_UP)
    with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected
        client.chat_postMessage(channel="C1", text="x")
    assert len(posts(slack)) == 2  # ConnectionErrorRetryHandler: one retry


def test_a_dropped_connection_then_an_answer_succeeds(slack):
    client = client_for(slack, HANG_UP, {"ok": True})
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert len(posts(slack)) == 2
