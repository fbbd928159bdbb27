"""One user in many groups at once (`/banned user <uid>`'s *Unban in all N groups* and *Ban in
every group they are a member of*): what a preview found and what became of each group."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.moderation import ModerationAction


class GroupOutcome(StrEnum):
    DONE = "done"
    ALREADY = "already"  # CometChat said it was so already: banned, or not banned (any more)
    FAILED = "failed"


@dataclass(frozen=True)
class InGroup:
    """What became of one group: `words` says why it failed (worded as everywhere else);
    `recorded` False: done, but not yet in the history."""

    guid: str
    outcome: GroupOutcome
    words: str = ""
    recorded: bool = True


@dataclass
class AcrossReport:
    action: ModerationAction
    uid: str
    groups: list[InGroup] = field(default_factory=list)

    def count(self, outcome: GroupOutcome) -> int:
        return sum(1 for group in self.groups if group.outcome is outcome)


@dataclass(frozen=True)
class BanEverywherePreview:
    """Where a ban in every group would go: the groups to ban in (a member there, not banned),
    the groups the history says they are banned in already (skipped), and those where they are
    an admin or moderator (skipped, as a mass ban never picks them)."""

    uid: str
    targets: list[str]
    already: list[str]
    privileged: list[str]
