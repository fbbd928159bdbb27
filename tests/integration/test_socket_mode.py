"""Socket Mode: chosen when SLACK_APP_TOKEN is set; the same listeners answer over a WebSocket.

Nothing leaves the machine: `apps.connections.open` is answered by FakeSlack with the `ws://` URL
of a loopback WebSocket server (tests/support/fakes/socket_mode.py) that plays Slack's side.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler

from bot.app import create_app
from bot.cli.serve import create_handler, launch, run_socket_mode
from bot.slack.banned_page import ACTION_NEXT
from tests.conftest import GUID, make_settings
from tests.support.fakes.cometchat import API_KEY
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET, action_body, command_body
from tests.support.fakes.socket_mode import FakeSocketMode

APP_TOKEN = "xapp-1-A0APP-0123456789-abcdef"
ROOT = Path(__file__).resolve().parents[2]


def _form(body: bytes) -> dict:
    return dict(parse_qsl(body.decode()))


def test_serve_picks_socket_mode_when_the_app_token_is_set():
    calls = []
    settings = make_settings(slack_app_token=APP_TOKEN)

    status = launch(
        settings,
        http=lambda s: calls.append("http") or 0,
        socket=lambda s: calls.append(("socket", s)) or 0,
    )

    assert status == 0
    assert calls == [("socket", settings)]


@pytest.mark.parametrize("token", [None, "", "   "])
def test_serve_picks_http_when_the_app_token_is_unset_or_blank(token):
    calls = []

    launch(
        make_settings(slack_app_token=token),
        http=lambda s: calls.append("http") or 0,
        socket=lambda s: calls.append("socket") or 0,
    )

    assert calls == ["http"]


def test_the_handler_is_the_builtin_adapter_wired_from_settings(services, slack):
    settings = make_settings(slack_api_url=slack.url + "/api/", slack_app_token=APP_TOKEN)
    app = create_app(services)

    handler = create_handler(app, settings)
    try:
        assert isinstance(handler, SocketModeHandler)  # slack_sdk's own client: no extra deps
        assert handler.app is app
        assert handler.app_token == APP_TOKEN
        assert handler.client.web_client.base_url == slack.url + "/api/"
        assert handler.client.message_workers._max_workers == settings.workers
    finally:
        handler.close()
    assert slack.since_startup() == []  # built, never connected


def test_run_connects_then_on_stop_closes_and_drains(services):
    events = []

    class Recorder:
        def __init__(self, app, settings):
            events.append(("built", app.__class__.__name__, settings.slack_app_token is not None))

        def connect(self):
            events.append("connect")
            stop.set()  # as if SIGTERM arrived right after connecting

        def close(self):
            events.append("close")

    stop = threading.Event()
    status = run_socket_mode(
        make_settings(slack_app_token=APP_TOKEN),
        services=services,
        handler_factory=Recorder,
        stop=stop,
    )

    assert status == 0
    assert events == [("built", "App", True), "connect", "close"]
    with pytest.raises(RuntimeError):  # drained: no new work is accepted any more
        services.responder.submit(lambda: None)


def test_a_refused_app_token_stops_with_a_hint_instead_of_a_traceback(services, slack, caplog):
    slack.api_answers["apps.connections.open"] = lambda _r: {"ok": False, "error": "invalid_auth"}
    settings = make_settings(slack_api_url=slack.url + "/api/", slack_app_token=APP_TOKEN)

    with caplog.at_level(logging.ERROR, logger="bot.socket_mode"):
        status = run_socket_mode(settings, services=services, stop=threading.Event())

    assert status == 1
    (record,) = [r for r in caplog.records if "socket_mode_failed" in r.getMessage()]
    assert "reason=invalid_auth" in record.getMessage()
    assert "SLACK_APP_TOKEN" in record.getMessage() and APP_TOKEN not in record.getMessage()


def test_same_listeners_answer_a_command_and_a_click_over_the_socket(services, slack):
    settings = make_settings(slack_api_url=slack.url + "/api/", slack_app_token=APP_TOKEN)
    stop = threading.Event()
    result: list[int] = []
    with FakeSocketMode() as socket_mode:
        slack.api_answers["apps.connections.open"] = lambda _r: {"ok": True, "url": socket_mode.url}
        runner = threading.Thread(
            target=lambda: result.append(run_socket_mode(settings, services=services, stop=stop))
        )
        runner.start()
        try:
            socket_mode.wait_connected()
            envelope = socket_mode.send_envelope(
                "slash_commands", _form(command_body(GUID, slack.url + "/response/cmd"))
            )
            ack = socket_mode.wait_for_ack(envelope)

            page = ack["payload"]
            assert page["response_type"] == "ephemeral"
            assert "57 users banned from Hiking Group" in page["text"]
            (next_button,) = [
                element
                for block in page["blocks"]
                if block["type"] == "actions"
                for element in block["elements"]
                if element["action_id"] == ACTION_NEXT
            ]

            click = json.loads(
                _form(action_body(ACTION_NEXT, next_button["value"], slack.url + "/response/n"))[
                    "payload"
                ]
            )
            socket_mode.wait_for_ack(socket_mode.send_envelope("interactive", click))
            (delivered,) = slack.wait_for(1, path_prefix="/response/n")
            assert delivered.body["replace_original"] is True
            assert "page 2 of 6" in delivered.body["text"]
        finally:
            stop.set()
            runner.join(30)

    assert result == [0]
    (opened,) = [r for r in slack.received if r.path == "/api/apps.connections.open"]
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"


def test_python_m_bot_serve_uses_socket_mode_under_gevent_and_stops_on_sigterm(
    slack, cometchat, tmp_path
):
    """The real entry point: gevent-patched process, real adapter, loopback fakes only."""
    with cometchat.serve() as cometchat_server, FakeSocketMode() as socket_mode:
        slack.api_answers["apps.connections.open"] = lambda _r: {"ok": True, "url": socket_mode.url}
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": slack.url + "/api/",
            "COMETCHAT_API_KEY": API_KEY,
            "COMETCHAT_BASE_URL": cometchat_server.url + "/v3",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=tmp_path,  # no developer's .env
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            socket_mode.wait_connected(timeout=30)
            envelope = socket_mode.send_envelope(
                "slash_commands", _form(command_body(GUID, slack.url + "/response/cmd"))
            )
            ack = socket_mode.wait_for_ack(envelope, timeout=30)
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()

    assert "57 users banned from Hiking Group" in ack["payload"]["text"]
    assert process.returncode == 0, output
    assert "mode=socket" in output and "event=stopped" in output
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, API_KEY):
        assert secret not in output
