"""The health route, and what the web process writes to its log: one structured line per
event, never a token, key or signing secret, whatever path a request takes."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from bot.domain.button_values import PageCursor
from bot.logs import (
    LOG_FORMAT,
    SingleLineFormatter,
    bound,
    configure_logging,
    kv,
    new_request_id,
    request_scope,
)
from bot.slack.banned_page import ACTION_NEXT
from bot.slack.delivery import Responder
from tests.conftest import GUID
from tests.support.fakes.cometchat import API_KEY, FakeCometChat, Recorded
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET, action_body, command_body, sign
from tests.support.web_process import SECRETS, WebProcess, web_with_fakes

ROUTER_ID = "3f1c2a9e-8d7b-4c6a-9e1f-0a2b3c4d5e6f"  # what Heroku's router sets: a UUID
FORGED = "abcdefghij0123456789 outcome=ok actor=U0BOSS"  # unauthenticated: must not reach a line

LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} level=(DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"logger=\S+ \S"
)


# -- health --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_health_route_answers_without_touching_slack_or_cometchat(
    live_app, cometchat, slack, method
):
    response = live_app.http.request(method, "/healthz")  # unsigned, like a load balancer's
    assert response.status_code == 200
    assert response.content == (b"ok\n" if method == "GET" else b"")
    assert cometchat.requests == [] and slack.since_startup() == []


def test_health_route_only_answers_reads(live_app, cometchat):
    assert live_app.http.post("/healthz", content=b"x").status_code == 404
    assert cometchat.requests == []


# -- logs of the real process ------------------------------------------------------------------


def _troublesome(rec: Recorded) -> tuple[int, object, dict] | None:
    if rec.path.startswith("/v3/groups/keyless-group"):
        # An upstream that echoes the key it was given: the key must still not reach the log.
        key = rec.headers.get("apikey")
        return 401, {"error": {"code": "AUTH_ERR_APIKEY_NOT_FOUND", "message": f"{key}?"}}, {}
    if rec.path.startswith("/v3/groups/down-group"):
        return 503, {"error": {"code": "ERR_DOWN", "message": "maintenance"}}, {}
    return None


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> WebProcess:
    """Run representative requests through `python -m bot serve` at DEBUG; return its output.

    Module-scoped: the tests below read the same output, so the process runs once.
    """
    cometchat = FakeCometChat()
    cometchat.add_group(GUID, "Hiking Group", banned=57)
    cometchat.interceptor = _troublesome
    with (
        web_with_fakes(
            tmp_path_factory.mktemp("logs"),
            cometchat,
            LOG_LEVEL="DEBUG",
            COMETCHAT_RETRY_BUDGET="0.3",
        ) as running,
        httpx.Client(base_url=running.web.url, timeout=10) as http,
    ):
        web, slack = running.web, running.slack

        def post(body: bytes, headers: dict[str, str] | None = None, **sign_kw) -> httpx.Response:
            signed = {"content-type": "application/x-www-form-urlencoded", **sign(body, **sign_kw)}
            return http.post("/slack/events", content=body, headers={**signed, **(headers or {})})

        def command(text: str, **headers: str) -> dict:
            body = command_body(text, slack.url + "/response/c")
            response = post(body, headers=headers) if headers else post(body)
            assert response.status_code == 200
            return response.json()

        assert http.get("/healthz").status_code == 200
        assert "57 users banned" in command(GUID)["text"]
        assert "There is no group" in command("no-such-group")["text"]
        for secret in SECRETS:  # a user pastes a secret where the group id goes
            assert "There is no group" in command(secret)["text"]
        assert "misconfigured" in command("keyless-group")["text"]
        assert "not answering" in command("down-group")["text"]
        assert "not a valid group id" in command(f"bad/{API_KEY}")["text"]
        # Heroku's router names each request (X-Request-ID); a client may set it too.
        assert "There is no group" in command("routed-group", **{"X-Request-ID": ROUTER_ID})["text"]
        assert "There is no group" in command("forged-group", **{"X-Request-ID": FORGED})["text"]

        value = PageCursor(guid=GUID, page=2, per_page=10).encode()
        assert post(action_body(ACTION_NEXT, value, slack.url + "/response/next")).is_success
        assert post(action_body(ACTION_NEXT, "{garbage", slack.url + "/response/bad")).is_success
        slack.wait_for(2, path_prefix="/response/")

        forged = post(command_body(GUID, slack.url + "/response/x"), secret=SIGNING_SECRET + "x")
        assert forged.status_code == 401

        web.terminate()
        assert web.wait_exit(timeout=20) == 0, web.output
    return web


def test_the_master_imports_the_app_before_the_port_opens(logged):
    # Heroku routes to the port as soon as it is bound: by then the app's modules are loaded.
    lines = logged.lines
    preloaded = next(i for i, line in enumerate(lines) if "event=preloaded" in line)
    bound = next(i for i, line in enumerate(lines) if "Listening at: http://" in line)
    assert preloaded < bound


def test_a_worker_imports_nothing_once_forked_so_no_request_waits_on_an_import(logged):
    (listening,) = [line for line in logged.lines if "event=listening" in line]
    assert listening.endswith(" late_imports=none")


def test_on_postgresql_too_a_worker_imports_nothing_once_forked(tmp_path, database):
    backend, url = database  # the run's migrated database, as the release phase leaves it
    cometchat = FakeCometChat()
    cometchat.add_group(GUID, "Hiking Group", banned=57)
    with web_with_fakes(tmp_path, cometchat, DATABASE_URL=url) as running:
        listening = running.web.wait_for_line("event=listening")
        assert f"database={backend}" in listening
        assert listening.endswith(" late_imports=none")
        running.web.terminate()
        assert running.web.wait_exit(timeout=20) == 0


def test_no_secret_in_any_log_line(logged):
    assert len(logged.lines) > 10  # DEBUG: Bolt, the server and the bot all had their say
    for line in logged.lines:
        for secret in SECRETS:
            assert secret not in line, line
    assert "guid=***" in logged.output  # the pasted secrets were logged, redacted


def test_every_log_line_is_one_structured_record(logged):
    for line in logged.lines:
        assert LOG_LINE.match(line), line


def _line(output: str, *fragments: str) -> str:
    found = [line for line in output.splitlines() if all(f in line for f in fragments)]
    assert found, f"no line with {fragments}:\n{output}"
    return found[0]


def test_request_lines_carry_id_command_group_outcome_and_upstream_time(logged):
    ok = _line(logged.output, "event=command", "guid=cometchat-guid-1", "outcome=ok")
    assert re.search(r" command=/banned rid=[0-9a-f]{12} user=U0MOD ", ok)
    assert re.search(r" upstream_ms=\d+\.\d ms=\d+\.\d", ok)

    click = _line(logged.output, "event=page_click", "outcome=ok")
    assert re.search(rf" action_id={ACTION_NEXT} rid=[0-9a-f]{{12}} ", click)
    assert re.search(r"guid=cometchat-guid-1 page=2 .*upstream_ms=\d", click)

    missing = _line(logged.output, "guid=no-such-group")
    assert "outcome=GroupNotFound" in missing and re.search(r" ms=\d", missing)

    rejected = _line(logged.output, "guid=keyless-group", "outcome=AuthRejected")
    assert "level=WARNING" in rejected and "COMETCHAT_API_KEY" in rejected  # names, not values

    assert "outcome=Unavailable" in _line(logged.output, "guid=down-group")
    tampered = _line(logged.output, "event=page_click", "outcome=BadCursor")
    assert re.search(rf" action_id={ACTION_NEXT} rid=[0-9a-f]{{12}} user=U0MOD ", tampered)


def test_the_router_s_request_id_is_the_request_s_id_in_our_lines(logged):
    routed = _line(logged.output, "event=command", "guid=routed-group")
    assert f" rid={ROUTER_ID} " in routed


def test_a_request_id_header_that_heroku_would_not_set_is_not_used(logged):
    forged = _line(logged.output, "event=command", "guid=forged-group")
    assert re.search(r" rid=[0-9a-f]{12} ", forged)
    assert "U0BOSS" not in logged.output


@pytest.mark.parametrize(
    ("header", "used"),
    [
        (ROUTER_ID, True),
        ("a" * 20, True),  # Heroku passes a client's id of 20 to 200 of [A-Za-z0-9+=/-]
        ("Ab+/=-" * 33 + "xy", True),
        ("a" * 19, False),
        ("a" * 201, False),
        ("abcdefghij0123456789 x", False),  # a space would start a field of its own
        ('abcdefghij0123456789"', False),
        ("abcdefghij0123456789\n", False),
        ("abcdefghij0123456789\nlevel=ERROR", False),
        ("abcdefghij0123456789é", False),
        ("", False),
        (None, False),
    ],
)
def test_only_an_id_heroku_s_router_would_set_becomes_the_request_id(header, used):
    with request_scope(header):
        rid = new_request_id()
    assert (rid == header) is used
    if not used:
        assert re.fullmatch(r"[0-9a-f]{12}", rid)


def test_a_request_s_fields_are_on_every_line_it_causes_its_background_jobs_included(capsys):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    responder = Responder(
        httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))),
        workers=1,
        backlog=1,
    )
    try:
        configure_logging("INFO")
        with request_scope(), bound(command="/banned", rid="abc123", user="U0MOD"):
            logging.getLogger("bot.requests").info(kv(event="command", outcome="ok"))
            job = responder.submit(lambda: logging.getLogger("bot.jobs").info("event=job"))
        with request_scope():
            logging.getLogger("bot.requests").info("event=later")
        job.result(timeout=10)
    finally:
        responder.drain(5)
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = capsys.readouterr().out.splitlines()
    (request,) = [line for line in lines if "event=command" in line]
    (queued,) = [line for line in lines if "event=job" in line]
    (later,) = [line for line in lines if "event=later" in line]
    assert (
        "logger=bot.requests command=/banned rid=abc123 user=U0MOD event=command outcome=ok"
        in request
    )
    assert "rid=abc123 user=U0MOD event=job" in queued  # on the job pool's thread
    assert "rid=" not in later  # once the request is over, its fields are gone


def test_a_traceback_is_folded_into_one_redacted_line(capsys):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO", secrets=[API_KEY, BOT_TOKEN])
        try:
            raise RuntimeError(f"upstream said\nkey={API_KEY} token={BOT_TOKEN}")
        except RuntimeError:
            logging.getLogger("bot.requests").exception("event=command rid=abc outcome=crash")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    (line,) = capsys.readouterr().out.splitlines()
    assert LOG_LINE.match(line)
    assert "rid=abc" in line and "Traceback" in line and "RuntimeError" in line
    assert API_KEY not in line and BOT_TOKEN not in line and "key=*** token=***" in line


def test_log_timestamps_match_loggings_own_across_second_boundaries():
    # SingleLineFormatter reuses the date part within a second: it must never go stale.
    ours, stdlib = SingleLineFormatter(LOG_FORMAT), logging.Formatter(LOG_FORMAT)
    for created in (1_700_000_000.999, 1_700_000_001.0004, 1_700_000_001.5, 1_700_000_061.25):
        record = logging.LogRecord("bot", logging.INFO, __file__, 1, "m", None, None)
        record.created, record.msecs = created, (created - int(created)) * 1000
        assert ours.formatTime(record) == stdlib.formatTime(record)
        assert ours.format(record) == stdlib.format(record)
