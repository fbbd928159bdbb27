"""A rendered Slack message: top-level `text` fallback plus optional Block Kit blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block

# A block is a slack_sdk model or, on the hot path (bot.slack.kit), the plain dict it would be.
AnyBlock = Block | dict[str, Any]


@dataclass(frozen=True)
class Message:
    text: str  # notifications, screen readers and clients that cannot draw blocks
    blocks: tuple[AnyBlock, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"text": self.text}
        if self.blocks:
            body["blocks"] = [as_dict(block) for block in self.blocks]
        return body


def as_dict(block: AnyBlock) -> dict[str, Any]:
    return block if isinstance(block, dict) else block.to_dict()
