"""The baseline: a plain Bolt bot, as a team would first write `/banned <guid>`.

Bolt at its defaults (listeners on Bolt's thread pool, acknowledgement polled every 10 ms,
token checked with auth.test), Bolt's own WSGI adapter, one shared `httpx.Client` for CometChat,
the group and its page read one after the other, and a page of the same size and shape. Served
the way such a bot is usually served: gunicorn's threaded worker with 8 threads
(`baseline_command`), not the bot's server settings. None of the bot's code is imported, so its
memory and start-up are the plain bot's own.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

ACTION_NEXT = "banned_page_next"  # the names the load generator clicks
ACTION_PREVIOUS = "banned_page_previous"


def baseline_command() -> list[str]:
    """gunicorn for the plain bot: gthread, 8 threads, one worker; it binds $PORT (gunicorn's
    default when PORT is set)."""
    return [
        sys.executable,
        *("-m", "gunicorn", "--worker-class", "gthread", "--threads", "8"),
        "bench.naive:create()",
    ]


def _page_blocks(
    group: dict[str, Any], answer: dict[str, Any], guid: str, page: int, per_page: int
):
    users = answer.get("data") or []
    pagination = (answer.get("meta") or {}).get("pagination") or {}
    total, pages = pagination.get("total", len(users)), pagination.get("total_pages", 1)
    name = group.get("name") or guid
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Banned from {name}"}},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"{total} users banned (page {page} of {pages})"}
            ],
        },
        {"type": "divider"},
    ]
    for user in users:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{user.get('name')}* `{user.get('uid')}`"},
                "accessory": {
                    "type": "button",
                    "action_id": "unban",
                    "text": {"type": "plain_text", "text": "Unban"},
                    "value": json.dumps({"g": guid, "u": user.get("uid")}),
                },
            }
        )
    nav = []
    for action, label, to in (
        (ACTION_PREVIOUS, "Previous", page - 1),
        (ACTION_NEXT, "Next", page + 1),
    ):
        if 1 <= to <= pages:
            value = json.dumps({"g": guid, "p": to, "n": per_page})
            nav.append(
                {
                    "type": "button",
                    "action_id": action,
                    "text": {"type": "plain_text", "text": label},
                    "value": value,
                }
            )
    if nav:
        blocks.append({"type": "actions", "elements": nav})
    return {"text": f"Banned from {name}", "blocks": blocks}


def create() -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    env = os.environ
    cometchat = httpx.Client(
        base_url=env["COMETCHAT_BASE_URL"],
        headers={"apikey": env["COMETCHAT_API_KEY"], "accept": "application/json"},
        timeout=10,
    )
    app = App(
        signing_secret=env["SLACK_SIGNING_SECRET"],
        client=WebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"]),
    )

    def page_of(guid: str, page: int = 1, per_page: int = 10) -> dict[str, Any]:
        group = cometchat.get(f"/groups/{guid}").json().get("data") or {}
        answer = cometchat.get(
            f"/groups/{guid}/bannedusers", params={"page": page, "perPage": per_page}
        ).json()
        return _page_blocks(group, answer, guid, page, per_page)

    @app.command("/banned")
    def banned(ack, command, respond):
        ack()
        respond(response_type="ephemeral", **page_of(command["text"].strip()))

    @app.action(ACTION_NEXT)
    @app.action(ACTION_PREVIOUS)
    def paging(ack, action, respond):
        ack()
        cursor = json.loads(action["value"])
        respond(replace_original=True, **page_of(cursor["g"], cursor["p"], cursor["n"]))

    slack = SlackRequestHandler(app)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("content-type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    return wsgi
