"""Unban round trip through the real app: signed click in, DELETE to CometChat, the page
re-rendered and delivered to response_url, the audit line posted. Fakes on loopback.

    .venv/bin/python -m bench.moderation [clicks]

Prints click→delivered latency (p50/p95/max) and the worst-case sizes the renderers produce.
Sequential on purpose: this measures the path, not the server's concurrency (see bench/load.py).
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx

from bot.app import create_app
from bot.cometchat.models import BannedPage, BannedUser, Group
from bot.domain.button_values import ActionRef, BanRef, PageCursor, UnbanRef
from bot.domain.moderation import EventSource, ModerationAction
from bot.services import build_services
from bot.settings import MAX_PAGE_SIZE, load_settings
from bot.slack.banned_page import render_banned_page
from bot.slack.moderation_blocks import (
    ACTION_ACT_CONFIRM,
    ban_row,
    done_notice,
    unban_extras,
    with_notice,
)
from bot.web.wsgi import create_wsgi_app
from tests.support.fakes.cometchat import API_KEY, FakeCometChat, make_user
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, action_body, sign

GUID = "bench-group"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def round_trips(clicks: int) -> list[float]:
    cometchat = FakeCometChat()
    cometchat.add_group(GUID, "Bench", banned=clicks + 10)
    slack = FakeSlack()
    with slack.serve() as slack_server:
        settings = load_settings(
            _env_file=None,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            cometchat_api_key=API_KEY,
            cometchat_base_url="https://cometchat.test/v3",
            slack_api_url=slack_server.url + "/api/",
            moderator_user_ids="U0MOD",
            audit_channel_id="C0AUDIT",
            log_level="WARNING",
        )
        services = build_services(settings, cometchat_transport=cometchat.transport())
        server = make_server(
            "127.0.0.1",
            0,
            create_wsgi_app(create_app(services), signing_secret=SIGNING_SECRET),
            WSGIServer,
            handler_class=_Quiet,
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        http = httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}", timeout=10)
        cursor = PageCursor(guid=GUID, page=1, per_page=settings.page_size)
        timings = []
        try:
            for i in range(1, clicks + 1):
                # The Confirm of an Unban's confirmation: the unban and the list drawn again.
                value = ActionRef(
                    action=ModerationAction.UNBAN,
                    guid=GUID,
                    uid=f"user-{i:03d}",
                    cursor=cursor,
                    source=EventSource.BUTTON,
                ).encode()
                body = action_body(ACTION_ACT_CONFIRM, value, f"{slack_server.url}/response/{i}")
                started = time.perf_counter()
                headers = {"content-type": "application/x-www-form-urlencoded", **sign(body)}
                assert http.post("/slack/events", content=body, headers=headers).status_code == 200
                slack.wait_for(i, path_prefix="/response/")
                timings.append((time.perf_counter() - started) * 1000)
            slack.wait_for(clicks, path_prefix="/api/chat.postMessage")
        finally:
            http.close()
            server.shutdown()
            services.responder.drain(5)
            services.close()
    return timings


def worst_case_sizes() -> dict[str, int]:
    longest = "x" * 100
    cursor = PageCursor(guid=longest, page=100_000, per_page=MAX_PAGE_SIZE, query="\u2028" * 100)
    users = tuple(
        BannedUser.model_validate(make_user(i, uid=f"{i:03d}" + "u" * 97, name="N" * 500))
        for i in range(MAX_PAGE_SIZE)
    )
    page = BannedPage(
        guid=longest, page=2, per_page=MAX_PAGE_SIZE, users=users, has_next=True, total=10_000
    )
    group = Group(guid=longest, name="G" * 500)
    message = render_banned_page(
        page, cursor, group, user_extras=unban_extras(cursor), footer=[ban_row(cursor)]
    )
    shown = with_notice(done_notice("unban", longest, longest), message)
    return {
        "unban_value_chars": len(UnbanRef(guid=longest, uid=longest, cursor=cursor).encode()),
        "unban_confirm_value_chars": len(
            ActionRef(
                action=ModerationAction.UNBAN,
                guid=longest,
                uid=longest,
                cursor=cursor,
                source=EventSource.BUTTON,
            ).encode()
        ),
        "ban_metadata_chars": len(
            BanRef(
                guid=longest,
                uid=longest,
                cursor=cursor,
                response_url="https://hooks.slack.com/actions/T0/1/" + "a" * 60,
                channel_id="C0123456789",
            ).encode()
        ),
        # header, summary, divider, 20 x (user + Unban row), nav, "Ban a user…", notice; the
        # list's own tools (share/export, search note) add up to two more in the live app.
        "page_blocks": len(json.loads(json.dumps(shown.to_dict()))["blocks"]),
    }


def main(argv: list[str]) -> int:
    clicks = int(argv[0]) if argv else 200
    timings = round_trips(clicks)
    q = statistics.quantiles(timings, n=20)
    print(
        f"unban confirmed -> page delivered, {clicks} sequential clicks: "
        f"p50 {statistics.median(timings):.1f} ms, p95 {q[18]:.1f} ms, max {max(timings):.1f} ms"
    )
    for key, value in worst_case_sizes().items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
