"""The real app, driven without pytest fixtures, for property, chaos and no-secrets suites.

`Harness` builds Services + the Bolt app from `create_app`, with CometChat faked in-process and
Slack as the loopback FakeSlack. Requests are signed and handed to `app.dispatch`: the same
signature check, middleware and listeners as over HTTP, without a socket per request (hypothesis
runs hundreds of examples; see the timing note in test_properties.py).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import make_server

import httpx
from slack_bolt import App, BoltRequest, BoltResponse

from bot.app import create_app
from bot.logs import request_scope
from bot.services import Services, build_services
from bot.settings import Settings
from bot.web.wsgi import create_wsgi_app
from tests.conftest import make_settings
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import (
    SIGNING_SECRET,
    FakeSlack,
    Received,
    action_body,
    command_body,
    sign,
    view_submission_body,
)
from tests.support.slack_limits import assert_valid_ack

FORM = "application/x-www-form-urlencoded"
MODERATOR = "U0MOD"


@dataclass
class Reply:
    """What one request to the app produced: its acknowledgement and what reached Slack after."""

    status: int
    ack: dict[str, Any] | None  # the ack's JSON body, None when acknowledged empty
    posts: list[Received] = field(default_factory=list)  # response_url / Web API, in order
    request_bytes: int = 0  # size of the body sent to the app

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every message the user got: the ack's, then each response_url POST."""
        found = [self.ack] if self.ack and "text" in self.ack else []
        found += [p.body for p in self.posts if p.path.startswith("/response/")]
        return found

    @property
    def api_calls(self) -> list[Received]:
        return [p for p in self.posts if p.path.startswith("/api/")]

    def texts(self) -> str:
        parts = [m.get("text", "") for m in self.messages]
        parts += [json.dumps(p.body) for p in self.api_calls]
        return "\n".join(parts)


class Harness:
    def __init__(self, services: Services, app: App, cometchat: FakeCometChat, slack: FakeSlack):
        self.services, self.app, self.cometchat, self.slack = services, app, cometchat, slack
        self._ids = itertools.count(1)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    http: httpx.Client | None = None  # set by `serve_http()`: requests then go over loopback
    # The Home tab's deferred refreshes (delay in seconds, the refresh): run by the test.
    deferred: list[tuple[float, Callable[[], None]]]

    def dispatch(self, body: bytes, headers: dict[str, str] | None = None) -> BoltResponse:
        if self.http is not None:
            answer = self.http.post("/slack/events", content=body, headers=headers or {})
            return BoltResponse(status=answer.status_code, body=answer.text)
        with request_scope():  # as the HTTP entry point does: no fields outlive the request
            return self.app.dispatch(
                BoltRequest(body=body.decode("utf-8"), headers=headers or {"content-type": FORM})
            )

    def signed(self, body: bytes, **sign_kw: Any) -> BoltResponse:
        sign_kw.setdefault("secret", self.settings.slack_signing_secret.get_secret_value())
        return self.dispatch(body, {"content-type": FORM, **sign(body, **sign_kw)})

    def signed_json(self, body: bytes) -> BoltResponse:
        """An Events API delivery (JSON, signed as Slack signs it)."""
        secret = self.settings.slack_signing_secret.get_secret_value()
        headers = {"content-type": "application/json", **sign(body, secret=secret)}
        return self.dispatch(body, headers)

    def new_response_url(self) -> tuple[str, str]:
        path = f"/response/{next(self._ids)}/"
        return self.slack.url + path, path

    def command(self, text: str, *, user_id: str = MODERATOR, wait: float = 5.0) -> Reply:
        url, path = self.new_response_url()
        mark = len(self.slack.received)
        body = command_body(text, url, user_id=user_id)
        response = self.signed(body)
        ack = _json_body(response)
        posts: list[Received] = []
        if response.status == 200 and not (ack and "text" in ack):
            # Acknowledged empty: the answer must follow through response_url (or the Web API).
            posts = self.wait_after(mark, path, wait)
        return Reply(response.status, ack, posts, len(body))

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user_id: str = MODERATOR,
        block_id: str = "x",
        wait: float = 5.0,
        answered: bool = False,
        state: dict | None = None,
    ) -> Reply:
        """`answered`: wait for the click's response_url answer itself, not only for the first
        thing to reach Slack (an audit post made by the same click can come first). `state`:
        the message's `state.values` (ticks) sent with the click."""
        url, path = self.new_response_url()
        mark = len(self.slack.received)
        body = click_body(action_id, value, url, user_id=user_id, block_id=block_id, state=state)
        response = self.signed(body)
        ack = _json_body(response)
        posts = (
            self.wait_after(mark, path, wait, answered=answered) if response.status == 200 else []
        )
        return Reply(response.status, ack, posts, len(body))

    def unban(self, value: str, *, user_id: str = MODERATOR, **kw: Any) -> Reply:
        """Unban clicked, then its confirmation's Confirm (the card shown in between must offer
        it): the reply to the Confirm."""
        from bot.slack.moderation_blocks import ACTION_ACT_CONFIRM, ACTION_UNBAN
        from tests.support.slack_messages import buttons

        asked = self.click(ACTION_UNBAN, value, user_id=user_id, answered=True, **kw)
        (confirm,) = [b for m in asked.messages for b in buttons(m, ACTION_ACT_CONFIRM)]
        return self.click(ACTION_ACT_CONFIRM, confirm["value"], user_id=user_id, answered=True)

    def unban_ask(self, guid: str, uid: str, **kw: Any) -> Reply:
        """Unban clicked for any uid (as from the live feed): the reply with its confirmation."""
        from bot.domain.button_values import UnbanRef
        from bot.slack.moderation_blocks import ACTION_UNBAN

        value = UnbanRef(guid=guid, uid=uid).encode()
        return self.click(ACTION_UNBAN, value, answered=True, **kw)

    def submit_view(
        self, callback_id: str, metadata: str, values: dict, *, user_id: str = MODERATOR
    ) -> dict[str, Any] | None:
        """A modal's submission, signed: its ack's JSON, checked against Slack's limits (None
        when acknowledged empty, which closes the modal)."""
        body = view_submission_body(callback_id, metadata, values, user_id=user_id)
        response = self.signed(body)
        assert response.status == 200
        ack = _json_body(response)
        if ack is not None:
            assert_valid_ack(ack, where=callback_id)
        return ack

    def shortcut(
        self, callback_id: str, message: dict[str, Any], *, user_id: str = MODERATOR
    ) -> Reply:
        """A message shortcut used on `message`; its answer comes through response_url."""
        from tests.support.fakes.slack import message_shortcut_body

        url, path = self.new_response_url()
        mark = len(self.slack.received)
        body = message_shortcut_body(callback_id, message, url, user_id=user_id)
        response = self.signed(body)
        posts = self.wait_after(mark, path, 5.0) if response.status == 200 else []
        return Reply(response.status, _json_body(response), posts, len(body))

    def wait_after(
        self, mark: int, response_path: str, timeout: float, *, answered: bool = False
    ) -> list[Received]:
        """Block until something for this request reached Slack; return what arrived since mark.

        "For this request" = a POST to its response_url, or any Web API call made after it;
        with `answered`, not before a POST to its response_url is among them.
        """

        def ours() -> list[Received]:
            found = [
                r
                for r in self.slack.received[mark:]
                if r.path.startswith(response_path) or r.path.startswith("/api/")
            ]
            if answered and not any(r.path.startswith(response_path) for r in found):
                return []
            return found

        with self.slack._cond:
            if not self.slack._cond.wait_for(ours, timeout):
                raise AssertionError(f"nothing reached Slack for {response_path} in {timeout} s")
            return ours()

    @contextmanager
    def serve_http(self) -> Iterator[Harness]:
        """Send requests through the web process's WSGI app on a loopback server instead."""
        from tests.conftest import _QuietHandler, _ThreadingWSGIServer

        server = make_server(
            "127.0.0.1",
            0,
            create_wsgi_app(self.app, signing_secret=SIGNING_SECRET),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}", timeout=10)
        try:
            yield self
        finally:
            self.http.close()
            self.http = None
            server.shutdown()
            server.server_close()

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every background job has finished (the Responder has nothing pending)."""
        responder = self.services.responder
        with responder._idle:
            finished = responder._idle.wait_for(lambda: responder.pending == 0, timeout)
        assert finished, f"{responder.pending} background jobs still pending after {timeout} s"


def _json_body(response: BoltResponse) -> dict[str, Any] | None:
    """The ack's JSON; None when empty or not JSON (a 401/413 from the web layer is plain text)."""
    if response.status != 200 or not response.body:
        return None
    return json.loads(response.body)


