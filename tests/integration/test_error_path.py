"""Errors that escape: the job backstop and Bolt's error handler word them from the one table."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from bot.cometchat import errors as cc
from bot.logs import bound
from bot.slack.delivery import Responder
from bot.slack.messages import explain
from tests.support.harness import harness

URL = "https://hooks.slack.test/r/1"


def recording_responder() -> tuple[Responder, list[dict]]:
    """A Responder whose response_url POSTs land in the list returned beside it."""
    posted: list[dict] = []

    def slack(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(200)

    responder = Responder(httpx.Client(transport=httpx.MockTransport(slack)), workers=1, backlog=1)
    return responder, posted


def run_failing_job(error: Exception, context: str) -> list[dict]:
    responder, posted = recording_responder()

    def work() -> dict:
        raise error

    try:
        with bound(rid=context):  # as the request middleware does; the job inherits it
            job = responder.run_then_post(work, URL)
        assert job.result(timeout=10) is True
    finally:
        responder.drain(5)
    return posted


def job_failed(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if "event=job_failed" in r.getMessage()]
    return record


def test_a_job_that_raises_still_tells_the_person_with_a_reference(caplog):
    caplog.set_level(logging.INFO, logger="bot.delivery")
    (posted,) = run_failing_job(RuntimeError("boom"), "rid-7")

    assert "Something went wrong on our side (reference `rid-7`)" in posted["text"]
    assert "boom" not in posted["text"]
    assert posted["response_type"] == "ephemeral" and posted["replace_original"] is False
    record = job_failed(caplog)
    assert record.levelno == logging.ERROR and record.exc_info  # a bug: with its trace


def test_a_typed_error_escaping_a_job_gets_its_own_words_and_the_operator_s_hint(caplog):
    caplog.set_level(logging.INFO, logger="bot.delivery")
    error = cc.AuthRejected(code="AUTH_ERR_APIKEY_NOT_FOUND", status=401)
    (posted,) = run_failing_job(error, "rid-8")

    assert posted["text"] == explain(error).text
    line = job_failed(caplog).getMessage()
    assert "outcome=AuthRejected" in line and "COMETCHAT_API_KEY" in line


def _raising(error: Exception):
    def listener(ack):  # raises before acknowledging, as a failed `submit` does
        raise error

    return listener


def test_a_typed_error_escaping_a_listener_is_worded_beside_the_message():
    with harness() as h:
        h.app.action("escape_test")(_raising(cc.Unavailable()))
        reply = h.click("escape_test", "x")

    assert reply.status == 200
    (message,) = reply.messages
    assert message["text"] == explain(cc.Unavailable()).text


def test_an_unexpected_error_escaping_a_listener_keeps_bolt_s_default():
    with harness() as h:
        h.app.action("escape_test")(_raising(RuntimeError("boom")))
        reply = h.click("escape_test", "x")

    assert reply.status == 500
    assert not reply.messages


def test_a_late_answer_whose_job_raised_still_tells_the_person(caplog):
    caplog.set_level(logging.INFO, logger="bot.delivery")
    responder, posted = recording_responder()

    def work() -> dict:
        raise RuntimeError("boom")

    try:
        with bound(rid="rid-9"):
            job = responder.submit(work)
            responder.post_when_done(job, URL, lambda done: {"text": "never"})
    finally:
        assert responder.drain(5)
    (message,) = posted
    assert "Something went wrong on our side (reference `rid-9`)" in message["text"]
    assert job_failed(caplog).exc_info
