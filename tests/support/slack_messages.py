"""Finding the interactive elements of a Slack message or view, as a test needs them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _interactive(message: dict[str, Any], action_id: str | None) -> Iterator[tuple[str, dict]]:
    """(block_id, element) for each element with an action_id, in any block of the message."""
    for block in message.get("blocks", []):
        elements = [*block.get("elements", []), block.get("accessory"), block.get("element")]
        for element in elements:
            if not isinstance(element, dict) or not element.get("action_id"):
                continue
            if action_id is None or element["action_id"] == action_id:
                yield block.get("block_id", ""), element


def buttons(message: dict[str, Any], action_id: str | None = None) -> list[dict[str, Any]]:
    """The interactive elements of a message or view, as they appear in it."""
    return [element for _, element in _interactive(message, action_id)]


def button(message: dict[str, Any], action_id: str) -> dict[str, Any] | None:
    """The first element with this action_id, or None where the message has none."""
    found = buttons(message, action_id)
    return found[0] if found else None


def clickable(message: dict[str, Any], action_id: str | None = None) -> list[dict[str, Any]]:
    """Like `buttons`, each a copy carrying its block's `block_id`, which a click must name."""
    return [
        {**element, "block_id": block_id} for block_id, element in _interactive(message, action_id)
    ]


def listed_uids(message: dict[str, Any]) -> list[str]:
    """The uids a banned-users page lists, in order (each row quotes its uid in backticks)."""
    return [
        block["text"]["text"].split("`")[1]
        for block in message["blocks"]
        if block.get("block_id", "").startswith("banned_user_")
    ]


def block_text(message: dict, block_id: str) -> str | None:
    """The text of the message's block `block_id` (a section's, or a context's first element);
    None when there is no such block."""
    found = [b for b in message["blocks"] if b.get("block_id") == block_id]
    if not found:
        return None
    (block,) = found
    return block["text"]["text"] if "text" in block else block["elements"][0]["text"]
