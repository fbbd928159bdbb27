"""A rendered Slack message: top-level `text` fallback plus optional Block Kit blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.slack.kit import Json

# The metadata event type of a post about one case: its payload carries the case number, which
# the "Open case" message shortcut reads back.
CASE_EVENT_TYPE = "banned_case"


@dataclass(frozen=True)
class Message:
    text: str  # notifications, screen readers and clients that cannot draw blocks
    blocks: tuple[Json, ...] = field(default_factory=tuple)  # built with bot.slack.kit
    # Slack message metadata (chat.postMessage only): what the post is about, for the app.
    metadata: Json | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"text": self.text}
        if self.blocks:
            body["blocks"] = list(self.blocks)
        if self.metadata is not None:
            body["metadata"] = self.metadata
        return body


def case_message(text: str, case: int | None) -> Message:
    """A post about a recorded event, its case number kept in the message's metadata."""
    if case is None:
        return Message(text=text)
    payload = {"event_type": CASE_EVENT_TYPE, "event_payload": {"case": case}}
    return Message(text=text, metadata=payload)


def case_of(message: dict[str, Any] | None) -> int | None:
    """The case number a post of ours carries in its metadata, if any."""
    metadata = (message or {}).get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != CASE_EVENT_TYPE:
        return None
    case = (metadata.get("event_payload") or {}).get("case")
    return case if isinstance(case, int) and not isinstance(case, bool) and case > 0 else None
