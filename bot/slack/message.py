"""A rendered Slack message: top-level `text` fallback plus optional Block Kit blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.slack.kit import Json


@dataclass(frozen=True)
class Message:
    text: str  # notifications, screen readers and clients that cannot draw blocks
    blocks: tuple[Json, ...] = field(default_factory=tuple)  # built with bot.slack.kit

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"text": self.text}
        if self.blocks:
            body["blocks"] = list(self.blocks)
        return body
