"""A fake Slack on loopback: records what the bot POSTs to response_urls and the Web API."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode

from tests.support.fakes.cometchat import LocalServer

SIGNING_SECRET = "test-signing-secret-abcdef"
BOT_TOKEN = "xoxb-test-token-0123456789"
TEAM_ID = "T0TEAM"  # the bot's own workspace (auth.test), and the team of every built payload
BOT_USER_ID = "U0BOT"


@dataclass
class Answer:
    """A Web API answer that is not a plain 200: a 429 with Retry-After, say."""

    body: dict
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


# A Web API answer: read the request, then close the connection without a word.
HANG_UP = Answer({}, status=0)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict
    raw: bytes = b""  # the body as sent (file bytes POSTed to an upload_url are not parsed)

    @property
    def form(self) -> dict:
        return self.body


class FakeSlack:
    """Collects POSTs; `wait_for(n)` blocks (with a timeout) until n have arrived."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._cond = threading.Condition()
        # Web API answers by method name (a body, an Answer or HANG_UP); default {"ok": true}.
        self.api_answers: dict[str, Callable[[Received], dict | Answer]] = {}
        self.response_status = 200
        # Image URLs Slack "cannot download": a message showing one is refused, as Slack does.
        self.unreachable_images: set[str] = set()
        # How a response_url refuses: Slack's webhook answer (400, `invalid_blocks` as plain
        # text) unless a test asks for the JSON form, at the status it names.
        self.refusal_json = False
        self.refusal_status = 400
        # Who the bot token belongs to, as auth.test tells the bot at start-up. The payload
        # builders below send requests from TEAM_ID; set these before building services.
        self.team_id: str = TEAM_ID
        self.enterprise_id: str | None = None
        self.org_wide = False
        # The workspace's user groups (id -> member user ids), for usergroups.users.list.
        self.user_groups: dict[str, list[str]] = {}

    def record(self, item: Received) -> None:
        with self._cond:
            self.received.append(item)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0, path_prefix: str = "") -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matching = [r for r in self.received if r.path.startswith(path_prefix)]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} POSTs to {path_prefix!r}, got {len(matching)}"
                    )
                self._cond.wait(remaining)

    def default_answer(self, method: str, item: Received, base_url: str) -> dict:
        """Slack's answer when a test sets none: ok, and enough for the file upload flow
        (getUploadURLExternal hands out an upload_url on this fake; uploads are recorded)."""
        if method == "auth.test":
            answer: dict = {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "banned",
                "team_id": self.team_id,
                "user_id": BOT_USER_ID,
                "bot_id": "B0BOT",
                "is_enterprise_install": self.org_wide,
            }
            if self.enterprise_id:
                answer["enterprise_id"] = self.enterprise_id
            return answer
        if method == "usergroups.users.list":
            members = self.user_groups.get(str(item.body.get("usergroup")))
            if members is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(members)}
        if method == "files.getUploadURLExternal":
            file_id = "F" + uuid.uuid4().hex[:10].upper()
            return {"ok": True, "upload_url": f"{base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": json.loads(item.body.get("files") or "[]")}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D0" + str(item.body.get("users", "X"))[1:]}}
        return {"ok": True}

    def image_failure(self, body: dict) -> str | None:
        """Slack's detail for the first image in `body` it could not download, if any."""
        blocks = body.get("blocks") or []
        prefix = "/blocks"
        if isinstance(blocks, str):  # a form-encoded Web API call carries its blocks as JSON
            blocks = json.loads(blocks)
        view = body.get("view")
        if not blocks and view:  # views.publish / views.open: the blocks are the view's
            view = json.loads(view) if isinstance(view, str) else view
            blocks, prefix = view.get("blocks") or [], "/view/blocks"
        for pointer, url in image_urls(blocks, prefix):
            if url in self.unreachable_images:
                return f"downloading image failed [json-pointer:{pointer}]"
        return None

    def since_startup(self) -> list[Received]:
        """What reached Slack apart from the bot's start-up `auth.test` (its only call of it)."""
        with self._cond:
            return [r for r in self.received if r.path != "/api/auth.test"]

    def uploads(self) -> list[Received]:
        """File bytes POSTed to upload URLs (`.raw`), in arrival order."""
        return [r for r in self.received if r.path.startswith("/upload/")]

    def step_answers(self) -> list[Received]:
        """Workflow steps' answers (functions.completeSuccess / completeError), in order."""
        return [r for r in self.received if r.path.startswith("/api/functions.complete")]

    def responses(self) -> list[dict]:
        return [r.body for r in self.received if r.path.startswith("/response/")]

    def serve(self) -> LocalServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes; with Nagle on, a keep-alive client waits
            # ~40 ms for the delayed ACK on every POST.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                # A few Web API methods are GETs (usergroups.users.list): arguments in the query.
                path, _, query = self.path.partition("?")
                body = {k: v[0] for k, v in parse_qs(query).items()}
                self.respond(path, body, b"")

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                ctype = self.headers.get("content-type", "")
                if self.path.startswith("/upload/"):
                    body: dict = {}
                elif "json" in ctype:
                    body = json.loads(raw or b"{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                self.respond(self.path, body, raw)

            def respond(self, path: str, body: dict, raw: bytes) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                item = Received(path, headers, body, raw)
                failure = fake.image_failure(body)
                ctype = "application/json"
                if path.startswith("/api/"):
                    method = path[len("/api/") :].split("?")[0]
                    base = f"http://127.0.0.1:{self.server.server_port}"
                    default = lambda r: fake.default_answer(method, r, base)  # noqa: E731
                    answer = (
                        _refusal(failure)
                        if failure
                        else fake.api_answers.get(method, default)(item)
                    )
                elif failure and fake.refusal_json:
                    answer = Answer(_refusal(failure), fake.refusal_status)
                elif failure:
                    answer = Answer({}, fake.refusal_status)
                    ctype = "text/plain"  # a response_url refuses in plain text
                else:
                    answer = Answer({"ok": True}, fake.response_status)
                if not isinstance(answer, Answer):
                    answer = Answer(answer)
                # Recorded before answering: once the bot has its answer (and its job is done),
                # the request is already visible to the test.
                fake.record(item)
                if answer is HANG_UP:
                    self.close_connection = True
                    return
                data = (
                    b"invalid_blocks" if ctype == "text/plain" else json.dumps(answer.body).encode()
                )
                self.send_response(answer.status)
                self.send_header("content-type", ctype)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        return LocalServer(Handler)


def _refusal(detail: str) -> dict:
    """Slack's answer to blocks it will not post (chat.postMessage's shape)."""
    return {
        "ok": False,
        "error": "invalid_blocks",
        "errors": [detail],
        "response_metadata": {"messages": [f"[ERROR] {detail}"]},
    }


def image_urls(node: object, pointer: str = "") -> Iterator[tuple[str, str]]:
    """(JSON pointer, URL) of every image element or block under `node`."""
    if isinstance(node, dict):
        if node.get("type") == "image" and isinstance(node.get("image_url"), str):
            yield f"{pointer}/image_url", node["image_url"]
        for key, value in node.items():
            yield from image_urls(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from image_urls(value, f"{pointer}/{index}")


def sign(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict:
    """Headers Slack would send with `body`, signed the way Slack documents (v0 HMAC-SHA256)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def command_body(text: str, response_url: str, *, user_id: str = "U0MOD", **extra) -> bytes:
    form = {
        "token": "deprecated",
        "team_id": "T0TEAM",
        "team_domain": "example",
        "channel_id": "C0CHAN",
        "channel_name": "moderation",
        "user_id": user_id,
        "user_name": "mod",
        "command": "/banned",
        "text": text,
        "api_app_id": "A0APP",
        "response_url": response_url,
        "trigger_id": "123.456.abc",
        **extra,
    }
    return urlencode(form).encode()


def action_body(
    action_id: str,
    value: str,
    response_url: str,
    *,
    user_id: str = "U0MOD",
    block_id="x",
    state: dict | None = None,
) -> bytes:
    """A button click; `state`: the message's `state.values` Slack sends with it (its ticks)."""
    button = {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "action_ts": "1.3",
    }
    fields = {} if state is None else {"state": {"values": state}}
    return block_actions_body(button, response_url, user_id=user_id, **fields)


def ticks(*picked: tuple[str, str]) -> dict:
    """`state.values` of a list page with these (uid, name) ticked, one row's box each (Slack
    names blocks that have no block_id itself)."""
    from bot.slack.moderation_blocks import ACTION_PICK, PICK_LABEL

    return {
        f"row{i}": {
            ACTION_PICK: {
                "type": "checkboxes",
                "selected_options": [
                    {"text": {"type": "plain_text", "text": PICK_LABEL + name}, "value": uid}
                ],
            }
        }
        for i, (uid, name) in enumerate(picked)
    }


def block_actions_body(
    action: dict, response_url: str, *, user_id: str = "U0MOD", **fields: object
) -> bytes:
    """A `block_actions` payload carrying one action (a button, a select…); `fields` replace
    or add top-level keys (another channel, the clicked `message`)."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM", "domain": "example"},
        "user": {"id": user_id, "username": "mod", "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "token": "deprecated",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0CHAN"},
        "trigger_id": "123.456.abc",
        "channel": {"id": "C0CHAN", "name": "moderation"},
        "response_url": response_url,
        "actions": [action],
        **fields,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def message_shortcut_body(
    callback_id: str, message: dict, response_url: str, *, user_id: str = "U0MOD"
) -> bytes:
    """A message shortcut used on `message` (as Slack sends it: its full structure)."""
    payload = {
        "type": "message_action",
        "callback_id": callback_id,
        "team": {"id": "T0TEAM", "domain": "example"},
        "user": {"id": user_id, "username": "mod", "team_id": "T0TEAM"},
        "channel": {"id": "C0CHAN", "name": "moderation"},
        "api_app_id": "A0APP",
        "token": "deprecated",
        "trigger_id": "123.456.ghi",
        "action_ts": "1.4",
        "message_ts": message.get("ts", "1.1"),
        "message": message,
        "response_url": response_url,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def view_submission_body(
    callback_id: str, metadata: str, values: dict, *, user_id: str = "U0MOD"
) -> bytes:
    """A modal's submission, with its input `values` (block_id -> action_id -> state)."""
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM", "domain": "example"},
        "user": {"id": user_id, "username": "mod", "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "token": "deprecated",
        "trigger_id": "123.456.def",
        "view": {
            "id": "V0VIEW",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": values},
        },
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def global_shortcut_body(callback_id: str, *, user_id: str = "U0MOD") -> bytes:
    """A global shortcut, chosen from Slack's shortcuts menu: no channel, no response_url."""
    payload = {
        "type": "shortcut",
        "token": "deprecated",
        "action_ts": "1700000000.000200",
        "team": {"id": "T0TEAM", "domain": "example"},
        "user": {"id": user_id, "username": "mod", "team_id": "T0TEAM"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": "123.456.shortcut",
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


# The bot token a function_executed event carries, for that step's answer only; a secret too
# (test_no_secrets looks for its marker).
STEP_TOKEN = "xwfp-1-LEAKMARKSTEP-4444"


def function_executed_body(
    callback_id: str,
    inputs: dict,
    *,
    execution_id: str = "Fx0EXEC",
    event_id: str = "Ev0STEP",
    token: str = STEP_TOKEN,
) -> bytes:
    """The Events API's `function_executed` (JSON), as Slack POSTs it when a workflow reaches
    one of the app's steps. The workflow's person travels only in `inputs` (a user_context)."""
    event = {
        "type": "function_executed",
        "function": {
            "id": "Fn0STEP",
            "callback_id": callback_id,
            "title": callback_id,
            "description": "",
            "type": "app",
            "input_parameters": [],
            "output_parameters": [],
            "app_id": "A0APP",
            "date_created": 1_700_000_000,
            "date_updated": 1_700_000_000,
            "date_deleted": 0,
        },
        "inputs": inputs,
        "function_execution_id": execution_id,
        "workflow_execution_id": "Wx0FLOW",
        "event_ts": "1700000000.000300",
        "bot_access_token": token,
    }
    return event_callback_body(event, event_id=event_id)


def event_callback_body(event: dict, *, event_id: str) -> bytes:
    """An Events API delivery (JSON) of `event`, from the bot's own team."""
    payload = {
        "token": "deprecated",
        "team_id": "T0TEAM",
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1_700_000_000,
        "event": event,
        "authorizations": [{"team_id": "T0TEAM", "user_id": "U0BOT", "is_bot": True}],
    }
    return json.dumps(payload).encode()


def home_opened_body(user_id: str, *, tab: str = "home", event_id: str = "Ev0HOME") -> bytes:
    """The Events API's `app_home_opened`, as Slack POSTs it (JSON)."""
    event = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D0HOME",
        "tab": tab,
        "event_ts": "1700000000.000100",
    }
    return event_callback_body(event, event_id=event_id)


def home_click_body(action: dict, *, user_id: str = "U0MOD") -> bytes:
    """A `block_actions` from a Home tab view: no channel, no message, no response_url."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM", "domain": "example"},
        "user": {"id": user_id, "username": "mod", "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "token": "deprecated",
        "container": {"type": "view", "view_id": "V0HOME"},
        "trigger_id": "123.456.home",
        "view": {"id": "V0HOME", "type": "home", "blocks": [], "state": {"values": {}}},
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()
