"""Who may look and who may act, decided from the settings' allowlists. Pure."""

from __future__ import annotations

from bot.domain.actions import Role
from bot.settings import Settings


class Permissions:
    def __init__(self, settings: Settings):
        self._viewers = settings.viewer_user_ids
        self._channels = settings.viewer_channel_ids
        self._moderators = settings.moderator_user_ids

    @property
    def has_moderators(self) -> bool:
        """Someone may ban and unban (MODERATOR_USER_IDS is set): worth offering the buttons."""
        return bool(self._moderators)

    def can_view(self, user_id: str | None, channel_id: str | None) -> bool:
        """Each configured list must allow the request; unset lists allow everything.

        Moderators pass the user list (they act on what they see), not the channel list.
        """
        user_ok = not self._viewers or user_id in self._viewers or user_id in self._moderators
        channel_ok = not self._channels or channel_id in self._channels
        return bool(user_ok and channel_ok)

    def can_act(self, user_id: str | None) -> bool:
        """Ban/unban: only users on MODERATOR_USER_IDS. Unset means nobody."""
        return bool(user_id) and user_id in self._moderators

    def may(self, role: Role, user_id: str | None) -> bool:
        """Whether this Slack user holds `role` (an action's `who`, in bot.domain.actions)."""
        return role is Role.MODERATOR and self.can_act(user_id)
