"""A tour of every path the bot has, through the real app: what users and CometChat can make it do.

`run_tour(h)` drives each feature (list, paging, search, picker, share, export, history,
ban/unban with their modals and confirmations, kick, the live feed's webhooks and buttons, refusals,
and each kind of CometChat failure) and returns every step with everything that reached Slack
during it. The Slack contract and no-secrets suites both walk it, so a path added here is
checked by both.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from bot.slack.banned_page import ACTION_NEXT, ACTION_PREVIOUS
from bot.web.wsgi import create_wsgi_app
from tests.support.fakes import slack as slack_fakes
from tests.support.fakes.slack import SIGNING_SECRET, Received
from tests.support.harness import MODERATOR, Harness, Reply
from tests.support.slack_messages import clickable
from tests.support.webhook_payloads import TRIGGERS, example

GUID = "cometchat-guid-1"
VIEWER = "U0VIEWER"  # on no moderator list: sees lists, no action buttons
OUTSIDER = "U0OUTSIDER"  # refused when VIEWER_USER_IDS is set
WEBHOOK_USER = "cometchat"
FEED_CHANNEL = "C0FEED"
AUDIT_CHANNEL = "C0AUDIT"


def tour_settings(**secrets: Any) -> dict[str, Any]:
    """Settings for a harness that has every feature switched on."""
    return {
        "audit_channel_id": AUDIT_CHANNEL,
        "feed_channel_id": FEED_CHANNEL,
        "cometchat_webhook_user": WEBHOOK_USER,
        "cometchat_webhook_password": secrets.pop("webhook_password", "tour-webhook-password"),
        "viewer_user_ids": f"{MODERATOR},{VIEWER}",
        **secrets,
    }


@dataclass
class Step:
    name: str
    reply: Reply | None
    sent: list[Received] = field(default_factory=list)  # everything Slack got during the step
    acked: list[dict[str, Any]] = field(default_factory=list)  # JSON bodies of acks/answers


def options_body(action_id: str, typed: str, *, user_id: str = MODERATOR) -> bytes:
    payload = {
        "type": "block_suggestion",
        "team": {"id": "T0TEAM", "domain": "example"},
        "user": {"id": user_id, "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "token": "deprecated",
        "action_id": action_id,
        "block_id": "banned_picker",
        "value": typed,
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0CHAN"},
        "channel": {"id": "C0CHAN", "name": "moderation"},
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def view_submission_body(
    callback_id: str, metadata: str, values: dict[str, Any], *, user_id: str = MODERATOR
) -> bytes:
    return slack_fakes.view_submission_body(callback_id, metadata, values, user_id=user_id)


def _web_process(h: Harness) -> Any:
    """The WSGI app of the web process, built once per harness (as the server builds it once)."""
    from bot.webhooks.build import create_webhook_endpoint

    if getattr(h, "web_process", None) is None:
        endpoint = create_webhook_endpoint(h.services)
        h.web_process = create_wsgi_app(h.app, signing_secret=SIGNING_SECRET, webhooks=endpoint)  # type: ignore[attr-defined]
    return h.web_process  # type: ignore[attr-defined]


def deliver_webhook(h: Harness, body: bytes, *, password: str, user: str = WEBHOOK_USER) -> str:
    """POST a CometChat webhook to the web process's WSGI app (no socket); returns the status."""
    wsgi = _web_process(h)
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/cometchat/webhooks",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Basic {credentials}",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
    }
    status: list[str] = []
    b"".join(wsgi(environ, lambda s, _headers, *_: status.append(s)))
    return status[0]


