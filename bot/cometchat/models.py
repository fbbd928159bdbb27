"""Typed views of CometChat's answers.

The spec excerpt shows three different shapes for a banned user and sloppy pagination
(`total: 0` beside three items), so every field but `uid` is optional and a field of the wrong
type becomes `None` instead of failing the whole page.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _lenient_str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _lenient_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        # ASCII digits only ("²" is a digit to str.isdigit, not to int()), and no number longer
        # than any time or count could be (int() refuses 4,301 digits and more).
        if text.isascii() and text.isdigit() and len(text) <= 18:
            return int(text)
    return None


def _lenient_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


LenientStr = Annotated[str | None, BeforeValidator(_lenient_str)]
LenientInt = Annotated[int | None, BeforeValidator(_lenient_int)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class ChatUser(_Model):
    """A CometChat user as `GET /users/{uid}` describes them (every field but `uid` optional)."""

    uid: Annotated[str, Field(min_length=1)]
    name: LenientStr = None
    avatar: LenientStr = None
    link: LenientStr = None
    status: LenientStr = None
    role: LenientStr = None
    created_at: LenientInt = Field(None, alias="createdAt")

    @property
    def display_name(self) -> str:
        return (self.name or "").strip() or self.uid


class BannedUser(ChatUser):
    """A user on a group's banned list: the user, and what the list adds about the ban."""

    scope: LenientStr = None
    updated_at: LenientInt = Field(None, alias="updatedAt")
    joined_at: LenientInt = Field(None, alias="joinedAt")
    banned_at: LenientInt = Field(None, alias="bannedAt")
    conversation_id: LenientStr = Field(None, alias="conversationId")
    # Private (email, phone…): kept for completeness, never rendered into Slack.
    metadata: Annotated[dict[str, Any], BeforeValidator(_lenient_dict)] = Field(
        default_factory=dict
    )


class GroupMessage(_Model):
    """One message of a group, as `GET /groups/{guid}/messages` lists it. `text` only for a text
    message (`data.text`); anything else is shown by its type, never its content."""

    id: LenientStr = None
    sender: LenientStr = None
    category: LenientStr = None
    type: LenientStr = None
    text: LenientStr = None
    sent_at: LenientInt = Field(None, alias="sentAt")

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> GroupMessage:
        data = item.get("data")
        text = data.get("text") if isinstance(data, dict) else None
        return cls.model_validate({**item, "text": text})


class Pagination(_Model):
    total: LenientInt = None
    count: LenientInt = None
    per_page: LenientInt = None
    current_page: LenientInt = None
    total_pages: LenientInt = None


class BannedPage(_Model):
    """One page of a group's banned users, with what can honestly be said about the rest."""

    guid: str
    page: int
    per_page: int
    users: tuple[BannedUser, ...]
    has_next: bool
    total: int | None  # None when CometChat's count cannot be trusted and this is not the end
    # Pages in the whole list by `meta.pagination`, when it is consistent with itself and with
    # this page; None otherwise. A whole-list read plans its parallel reads with it.
    reported_pages: int | None = None
    # `meta.pagination.total` as sent, unchecked: a reader of every page compares it between
    # pages to notice a list that changed while it was read.
    reported_total: int | None = None

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def total_pages(self) -> int | None:
        if self.total is None:
            return None
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        """1-based position of the first user on this page within the whole list."""
        return (self.page - 1) * self.per_page + 1

    @classmethod
    def from_response(cls, guid: str, page: int, per_page: int, body: dict) -> BannedPage:
        users = tuple(BannedUser.model_validate(item) for item in body["data"])
        meta = body.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        raw = meta.get("pagination")
        raw = raw if isinstance(raw, dict) else {}
        pagination = Pagination.model_validate(raw)
        seen = (page - 1) * per_page + len(users)
        # A short page is the last page whatever meta says; a full one is last only if meta says so.
        has_next = len(users) >= per_page and not (
            pagination.total_pages is not None and page >= pagination.total_pages
        )
        if not has_next:
            total: int | None = seen if users or page == 1 else None
        elif pagination.total is not None and pagination.total > seen:
            total = pagination.total
        else:
            total = None
        return cls(
            guid=guid,
            page=page,
            per_page=per_page,
            users=users,
            has_next=has_next,
            total=total,
            reported_pages=_consistent_pages(pagination, page, per_page, len(users)),
            reported_total=pagination.total,
        )


def _consistent_pages(meta: Pagination, page: int, per_page: int, count: int) -> int | None:
    """The number of pages `meta` announces, or None if it is missing or contradicts itself
    (or the page it came with): then nobody should plan reads on it."""
    pages = meta.total_pages
    if meta.total is not None:
        by_total = max(1, -(-meta.total // per_page))
        if pages is not None and pages != by_total and not (pages == 0 == meta.total):
            return None
        pages = by_total
    if pages is None:
        return None
    pages = max(pages, 1)
    if meta.per_page is not None and meta.per_page != per_page:
        return None
    if meta.current_page is not None and meta.current_page != page:
        return None
    if meta.count is not None and meta.count != count:
        return None
    # A page before the last must be full, and none may hold more than was asked for.
    if count > per_page or (page < pages and count != per_page) or page > pages:
        return None
    return pages


class Group(_Model):
    guid: str
    name: LenientStr = None
    type: LenientStr = None
    members_count: LenientInt = Field(None, alias="membersCount")
    description: LenientStr = None

    @property
    def display_name(self) -> str:
        return (self.name or "").strip() or self.guid


class JoinedGroup(Group):
    """A group in the list of one user's groups (`GET /groups?hasJoined=true` on their
    behalf): their scope in it."""

    scope: LenientStr = None


class GroupMember(_Model):
    """One member of a group (`GET /groups/{guid}/members`): when they joined it and when their
    account was made (unix seconds), and their scope in it."""

    uid: Annotated[str, Field(min_length=1)]
    name: LenientStr = None
    scope: LenientStr = None
    joined_at: LenientInt = Field(None, alias="joinedAt")
    created_at: LenientInt = Field(None, alias="createdAt")


class BulkBanOutcome(_Model):
    """CometChat's answer for one user of a bulk ban (`data.usersToBan.<uid>`). The document
    shows only `success: true`; a refusal's code and message are read when they are there."""

    uid: str
    success: bool = False
    code: str | None = None
    message: str = ""

    @classmethod
    def from_entry(cls, uid: str, entry: Any) -> BulkBanOutcome:
        if not isinstance(entry, dict):
            return cls(uid=uid, message="no answer for this user")
        found = entry.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        code = error.get("code") or entry.get("code")
        message = error.get("message") or entry.get("message") or ""
        return cls(
            uid=uid,
            success=entry.get("success") is True,
            code=code if isinstance(code, str) else None,
            message=message[:300] if isinstance(message, str) else "",
        )
