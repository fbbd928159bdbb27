"""Who a moderation is about, as the moderator saw it before confirming: the user's CometChat
profile and their latest messages in the group, with what could not be read. Plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.cometchat.models import ChatUser, GroupMessage

RECENT_MESSAGES = 5  # shown at confirmation, newest first


@dataclass(frozen=True)
class UserCard:
    guid: str
    uid: str
    read_at: datetime  # timezone-aware UTC: the account's age is counted from it
    user: ChatUser | None = None  # None: not read (see `missing`)
    messages: tuple[GroupMessage, ...] | None = None  # None: not read; () none sent
    missing: tuple[str, ...] = ()  # what could not be read, and why, in words
