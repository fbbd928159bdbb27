"""Block Kit as plain dicts, for the list page: the hot path of every command and click.

slack_sdk's model objects validate on every `to_dict()`, which cost about a third of a
command's CPU in the benchmark (bench/load.py). These builders produce the same JSON with
Slack's length limits applied here; the test suite rebuilds every message through
`slack_sdk.models` (tests/support/slack_limits.py), so what Slack would reject still fails a test.
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


def section(block_id: str, text: str, accessory: Json | None = None) -> Json:
    block: Json = {"type": "section", "block_id": block_id, "text": mrkdwn(text)}
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


def button(action_id: str, text: str, value: str, *, style: str | None = None) -> Json:
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
    return element


def actions(block_id: str | None, elements: list[Json]) -> Json:
    block: Json = {"type": "actions", "elements": elements}
    if block_id is not None:
        block["block_id"] = block_id
    return block
