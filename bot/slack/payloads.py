"""How a rendered message travels: in an ack, or to a response_url (new or replacing)."""

from __future__ import annotations

from typing import Any

from bot.slack.message import Message


def ephemeral(message: Message) -> dict[str, Any]:
    """Only the person who asked sees it."""
    return {"response_type": "ephemeral", **message.to_dict()}


def replacing(message: Message) -> dict[str, Any]:
    """Replace the message whose button was clicked, in place."""
    return {"replace_original": True, **message.to_dict()}


def new_ephemeral(message: Message) -> dict[str, Any]:
    """A new ephemeral message next to the one clicked, which stays as it was."""
    return {"response_type": "ephemeral", "replace_original": False, **message.to_dict()}


def without_images(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with every image taken out, the words left as they were. Pure.

    For a second try when Slack refused a message because it could not download an image:
    image blocks go, sections lose an image accessory, context blocks lose image elements (and
    go when nothing else is left in them).
    """
    blocks = payload.get("blocks")
    if not blocks:
        return payload
    kept: list[dict[str, Any]] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "image":
            continue
        if kind == "section" and _is_image(block.get("accessory")):
            block = {key: value for key, value in block.items() if key != "accessory"}
        elif kind == "context" and any(_is_image(e) for e in block.get("elements", ())):
            elements = [e for e in block["elements"] if not _is_image(e)]
            if not elements:
                continue
            block = {**block, "elements": elements}
        kept.append(block)
    stripped = {key: value for key, value in payload.items() if key != "blocks"}
    if kept:
        stripped["blocks"] = kept
    return stripped


def _is_image(element: object) -> bool:
    return isinstance(element, dict) and element.get("type") == "image"
