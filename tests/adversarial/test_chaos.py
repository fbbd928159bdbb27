"""Upstream chaos: CometChat answering 5xx, 429 + Retry-After, slowly, not at all, garbled.

Through the real app, many commands and clicks in a row must each end in either the right page
or a clear message, within a bounded (virtual) time; no background worker dies; and writes
(ban/unban) are never repeated, whatever CometChat does. Back-off runs on a virtual clock injected
into the CometChat client, so a 30-second Retry-After costs no real time. The schedule is seeded
(tests/support/seeds.py CHAOS_SEED, quoted in every assertion); one test uses a real socket and
small real delays so genuine httpx timeouts and connection resets are exercised too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import re
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from pydantic import SecretStr

from bot.cometchat import CometChatClient, RetryPolicy
from bot.cometchat import errors as cc
from bot.domain.button_values import BanRef, PageCursor
from bot.slack.messages import explain
from tests.support.fakes.cometchat import API_KEY, FakeCometChat
from tests.support.harness import Harness, Reply, harness
from tests.support.seeds import CHAOS_SEED
from tests.support.slack_limits import assert_valid_slack_post
from tests.support.slack_messages import clickable

SEED = f"CHAOS_SEED={CHAOS_SEED}"
GUID = "cometchat-guid-1"
BANNED = 57
PER_PAGE = 10
TIMEOUT = 5.0  # cometchat_timeout in these tests (virtual seconds)
BUDGET = 3.0  # cometchat_retry_budget

KINDS = {
    "ok": 6,
    "5xx": 2,
    "429": 2,
    "slow": 2,
    "timeout": 1,
    "reset": 1,
    "malformed": 1,
    "wrong_shape": 1,
}


class VirtualClock:
    """monotonic()/sleep() for the CometChat client: sleeping advances time instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"negative sleep {seconds} ({SEED})"
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class Chaos:
    """A MockTransport handler in front of FakeCometChat that misbehaves on a seeded schedule."""

    fake: FakeCometChat
    clock: VirtualClock
    rng: random.Random
    enabled: bool = True
    script: list[str] = field(default_factory=list)  # kinds to play first, in order
    log: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, kind)

    def __post_init__(self) -> None:
        # Every kind early on, in a seeded order, so no schedule can miss one by chance.
        if not self.script:
            self.script = self.rng.sample(list(KINDS), len(KINDS))

    def calm(self) -> None:
        self.enabled = False
        self.script.clear()

    def handle(self, request: httpx.Request) -> httpx.Response:
        kind = "ok"
        if self.script:
            kind = self.script.pop(0)
        elif self.enabled:
            kind = self.rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        self.log.append((request.method, request.url.path, kind))
        if kind == "5xx":
            status = self.rng.choice([500, 502, 503, 504])
            if self.rng.random() < 0.5:
                return httpx.Response(status, text="<html>Bad Gateway</html>")
            return httpx.Response(status, json={"error": {"code": "ERR_EXCEPTION"}})
        if kind == "429":
            retry_after = self.rng.choice(
                ["0", "1", "2", "30", "soon", "inf", "NaN", "-5", "1e400"]
            )
            return httpx.Response(
                429,
                headers={"Retry-After": retry_after},
                json={"error": {"code": "ERR_TOO_MANY_REQUESTS", "message": "slow down"}},
            )
        if kind == "slow":
            self.clock.advance(self.rng.uniform(0.5, TIMEOUT * 0.9))
        if kind == "timeout":
            self.clock.advance(TIMEOUT)
            raise httpx.ReadTimeout("timed out", request=request)
        if kind == "reset":
            error = self.rng.choice(
                [httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError]
            )
            raise error("connection reset by peer", request=request)
        if kind == "malformed":
            body = self.rng.choice([b'{"data": [{"uid": "u', b"[" * 100_000, b"\xff\xfe{}"])
            status = self.rng.choice([200, 200, 500, 429])
            return httpx.Response(status, content=body, headers=_JSON)
        if kind == "wrong_shape":
            return httpx.Response(200, json=self.rng.choice([[], {"data": "no"}, {"data": None}]))
        return self.fake.handle(request)


_JSON = {"content-type": "application/json"}


def _fake() -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=BANNED)
    return fake


@pytest.fixture
def chaos() -> Iterator[tuple[Harness, Chaos, VirtualClock]]:
    clock = VirtualClock()
    chaos = Chaos(_fake(), clock, random.Random(CHAOS_SEED))
    random.seed(CHAOS_SEED)  # the client's back-off jitter uses the global generator
    with harness(
        chaos.fake,
        transport=httpx.MockTransport(chaos.handle),
        sleep=clock.sleep,
        clock=clock.monotonic,
        cometchat_timeout=TIMEOUT,
        cometchat_retry_budget=BUDGET,
    ) as h:
        yield h, chaos, clock


