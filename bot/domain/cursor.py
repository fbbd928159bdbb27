"""Where a paged list stands, carried in a button's `value` so any instance can serve any click.

The value comes back to us inside a signed request, but we still decode it defensively: a value
that does not parse, or names a malformed group, becomes `BadCursor` and a clear message.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.domain.errors import BadCursor, InvalidGuid, InvalidUid
from bot.settings import MAX_PAGE_SIZE

# CometChat ids are letters, digits, `_` and `-`; we also let through `.`, `@`, `:` and `+`,
# which some apps use. Anything else (spaces, `/`, `?`, `#`, `%`, control characters) is refused
# before any request is made.
GUID_PATTERN = re.compile(r"[A-Za-z0-9_\-.@:+]{1,100}")
MAX_GUID_LENGTH = 100
MAX_PAGE = 100_000
MAX_VALUE_LENGTH = 2000  # Slack's limit for a button value


def validate_guid(raw: str) -> str:
    guid = raw.strip()
    if len(guid) > MAX_GUID_LENGTH:
        raise InvalidGuid(guid, too_long=True)
    # "." and ".." are dot-segments: a server that normalises `%2E` would resolve them away.
    if not GUID_PATTERN.fullmatch(guid) or not guid.strip("."):
        raise InvalidGuid(guid)
    return guid


def validate_uid(raw: str) -> str:
    """CometChat user ids follow the same rules as group ids (checked before any request)."""
    uid = raw.strip()
    if len(uid) > MAX_GUID_LENGTH:
        raise InvalidUid(uid, too_long=True)
    if not GUID_PATTERN.fullmatch(uid) or not uid.strip("."):  # dot-segments, as above
        raise InvalidUid(uid)
    return uid


class PageCursor(BaseModel):
    # strict: a value we did not write (`"p": true`, `"n": "10"`) is a bad cursor, not coerced.
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid", strict=True)

    guid: str = Field(alias="g")
    page: int = Field(1, alias="p", ge=1, le=MAX_PAGE)
    per_page: int = Field(10, alias="n", ge=1, le=MAX_PAGE_SIZE)  # more would pass 50 blocks
    query: str | None = Field(None, alias="q", max_length=100)

    @field_validator("guid")
    @classmethod
    def _guid(cls, value: str) -> str:
        return validate_guid(value)

    def at(self, page: int) -> PageCursor:
        return self.model_copy(update={"page": page})

    def encode(self) -> str:
        value = json.dumps(self.model_dump(by_alias=True, exclude_none=True), separators=(",", ":"))
        assert len(value) <= MAX_VALUE_LENGTH, "cursor outgrew a Slack button value"
        return value

    @classmethod
    def decode(cls, value: object) -> PageCursor:
        if not isinstance(value, str) or not value or len(value) > MAX_VALUE_LENGTH:
            raise BadCursor()
        try:
            return cls.model_validate_json(value)
        except (ValidationError, InvalidGuid, ValueError):
            raise BadCursor() from None
