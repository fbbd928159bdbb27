"""Workflow Builder steps, through the real app: signed `function_executed` events in (the
Events API, JSON), and each step's answer checked where Slack would get it, on the fake Slack's
functions.completeSuccess / functions.completeError. CometChat faked; the history in the run's
database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.moderation import EventSource, ModerationAction
from bot.slack.workflow_steps import STEP_BAN, STEP_IS_BANNED, STEP_UNBAN
from tests.conftest import GUID
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import STEP_TOKEN, Received, function_executed_body, sign
from tests.support.harness import MODERATOR, Harness, harness

OUTSIDER = "U0NOBODY"
OTHER_GUID = "cometchat-guid-2"


@pytest.fixture
def app(database, engines) -> Iterator[Harness]:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=1)
    fake.add_group(OTHER_GUID, "Climbing Group")
    _backend, url = database
    with harness(fake, database_url=url) as built:
        yield built


def _who(user: str = MODERATOR) -> dict[str, str]:
    """A user_context input, as Slack fills it for the person who ran the workflow."""
    return {"id": user, "secret": "c2VjcmV0LWZyb20tc2xhY2s="}


def _run(
    app: Harness, step: str, inputs: dict[str, Any], execution_id: str = "Fx0EXEC"
) -> Received:
    """Deliver the step's event, signed; return Slack's one answer for that execution."""
    mark = len(app.slack.step_answers())
    body = function_executed_body(step, inputs, execution_id=execution_id)
    response = app.signed_json(body)
    assert response.status == 200
    app.slack.wait_for(mark + 1, path_prefix="/api/functions.complete")
    app.settle()
    answers = app.slack.step_answers()[mark:]
    assert len(answers) == 1, answers
    (answer,) = answers
    assert answer.body["function_execution_id"] == execution_id
    # Answered with the token the event carried, as Slack requires for a step's answer.
    assert answer.headers["authorization"] == f"Bearer {STEP_TOKEN}"
    return answer


def _outputs(answer: Received) -> dict[str, Any]:
    assert answer.path == "/api/functions.completeSuccess", answer.body
    return json.loads(answer.body["outputs"])


def _error(answer: Received) -> str:
    assert answer.path == "/api/functions.completeError", answer.body
    return answer.body["error"]


def _writes(app: Harness) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in app.cometchat.requests if r.method in ("POST", "DELETE")]


def _ban_inputs(uid: str = "newbie", **extra: Any) -> dict[str, Any]:
    return {
        "group_id": GUID,
        "user_id": uid,
        "duration": "7d",
        "reason": "spam <!channel>",
        "moderator": _who(),
        **extra,
    }


def test_the_ban_step_bans_records_the_case_and_completes_with_its_number(app):
    outputs = _outputs(_run(app, STEP_BAN, _ban_inputs()))

    assert _writes(app) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")]
    (event,) = app.services.store.history(GUID, "newbie").events
    assert (event.action, event.source) == (ModerationAction.BAN, EventSource.WORKFLOW)
    assert (event.actor, event.reason) == (MODERATOR, "spam <!channel>")
    assert event.ends_at == event.at + timedelta(days=7)
    assert outputs["case_number"] == event.id
    assert outputs["case"] == f"#{event.id}"
    assert outputs["summary"] == (
        "Banned newbie from cometchat-guid-1 for 7 days. Reason: spam <!channel>"
    )


def test_an_empty_duration_is_a_permanent_ban(app):
    outputs = _outputs(_run(app, STEP_BAN, _ban_inputs(duration="", reason="")))

    (event,) = app.services.store.history(GUID, "newbie").events
    assert event.ends_at is None and outputs["case_number"] == event.id
    assert app.services.store.pending_expiry(GUID, "newbie") is None


def test_the_unban_step_unbans_and_completes_with_the_unbans_case(app):
    banned = "user-001"  # banned in the fake CometChat before the bot knew of it
    outputs = _outputs(
        _run(app, STEP_UNBAN, {"group_id": GUID, "user_id": banned, "moderator": _who()})
    )

    assert _writes(app) == [("DELETE", f"/v3/groups/{GUID}/bannedusers/{banned}")]
    (event,) = app.services.store.history(GUID, banned).events
    assert (event.action, event.source) == (ModerationAction.UNBAN, EventSource.WORKFLOW)
    assert outputs["case_number"] == event.id


def test_is_this_user_banned_answers_from_the_history(app):
    _run(app, STEP_BAN, _ban_inputs(), execution_id="Fx1")
    _run(app, STEP_BAN, {**_ban_inputs(), "group_id": OTHER_GUID}, execution_id="Fx2")
    _run(app, STEP_UNBAN, {"group_id": GUID, "user_id": "newbie", "moderator": _who()}, "Fx3")
    reads = len(app.cometchat.requests)

    outputs = _outputs(_run(app, STEP_IS_BANNED, {"user_id": "newbie", "moderator": _who()}, "Fx4"))
    nobody = _outputs(
        _run(app, STEP_IS_BANNED, {"user_id": "stranger", "moderator": _who()}, "Fx5")
    )

    assert (outputs["banned"], outputs["groups"]) == (True, [OTHER_GUID])
    assert (nobody["banned"], nobody["groups"]) == (False, [])
    assert len(app.cometchat.requests) == reads  # the history's answer: CometChat is not read


@pytest.mark.parametrize(
    ("step", "inputs", "words"),
    [
        (STEP_BAN, _ban_inputs(moderator=_who(OUTSIDER)), "not allowed to ban users"),
        (
            STEP_UNBAN,
            {"group_id": GUID, "user_id": "user-001", "moderator": _who(OUTSIDER)},
            "not allowed to unban users",
        ),
        (STEP_IS_BANNED, {"user_id": "user-001", "moderator": _who(OUTSIDER)}, "not allowed"),
        # A plain user id is not Slack's user_context: it could name anyone.
        (STEP_BAN, _ban_inputs(moderator=MODERATOR), "not allowed to ban users"),
        (STEP_BAN, _ban_inputs(moderator=None), "not allowed to ban users"),
    ],
)
def test_a_step_run_for_someone_who_is_not_a_moderator_fails_and_changes_nothing(
    app, step, inputs, words
):
    error = _error(_run(app, step, inputs))

    assert words in error and "Nothing was changed" in error
    assert app.cometchat.requests == []
    assert app.services.store.history(GUID, "newbie").events == []
    assert app.services.store.history(GUID, "user-001").events == []


def test_an_unknown_user_fails_the_step_in_the_usual_words(app):
    error = _error(_run(app, STEP_BAN, _ban_inputs("ghost-1")))

    assert "ghost-1" in error and "`" not in error and not error.startswith(":")
    assert app.services.store.history(GUID, "ghost-1").events == []


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        (_ban_inputs(duration="2x"), "`2x` is not a duration"),
        (_ban_inputs(group_id="../users"), "../users"),
        (_ban_inputs(reason="x" * 501), "501 characters long"),
    ],
)
def test_bad_inputs_fail_the_step_before_cometchat_is_asked(app, inputs, words):
    error = _error(_run(app, STEP_BAN, inputs))

    assert words.replace("`", "") in error
    assert app.cometchat.requests == []


def test_cometchat_failing_fails_the_step_and_records_nothing(app):
    app.cometchat.interceptor = lambda rec: (
        (503, {"error": {"code": "ERR_SERVICE_UNAVAILABLE", "message": "down"}}, {})
        if rec.method == "POST"
        else None
    )

    error = _error(_run(app, STEP_BAN, _ban_inputs()))

    assert "newbie" in error and "CometChat" in error
    assert app.services.store.history(GUID, "newbie").events == []


def test_an_unsigned_step_event_is_refused_and_answered_nowhere(app):
    body = function_executed_body(STEP_BAN, _ban_inputs())
    headers = {"content-type": "application/json", **sign(body, secret="not-the-secret")}

    response = app.dispatch(body, headers)

    assert response.status == 401
    app.settle()
    assert app.slack.step_answers() == [] and app.cometchat.requests == []


def test_a_ban_the_history_cannot_keep_completes_without_a_case_number_and_says_so():
    """The database is down: a permanent ban still goes ahead (the moderator's word), and the
    step says its case could not be recorded rather than inventing a number."""
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group")
    # Nothing listens on port 1: every connection is refused at once, as in a database outage.
    with harness(fake, database_url="postgres://bot@127.0.0.1:1/banned") as app:
        outputs = _outputs(_run(app, STEP_BAN, _ban_inputs(duration="", reason="")))
        refused = _error(_run(app, STEP_BAN, _ban_inputs("other"), execution_id="Fx2"))

    assert "case_number" not in outputs and "case" not in outputs
    assert outputs["summary"].startswith("Banned newbie from cometchat-guid-1 (permanent).")
    assert "history could not be recorded" in outputs["summary"]
    assert ":warning:" not in outputs["summary"]
    # A temporary ban nobody could end is refused before CometChat is asked.
    assert "A temporary ban needs the bot's database" in refused
    assert "Nobody was banned" in refused
    assert _writes_of(fake) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")]


def _writes_of(fake: FakeCometChat) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests if r.method in ("POST", "DELETE")]


def test_a_delivery_slack_sends_again_runs_the_step_once(app):
    """Slack delivers an event again when it thinks the acknowledgement was late: the same
    execution is banned once and answered once."""
    first = _outputs(_run(app, STEP_BAN, _ban_inputs(), execution_id="Fx0AGAIN"))
    app.signed_json(function_executed_body(STEP_BAN, _ban_inputs(), execution_id="Fx0AGAIN"))
    app.settle()

    assert len(app.slack.step_answers()) == 1
    assert _writes(app) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")]
    (event,) = app.services.store.history(GUID, "newbie").events
    assert first["case_number"] == event.id
