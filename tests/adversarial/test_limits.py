"""One viewer cannot spend the CometChat app's rate limit: one export per person, two per process,
a time budget per export, and a bounded background job queue that refuses instead of growing."""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from pydantic import SecretStr

from bot.domain.button_values import BanRef, PageCursor
from bot.domain.errors import ExportRunning, ExportsBusy, JobQueueFull
from bot.slack.banned_page import ACTION_NEXT
from bot.slack.delivery import Responder
from bot.slack.list_tools import ACTION_EXPORT
from bot.slack.moderation_blocks import ACTION_BAN_CONFIRM
from bot.slack.picker import ACTION_PICK_GROUP
from bot.store.leases import WorkLeases
from bot.usecases.export import ExportSlots
from bot.webhooks.auth import BasicAuth
from bot.webhooks.endpoint import WebhookEndpoint
from bot.webhooks.feed import Feed
from tests.conftest import GUID
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import action_body
from tests.support.harness import harness
from tests.support.hold import Hold
from tests.support.webhook_payloads import encode, example

BUSY = "The bot is busy right now"


def _export_click(live_app, slack, tag: str, user: str) -> None:
    value = PageCursor(guid=GUID, page=1, per_page=10).encode()
    url = f"{slack.url}/response/{tag}"
    assert live_app.post(action_body(ACTION_EXPORT, value, url, user_id=user)).status_code == 200


def _list_reads(cometchat: FakeCometChat) -> int:
    return sum(1 for r in cometchat.requests if r.path.endswith("/bannedusers"))


# -- one export per person, two in the app ----------------------------------------------------


@pytest.mark.parametrize(
    ("running", "clicker", "told"),
    [
        (["U0MOD"], "U0MOD", "You already have an export running"),
        (["U0A", "U0B"], "U0C", "2 exports are already running"),
    ],
    ids=["same-person", "third-person"],
)
def test_an_export_click_without_a_free_slot_is_told_why_and_reads_nothing(
    live_app, slack, cometchat, caplog, running, clicker, told
):
    caplog.set_level(logging.INFO)
    hold = Hold(cometchat)
    for n, user in enumerate(running):
        _export_click(live_app, slack, f"run{n}", user)
    hold.wait_held(len(running))
    reads = len(cometchat.requests)

    _export_click(live_app, slack, "refused", clicker)

    (refusal,) = slack.wait_for(1, path_prefix="/response/refused")
    assert told in refusal.body["text"]
    assert len(cometchat.requests) == reads  # the refused click reached nothing upstream
    hold.release()
    for n in range(len(running)):
        slack.wait_for(2, path_prefix=f"/response/run{n}")
    live_app.services.responder.drain(5)
    assert len(slack.uploads()) == len(running)  # a file per running export, none more
    messages = [r.getMessage() for r in caplog.records]
    assert sum("event=export" in m and "outcome=ok" in m for m in messages) == len(running)
    assert live_app.services.exports.running == 0  # every slot is free again


def test_export_slots_one_per_person_and_a_bound_in_the_app(engine):
    slots = ExportSlots(WorkLeases(engine), limit=2, budget=60)
    slots.take("U1")
    with pytest.raises(ExportRunning):
        slots.take("U1")
    slots.take("U2")
    with pytest.raises(ExportsBusy):
        slots.take("U3")
    slots.release("U1")
    slots.take("U3")  # a freed slot is taken at once
    assert slots.running == 2


# -- the time budget ---------------------------------------------------------------------------


def test_an_upstream_that_never_ends_stops_at_the_budget_with_no_file(caplog):
    """Each page takes 0.5 s of virtual time and says "more to come"; the budget is 10 s."""
    caplog.set_level(logging.INFO)
    clock = FakeClock()
    fake = FakeCometChat()
    fake.add_group(GUID, "Endless", banned=100)

    def endless(rec):
        if not rec.path.endswith("/bannedusers"):
            return None
        clock.now += 0.5
        meta = {"pagination": {"total": 10**6, "total_pages": 10**4}}
        return 200, {"data": fake.banned[GUID], "meta": meta}, {}

    fake.interceptor = endless
    with harness(fake, clock=clock, sleep=clock.sleep, export_time_budget=10) as h:
        h.click(ACTION_EXPORT, PageCursor(guid=GUID, page=1, per_page=10).encode())
        h.settle()
        texts = [m["text"] for m in h.slack.responses()]
        uploads, completed = (
            h.slack.uploads(),
            [r for r in h.slack.received if r.path == "/api/files.completeUploadExternal"],
        )

    # 10 s / 0.5 s a page: bounded by the budget, not 1,000 (plus the reads already ahead).
    assert 10 / 0.5 <= _list_reads(fake) <= 10 / 0.5 + h.services.settings.cometchat_max_parallel
    assert uploads == [] and completed == []  # no partial file
    assert "Exporting" in texts[0]
    assert "stopped after 10 s without reaching the end of the list" in texts[-1]
    assert "no file was sent" in texts[-1]
    messages = [r.getMessage() for r in caplog.records]
    assert any("ExportTimedOut" in m and "EXPORT_TIME_BUDGET" in m for m in messages)
    assert not any("event=export" in m and "outcome=ok" in m for m in messages)


