"""Error reports reach the operator's Sentry project (SENTRY_DSN): sentry-sdk's own transport,
pointed at a loopback stand-in for Sentry, receives each error with every secret scrubbed, the
request's id and the deployed commit."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import httpx
import pytest
import sentry_sdk

from bot.settings import ConfigError
from bot.web.error_reports import release_of, start_error_reports
from tests.conftest import GUID, make_settings
from tests.support.fakes.cometchat import API_KEY, FakeCometChat
from tests.support.fakes.sentry import PUBLIC_KEY, FakeSentry
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET
from tests.support.harness import harness
from tests.support.web_process import SECRETS, WebProcess, procfile_command, web_with_fakes

COMMIT = "5f3c0a1d9e8b7c6a5f4e3d2c1b0a9f8e7d6c5b4a"


@pytest.fixture
def sentry() -> Iterator[FakeSentry]:
    fake = FakeSentry()
    with fake.serve():
        yield fake


@pytest.fixture
def reports_stop_after() -> Iterator[None]:
    """sentry-sdk's client is process-wide: the test's goes when the test ends."""
    yield
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)


def _broken_upstream(request: httpx.Request) -> httpx.Response:
    # A failure nobody planned for, whose text (and the frames it passes through) hold secrets.
    key = request.headers["apikey"]
    raise RuntimeError(f"upstream said key={key} token={BOT_TOKEN}")


def test_an_unexpected_error_reaches_sentry_scrubbed_with_its_request_id(
    sentry, reports_stop_after
):
    cometchat = FakeCometChat()
    cometchat.add_group(GUID, "Hiking Group", banned=3)
    transport = httpx.MockTransport(_broken_upstream)
    with harness(cometchat, transport=transport, sentry_dsn=sentry.dsn()) as h:
        assert start_error_reports(h.settings, environ={"HEROKU_SLUG_COMMIT": COMMIT})
        reply = h.command(GUID)
        delivery, event = sentry.wait_for_event()

    assert "Something went wrong on our side" in reply.texts()
    sent = delivery.raw.decode()
    for secret in (API_KEY, BOT_TOKEN, SIGNING_SECRET):
        assert secret not in sent
    assert "key=*** token=***" in json.dumps(event)  # the error's own text, scrubbed
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    # Stack frames travel with their variables: the client's request headers among them.
    assert any(frame.get("vars") for frame in exception["stacktrace"]["frames"])
    assert event["release"] == COMMIT
    rid = event["tags"]["rid"]
    assert f"(reference `{rid}`)" in reply.texts()  # what the person quotes is what Sentry shows
    assert delivery.path == "/api/1/envelope/"


def test_without_a_dsn_nothing_starts():
    assert start_error_reports(make_settings()) is False


@pytest.mark.parametrize(
    ("environ", "release"),
    [
        ({"HEROKU_SLUG_COMMIT": COMMIT, "SOURCE_VERSION": "other"}, COMMIT),
        ({"SOURCE_VERSION": COMMIT}, COMMIT),
        ({"HEROKU_SLUG_COMMIT": " "}, None),
        ({}, None),
    ],
)
def test_the_release_is_the_commit_heroku_names(environ, release):
    assert release_of(environ) == release


@pytest.mark.parametrize(
    "dsn",
    [
        "not a url",
        f"https://sentry.example/{1}",  # no key
        f"https://{PUBLIC_KEY}@sentry.example/",  # no project
        f"http://{PUBLIC_KEY}@sentry.example/1",  # in clear, not loopback
        f"ftp://{PUBLIC_KEY}@sentry.example/1",
    ],
)
def test_a_dsn_that_is_not_one_is_refused_in_one_line_without_its_value(dsn):
    with pytest.raises(ConfigError) as refused:
        make_settings(sentry_dsn=dsn)
    (line,) = refused.value.problems
    assert line.startswith("SENTRY_DSN: ") and PUBLIC_KEY not in line


def test_a_dsn_is_a_secret_kept_out_of_reprs():
    settings = make_settings(sentry_dsn=f"https://{PUBLIC_KEY}@o1.ingest.sentry.io/42")
    assert PUBLIC_KEY not in repr(settings)


def test_the_web_worker_reports_after_gevent_patched_it(tmp_path, sentry, slack, cometchat):
    """The Procfile's gunicorn and its gevent worker: a worker that cannot start (Slack refuses
    the token) gets its error to Sentry, tagged with the deployed commit, before it exits."""
    slack.api_answers["auth.test"] = lambda _r: {"ok": False, "error": "invalid_auth"}
    with cometchat.serve() as upstream:
        env = WebProcess(
            tmp_path,
            cometchat_url=upstream.url,
            slack_url=slack.url,
            SENTRY_DSN=sentry.dsn(),
            SOURCE_VERSION=COMMIT,
        ).env
        result = subprocess.run(
            procfile_command(), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )

    assert result.returncode != 0
    delivery, event = sentry.wait_for_event(timeout=1)  # sent before the process ended
    assert "event=cannot_start" in json.dumps(event) and "invalid_auth" in json.dumps(event)
    assert event["release"] == COMMIT
    assert event["level"] == "error"
    for secret in SECRETS:
        assert secret not in delivery.raw.decode()
        assert secret not in result.stdout + result.stderr


def test_a_worker_reporting_errors_imports_nothing_once_forked(tmp_path, sentry, cometchat):
    # The master imports sentry-sdk with the app; each worker only starts it.
    with web_with_fakes(tmp_path, cometchat, SENTRY_DSN=sentry.dsn()) as running:
        listening = running.web.wait_for_line("event=listening")
        assert listening.endswith(" late_imports=none")
        running.web.terminate()
        assert running.web.wait_exit(timeout=20) == 0
