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


def beside(message: Message) -> dict[str, Any]:
    """A new ephemeral message next to the one clicked, which stays as it was."""
    return {"response_type": "ephemeral", "replace_original": False, **message.to_dict()}
