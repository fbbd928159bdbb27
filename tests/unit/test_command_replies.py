"""Every reply `/banned` can give, from the listeners themselves (spec'd Ack, real Services over
FakeCometChat). CometChat's retry back-off runs on a fake clock, so nothing really sleeps."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from unittest.mock import Mock

import httpx
import pytest
from slack_bolt import Ack, BoltContext

from bot.cometchat import CometChatClient, RetryPolicy
from bot.domain.button_values import PageCursor
from bot.domain.ids import MAX_GUID_LENGTH
from bot.listeners.actions.paging import handle_page_click
from bot.listeners.commands.banned import handle_banned
from bot.listeners.middleware import button_value
from bot.services import Services
from bot.slack.banned_page import ACTION_NEXT
from bot.usecases.banned_list import BannedLists
from tests.conftest import GUID
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.cometchat import API_KEY, FakeCometChat, Recorded
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

SECRETS = (API_KEY, BOT_TOKEN, SIGNING_SECRET)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def svc(services: Services, cometchat: FakeCometChat, clock: FakeClock) -> Iterator[Services]:
    """The conftest services, with a CometChat client whose back-off runs on `clock`."""
    client = CometChatClient(
        services.settings.cometchat_url,
        services.settings.cometchat_api_key,
        transport=cometchat.transport(),
        retry=RetryPolicy(budget=services.settings.cometchat_retry_budget),
        sleep=clock.sleep,
        clock=clock,
        # One read after another (the group's name, then the page): these tests count the tries
        # of one read. Reading both at once is tests/integration/test_parallel_reads.py's.
        max_parallel=1,
    )
    original = services.cometchat
    services.cometchat, services.lists = client, BannedLists(client)
    yield services  # conftest's teardown drains the responder and closes `client`
    original.close()


def run_command(services: Services, text: str | None) -> dict:
    ack = Mock(spec=Ack)
    command = {"text": text, "user_id": "U0MOD", "response_url": "https://slack.test/r/1"}
    handle_banned(ack, command, services)
    ack.assert_called_once()
    reply = ack.call_args.kwargs
    assert reply["response_type"] == "ephemeral" and reply["text"].strip()
    return reply


def always(status: int, code: str | None, headers: dict | None = None):
    body = {"error": {"code": code, "message": "nope"}} if code else {"oops": True}

    def intercept(rec: Recorded) -> tuple[int, object, dict]:
        return status, body, headers or {}

    return intercept


def has_buttons(reply: dict) -> bool:
    return any(
        element["type"] == "button"
        for block in reply.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    )


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# -- replies that need no lookup -------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", "   ", "help", "HELP", "--help", "help me"])
def test_empty_text_or_help_gives_usage_with_an_example(svc, cometchat, text):
    reply = run_command(svc, text)
    assert "*Usage:*" in reply["text"] and "*Example:* `/banned cometchat-guid-1`" in reply["text"]
    assert cometchat.requests == []


@pytest.mark.parametrize("text", ["a/b", "../x", "x?y=1", "#", "%2F", "..", "ü", "a\\b"])
def test_malformed_guid_says_so_and_looks_nothing_up(svc, cometchat, text):
    reply = run_command(svc, text)
    assert "is not a valid group id" in reply["text"] and "Nothing was looked up" in reply["text"]
    assert "*Example:*" in reply["text"]  # and shows how it should look
    assert cometchat.requests == []


def test_too_long_guid_says_so_and_looks_nothing_up(svc, cometchat):
    reply = run_command(svc, "g" * (MAX_GUID_LENGTH + 1))
    assert "is too long for a group id" in reply["text"] and f"{MAX_GUID_LENGTH}" in reply["text"]
    assert "g" * 41 not in reply["text"]  # the echo is shortened
    assert cometchat.requests == []


def test_hostile_text_is_echoed_escaped(svc):
    reply = run_command(svc, "<!channel>")
    assert "<!channel>" not in reply["text"] and "&lt;!channel&gt;" in reply["text"]


# -- replies from CometChat ------------------------------------------------------------------


def test_known_group_answers_with_its_first_page(svc):
    reply = run_command(svc, GUID)
    assert reply["text"] == "57 users banned from Hiking Group (page 1 of 6)"
    assert has_buttons(reply)


def test_unknown_group_says_there_is_no_such_group(svc, cometchat):
    reply = run_command(svc, "no-such-group")
    assert reply["text"] == ":mag: There is no group `no-such-group` in this CometChat app."
    assert not has_buttons(reply)
    assert len(cometchat.requests) == 1  # not retried


def test_empty_group_says_nobody_is_banned_without_buttons(svc):
    reply = run_command(svc, "empty-group")
    assert "Nobody is banned from Quiet Corner" in reply["text"]
    assert not has_buttons(reply)


def test_rejected_api_key_says_misconfigured_and_logs_which_setting(svc, cometchat, caplog):
    caplog.set_level(logging.INFO)
    cometchat.api_key = "the-key-was-rotated"  # ours no longer matches
    reply = run_command(svc, GUID)

    assert "misconfigured" in reply["text"] and "ask the person who runs /banned" in reply["text"]
    assert "COMETCHAT_API_KEY" not in reply["text"]  # settings are the operator's business
    lines = [r.getMessage() for r in caplog.records if "COMETCHAT_API_KEY" in r.getMessage()]
    assert (
        len(lines) == 1 and "AuthRejected" in lines[0] and "AUTH_ERR_APIKEY_NOT_FOUND" in lines[0]
    )
    assert_no_secrets(caplog.text, json.dumps(reply))
    assert len(cometchat.requests) == 1  # a wrong key is not retried


@pytest.mark.parametrize(
    "intercept",
    [always(503, None), always(500, "ERR_EXCEPTION"), "connection"],
    ids=["503", "500", "connection-refused"],
)
def test_cometchat_down_is_retried_within_budget_then_says_try_again(
    svc, cometchat, clock, intercept
):
    def refuse(rec: Recorded):
        raise httpx.ConnectError("connection refused")

    cometchat.interceptor = refuse if intercept == "connection" else intercept
    reply = run_command(svc, GUID)

    assert "not answering right now" in reply["text"] and "try again" in reply["text"]
    assert "Traceback" not in reply["text"] and not has_buttons(reply)
    assert 2 <= len(cometchat.requests) <= RetryPolicy().attempts  # retried, but bounded
    assert clock.now <= svc.settings.cometchat_retry_budget


def test_rate_limit_honours_retry_after_then_says_try_again(svc, cometchat, clock):
    cometchat.interceptor = always(429, "ERR_TOO_MANY_REQUESTS", {"Retry-After": "0.2"})
    reply = run_command(svc, GUID)
    assert "rate-limiting" in reply["text"] and "try again" in reply["text"]
    assert clock.sleeps == [0.2, 0.2] and len(cometchat.requests) == 3  # 0.6 s > 0.5 s budget


@pytest.mark.parametrize("retry_after", ["inf", "nan", "soon", "1e999", "1e300"])
def test_unusable_retry_after_still_gets_a_clear_try_again(svc, cometchat, retry_after):
    cometchat.interceptor = always(429, "ERR_TOO_MANY_REQUESTS", {"Retry-After": retry_after})
    reply = run_command(svc, GUID)
    assert reply["text"].endswith("Please try again shortly.")


def test_rate_limit_reply_says_how_long_to_wait(svc, cometchat):
    cometchat.interceptor = always(429, "ERR_TOO_MANY_REQUESTS", {"Retry-After": "42"})
    reply = run_command(svc, GUID)
    assert reply["text"].endswith("Please try again in about 42 s.")


def test_every_reply_is_distinct(svc, cometchat):
    replies = {
        "usage": run_command(svc, "help"),
        "malformed": run_command(svc, "a/b"),
        "too long": run_command(svc, "g" * (MAX_GUID_LENGTH + 1)),
        "unknown": run_command(svc, "no-such-group"),
        "empty": run_command(svc, "empty-group"),
        "page": run_command(svc, GUID),
    }
    for name, intercept in [
        ("down", always(503, None)),
        ("rate limited", always(429, "ERR_TOO_MANY_REQUESTS", {"Retry-After": "30"})),
        ("auth", always(401, "AUTH_ERR_APIKEY_NOT_FOUND")),
    ]:
        cometchat.interceptor = intercept
        replies[name] = run_command(svc, "another-group")
    texts = {name: reply["text"] for name, reply in replies.items()}
    assert len(set(texts.values())) == len(texts), texts
    # The first line of each (what a notification shows) differs too.
    assert len({text.split("\n")[0] for text in texts.values()}) == len(texts)


# -- Previous / Next -------------------------------------------------------------------------


def click(services: Services, value: object, response_url: str) -> Mock:
    ack = Mock(spec=Ack)
    action = {"action_id": ACTION_NEXT, "value": value}
    body = {"user": {"id": "U0MOD"}, "response_url": response_url, "actions": [action]}
    context = BoltContext(user_id="U0MOD")
    decode = button_value(PageCursor, services, event="page_click")
    decode(
        ack=ack,
        body=body,
        context=context,
        next=lambda: handle_page_click(context["click"], services),
    )
    ack.assert_called_once_with()  # acknowledged at once, with nothing: the page goes separately
    return ack


def test_click_replaces_the_message_with_the_page_its_button_names(svc, slack: FakeSlack):
    value = PageCursor(guid=GUID, page=6, per_page=10).encode()
    click(svc, value, slack.url + "/response/p6")
    (delivered,) = slack.wait_for(1, path_prefix="/response/p6")
    assert delivered.body["replace_original"] is True
    assert delivered.body["text"] == "57 users banned from Hiking Group (page 6 of 6)"


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        None,
        json.dumps({"g": GUID, "p": 1, "n": 100}),  # would render more than 50 blocks
        json.dumps({"g": "../../users", "p": 1, "n": 10}),
    ],
)
def test_tampered_button_says_so_beside_the_message_and_looks_nothing_up(
    svc, cometchat, slack: FakeSlack, value
):
    click(svc, value, slack.url + "/response/bad")
    (delivered,) = slack.wait_for(1, path_prefix="/response/bad")
    assert "That button no longer works" in delivered.body["text"]
    assert delivered.body["replace_original"] is False
    assert cometchat.requests == []


def test_click_on_a_vanished_group_explains_beside_the_message(svc, slack: FakeSlack):
    value = PageCursor(guid="gone-group", page=2, per_page=10).encode()
    click(svc, value, slack.url + "/response/gone")
    (delivered,) = slack.wait_for(1, path_prefix="/response/gone")
    assert "There is no group `gone-group`" in delivered.body["text"]
    assert delivered.body["replace_original"] is False  # the list stays for another try
