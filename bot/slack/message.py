"""A rendered Slack message: top-level `text` fallback plus optional Block Kit blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block


@dataclass(frozen=True)
class Message:
    text: str  # notifications, screen readers and clients that cannot draw blocks
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"text": self.text}
        if self.blocks:
            body["blocks"] = [block.to_dict() for block in self.blocks]
        return body