def run_tour(h: Harness, *, webhook_password: str) -> list[Step]:
    steps: list[Step] = []
    fake = h.cometchat

    def step(name: str, action: Callable[[], Reply | None]) -> Reply | None:
        mark = len(h.slack.received)
        reply = action()
        h.settle()
        acked = [reply.ack] if reply and reply.ack else []
        steps.append(Step(name, reply, list(h.slack.received[mark:]), acked))
        return reply

    def first(reply: Reply | None) -> dict[str, Any]:
        assert reply is not None and reply.messages, "expected a message"
        return reply.messages[0]

    # -- looking -------------------------------------------------------------------------------
    step("help", lambda: h.command("help"))
    step("picker (no guid)", lambda: h.command(""))
    page1 = first(step("list", lambda: h.command(GUID)))
    viewer_page = first(step("list as viewer", lambda: h.command(GUID, user_id=VIEWER)))
    nxt = clickable(page1, ACTION_NEXT)[0]
    page2 = first(step("next", lambda: h.click(ACTION_NEXT, nxt["value"])))
    prev = clickable(page2, ACTION_PREVIOUS)[0]
    step("previous", lambda: h.click(ACTION_PREVIOUS, prev["value"]))
    step("search", lambda: h.command(f"{GUID} User 01"))
    step("search, no match", lambda: h.command(f"{GUID} zzz-nobody"))
    step("empty group", lambda: h.command("empty-group"))
    step("unknown group", lambda: h.command("no-such-group"))
    step("invalid guid", lambda: h.command("bad/guid"))
    step("too long guid", lambda: h.command("g" * 150))
    step("stale button", lambda: h.click(ACTION_NEXT, '{"g":"../x"}'))
    step("refused viewer", lambda: h.command(GUID, user_id=OUTSIDER))
    step("refused click", lambda: h.click(ACTION_NEXT, nxt["value"], user_id=OUTSIDER))

    # -- picker --------------------------------------------------------------------------------
    from bot.slack.picker import ACTION_PICK_GROUP

    step("picker options", lambda: _options(h, ACTION_PICK_GROUP, "Hik"))
    step("pick a group", lambda: h.click(ACTION_PICK_GROUP, GUID))

    # -- share and export ----------------------------------------------------------------------
    from bot.slack.list_tools import ACTION_EXPORT, ACTION_SHARE

    share = clickable(page1, ACTION_SHARE) or clickable(viewer_page, ACTION_SHARE)
    step("share", lambda: h.click(ACTION_SHARE, share[0]["value"]))
    export = clickable(page1, ACTION_EXPORT) or clickable(viewer_page, ACTION_EXPORT)
    step("export", lambda: h.click(ACTION_EXPORT, export[0]["value"]))

    # -- moderation ----------------------------------------------------------------------------
    from bot.slack import moderation_blocks as mod

    unban = clickable(page1, mod.ACTION_UNBAN)[0]
    asked = first(
        step(
            "unban asks, with the card",
            lambda: h.click(
                mod.ACTION_UNBAN, unban["value"], block_id=unban["block_id"], answered=True
            ),
        )
    )
    unban_confirm = clickable(asked, mod.ACTION_ACT_CONFIRM)
    if unban_confirm:
        confirmed = unban_confirm[0]["value"]
        step("unban cancelled", lambda: h.click(mod.ACTION_ACT_CANCEL, confirmed, answered=True))
        step("unban confirmed", lambda: h.click(mod.ACTION_ACT_CONFIRM, confirmed, answered=True))
        step("unban again (stale)", lambda: h.click(mod.ACTION_ACT_CONFIRM, confirmed))
    step(
        "unban by viewer (forged)",
        lambda: h.click(mod.ACTION_UNBAN, unban["value"], user_id=VIEWER),
    )
    step("unban of an unknown user", lambda: h.unban_ask(GUID, "ghost-1"))
    picked = clickable(page1, mod.ACTION_PICKED)
    if picked:
        boxes = clickable(page1, mod.ACTION_PICK)[:2]
        both = slack_fakes.ticks(
            *(
                (
                    b["options"][0]["value"],
                    b["options"][0]["text"]["text"].removeprefix(mod.PICK_LABEL),
                )
                for b in boxes
            )
        )
        step(
            "unban selected, nothing ticked", lambda: h.click(mod.ACTION_PICKED, picked[0]["value"])
        )
        many = first(
            step(
                "unban selected asks",
                lambda: h.click(mod.ACTION_PICKED, picked[0]["value"], state=both, answered=True),
            )
        )
        for name, action in (
            ("unban selected by viewer (forged)", mod.ACTION_PICKED_CONFIRM),
            ("unban selected cancelled", mod.ACTION_PICKED_CANCEL),
            ("unban selected confirmed", mod.ACTION_PICKED_CONFIRM),
        ):
            for b in clickable(many, action):
                who = VIEWER if "forged" in name else MODERATOR
                step(name, lambda b=b, who=who, a=action: h.click(a, b["value"], user_id=who))
    confirm = first(step("ban command", lambda: h.command(f"{GUID} ban newcomer")))
    ban_button = clickable(confirm, mod.ACTION_BAN_CONFIRM)[0]
    step("ban confirmed", lambda: h.click(mod.ACTION_BAN_CONFIRM, ban_button["value"]))
    step("ban again", lambda: h.click(mod.ACTION_BAN_CONFIRM, ban_button["value"]))
    step("ban unknown user", lambda: h.command(f"{GUID} ban ghost-1"))
    timed = first(
        step(
            "ban command with duration and reason",
            lambda: h.command(f"{GUID} ban newcomer-2 24h <!channel> spamming *links*"),
        )
    )
    timed_button = clickable(timed, mod.ACTION_BAN_CONFIRM)
    if timed_button:
        value = timed_button[0]["value"]
        step("ban for 24 h confirmed", lambda: h.click(mod.ACTION_BAN_CONFIRM, value))
    step("ban with a bad duration", lambda: h.command(f"{GUID} ban newcomer-3 2x spam"))
    cancel = clickable(confirm, mod.ACTION_BAN_CANCEL)
    if cancel:
        step("ban cancelled", lambda: h.click(mod.ACTION_BAN_CANCEL, cancel[0]["value"]))
    fake.add_member(GUID, "member-1")
    kick = first(
        step("kick command", lambda: h.command(f"{GUID} kick member-1 <!channel> *flooding*"))
    )
    kick_button = clickable(kick, mod.ACTION_ACT_CONFIRM)
    if kick_button:
        value = kick_button[0]["value"]
        step(
            "kick by viewer (forged)",
            lambda: h.click(mod.ACTION_ACT_CONFIRM, value, user_id=VIEWER),
        )
        step("kick confirmed", lambda: h.click(mod.ACTION_ACT_CONFIRM, value))
        step("kick again (not a member)", lambda: h.click(mod.ACTION_ACT_CONFIRM, value))
        step("kick cancelled", lambda: h.click(mod.ACTION_ACT_CANCEL, value))
    step("kick unknown user", lambda: h.command(f"{GUID} kick ghost-1"))
    step("kick by viewer", lambda: h.command(f"{GUID} kick member-1", user_id=VIEWER))
    step("note", lambda: h.command(f"{GUID} note member-1 <!channel> *warned* <@U0123ABCD>"))
    step("note, no text", lambda: h.command(f"{GUID} note member-1"))
    step("note by viewer", lambda: h.command(f"{GUID} note member-1 hi", user_id=VIEWER))
    opener = clickable(page1, mod.ACTION_BAN_OPEN)[0]
    opened = step("ban modal", lambda: h.click(mod.ACTION_BAN_OPEN, opener["value"]))
    views = [p for p in (opened.posts if opened else []) if p.path.startswith("/api/views.open")]
    if views:
        view = _json(views[0].body["view"])
        values = {
            mod.UID_BLOCK_ID: {mod.UID_ACTION_ID: {"type": "plain_text_input", "value": "x y"}}
        }
        step(
            "ban modal, bad uid", lambda: _submit(h, mod.VIEW_BAN, view["private_metadata"], values)
        )
        values[mod.UID_BLOCK_ID][mod.UID_ACTION_ID]["value"] = "modal-user"
        option = {"text": {"type": "plain_text", "text": "7 days"}, "value": "7d"}
        values[mod.DURATION_BLOCK_ID] = {
            mod.DURATION_ACTION_ID: {"type": "static_select", "selected_option": option}
        }
        reason = {"type": "plain_text_input", "value": "<@U0123ABCD>\nspam"}
        values[mod.REASON_BLOCK_ID] = {mod.REASON_ACTION_ID: reason}
        answer = step(
            "ban modal, uid", lambda: _submit(h, mod.VIEW_BAN, view["private_metadata"], values)
        )
        if answer and answer.ack and answer.ack.get("view"):
            meta = answer.ack["view"]["private_metadata"]
            step("ban modal, confirm", lambda: _submit(h, mod.VIEW_BAN_CONFIRM, meta, {}))

    # -- Slack's own entry points: the global shortcut, the Workflow Builder steps --------------
    from bot.slack import workflow_steps as wf
    from tests.support.fakes.slack import function_executed_body, global_shortcut_body

    def shortcut(user: str) -> Reply:
        response = h.signed(global_shortcut_body(mod.SHORTCUT_BAN, user_id=user))
        return Reply(response.status, None)

    step("ban shortcut", lambda: shortcut(MODERATOR))
    step("ban shortcut, refused", lambda: shortcut(OUTSIDER))
    chosen = {"text": {"type": "plain_text", "text": GUID}, "value": GUID}
    anywhere = {
        mod.GROUP_BLOCK_ID: {
            ACTION_PICK_GROUP: {"type": "external_select", "selected_option": chosen}
        },
        mod.UID_BLOCK_ID: {mod.UID_ACTION_ID: {"type": "plain_text_input", "value": "anywhere-1"}},
        mod.REASON_BLOCK_ID: {
            mod.REASON_ACTION_ID: {"type": "plain_text_input", "value": "<!here>"}
        },
    }
    form = step("ban shortcut, form", lambda: _submit(h, mod.VIEW_BAN_ANYWHERE, "", anywhere))
    if form and form.ack and form.ack.get("view"):
        meta = form.ack["view"]["private_metadata"]
        step("ban shortcut, confirm", lambda: _submit(h, mod.VIEW_BAN_CONFIRM, meta, {}))

    executions = iter(range(1, 100))

    def run_step(name: str, inputs: dict[str, Any]) -> Reply:
        execution = f"Fx{next(executions)}"  # each a new run: a repeat is not run again
        response = h.signed_json(function_executed_body(name, inputs, execution_id=execution))
        return Reply(response.status, None)

    def who(user: str) -> dict[str, str]:
        return {"id": user, "secret": "from-slack"}

    flow = {wf.IN_GROUP: GUID, wf.IN_USER: "flow-1", wf.IN_REASON: "<!channel> spam"}
    step("step: ban", lambda: run_step(wf.STEP_BAN, {**flow, wf.IN_MODERATOR: who(MODERATOR)}))
    step(
        "step: is banned",
        lambda: run_step(wf.STEP_IS_BANNED, {**flow, wf.IN_MODERATOR: who(MODERATOR)}),
    )
    step("step: unban", lambda: run_step(wf.STEP_UNBAN, {**flow, wf.IN_MODERATOR: who(MODERATOR)}))
    step("step: refused", lambda: run_step(wf.STEP_BAN, {**flow, wf.IN_MODERATOR: who(OUTSIDER)}))

    # -- history -------------------------------------------------------------------------------
    from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
    from bot.slack.history_blocks import ACTION_HISTORY, ACTION_HISTORY_OLDER

    for n in range(25):  # more than a page, with user text in every field that can hold it
        h.services.store.record(
            ModerationEvent(
                guid=GUID,
                uid="tour-regular",
                action=list(ModerationAction)[n % len(ModerationAction)],
                source=list(EventSource)[n % len(EventSource)],
                at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=n),
                actor="<!channel>" if n % 2 else MODERATOR,
                name="<@U999> Regular",
                reason=f"<!here> reason {n}",
                scope="<b>moderator</b>",
                ends_at=datetime(2026, 4, 1, tzinfo=UTC) if n % 3 else None,
            )
        )
    history = first(step("history", lambda: h.command(f"{GUID} history tour-regular")))
    step("history, no record", lambda: h.command(f"{GUID} history newcomer-2"))
    older = clickable(history, ACTION_HISTORY_OLDER)[0]
    step("history, older", lambda: h.click(ACTION_HISTORY_OLDER, older["value"]))
    step("history, refused", lambda: h.click(ACTION_HISTORY, older["value"], user_id=OUTSIDER))
    for row in (clickable(page1, ACTION_HISTORY) or clickable(viewer_page, ACTION_HISTORY))[:1]:
        step("history button", lambda row=row: h.click(ACTION_HISTORY, row["value"]))

    # -- cases: the view, its edit form, refusals ----------------------------------------------
    from bot.slack.case_blocks import (
        ACTION_CASE_EDIT,
        EDIT_LENGTH_ACTION_ID,
        EDIT_LENGTH_BLOCK_ID,
        EDIT_REASON_ACTION_ID,
        EDIT_REASON_BLOCK_ID,
        VIEW_CASE_EDIT,
    )
    from bot.slack.history_blocks import ACTION_CASE

    for line in clickable(history, ACTION_CASE)[:2]:
        step("case button", lambda line=line: h.click(ACTION_CASE, line["value"]))
        step(
            "case button, viewer",
            lambda line=line: h.click(ACTION_CASE, line["value"], user_id=VIEWER),
        )
    newest = h.services.store.history(GUID, "tour-regular").events[0]
    case = first(step("case command", lambda: h.command(f"case {newest.id}")))
    step("case command, unknown", lambda: h.command("case 987654321"))
    step("case command, malformed", lambda: h.command("case <!channel>"))
    step("case, refused", lambda: h.command(f"case {newest.id}", user_id=OUTSIDER))
    for edit in clickable(case, ACTION_CASE_EDIT)[:1]:
        opened = step("case edit form", lambda edit=edit: h.click(ACTION_CASE_EDIT, edit["value"]))
        step(
            "case edit form, viewer",
            lambda edit=edit: h.click(ACTION_CASE_EDIT, edit["value"], user_id=VIEWER),
        )
        views = [
            p for p in (opened.posts if opened else []) if p.path.startswith("/api/views.open")
        ]
        for posted in views[:1]:
            meta = _json(posted.body["view"])["private_metadata"]
            fields = {
                EDIT_REASON_BLOCK_ID: {
                    EDIT_REASON_ACTION_ID: {"type": "plain_text_input", "value": "<!here> *x*"}
                },
                EDIT_LENGTH_BLOCK_ID: {
                    EDIT_LENGTH_ACTION_ID: {
                        "type": "static_select",
                        "selected_option": {"value": "permanent"},
                    }
                },
            }
            step("case edit, saved", lambda m=meta, f=fields: _submit(h, VIEW_CASE_EDIT, m, f))
            step("case edit, stale form", lambda f=fields: _submit(h, VIEW_CASE_EDIT, "{}", f))
            long = {
                EDIT_REASON_BLOCK_ID: {
                    EDIT_REASON_ACTION_ID: {"type": "plain_text_input", "value": "x" * 600}
                }
            }
            step("case edit, long reason", lambda m=meta, f=long: _submit(h, VIEW_CASE_EDIT, m, f))

    from bot.slack.case_blocks import SHORTCUT_OPEN_CASE

    audit_posts = [
        p.body
        for st in steps
        for p in st.sent
        if p.path == "/api/chat.postMessage" and p.body.get("channel") == AUDIT_CHANNEL
    ]
    for post in audit_posts[-1:]:
        message = {"type": "message", "ts": "1.2", "bot_id": "B0BOT", **post}
        step("open case shortcut", lambda m=message: h.shortcut(SHORTCUT_OPEN_CASE, m))
    step(
        "open case shortcut, no case",
        lambda: h.shortcut(SHORTCUT_OPEN_CASE, {"type": "message", "ts": "1.3", "text": "hi"}),
    )
    step(
        "open case shortcut, refused",
        lambda: h.shortcut(SHORTCUT_OPEN_CASE, {"type": "message", "ts": "1.3"}, user_id=OUTSIDER),
    )

    # -- the Home tab (after the history, so it has events to show) ----------------------------
    from tests.support.fakes.slack import home_opened_body

    def open_home(user: str) -> Reply:
        published = len([r for r in h.slack.received if r.path == "/api/views.publish"])
        response = h.signed_json(home_opened_body(user))
        h.slack.wait_for(published + 1, path_prefix="/api/views.publish")
        return Reply(response.status, None)

    step("home tab", lambda: open_home(MODERATOR))
    step("home tab, viewer", lambda: open_home(VIEWER))
    step("home tab, refused", lambda: open_home(OUTSIDER))
    step("history export", lambda: h.command(f"history export {GUID} 30"))
    h.settle()
    step("history export, bad days", lambda: h.command("history export 0"))
    from bot.domain.button_values import HistoryExportRef
    from bot.slack.home_blocks import ACTION_HOME_EXPORT_HISTORY

    step(
        "home export history",
        lambda: h.click(ACTION_HOME_EXPORT_HISTORY, HistoryExportRef().encode()),
    )
    h.settle()

    # -- the live feed -------------------------------------------------------------------------
    for trigger in TRIGGERS:
        body = json.dumps(example(trigger)).encode()
        step(f"webhook {trigger}", lambda body=body: _webhook(h, body, webhook_password))
    multi = example("group_member_banned")
    member = next(iter(multi["data"]["members"].values()))
    multi["data"]["members"] = {
        f"u-{i}": {**member, "uid": f"u-{i}", "name": f"<!channel> {i}"} for i in range(30)
    }
    step("webhook, 30 members", lambda: _webhook(h, json.dumps(multi).encode(), webhook_password))
    step("webhook, wrong password", lambda: _webhook(h, b"{}", webhook_password + "x"))
    step("webhook, garbage", lambda: _webhook(h, b"{not json", webhook_password))
    feed_posts = [
        p for s in steps if s.name.startswith("webhook") for p in s.sent if "postMessage" in p.path
    ]
    for post in feed_posts[:2]:
        blocks = _json(post.body.get("blocks", "[]"))
        for button in clickable({"blocks": blocks}):
            step(
                f"feed button {button['action_id']}",
                lambda b=button: h.click(
                    b["action_id"], b.get("value", ""), block_id=b["block_id"]
                ),
            )

    # -- CometChat misbehaving -----------------------------------------------------------------
    good_key = fake.api_key
    fake.api_key = "a-key-the-bot-does-not-have"
    step("cometchat rejects the key", lambda: h.command(GUID))
    step("cometchat rejects the key on a card", lambda: h.click(mod.ACTION_UNBAN, unban["value"]))
    for value in [b["value"] for b in unban_confirm[:1]]:
        step(
            "cometchat rejects the key on a write",
            lambda v=value: h.click(mod.ACTION_ACT_CONFIRM, v),
        )
    fake.api_key = good_key
    for name, answer in (
        ("rate limited", (429, {"error": {"code": "ERR_TOO_MANY_REQUESTS"}}, {"Retry-After": "9"})),
        ("down", (503, b"<html>down</html>", {})),
        ("garbled", (200, b"{not json", {})),
        ("plan", (403, {"error": {"code": "ERR_PLAN_RESTRICTION", "message": "upgrade"}}, {})),
    ):
        fake.interceptor = lambda _rec, answer=answer: answer
        step(f"cometchat {name}", lambda: h.command("empty-group"))
        step(f"cometchat {name} on a card", lambda: h.click(mod.ACTION_UNBAN, unban["value"]))
        for button in unban_confirm[:1]:
            step(
                f"cometchat {name} on unban",
                lambda b=button: h.click(mod.ACTION_ACT_CONFIRM, b["value"]),
            )
        for button in kick_button[:1]:
            step(
                f"cometchat {name} on kick",
                lambda b=button: h.click(mod.ACTION_ACT_CONFIRM, b["value"]),
            )
        step(f"cometchat {name} on options", lambda: _options(h, ACTION_PICK_GROUP, "x"))
    fake.interceptor = None
    return steps


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _options(h: Harness, action_id: str, typed: str) -> Reply:
    response = h.signed(options_body(action_id, typed))
    return Reply(response.status, json.loads(response.body) if response.body else None)


def _submit(h: Harness, callback_id: str, metadata: str, values: dict[str, Any]) -> Reply:
    response = h.signed(view_submission_body(callback_id, metadata, values))
    return Reply(response.status, json.loads(response.body) if response.body else None)


def _webhook(h: Harness, body: bytes, password: str) -> Reply:
    status = deliver_webhook(h, body, password=password)
    return Reply(int(status.split()[0]), None)
