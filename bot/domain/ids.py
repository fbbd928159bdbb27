"""CometChat ids as the bot accepts them: checked before they reach a URL or a request."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from bot.domain.errors import InvalidGuid, InvalidUid

# CometChat ids are letters, digits, `_` and `-`; we also let through `.`, `@`, `:` and `+`,
# which some apps use. Anything else (spaces, `/`, `?`, `#`, `%`, control characters) is refused
# before any request is made.
GUID_PATTERN = re.compile(r"[A-Za-z0-9_\-.@:+]{1,100}")
MAX_GUID_LENGTH = 100


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


# For pydantic fields: the same checks, declared once.
Guid = Annotated[str, AfterValidator(validate_guid)]
Uid = Annotated[str, AfterValidator(validate_uid)]
