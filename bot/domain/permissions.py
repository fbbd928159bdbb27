"""Who may look and who may act, decided from the settings' allowlists. Pure.

An allowlist names people by Slack user id (`U…`, `W…`) or by user group (`S…`): a group stands
for its members, as `GroupMembers` knows them (bot.slack.user_groups keeps them up to date).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bot.domain.actions import Role
from bot.settings import Settings


class GroupMembers(Protocol):
    def members(self, group_id: str) -> frozenset[str]:
        """The user ids of a user group's members (empty when unknown)."""
        ...


def is_user_group(slack_id: str) -> bool:
    return slack_id.startswith("S")


def user_groups(settings: Settings) -> frozenset[str]:
    """Every user group the allowlists name."""
    listed = settings.viewer_user_ids | settings.moderator_user_ids
    return frozenset(slack_id for slack_id in listed if is_user_group(slack_id))


class Permissions:
    def __init__(self, settings: Settings, groups: GroupMembers | None = None):
        self._viewers = settings.viewer_user_ids
        self._channels = settings.viewer_channel_ids
        self._moderators = settings.moderator_user_ids
        self._groups = groups

    @property
    def has_moderators(self) -> bool:
        """Someone may ban and unban (MODERATOR_USER_IDS is set): worth offering the buttons."""
        return bool(self._moderators)

    def can_view(self, user_id: str | None, channel_id: str | None) -> bool:
        """Each configured list must allow the request; unset lists allow everything.

        Moderators pass the user list (they act on what they see), not the channel list.
        """
        user_ok = (
            not self._viewers
            or self._listed(user_id, self._viewers)
            or self._listed(user_id, self._moderators)
        )
        channel_ok = not self._channels or channel_id in self._channels
        return bool(user_ok and channel_ok)

    def can_act(self, user_id: str | None) -> bool:
        """Ban/unban: only people MODERATOR_USER_IDS names (themselves or by a user group).
        Unset means nobody."""
        return self._listed(user_id, self._moderators)

    def may(self, role: Role, user_id: str | None) -> bool:
        """Whether this Slack user holds `role` (an action's `who`, in bot.domain.actions)."""
        return role is Role.MODERATOR and self.can_act(user_id)

    def _listed(self, user_id: str | None, allowlist: Iterable[str]) -> bool:
        if not user_id or is_user_group(user_id):
            return False  # a group's id names its members, never whoever claims to be it
        if user_id in allowlist:
            return True
        groups = self._groups
        if groups is None:
            return False
        return any(user_id in groups.members(g) for g in allowlist if is_user_group(g))
