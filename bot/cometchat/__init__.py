"""CometChat REST API v3 client. Knows nothing of Slack."""

from bot.cometchat.client import CometChatClient, RetryPolicy
from bot.cometchat.errors import (
    AlreadyBanned,
    AuthRejected,
    CometChatError,
    GroupNotFound,
    NotAMember,
    NotBanned,
    PermissionDenied,
    RateLimited,
    Rejected,
    Unavailable,
    UnexpectedResponse,
    UserNotFound,
)
from bot.cometchat.models import (
    BannedPage,
    BannedUser,
    BulkBanOutcome,
    ChatUser,
    Group,
    GroupMember,
    GroupMessage,
)

__all__ = [
    "AlreadyBanned",
    "AuthRejected",
    "BannedPage",
    "BannedUser",
    "BulkBanOutcome",
    "ChatUser",
    "CometChatClient",
    "CometChatError",
    "Group",
    "GroupMember",
    "GroupMessage",
    "GroupNotFound",
    "NotAMember",
    "NotBanned",
    "PermissionDenied",
    "RateLimited",
    "Rejected",
    "RetryPolicy",
    "Unavailable",
    "UnexpectedResponse",
    "UserNotFound",
]