# -- the bounded job queue ---------------------------------------------------------------------


@pytest.fixture
def gate() -> threading.Event:
    return threading.Event()


@pytest.fixture
def full(gate):
    """An app whose job queue is full: one worker, one waiting job, both held until `gate`."""
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=57)
    with harness(fake, workers=1, job_queue_per_worker=1) as h:
        for _ in range(h.services.responder.limit):
            h.services.responder.submit(lambda: gate.wait(10))
        try:
            yield h
        finally:
            gate.set()
            h.settle()


def test_a_command_is_told_the_bot_is_busy_and_nothing_is_read(full, caplog):
    caplog.set_level(logging.INFO)
    reply = full.command(GUID)

    assert reply.status == 200 and BUSY in reply.ack["text"]
    assert reply.ack["response_type"] == "ephemeral"
    assert full.cometchat.requests == []
    assert any(
        "outcome=JobQueueFull" in r.getMessage() and "JOB_QUEUE_PER_WORKER" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )


def test_clicks_are_told_the_bot_is_busy_and_nothing_reaches_cometchat_or_the_audit(full, caplog):
    caplog.set_level(logging.INFO)
    page = PageCursor(guid=GUID, page=2, per_page=10).encode()
    ban = BanRef(guid=GUID, uid="user-900").encode()

    for action, value in ((ACTION_NEXT, page), (ACTION_EXPORT, page), (ACTION_BAN_CONFIRM, ban)):
        reply = full.click(action, value)
        assert reply.status == 200
        (message,) = reply.messages
        assert BUSY in message["text"], action

    assert full.cometchat.requests == []
    assert not any("event=audit" in r.getMessage() for r in caplog.records)
    assert full.services.exports.running == 0  # the refused export gave its slot back


def test_the_group_menu_offers_nothing_while_busy(full):
    body = action_body(ACTION_PICK_GROUP, "", "")
    payload = json.loads(parse_qs(body)[b"payload"][0])
    payload.update(type="block_suggestion", action_id=ACTION_PICK_GROUP, value="hik")
    response = full.signed(urlencode({"payload": json.dumps(payload)}).encode())

    assert response.status == 200 and json.loads(response.body) == {"options": []}
    assert full.cometchat.requests == []


def test_commands_are_served_again_once_the_queue_drains(full, gate):
    assert BUSY in full.command(GUID).ack["text"]
    gate.set()
    full.settle()

    assert "57 users banned" in full.command(GUID).ack["text"]


def test_submit_refuses_past_the_bound_and_takes_work_again_after():
    responder = Responder(httpx.Client(), workers=1, backlog=2)
    gate = threading.Event()
    held = [responder.submit(lambda: gate.wait(10)) for _ in range(3)]

    with pytest.raises(JobQueueFull) as raised:
        responder.submit(lambda: None)

    assert raised.value.limit == 3 == responder.limit and responder.pending == 3
    gate.set()
    for future in held:
        future.result(timeout=10)
    assert responder.submit(lambda: "again").result(timeout=10) == "again"
    assert responder.drain(5)


def test_delivering_an_accepted_job_does_not_count_against_the_bound():
    """A command acknowledged before its page was ready must not crowd out new work."""
    posted = []
    http = httpx.Client(
        transport=httpx.MockTransport(lambda r: posted.append(r) or httpx.Response(200))
    )
    responder = Responder(http, workers=1, backlog=1)
    gate = threading.Event()
    page = responder.submit(lambda: gate.wait(10) and {"text": "page"})
    responder.post_when_done(page, "https://hooks.slack.test/r/1", lambda done: {"text": "p"})

    second = responder.submit(lambda: "taken")  # the delivery is not a second job
    with pytest.raises(JobQueueFull):
        responder.submit(lambda: None)  # but this would be a third

    gate.set()
    assert second.result(timeout=10) == "taken"
    assert responder.drain(5) and len(posted) == 1


def test_webhook_delivery_while_busy_gets_503_so_cometchat_retries():
    def refuse(_work):
        raise JobQueueFull(4)

    feed = Feed(channel_id="C0FEED", client=None, submit=refuse)  # type: ignore[arg-type]
    endpoint = WebhookEndpoint(BasicAuth("cometchat", SecretStr("hookPassw0rd123")), feed)
    body = encode(example("group_member_banned"))
    seen: dict = {}
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/cometchat/webhooks",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"cometchat:hookPassw0rd123").decode(),
        "wsgi.input": io.BytesIO(body),
    }

    answer = b"".join(endpoint(environ, lambda status, headers: seen.update(status=status)))

    assert seen["status"].startswith("503") and answer == b"busy\n"