def _clear_failure_texts() -> list[re.Pattern[str]]:
    """What a user may be told when CometChat misbehaves: the wording from bot.slack.messages."""
    texts = [explain(cc.Unavailable()).text, explain(cc.UnexpectedResponse()).text]
    patterns = [re.compile(re.escape(t)) for t in texts]
    rate = explain(cc.RateLimited(7.0)).text.replace("7", "@")
    patterns.append(re.compile(re.escape(rate).replace("@", r"\d+")))
    patterns.append(re.compile(re.escape(explain(cc.RateLimited(None)).text)))
    return patterns


def _uids_shown(message: dict) -> list[str]:
    return re.findall(r"`(user-\d{3})`", json.dumps(message.get("blocks", [])))


def _expected_uids(page: int) -> list[str]:
    return [f"user-{i:03d}" for i in range((page - 1) * PER_PAGE + 1, page * PER_PAGE + 1)][
        : max(0, BANNED - (page - 1) * PER_PAGE)
    ]


def _outcome(reply: Reply, page: int, step: int, patterns: list[re.Pattern[str]]) -> str:
    where = f"step {step}, page {page} ({SEED})"
    assert reply.status == 200, f"{where}: not acknowledged ({reply.status})"
    messages = reply.messages
    assert len(messages) == 1, f"{where}: expected one message, got {messages}"
    (message,) = messages
    assert_valid_slack_post("/response/chaos/", message)
    shown = _uids_shown(message)
    if shown:
        assert shown == _expected_uids(page), f"{where}: wrong users {shown}"
        return "page"
    assert any(p.search(message["text"]) for p in patterns), (
        f"{where}: neither the page nor a clear message: {message['text']!r}"
    )
    return "message"


def test_many_requests_in_a_row_each_end_in_the_page_or_a_clear_message(chaos, caplog):
    h, upstream, clock = chaos
    rng = random.Random(CHAOS_SEED + 1)
    patterns = _clear_failure_texts()
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        for step in range(60):
            before = clock.monotonic()
            page = rng.randint(1, 6)
            if page == 1 and rng.random() < 0.5:
                reply = h.command(GUID)
            else:
                value = PageCursor(guid=GUID, page=page, per_page=PER_PAGE).encode()
                reply = h.click("banned_page_next", value)
            outcomes[_outcome(reply, page, step, patterns)] += 1
            spent = clock.monotonic() - before
            # Two reads at most (group, page), each giving up once its budget is spent; the last
            # try may still run a full timeout.
            assert spent <= 2 * (BUDGET + TIMEOUT) + 0.01, f"step {step}: {spent:.1f} s ({SEED})"
    h.settle()

    kinds = Counter(kind for _m, _p, kind in upstream.log)
    assert set(kinds) == set(KINDS), f"schedule did not exercise every kind: {kinds} ({SEED})"
    assert outcomes["page"] and outcomes["message"], f"{outcomes} ({SEED})"
    assert max(clock.slept, default=0) <= BUDGET, f"slept beyond the budget ({SEED})"
    assert time.monotonic() - started < 30, f"took {time.monotonic() - started:.1f} s real"
    # Every failure was a typed CometChat error (WARNING), never an escaped exception (ERROR).
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], f"{errors[:3]} ({SEED})"
    assert not [r for r in caplog.records if "job_failed" in r.getMessage()], SEED

    # The workers survived: with CometChat healthy again, the next request is served normally.
    upstream.calm()
    reply = h.command(GUID)
    assert _outcome(reply, 1, -1, patterns) == "page"
    assert h.services.responder.pending == 0


def test_retry_after_is_honoured_and_a_long_one_gives_up_at_once(chaos):
    _h, upstream, clock = chaos
    upstream.calm()
    answers = iter([("2", 429), (None, 200)])

    def rate_limited_once(request: httpx.Request) -> httpx.Response:
        retry_after, status = next(answers, (None, 200))
        if status == 429:
            return httpx.Response(429, headers={"Retry-After": retry_after}, json={})
        return upstream.fake.handle(request)

    client = _client(rate_limited_once, clock)
    page = client.list_banned_users(GUID, page=1, per_page=10)
    assert len(page.users) == 10 and clock.slept == [2.0], SEED

    def always_30(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "30"}, json={})

    clock.slept.clear()
    with pytest.raises(cc.RateLimited) as caught:
        _client(always_30, clock).list_banned_users(GUID)
    assert caught.value.retry_after == 30.0 and clock.slept == [], SEED
    assert "in about 30 s" in explain(caught.value).text


