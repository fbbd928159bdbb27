"""Slack's limits for messages and views: what slack_sdk.models checks, plus what it does not.

`assert_valid_message(payload)` takes any dict the bot sends Slack as a message (an ack body, a
response_url POST, a chat.postMessage body) and `assert_valid_view(view)` a modal or home view.
Both rebuild every block through `slack_sdk.models` (which raises on the lengths it knows) and
then check the limits the SDK leaves to Slack's API to reject: block counts, unique ids, the
top-level `text` fallback, and a few element limits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from slack_sdk.models.blocks import Block, Option
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000  # Slack truncates a message's `text` beyond this
MAX_BLOCK_ID = 255
MAX_ACTION_ID = 255
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_OPTION_VALUE = 150
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30
MAX_VIEW_TITLE = 24
MAX_PRIVATE_METADATA = 3000
MAX_CALLBACK_ID = 255

RESPONSE_TYPES = {"ephemeral", "in_channel"}


def assert_valid_message(payload: dict[str, Any], *, where: str = "message") -> None:
    """Fail with a readable reason if Slack would reject (or silently mangle) this message."""
    assert isinstance(payload, dict), f"{where}: not a dict: {payload!r}"
    text = payload.get("text")
    assert isinstance(text, str) and text.strip(), (
        f"{where}: top-level `text` missing or blank (notifications and screen readers need it)"
    )
    assert len(text) <= MAX_MESSAGE_TEXT, f"{where}: text is {len(text)} chars"
    if "response_type" in payload:
        assert payload["response_type"] in RESPONSE_TYPES, f"{where}: {payload['response_type']!r}"
    for flag in ("replace_original", "delete_original"):
        if flag in payload:
            assert isinstance(payload[flag], bool), f"{where}: {flag} must be a boolean"
    blocks = payload.get("blocks", [])
    assert isinstance(blocks, list), f"{where}: blocks must be a list"
    assert len(blocks) <= MAX_MESSAGE_BLOCKS, f"{where}: {len(blocks)} blocks (max 50)"
    _check_blocks(blocks, where)
    json.dumps(payload)  # everything must serialise as Slack receives it


def assert_valid_view(view: dict[str, Any], *, where: str = "view") -> None:
    """A modal or App Home view: the SDK's View validation plus the limits it leaves out."""
    assert isinstance(view, dict), f"{where}: not a dict"
    View(**view).to_dict()  # raises SlackObjectFormationError on lengths it knows
    assert view.get("type") in {"modal", "home"}, f"{where}: type {view.get('type')!r}"
    blocks = view.get("blocks", [])
    assert len(blocks) <= MAX_VIEW_BLOCKS, f"{where}: {len(blocks)} blocks (max 100)"
    if view.get("type") == "modal":
        assert _plain(view.get("title")), f"{where}: a modal needs a title"
        for key in ("title", "submit", "close"):
            if view.get(key) is not None:
                assert len(_plain(view[key])) <= MAX_VIEW_TITLE, f"{where}: {key} too long"
        if any(b.get("type") == "input" for b in blocks):
            assert view.get("submit"), f"{where}: a modal with inputs needs a submit button"
    metadata = view.get("private_metadata")
    if metadata is not None:
        assert isinstance(metadata, str) and len(metadata) <= MAX_PRIVATE_METADATA, where
    callback_id = view.get("callback_id")
    if callback_id is not None:
        assert isinstance(callback_id, str) and len(callback_id) <= MAX_CALLBACK_ID, where
    _check_blocks(blocks, where)
    json.dumps(view)


MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"}
VIEW_METHODS = {"views.open", "views.push", "views.update", "views.publish"}


def assert_valid_slack_post(path: str, body: dict[str, Any]) -> None:
    """Whatever the bot sent to (Fake)Slack: a response_url message or a Web API call."""
    if path.startswith("/api/"):
        method = path[len("/api/") :].split("?")[0]
        if method in MESSAGE_METHODS:
            assert_valid_message(_decoded(body, "blocks"), where=method)
        elif method in VIEW_METHODS:
            view = _decoded(body, "view")["view"]
            assert_valid_view(view, where=method)
        return
    if path.startswith("/response/"):
        assert_valid_message(body, where=path)
    # Anything else (file bytes to an upload URL) is not Block Kit.


MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75


def assert_valid_ack(ack: dict[str, Any], *, where: str = "ack") -> None:
    """An acknowledgement body: a message, a view_submission answer, or options for a menu."""
    if "text" in ack or "blocks" in ack:
        assert_valid_message(ack, where=where)
    action = ack.get("response_action")
    if action is not None:
        assert action in {"errors", "update", "push", "clear"}, f"{where}: {action!r}"
        if action in {"update", "push"}:
            assert_valid_view(ack["view"], where=f"{where} view")
        if action == "errors":
            errors = ack["errors"]
            assert errors and all(isinstance(v, str) and v for v in errors.values()), where
    if "options" in ack:
        options = ack["options"]
        assert len(options) <= MAX_OPTIONS, f"{where}: {len(options)} options"
        for option in options:
            rebuilt = Option(**option).to_dict()  # validates the label and value lengths
            assert _subset(option, rebuilt), f"{where}: the SDK drops fields of {option!r}"
            assert 0 < len(_plain(option["text"])) <= MAX_OPTION_TEXT, f"{where}: option text"
            assert 0 < len(option["value"]) <= MAX_OPTION_VALUE, f"{where}: option value"