def click_body(
    action_id: str,
    value: str,
    response_url: str,
    *,
    user_id: str,
    block_id: str,
    state: dict | None = None,
) -> bytes:
    """A block_actions payload; the value rides both as a button's `value` and as a select's
    `selected_option`, so one generator reaches buttons and menus alike."""
    body = action_body(
        action_id, value, response_url, user_id=user_id, block_id=block_id, state=state
    )
    payload = json.loads(parse_qs(body)[b"payload"][0])
    payload["actions"][0]["selected_option"] = {
        "text": {"type": "plain_text", "text": "option"},
        "value": value,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


@contextmanager
def running_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    with fake.serve() as server:
        fake.url = server.url
        yield fake


@contextmanager
def harness(
    cometchat: FakeCometChat | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    slack: FakeSlack | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    wall: Callable[[], float] | None = None,
    home_clock: Callable[[], float] | None = None,
    raid_clock: Callable[[], datetime] | None = None,
    **overrides: Any,
) -> Iterator[Harness]:
    """A wired app. `transport` replaces the fake's own MockTransport (chaos wrappers);
    `wall` is the unix time a rate limit's Reset header is read against (virtual with `clock`)."""
    fake = cometchat or FakeCometChat()
    with _slack_or(slack) as slack_fake:
        settings = make_settings(
            **{
                "slack_api_url": slack_fake.url + "/api/",
                "moderator_user_ids": MODERATOR,
                "ack_budget": 2.5,  # pages travel in the ack unless a test wants otherwise
                **overrides,
            }
        )
        extra: dict[str, Any] = {}
        if sleep is not None:
            extra["cometchat_sleep"] = sleep
        if clock is not None:
            extra["cometchat_clock"] = clock
        if wall is not None:
            extra["cometchat_wall"] = wall
        if home_clock is not None:
            extra["home_clock"] = home_clock
        if raid_clock is not None:
            extra["raid_clock"] = raid_clock
        # The Home tab's deferred refreshes are kept here, run when a test says (no timers).
        deferred: list[tuple[float, Callable[[], None]]] = []
        extra["home_later"] = lambda delay, work: deferred.append((delay, work))
        services = build_services(
            settings, cometchat_transport=transport or fake.transport(), **extra
        )
        try:
            built = Harness(services, create_app(services), fake, slack_fake)
            built.deferred = deferred
            yield built
        finally:
            services.responder.drain(10)
            services.close()


@contextmanager
def _slack_or(slack: FakeSlack | None) -> Iterator[FakeSlack]:
    if slack is not None:
        yield slack
        return
    with running_slack() as fake:
        yield fake
