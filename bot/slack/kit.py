"""Block Kit as plain dicts: the one representation every renderer in bot/ builds with.

slack_sdk's model objects validate on every `to_dict()`, which cost about a third of a
command's CPU in the benchmark (bench/load.py), and two representations meant `Block | dict`
wherever they met. These builders produce the JSON those models would, with Slack's length
limits applied here: text is cut to fit, a value that cannot be cut (a button's value, a
modal's private_metadata) raises. `slack_sdk.models` stays the oracle in the tests: they
rebuild every message and view through it (tests/support/slack_limits.py) and compare each
builder with the model it replaces, so what Slack would reject still fails a test.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from bot.slack.text import truncate

Json = dict[str, Any]

SECTION_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
IMAGE_URL = 3000
ALT_TEXT = 2000
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
INPUT_LABEL = 2000
INPUT_HINT = 2000
PLACEHOLDER = 150
OPTION_TEXT = 75
OPTION_VALUE = 150
MAX_OPTIONS = 100  # in one static select
MAX_CHECKBOXES = 10  # options in one checkboxes element
VIEW_TITLE = 24  # a modal's title, submit and close
PRIVATE_METADATA = 3000


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> Json:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def plain(text: str, limit: int, *, emoji: bool | None = None) -> Json:
    obj: Json = {"type": "plain_text", "text": truncate(text, limit)}
    if emoji is not None:
        obj["emoji"] = emoji
    return obj


def header(block_id: str, text: str) -> Json:
    return {"type": "header", "block_id": block_id, "text": plain(text, HEADER_TEXT, emoji=True)}


def context(block_id: str, text: str) -> Json:
    return {"type": "context", "block_id": block_id, "elements": [mrkdwn(text)]}


def divider(block_id: str) -> Json:
    return {"type": "divider", "block_id": block_id}


def section(block_id: str | None, text: str, accessory: Json | None = None) -> Json:
    block: Json = {"type": "section", "text": mrkdwn(text)}
    if block_id is not None:
        block["block_id"] = block_id
    if accessory is not None:
        block["accessory"] = accessory
    return block


# Whitespace, control characters and backslashes: clients and Slack's fetcher disagree on them.
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f\\\s]")


def usable_image_url(url: str | None) -> bool:
    """An image URL fit to hand to Slack: `https://host/...`, nothing else.

    Slack fetches every image when the message is posted. Plain http, data: and other schemes,
    URLs without a host and `user:password@host` (a reader sees one host, the fetch goes to
    another; or credentials travel) are dropped: an avatar is someone else's choice of URL.
    """
    if not url or len(url) > IMAGE_URL or _UNSAFE_IN_URL.search(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and "@" not in parts.netloc


def image(url: str, alt_text: str) -> Json:
    if len(url) > IMAGE_URL:
        raise ValueError("image URL longer than Slack accepts")
    return {"type": "image", "image_url": url, "alt_text": truncate(alt_text, ALT_TEXT)}


def image_block(block_id: str, url: str, alt_text: str, *, title: str | None = None) -> Json:
    if len(url) > IMAGE_URL:
        raise ValueError("image URL longer than Slack accepts")
    block: Json = {
        "type": "image",
        "block_id": block_id,
        "image_url": url,
        "alt_text": truncate(alt_text, ALT_TEXT),
    }
    if title is not None:
        block["title"] = plain(title, 2000)
    return block


def confirm(title: str, text: str, verb: str, *, style: str | None = None) -> Json:
    """A confirm dialog: plain text only, so nothing in `text` is parsed; Cancel denies."""
    dialog: Json = {
        "title": plain(title, CONFIRM_TITLE),
        "text": plain(text, CONFIRM_TEXT),
        "confirm": plain(verb, CONFIRM_BUTTON),
        "deny": plain("Cancel", CONFIRM_BUTTON),
    }
    if style is not None:
        dialog["style"] = style
    return dialog


def button(
    action_id: str,
    text: str,
    value: str,
    *,
    style: str | None = None,
    confirm: Json | None = None,
) -> Json:
    if len(value) > BUTTON_VALUE:
        raise ValueError("button value longer than Slack accepts")
    element: Json = {
        "type": "button",
        "action_id": action_id,
        "text": plain(text, BUTTON_TEXT),
        "value": value,
    }
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def actions(block_id: str | None, elements: list[Json]) -> Json:
    block: Json = {"type": "actions", "elements": elements}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def external_select(
    action_id: str, placeholder: str, *, min_query_length: int | None = None
) -> Json:
    """A menu whose options Slack asks the app for as the user types (an options request)."""
    element: Json = {
        "type": "external_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, PLACEHOLDER),
    }
    if min_query_length is not None:
        element["min_query_length"] = min_query_length
    return element


def option(value: str, text: str) -> Json:
    """A menu option; its label is plain text, emoji codes shown as typed."""
    if len(value) > OPTION_VALUE:
        raise ValueError("option value longer than Slack accepts")
    return {"text": plain(text, OPTION_TEXT, emoji=False), "value": value}


def checkboxes(action_id: str, options: list[Json]) -> Json:
    """Ticks Slack sends back with every click on the message (`state.values`), and on each
    tick too (a block_actions request to acknowledge)."""
    if not 0 < len(options) <= MAX_CHECKBOXES:
        raise ValueError("a checkboxes element takes 1 to 10 options")
    return {"type": "checkboxes", "action_id": action_id, "options": options}


def static_select(action_id: str, options: list[Json], *, initial: Json | None = None) -> Json:
    """A menu of fixed `option`s; `initial` (one of them) is chosen when the form opens."""
    if not 0 < len(options) <= MAX_OPTIONS:
        raise ValueError("a static select takes 1 to 100 options")
    if initial is not None and initial not in options:
        raise ValueError("the initial option must be one of the options")
    element: Json = {"type": "static_select", "action_id": action_id, "options": options}
    if initial is not None:
        element["initial_option"] = initial
    return element


def plain_text_input(
    action_id: str,
    *,
    placeholder: str | None = None,
    max_length: int | None = None,
    multiline: bool | None = None,
    initial: str | None = None,
) -> Json:
    element: Json = {"type": "plain_text_input", "action_id": action_id}
    if initial is not None:
        element["initial_value"] = initial
    if placeholder is not None:
        element["placeholder"] = plain(placeholder, PLACEHOLDER)
    if max_length is not None:
        element["max_length"] = max_length
    if multiline is not None:
        element["multiline"] = multiline
    return element


def input_block(
    block_id: str,
    label: str,
    element: Json,
    *,
    hint: str | None = None,
    optional: bool | None = None,
    dispatch_action: bool | None = None,
) -> Json:
    """`dispatch_action`: the element sends a block_actions payload (Enter in a text input),
    the only way an input outside a modal (a Home tab) reaches the app."""
    block: Json = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, INPUT_LABEL),
        "element": element,
    }
    if dispatch_action is not None:
        block["dispatch_action"] = dispatch_action
    if hint is not None:
        block["hint"] = plain(hint, INPUT_HINT)
    if optional is not None:
        block["optional"] = optional
    return block


def modal(
    callback_id: str,
    title: str,
    blocks: list[Json],
    *,
    submit: str | None = None,
    close: str | None = None,
    private_metadata: str | None = None,
) -> Json:
    """A modal view, for `views.open` or a view_submission's `response_action`."""
    view: Json = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, VIEW_TITLE),
        "blocks": blocks,
    }
    if submit is not None:
        view["submit"] = plain(submit, VIEW_TITLE)
    if close is not None:
        view["close"] = plain(close, VIEW_TITLE)
    if private_metadata is not None:
        if len(private_metadata) > PRIVATE_METADATA:
            raise ValueError("private_metadata longer than Slack accepts")
        view["private_metadata"] = private_metadata
    return view


def home(blocks: list[Json]) -> Json:
    """An App Home view, for `views.publish`."""
    return {"type": "home", "blocks": blocks}
