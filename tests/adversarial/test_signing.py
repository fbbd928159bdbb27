"""Request signing: only Slack, signing within the last five minutes, gets anything done.

Bolt verifies with `slack_sdk.signature.SignatureVerifier.is_valid`, which rejects when
`abs(now - int(timestamp)) > 300`: a timestamp exactly 300 s old (or ahead) is still accepted,
301 s is not, and `now` is a float, so half a second past the boundary is already outside. Time is
frozen with freezegun and requests go through `app.dispatch` of the app `create_app` builds (the
same middleware chain as HTTP, in this thread, so the frozen clock is the one Bolt reads).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from slack_bolt import BoltResponse

from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import SIGNING_SECRET, command_body, sign
from tests.support.harness import FORM, Harness, harness

NOW = 1_790_000_000  # a fixed instant (2026-09-21), whole seconds
WINDOW = 300


@pytest.fixture
def app() -> Iterator[Harness]:
    fake = FakeCometChat()
    fake.add_group("g1", "Group One", banned=3)
    with harness(fake) as built:
        yield built


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _help_body(h: Harness) -> bytes:
    url, _ = h.new_response_url()
    return command_body("help", url)


def _assert_rejected(h: Harness, response: BoltResponse) -> None:
    assert response.status == 401, response.body
    assert h.cometchat.requests == []
    h.settle()
    assert h.slack.since_startup() == []


def _assert_help(response: BoltResponse) -> None:
    assert response.status == 200, response.body
    assert "Usage" in response.body


@pytest.mark.parametrize("offset", [0, 1, -1, WINDOW - 1, WINDOW, -WINDOW, -(WINDOW - 1)])
def test_timestamps_within_five_minutes_are_accepted(app, offset):
    body = _help_body(app)
    with freeze_time(_at(NOW)):
        _assert_help(app.signed(body, timestamp=NOW - offset))


@pytest.mark.parametrize("offset", [WINDOW + 1, -(WINDOW + 1), 3600, -3600, NOW])
def test_timestamps_outside_five_minutes_are_rejected(app, offset):
    body = _help_body(app)
    with freeze_time(_at(NOW)):
        _assert_rejected(app, app.signed(body, timestamp=NOW - offset))


def test_the_window_is_measured_from_the_exact_instant_not_the_whole_second(app):
    body = _help_body(app)
    with freeze_time(_at(NOW + 0.5)):
        _assert_rejected(app, app.signed(body, timestamp=NOW - WINDOW))
    with freeze_time(_at(NOW + 0.5)):
        _assert_help(app.signed(body, timestamp=NOW - WINDOW + 1))


def test_a_real_list_command_is_served_inside_the_window(app):
    url, _ = app.new_response_url()
    body = command_body("g1", url)
    with freeze_time(_at(NOW)):
        response = app.signed(body, timestamp=NOW - WINDOW)
    assert response.status == 200
    assert "3 users banned from Group One" in response.body
    assert sorted(r.path for r in app.cometchat.requests) == [  # read at the same time
        "/v3/groups/g1",
        "/v3/groups/g1/bannedusers",
    ]


@pytest.mark.parametrize(
    "secret", ["not-the-signing-secret", SIGNING_SECRET.upper(), SIGNING_SECRET + " ", "x"]
)
def test_wrong_secret_is_rejected(app, secret):
    body = _help_body(app)
    with freeze_time(_at(NOW)):
        _assert_rejected(app, app.signed(body, secret=secret, timestamp=NOW))


@pytest.mark.parametrize(
    "drop",
    [
        {"X-Slack-Signature"},
        {"X-Slack-Request-Timestamp"},
        {"X-Slack-Signature", "X-Slack-Request-Timestamp"},
    ],
)
def test_missing_headers_are_rejected(app, drop):
    body = _help_body(app)
    with freeze_time(_at(NOW)):
        headers = {k: v for k, v in sign(body, timestamp=NOW).items() if k not in drop}
        _assert_rejected(app, app.dispatch(body, {"content-type": FORM, **headers}))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: "",
        lambda s: s.replace("v0=", "v1="),
        lambda s: s.replace("v0=", ""),
        lambda s: s.upper(),
        lambda s: s[:-1],
        lambda s: s + "0",
        lambda s: "v0=" + "0" * 64,
    ],
    ids=["empty", "v1", "no-version", "upper-hex", "short", "long", "zeros"],
)
def test_malformed_signatures_are_rejected(app, mangle):
    body = _help_body(app)
    with freeze_time(_at(NOW)):
        headers = sign(body, timestamp=NOW)
        headers["X-Slack-Signature"] = mangle(headers["X-Slack-Signature"])
        _assert_rejected(app, app.dispatch(body, {"content-type": FORM, **headers}))


def test_replay_of_a_valid_request_after_the_window_is_rejected(app):
    body = _help_body(app)
    headers = {"content-type": FORM, **sign(body, timestamp=NOW)}
    with freeze_time(_at(NOW + 10)):
        _assert_help(app.dispatch(body, headers))
    with freeze_time(_at(NOW + WINDOW + 1)):
        _assert_rejected(app, app.dispatch(body, headers))


def test_replay_with_a_fresh_timestamp_but_the_old_signature_is_rejected(app):
    # An attacker who captured a request can change the timestamp header, not the signature.
    body = _help_body(app)
    old = sign(body, timestamp=NOW)
    with freeze_time(_at(NOW + 3600)):
        headers = {**old, "X-Slack-Request-Timestamp": str(NOW + 3600)}
        _assert_rejected(app, app.dispatch(body, {"content-type": FORM, **headers}))


def test_a_body_changed_after_signing_is_rejected(app):
    url, _ = app.new_response_url()
    signed_body = command_body("help", url)
    forged_body = command_body("g1", url)
    with freeze_time(_at(NOW)):
        headers = sign(signed_body, timestamp=NOW)
        _assert_rejected(app, app.dispatch(forged_body, {"content-type": FORM, **headers}))


def test_the_signature_covers_the_timestamp(app):
    # v0:<ts>:<body>: re-signing the same body under another timestamp needs the secret.
    body = _help_body(app)
    base = f"v0:{NOW - 1000}:".encode() + body
    stale = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    with freeze_time(_at(NOW)):
        headers = {"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": stale}
        _assert_rejected(app, app.dispatch(body, {"content-type": FORM, **headers}))


@pytest.mark.parametrize("timestamp", ["abc", "", "1e3", "-5", "1.5", "9" * 40])
def test_garbage_timestamps_are_refused_with_401_and_no_traceback(
    live_app, slack, timestamp, caplog
):
    # Over HTTP: the web layer refuses what slack_sdk's verifier would crash on (a 500 + ERROR).
    body = command_body("help", slack.url + "/response/1/")
    headers = {**sign(body), "X-Slack-Request-Timestamp": timestamp}
    with caplog.at_level(logging.INFO):
        response = live_app.post(body, headers=headers)
    assert response.status_code == 401
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert live_app.services.settings is not None and slack.since_startup() == []


def test_a_fresh_signature_over_http_is_accepted(live_app, slack):
    # The HTTP path reads the real clock: a request signed just now is served end to end.
    response = live_app.post(command_body("help", slack.url + "/response/1/"))
    assert response.status_code == 200
    assert "Usage" in response.json()["text"]
