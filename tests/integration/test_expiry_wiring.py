"""Both entry points run the expiry loop: the web worker from post_worker_init to worker_exit,
Socket Mode from connecting to shutting down; each first round lifts bans that ended meanwhile."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.cli.serve import run_socket_mode
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.usecases.expiry import ExpiryLoop, ExpiryScheduler, ExpiryStatus
from bot.web.server import WebApp, post_worker_init, worker_exit
from tests.conftest import GUID, make_settings

APP_TOKEN = "xapp-1-A0APP-0123456789-abcdef"


def ended_ban(services, uid: str) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    services.store.record(
        ModerationEvent(
            guid=GUID,
            uid=uid,
            action=ModerationAction.BAN,
            source=EventSource.COMMAND,
            actor="UALICE",
            at=past,
            ends_at=past + timedelta(hours=1),
        )
    )


def watched_loop(services) -> tuple[threading.Event, list]:
    """The services' loop, with a report hook the test can wait on."""
    reported, outcomes = threading.Event(), []

    def report(round_outcomes) -> None:
        outcomes.extend(round_outcomes)
        reported.set()

    services.expiries = ExpiryLoop(
        ExpiryScheduler(services.store, services.cometchat), interval=3600, report=report
    )
    return reported, outcomes


def test_the_web_worker_runs_the_loop_between_its_hooks(services, cometchat):
    uid = cometchat.banned[GUID][0]["uid"]
    ended_ban(services, uid)
    reported, outcomes = watched_loop(services)
    with socket.create_server(("127.0.0.1", 0)) as listener:  # what gunicorn hands a worker
        worker = SimpleNamespace(wsgi=WebApp(lambda *_: [], services, 0.0), sockets=[listener])

        post_worker_init(worker)
        assert reported.wait(timeout=10)
        assert services.expiries.running
        worker_exit(None, worker)

    assert not services.expiries.running
    assert [(o.expiry.uid, o.status) for o in outcomes] == [(uid, ExpiryStatus.UNBANNED)]
    assert uid not in {u["uid"] for u in cometchat.banned[GUID]}


def test_socket_mode_runs_the_loop_while_connected(services, cometchat):
    uid = cometchat.banned[GUID][0]["uid"]
    ended_ban(services, uid)
    reported, outcomes = watched_loop(services)
    seen_running = []

    class Handler:
        def __init__(self, _app, _settings):
            pass

        def connect(self):
            pass

        def close(self):
            seen_running.append(services.expiries.running)

    stop = threading.Event()
    runner = threading.Thread(
        target=run_socket_mode,
        args=(make_settings(slack_app_token=APP_TOKEN),),
        kwargs={"services": services, "handler_factory": Handler, "stop": stop},
    )
    runner.start()
    try:
        assert reported.wait(timeout=10)
    finally:
        stop.set()
        runner.join(timeout=30)
    assert seen_running == [True]
    assert not services.expiries.running
    assert [o.expiry.uid for o in outcomes] == [uid]


def test_an_automatic_unban_is_said_in_the_audit_channel_and_the_feed(cometchat):
    from tests.support.harness import harness

    uid = cometchat.banned[GUID][0]["uid"]
    with harness(cometchat, audit_channel_id="C0AUDIT", feed_channel_id="C0FEED") as h:
        started = datetime.now(UTC) - timedelta(hours=25)
        h.services.store.record(
            ModerationEvent(
                guid=GUID,
                uid=uid,
                action=ModerationAction.BAN,
                source=EventSource.COMMAND,
                actor="U0ALICE",
                reason="spamming <!channel> links",
                at=started,
                ends_at=started + timedelta(hours=24),
            )
        )
        (outcome,) = h.services.expiries.run_once()  # the loop's round, run here
        posts = h.slack.wait_for(2, path_prefix="/api/chat.postMessage")
    assert outcome.status is ExpiryStatus.UNBANNED
    assert {p.body["channel"] for p in posts} == {"C0AUDIT", "C0FEED"}
    text = posts[0].body["text"]
    assert f"`{uid}` was unbanned automatically from group `{GUID}` after 24 h" in text
    assert "banned by <@U0ALICE>: spamming &lt;!channel&gt; links" in text
    assert uid not in {u["uid"] for u in cometchat.banned[GUID]}
