"""Typed CometChat failures. Raised by the client; turned into words in `bot.slack.messages`."""

from __future__ import annotations


class CometChatError(Exception):
    """Base of every failure the client reports. `code` is CometChat's error code, if any."""

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None):
        super().__init__(message or code or self.__class__.__name__)
        self.code = code
        self.status = status


class GroupNotFound(CometChatError):
    """ERR_GUID_NOT_FOUND."""

    def __init__(self, guid: str, **kw):
        super().__init__(f"no group {guid!r}", **kw)
        self.guid = guid


class UserNotFound(CometChatError):
    """ERR_UID_NOT_FOUND: unknown or deactivated user."""

    def __init__(self, uid: str, **kw):
        super().__init__(f"no user {uid!r}", **kw)
        self.uid = uid


class AlreadyBanned(CometChatError):
    """ERR_ALREADY_BANNED."""


class NotBanned(CometChatError):
    """ERR_NOT_A_BANNED_USER."""


class NotAMember(CometChatError):
    """ERR_NOT_A_MEMBER: kicking a user who is not in the group."""


class AuthRejected(CometChatError):
    """AUTH_ERR_*: the API key or app id is wrong, or the key lacks fullAccess."""


class PermissionDenied(CometChatError):
    """ERR_GROUP_NO_* and plan restrictions: CometChat refuses the action itself."""


class Rejected(CometChatError):
    """Any other 4xx: CometChat understood and said no."""


class RateLimited(CometChatError):
    """429 after the retry budget; `retry_after` is seconds CometChat asked us to wait, if known."""

    def __init__(self, retry_after: float | None = None, **kw):
        super().__init__("rate limited", **kw)
        self.retry_after = retry_after


class Unavailable(CometChatError):
    """5xx, timeouts or connection failures after the retry budget."""


class UnexpectedResponse(CometChatError):
    """A 2xx whose body is not what the API documents (not JSON, wrong shape)."""


class BudgetReserved(Exception):
    """A read nobody waits for (a page read ahead) was not sent: the minute's budget is down to
    the reserve kept for people, or every bulk slot is busy. Not a CometChatError: nothing
    failed, and nobody is told."""