def _client(handler, clock: VirtualClock, **retry) -> CometChatClient:
    return CometChatClient(
        "https://cometchat.test/v3",
        SecretStr(API_KEY),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(budget=BUDGET, **retry),
        sleep=clock.sleep,
        clock=clock.monotonic,
    )


def test_slack_refusing_response_urls_kills_no_worker(chaos, caplog):
    # The other side of the bot: Slack's response_url answering 404/500. Each job logs and ends.
    h, upstream, _clock = chaos
    upstream.calm()
    value = PageCursor(guid=GUID, page=2, per_page=PER_PAGE).encode()
    with caplog.at_level(logging.WARNING):
        for status in (404, 500, 410, 503) * 3:
            h.slack.response_status = status
            assert h.click("banned_page_next", value).status == 200
        h.settle()
    failures = [r for r in caplog.records if "response_url_failed" in r.getMessage()]
    assert len(failures) == 12, [r.getMessage() for r in failures][:3]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    h.slack.response_status = 200
    reply = h.click("banned_page_next", value)
    assert _outcome(reply, 2, -1, _clear_failure_texts()) == "page"


# -- writes are never repeated ----------------------------------------------------------------


FAILURES = ["5xx", "429", "timeout", "reset", "malformed", "wrong_shape", "slow", "ok"]


@pytest.mark.parametrize("kind", FAILURES)
@pytest.mark.parametrize("write", ["ban", "unban"])
def test_a_write_is_sent_exactly_once_whatever_cometchat_does(kind, write):
    clock = VirtualClock()
    fake = _fake()
    upstream = Chaos(fake, clock, random.Random(CHAOS_SEED), enabled=False, script=[kind] * 5)
    handle = upstream.handle
    client = _client(handle, clock)
    uid = "user-001" if write == "unban" else "newcomer"
    # A typed error is fine (worded for the user elsewhere); what matters here is the count.
    with contextlib.suppress(cc.CometChatError):
        getattr(client, write)(GUID, uid)
    writes = [(m, p) for m, p, _k in upstream.log if m in {"POST", "DELETE"}]
    assert len(writes) == 1, f"{write} under {kind}: {writes} ({SEED})"
    assert clock.slept == [], f"{write} under {kind} waited to retry ({SEED})"


def test_unban_clicks_under_chaos_never_repeat_a_write(chaos):
    h, upstream, _clock = chaos
    upstream.calm()
    first = h.command(GUID)
    unban_buttons = clickable(first.messages[0], "banned_unban")
    assert unban_buttons, f"a moderator sees Unban buttons ({SEED})"
    upstream.enabled = True
    clicks: Counter[str] = Counter()
    for button in unban_buttons:
        asked = h.click("banned_unban", button["value"], block_id=button["block_id"])
        assert asked.status == 200 and asked.messages, SEED
        # Its confirmation, the card read under chaos too: Confirm unless the user is unknown.
        for confirm in [b for m in asked.messages for b in clickable(m, "banned_act_confirm")]:
            reply = h.click("banned_act_confirm", confirm["value"])
            assert reply.status == 200 and (reply.messages or reply.api_calls), SEED
            clicks[button["value"]] += 1
    h.settle()
    writes = Counter(p for m, p, _k in upstream.log if m in {"POST", "DELETE"})
    assert writes, f"no unban reached CometChat ({SEED})"
    assert max(writes.values()) == 1, f"a write was repeated: {writes} ({SEED})"
    assert sum(writes.values()) <= sum(clicks.values()), SEED


