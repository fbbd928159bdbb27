"""SIGTERM (every deploy, every daily restart) on the real web process, as the Procfile starts
it: stop accepting, finish what was accepted so its answers still reach Slack, exit 0 well inside
Heroku's 30 s."""

from __future__ import annotations

import re
import socket
import threading

import httpx
import pytest

from bot.domain.button_values import PageCursor
from bot.slack.banned_page import ACTION_NEXT
from tests.conftest import GUID
from tests.support.fakes.cometchat import FakeCometChat, Recorded
from tests.support.fakes.slack import FakeSlack, action_body, command_body, sign
from tests.support.web_process import WebProcess


class HeldCometChat:
    """Holds every CometChat request until released, counting those that are waiting."""

    def __init__(self, fake: FakeCometChat):
        self.release = threading.Event()
        self._waiting = 0
        self._cond = threading.Condition()
        fake.interceptor = self._hold

    def _hold(self, _rec: Recorded) -> None:
        with self._cond:
            self._waiting += 1
            self._cond.notify_all()
        self.release.wait(timeout=30)

    def wait_waiting(self, count: int, timeout: float = 10.0) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self._waiting >= count, timeout), self._waiting


def post_signed(http: httpx.Client, body: bytes) -> httpx.Response:
    headers = {"content-type": "application/x-www-form-urlencoded", **sign(body)}
    return http.post("/slack/events", content=body, headers=headers)


def test_sigterm_finishes_inflight_command_and_click_then_exits_0(
    cometchat: FakeCometChat, slack: FakeSlack, tmp_path
):
    held = HeldCometChat(cometchat)
    with (
        cometchat.serve() as upstream,
        WebProcess(
            tmp_path,
            cometchat_url=upstream.url,
            slack_url=slack.url,
            ACK_BUDGET="0.05",  # so the command is acknowledged, then answered in the background
            COMETCHAT_TIMEOUT="25",  # the held requests must not time out on a busy machine
        ) as web,
        # Left open across the SIGTERM: an idle keep-alive connection must not hold the exit.
        httpx.Client(base_url=web.url, timeout=10) as http,
    ):
        ack = post_signed(http, command_body(GUID, slack.url + "/response/command"))
        value = PageCursor(guid=GUID, page=2, per_page=10).encode()
        click = post_signed(http, action_body(ACTION_NEXT, value, slack.url + "/response/click"))
        assert (ack.status_code, ack.content) == (200, b"")  # acknowledged without the page
        assert click.status_code == 200
        held.wait_waiting(2)  # both are now in flight, waiting on CometChat

        web.terminate()
        # Requests are done (acknowledged); both jobs are still waiting on CometChat.
        done = web.wait_for_line("event=requests_done")
        # The worker closed its listener before it finished its requests (gunicorn logs
        # nothing then): nothing new gets in while the answers are delivered.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", web.port), timeout=5).close()
        assert int(re.search(r" jobs=(\d+)", done)[1]) >= 2, done
        assert slack.responses() == []

        held.release.set()
        delivered = {r.path: r.body for r in slack.wait_for(2, path_prefix="/response/")}
        assert web.wait_exit(timeout=20) == 0, web.output

    command = delivered["/response/command"]
    assert command["response_type"] == "ephemeral"
    assert "57 users banned from Hiking Group" in command["text"]
    page_two = delivered["/response/click"]
    assert page_two["replace_original"] is True
    assert "user-011" in str(page_two["blocks"])
    assert "event=stopped drained=True pending=0" in web.output


def test_sigterm_when_idle_exits_0(cometchat: FakeCometChat, slack: FakeSlack, tmp_path):
    with (
        cometchat.serve() as upstream,
        WebProcess(tmp_path, cometchat_url=upstream.url, slack_url=slack.url) as web,
    ):
        assert httpx.get(web.url + "/healthz").status_code == 200
        web.terminate()
        assert web.wait_exit(timeout=10) == 0, web.output
    assert "event=stopped drained=True pending=0" in web.output
    assert cometchat.requests == [] and slack.since_startup() == []
