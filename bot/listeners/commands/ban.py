"""`/banned <guid> ban <uid>`: answer with a confirmation; the ban waits for its button."""

from __future__ import annotations

from bot.domain.button_values import BanConfirmRef
from bot.domain.command import BanUser
from bot.domain.errors import NotAllowed
from bot.listeners.common import report_failure
from bot.services import Services
from bot.slack.message import Message
from bot.slack.moderation_blocks import ban_confirmation


def confirm_ban(request: BanUser, services: Services, **fields: object) -> Message:
    """Nothing changes here; the button it returns is guarded by `moderators_only` again."""
    user = fields.get("user")
    if not services.permissions.can_act(user if isinstance(user, str) else None):
        return report_failure(NotAllowed("ban users"), **{**fields, "event": "refused"})
    return ban_confirmation(BanConfirmRef(guid=request.guid, uid=request.uid))