def test_every_feature_under_chaos_answers_and_never_repeats_a_write(chaos, caplog):
    """Search, paging, share, export, the picker, unban and ban, in a seeded random order."""
    from bot.slack import moderation_blocks as mod
    from bot.slack.list_tools import ACTION_EXPORT, ACTION_SHARE
    from bot.slack.picker import ACTION_PICK_GROUP
    from tests.support.tour import options_body

    h, upstream, _clock = chaos
    upstream.calm()
    page = h.command(GUID).messages[0]
    values = {
        action: clickable(page, action)[0]["value"]
        for action in (ACTION_SHARE, ACTION_EXPORT, "banned_page_next", mod.ACTION_BAN_OPEN)
    }
    unbans = [b["value"] for b in clickable(page, mod.ACTION_UNBAN)]
    upstream.enabled = True
    rng = random.Random(CHAOS_SEED + 2)
    unknown = explain(RuntimeError(), ref="x").text.split("(")[0]
    writes_asked: Counter[str] = Counter()
    with caplog.at_level(logging.INFO):
        for step in range(50):
            kind = rng.choice(["search", "next", "share", "export", "options", "unban", "ban"])
            where = f"step {step} {kind} ({SEED})"
            mark = len(h.slack.received)
            if kind == "search":
                reply = h.command(f"{GUID} user 0{rng.randint(0, 5)}")
            elif kind == "options":
                response = h.signed(options_body(ACTION_PICK_GROUP, "Hik"))
                assert response.status == 200 and "options" in json.loads(response.body), where
                continue
            elif kind == "unban":
                value = rng.choice(unbans)
                reply = h.click(mod.ACTION_UNBAN, value, answered=True)
                # The card may be missing parts under chaos; the Confirm is there unless
                # CometChat said the user does not exist.
                for confirm in [
                    b for m in reply.messages for b in clickable(m, mod.ACTION_ACT_CONFIRM)
                ]:
                    writes_asked[json.loads(value)["u"]] += 1
                    h.settle()
                    h.click(mod.ACTION_ACT_CONFIRM, confirm["value"])
            elif kind == "ban":
                uid = f"newcomer-{rng.randint(1, 3)}"
                writes_asked[uid] += 1
                ref = BanRef(guid=GUID, uid=uid).encode()
                reply = h.click(mod.ACTION_BAN_CONFIRM, ref)
            else:
                action = {
                    "next": "banned_page_next",
                    "share": ACTION_SHARE,
                    "export": ACTION_EXPORT,
                }[kind]
                reply = h.click(action, values[action])
            h.settle()
            assert reply.status == 200, where
            told = [reply.ack] if reply.ack and "text" in reply.ack else []
            told += [r.body for r in h.slack.received[mark:] if r.path.startswith("/response/")]
            assert told, f"{where}: the user heard nothing"
            for message in told:
                assert_valid_slack_post("/response/chaos/", message)
                assert unknown not in message["text"], f"{where}: {message['text']}"
                if kind in ("ban", "unban") and "could not read" in message["text"]:
                    pytest.fail(f"{where}: a write told to simply try again: {message['text']}")
    writes = Counter(p.rsplit("/", 1)[1] for m, p, _k in upstream.log if m in {"POST", "DELETE"})
    assert writes, f"no write reached CometChat ({SEED})"
    for uid, count in writes.items():
        assert count <= writes_asked[uid], f"{uid}: {count} writes for {writes_asked[uid]} clicks"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], f"{errors[:3]} ({SEED})"
    upstream.calm()
    # Healthy again: served at once (its users changed with the unbans and bans above).
    assert _uids_shown(h.command(GUID).messages[0]), SEED
    assert h.services.responder.pending == 0


# -- the real thing: a socket, real timeouts, real resets -------------------------------------


class _Resetting(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.recv(65536)
        # SO_LINGER 0: close() sends RST, as a crashed proxy would.
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()


@pytest.mark.parametrize("failure", ["slow", "reset"])
def test_real_timeouts_and_resets_end_in_a_clear_message_in_bounded_time(failure):
    fake = _fake()
    release = threading.Event()
    if failure == "slow":
        # Slower than the client's timeout; released at teardown so no server thread lingers.
        fake.interceptor = lambda _rec: release.wait(5) and None
        server = fake.serve()
        base = server.url
    else:
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Resetting)
        server.daemon_threads = True
        base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=_serve_forever(server), kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        with harness(
            fake,
            transport=httpx.HTTPTransport(),
            cometchat_base_url=base + "/v3",
            cometchat_timeout=0.2,
            cometchat_retry_budget=0.5,
            ack_budget=0.1,
        ) as h:
            started = time.monotonic()
            reply = h.command(GUID)
            elapsed = time.monotonic() - started
            assert reply.status == 200
            assert reply.ack is None, "Slack must be acknowledged before CometChat answers"
            (message,) = reply.messages
            assert message["text"] == explain(cc.Unavailable()).text
            # group read: ≤ budget + one timeout; then nothing more (the group never came back).
            assert elapsed < 0.5 + 0.2 + 1.5, f"{elapsed:.2f} s"
    finally:
        release.set()
        _stop(server)


def _serve_forever(server):
    if hasattr(server, "httpd"):  # FakeCometChat's LocalServer
        return server.httpd.serve_forever
    return server.serve_forever


def _stop(server) -> None:
    httpd = getattr(server, "httpd", server)
    httpd.shutdown()
    httpd.server_close()
