"""Moderation in Block Kit: Unban buttons, the ban modal, results and the audit line. Pure.

The button values are small pydantic models (like `PageCursor`) so any instance can serve any
click. `ACTION_UNBAN` + `UnbanRef` are shared with the live feed (issue 8): a feed message's Unban
button carries no cursor, and the handler then reports the result without re-rendering a list.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.cursor import MAX_VALUE_LENGTH, PageCursor, validate_guid, validate_uid
from bot.errors import BadCursor, InvalidGuid, InvalidUid

ACTION_UNBAN = "banned_unban"  # also used by the live feed's buttons (issue 8)
ACTION_BAN_OPEN = "banned_ban_open"  # "Ban a user" under the list: opens the ban modal
ACTION_BAN_CONFIRM = "banned_ban_confirm"  # the confirm-protected button of `/banned <g> ban <u>`
VIEW_BAN = "banned_ban_modal"  # callback_id of the ban modal


class _Ref(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    def encode(self) -> str:
        value = self.model_dump_json(by_alias=True, exclude_none=True)
        assert len(value) <= MAX_VALUE_LENGTH, "ref outgrew a Slack button value"
        return value

    @classmethod
    def decode(cls, value: object):  # -> Self
        """Decode a button value; anything that does not parse becomes `BadCursor`."""
        if not isinstance(value, str) or not value or len(value) > MAX_VALUE_LENGTH:
            raise BadCursor()
        try:
            return cls.model_validate_json(value)
        except (ValidationError, InvalidGuid, InvalidUid, ValueError):
            raise BadCursor() from None


class UnbanRef(_Ref):
    """What an Unban button acts on: a user in a group, and (from a list) the page to re-render.

    JSON keys are one letter to stay far below Slack's 2,000-character value limit:
    `{"g": guid, "u": uid, "c": {cursor}}`; with ids capped at 100 characters it stays < 500.
    """

    guid: str = Field(alias="g")
    uid: str = Field(alias="u")
    cursor: PageCursor | None = Field(None, alias="c")

    @field_validator("guid")
    @classmethod
    def _guid(cls, value: str) -> str:
        return validate_guid(value)

    @field_validator("uid")
    @classmethod
    def _uid(cls, value: str) -> str:
        return validate_uid(value)

    @model_validator(mode="after")
    def _same_group(self) -> UnbanRef:
        if self.cursor is not None and self.cursor.guid != self.guid:
            raise ValueError("cursor names another group")
        return self


class BanRef(_Ref):
    """A pending ban: the group, the user once known, and the list page to refresh afterwards.

    Travels in the "Ban a user" button (no uid yet), the modal's `private_metadata` (with the
    list message's `response_url` and channel, which a view submission does not carry) and the
    confirm button of `/banned <guid> ban <uid>`.
    """

    guid: str = Field(alias="g")
    uid: str | None = Field(None, alias="u")
    cursor: PageCursor | None = Field(None, alias="c")
    response_url: str | None = Field(None, alias="r", max_length=1000)
    channel_id: str | None = Field(None, alias="ch", max_length=30)

    @field_validator("guid")
    @classmethod
    def _guid(cls, value: str) -> str:
        return validate_guid(value)

    @field_validator("uid")
    @classmethod
    def _uid(cls, value: str | None) -> str | None:
        return None if value is None else validate_uid(value)

    @model_validator(mode="after")
    def _same_group(self) -> BanRef:
        if self.cursor is not None and self.cursor.guid != self.guid:
            raise ValueError("cursor names another group")
        return self
