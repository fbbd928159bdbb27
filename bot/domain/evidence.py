"""Who a moderation is about, as the moderator saw it before confirming: the user's CometChat
profile and their latest messages in the group, with what could not be read. Plain values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.cometchat.models import ChatUser, GroupMessage

RECENT_MESSAGES = 5  # shown at confirmation, newest first
# A confirmed action is shown with the card read for it: the latest one of that user in that
# group taken at most this long before (a confirmation left open longer is read again).
EVIDENCE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class UserCard:
    guid: str
    uid: str
    read_at: datetime  # timezone-aware UTC: the account's age is counted from it
    user: ChatUser | None = None  # None: not read (see `missing`)
    messages: tuple[GroupMessage, ...] | None = None  # None: not read; () none sent
    missing: tuple[str, ...] = ()  # what could not be read, and why, in words

    def to_json(self) -> str:
        """What is kept of it (guid, uid and time are columns of their own)."""
        return json.dumps(
            {
                "user": self.user.model_dump(by_alias=True) if self.user else None,
                "messages": None
                if self.messages is None
                else [m.model_dump(by_alias=True) for m in self.messages],
                "missing": list(self.missing),
            }
        )

    @classmethod
    def from_json(cls, guid: str, uid: str, read_at: datetime, text: str) -> UserCard:
        kept = json.loads(text)
        user = kept.get("user")
        messages = kept.get("messages")
        return cls(
            guid=guid,
            uid=uid,
            read_at=read_at,
            user=ChatUser.model_validate(user) if isinstance(user, dict) else None,
            messages=None
            if not isinstance(messages, list)
            else tuple(GroupMessage.model_validate(m) for m in messages if isinstance(m, dict)),
            missing=tuple(str(m) for m in kept.get("missing") or ()),
        )
