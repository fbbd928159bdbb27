"""The webhook WSGI handler called directly with WSGI environs: the cases a real HTTP client
does not easily produce (chunked bodies, lying or missing lengths, a process shutting down)."""

from __future__ import annotations

import base64
import io
from concurrent.futures import Future

import pytest
from pydantic import SecretStr

from bot.domain.member_events import Trigger, parse_event
from bot.slack.delivery import ShuttingDown
from bot.webhooks.auth import BasicAuth
from bot.webhooks.endpoint import MAX_BODY, WebhookEndpoint
from bot.webhooks.feed import Accepted, Feed
from tests.support.webhook_payloads import encode, example

AUTH = "Basic " + base64.b64encode(b"cometchat:hookPassw0rd123").decode()


class Jobs:
    """Stands in for the Responder's `submit`: records work instead of running it."""

    def __init__(self) -> None:
        self.work: list = []
        self.closed = False

    def submit(self, work) -> Future:
        if self.closed:
            raise ShuttingDown()
        self.work.append(work)
        return Future()


class NoSlack:
    def chat_postMessage(self, **kw):  # jobs are recorded, never run, in these tests
        raise AssertionError("nothing may be posted from these tests")


@pytest.fixture
def jobs() -> Jobs:
    return Jobs()


@pytest.fixture
def endpoint(jobs: Jobs) -> WebhookEndpoint:
    feed = Feed(channel_id="C0FEED", client=NoSlack(), submit=jobs.submit)  # type: ignore[arg-type]
    return WebhookEndpoint(BasicAuth("cometchat", SecretStr("hookPassw0rd123")), feed)


def call(endpoint: WebhookEndpoint, body: bytes, **environ) -> tuple[str, dict, bytes]:
    seen: dict = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    base = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/cometchat/webhooks",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": AUTH,
        "wsgi.input": io.BytesIO(body),
    }
    base.update(environ)
    answer = b"".join(endpoint(base, start_response))
    return seen["status"], seen["headers"], answer


def test_a_chunked_body_over_the_limit_is_refused_by_what_is_read(endpoint, jobs):
    body = encode({**example("group_member_banned"), "padding": "x" * MAX_BODY})
    status, _, _ = call(endpoint, body, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked")
    assert status.startswith("413")
    assert jobs.work == []


def test_a_small_chunked_body_is_accepted(endpoint, jobs):
    body = encode(example("group_member_banned"))
    status, _, answer = call(endpoint, body, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked")
    assert (status, answer) == ("200 OK", b"queued\n")
    assert len(jobs.work) == 1


def test_the_read_stops_at_the_declared_length(endpoint, jobs):
    # A stream holding more than declared: only the declared bytes are read and parsed.
    body = encode(example("group_member_banned"))
    stream = io.BytesIO(body + b"x" * (2 * MAX_BODY))
    status, _, answer = call(endpoint, body, **{"wsgi.input": stream})
    assert (status, answer) == ("200 OK", b"queued\n")
    assert stream.tell() == len(body)


def test_a_declared_length_over_the_limit_is_refused_unread(endpoint, jobs):
    stream = io.BytesIO(b"{}")
    status, _, _ = call(endpoint, b"{}", CONTENT_LENGTH=str(MAX_BODY + 1), **{"wsgi.input": stream})
    assert status.startswith("413") and stream.tell() == 0


@pytest.mark.parametrize("length", ["abc", "-1"])
def test_a_garbled_length_is_a_bad_request(endpoint, jobs, length):
    status, _, _ = call(endpoint, b"{}", CONTENT_LENGTH=length)
    assert status.startswith("400") and jobs.work == []


def test_no_body_at_all_is_malformed_not_a_hang(endpoint, jobs):
    status, _, answer = call(endpoint, b"", CONTENT_LENGTH="")
    assert (status, answer) == ("200 OK", b"ignored\n")
    assert jobs.work == []


def test_while_shutting_down_it_answers_503_so_cometchat_retries(endpoint, jobs):
    body = encode(example("group_member_banned"))
    jobs.closed = True
    status, _, _ = call(endpoint, body)
    assert status.startswith("503")
    # The refused delivery was not remembered: its retry (to a live process) is not a duplicate.
    jobs.closed = False
    assert call(endpoint, body)[2] == b"queued\n"
    assert call(endpoint, body)[2] == b"duplicate\n"


def test_a_disabled_endpoint_answers_404_whatever_is_sent(jobs):
    endpoint = WebhookEndpoint(None, None, disabled_reason="set FEED_CHANNEL_ID")
    status, _, _ = call(endpoint, encode(example("group_member_banned")))
    assert status.startswith("404") and not endpoint.enabled


def test_accept_reports_each_decision(jobs):
    feed = Feed(
        channel_id="C0FEED",
        client=NoSlack(),  # type: ignore[arg-type]
        submit=jobs.submit,
        groups=frozenset({"cometchat-guid-1"}),
        triggers=frozenset({Trigger.BANNED}),
    )
    banned = parse_event(encode(example("group_member_banned")))
    kicked = parse_event(encode(example("group_member_kicked")))
    elsewhere = encode({**example("group_member_banned")})
    other = parse_event(elsewhere.replace(b'"cometchat-guid-1"', b'"other"'))
    assert feed.accept(kicked, 0) is Accepted.OTHER_TRIGGER
    assert feed.accept(other, 0) is Accepted.OTHER_GROUP
    assert feed.accept(banned, 0) is Accepted.QUEUED
    assert feed.accept(banned, 0) is Accepted.DUPLICATE
    assert len(jobs.work) == 1