def _decoded(body: dict[str, Any], key: str) -> dict[str, Any]:
    """Form-encoded Web API calls carry blocks/views as JSON strings."""
    if isinstance(body.get(key), str):
        return {**body, key: json.loads(body[key])}
    return body


_DATE_TOKEN = re.compile(r"<!date\^\d+\^[^|<>]*\|[^<>]*>")


def assert_no_injected_markup(payload: Any, *, mentions: Iterable[str] = ()) -> None:
    """No `<…>` control sequence in any mrkdwn text or top-level `text`, except the bot's own:
    date tokens, and mentions of the given Slack user ids (the actor, the sharer)."""
    allowed = [re.compile(rf"<@{re.escape(user)}>") for user in mentions]

    def check(text: str, where: str) -> None:
        stripped = _DATE_TOKEN.sub("", text)
        for pattern in allowed:
            stripped = pattern.sub("", stripped)
        assert "<" not in stripped and ">" not in stripped, (
            f"{where}: unescaped markup in {text[:300]!r}"
        )

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                check(node["text"], where)
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}[{index}]")

    if isinstance(payload, dict) and isinstance(payload.get("text"), str):
        check(payload["text"], "text")
    walk(payload.get("blocks", []) if isinstance(payload, dict) else payload, "blocks")


def _check_blocks(blocks: list[dict[str, Any]], where: str) -> None:
    block_ids: list[str] = []
    for index, block in enumerate(blocks):
        at = f"{where}: block {index} ({block.get('type')})"
        parsed = Block.parse(block)
        assert parsed is not None, f"{at}: unknown block type"
        rebuilt = parsed.to_dict()  # validates the block and every element inside it
        assert _subset(block, rebuilt), f"{at}: the SDK drops fields of {block!r}"
        block_id = block.get("block_id")
        if block_id is not None:
            assert isinstance(block_id, str) and 0 < len(block_id) <= MAX_BLOCK_ID, at
            block_ids.append(block_id)
        _check_block_limits(block, at)
    duplicates = sorted({b for b in block_ids if block_ids.count(b) > 1})
    assert not duplicates, f"{where}: duplicate block_ids {duplicates}"


def _check_block_limits(block: dict[str, Any], at: str) -> None:
    kind = block.get("type")
    if kind == "section":
        if block.get("text") is not None:
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT, f"{at}: section text too long"
        fields = block.get("fields") or []
        assert len(fields) <= MAX_SECTION_FIELDS, f"{at}: {len(fields)} fields"
        for field in fields:
            assert len(field["text"]) <= MAX_FIELD_TEXT, f"{at}: field too long"
        assert block.get("text") or fields, f"{at}: a section needs text or fields"
    elif kind == "header":
        assert 0 < len(block["text"]["text"]) <= MAX_HEADER_TEXT, f"{at}: header length"
        assert block["text"]["type"] == "plain_text", f"{at}: header must be plain_text"
    elif kind == "context":
        assert 0 < len(block["elements"]) <= MAX_CONTEXT_ELEMENTS, f"{at}: context elements"
    elif kind == "actions":
        assert 0 < len(block["elements"]) <= MAX_ACTIONS_ELEMENTS, f"{at}: actions elements"
    action_ids = [e["action_id"] for e in _elements(block) if e.get("action_id") is not None]
    for action_id in action_ids:
        assert 0 < len(action_id) <= MAX_ACTION_ID, f"{at}: action_id length"
    duplicates = sorted({a for a in action_ids if action_ids.count(a) > 1})
    assert not duplicates, f"{at}: duplicate action_ids in one block {duplicates}"
    for element in _elements(block):
        _check_element(element, at)


def _check_element(element: dict[str, Any], at: str) -> None:
    if element.get("type") == "button":
        assert 0 < len(_plain(element.get("text"))) <= MAX_BUTTON_TEXT, f"{at}: button text"
        value = element.get("value")
        if value is not None:
            assert isinstance(value, str) and len(value) <= MAX_BUTTON_VALUE, (
                f"{at}: button value of {len(value)} chars"
            )
        assert element.get("action_id"), f"{at}: a button without action_id cannot be handled"
    for option in element.get("options") or []:
        assert len(option.get("value", "")) <= MAX_OPTION_VALUE, f"{at}: option value too long"
    confirm = element.get("confirm")
    if confirm:
        assert 0 < len(_plain(confirm.get("title"))) <= MAX_CONFIRM_TITLE, f"{at}: confirm title"
        assert 0 < len(_text(confirm.get("text"))) <= MAX_CONFIRM_TEXT, f"{at}: confirm text"
        for key in ("confirm", "deny"):
            assert 0 < len(_plain(confirm.get(key))) <= MAX_CONFIRM_BUTTON, f"{at}: confirm {key}"


def _elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Interactive elements of a block, wherever the block type keeps them."""
    for element in block.get("elements") or []:
        if isinstance(element, dict) and element.get("type") not in {"mrkdwn", "plain_text"}:
            yield element
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            yield block[key]


def _plain(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    return str(obj or "")


def _text(obj: Any) -> str:
    return _plain(obj)


def _subset(original: Any, rebuilt: Any) -> bool:
    """Every key of `original` survives the SDK's round trip (so Slack would get it too)."""
    if isinstance(original, dict):
        return isinstance(rebuilt, dict) and all(
            key in rebuilt and _subset(value, rebuilt[key]) for key, value in original.items()
        )
    if isinstance(original, list):
        return (
            isinstance(rebuilt, list)
            and len(original) == len(rebuilt)
            and all(_subset(a, b) for a, b in zip(original, rebuilt, strict=True))
        )
    return original == rebuilt
