"""A page shared into the channel: the same content, no buttons, and who shared it. Pure."""

from __future__ import annotations

import re
from typing import Any

from bot.slack import kit
from bot.slack.kit import Json
from bot.slack.message import Message
from bot.slack.text import escape, truncate

SHARED_BY_BLOCK_ID = "banned_shared_by"
MAX_BLOCKS = 50

# A Slack user id as Slack sends it in a signed payload; anything else is not interpolated.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def shared_copy(page: Message, sharer_id: str | None) -> Message:
    """`page` without anything clickable, with "Shared by @someone" under it.

    The copy is seen by the whole channel, so nothing in it may act: buttons (ours, and any
    Unban buttons a moderator's page carries) would let every reader page, share or moderate.
    """
    blocks = [_static(block) for block in page.blocks if _keeps(block)]
    who = f"<@{sharer_id}>" if sharer_id and _USER_ID.fullmatch(sharer_id) else "someone"
    blocks = blocks[: MAX_BLOCKS - 1]
    blocks.append(kit.context(SHARED_BY_BLOCK_ID, f":mega: Shared by {who} with `/banned`"))
    # The notification text is rebuilt from the plain-text header (escaped here) rather than
    # trusting the page's fallback; the mention is ours, not user data.
    title = next(
        (b["text"]["text"] for b in page.blocks if b.get("type") == "header"), "Banned users"
    )
    text = f"{escape(title)} (shared by {who})"
    return Message(text=truncate(text, 3000), blocks=tuple(blocks))


def in_channel(message: Message) -> dict[str, Any]:
    """A new message everyone in the channel sees; the clicked one stays as it was."""
    return {"response_type": "in_channel", "replace_original": False, **message.to_dict()}


def _keeps(block: Json) -> bool:
    return block.get("type") not in ("actions", "input")


def _static(block: Json) -> Json:
    """A section's accessory may be a button or menu: keep images, drop anything interactive."""
    accessory = block.get("accessory") if block.get("type") == "section" else None
    if accessory is not None and accessory.get("type") != "image":
        return {key: value for key, value in block.items() if key != "accessory"}
    return block
