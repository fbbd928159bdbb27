"""The pooled Web API client: slack_sdk's behaviour, over our httpx pool."""

from __future__ import annotations

import json

import httpx
import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.web_api import new_web_client
from tests.fakes.slack import BOT_TOKEN


def _client(handler):
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return new_web_client(token=BOT_TOKEN, base_url="https://slack.test/api/", http=http)


def test_a_call_goes_through_the_given_pool_with_token_and_json():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True, "ts": "1.2"})

    response = _client(handler).chat_postMessage(channel="C1", text="hello")

    assert response["ts"] == "1.2"
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://slack.test/api/chat.postMessage"
    assert request.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert json.loads(request.content) == {"channel": "C1", "text": "hello"}


def test_an_api_error_is_slacks_own_error():
    client = _client(lambda r: httpx.Response(200, json={"ok": False, "error": "not_in_channel"}))
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hello")
    assert raised.value.response["error"] == "not_in_channel"


def test_rate_limit_is_waited_out_by_slack_sdks_retry_handler():
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "0"}, json={"ok": False}),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return next(answers)

    assert _client(handler).chat_postMessage(channel="C1", text="x")["ok"] is True
    assert len(calls) == 2


def test_a_connection_failure_is_retried_once_then_raised():
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused")

    with pytest.raises(Exception) as raised:
        _client(handler).chat_postMessage(channel="C1", text="x")
    assert "refused" in str(raised.value)
    assert len(calls) == 2  # slack_sdk's ConnectionErrorRetryHandler: one retry


def test_calls_reuse_one_connection(slack):
    http = httpx.Client()
    client = new_web_client(token=BOT_TOKEN, base_url=slack.url + "/api/", http=http)
    for _ in range(3):
        client.chat_postMessage(channel="C1", text="x")
    posted = slack.wait_for(3, path_prefix="/api/chat.postMessage")
    assert len(posted) == 3
    pool = http._transport._pool  # the number of sockets opened is what "reuse" means
    assert len(pool.connections) == 1
