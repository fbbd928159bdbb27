"""What a button's `value` (or a modal's `private_metadata`) carries, so any instance can serve
any click: a page of the list, a user to unban, a ban in progress.

Values come back to us inside signed requests, but are still decoded defensively: one that does
not parse, or names a malformed id, becomes `BadCursor` and the one message for it. JSON keys are
one letter, to stay far below Slack's 2,000-character limit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.domain.actions import ACTIONS
from bot.domain.duration import MAX_DURATION
from bot.domain.errors import BadCursor, InvalidGuid, InvalidUid
from bot.domain.ids import Guid, Uid
from bot.domain.moderation import MAX_REASON_LENGTH, EventSource, ModerationAction
from bot.settings import MAX_PAGE_SIZE

MAX_PAGE = 100_000
MAX_VALUE_LENGTH = 2000  # Slack's limit for a button value
MAX_BAN_MINUTES = int(MAX_DURATION.total_seconds() // 60)


class ButtonValue(BaseModel):
    # strict: a value we did not write (`"p": true`, `"n": "10"`) is refused, not coerced.
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid", strict=True)

    def encode(self) -> str:
        value = self.model_dump_json(by_alias=True, exclude_none=True)
        assert len(value) <= MAX_VALUE_LENGTH, "value outgrew a Slack button value"
        return value

    @classmethod
    def decode(cls, value: object) -> Self:
        """Anything that does not parse as this model becomes `BadCursor`."""
        if not isinstance(value, str) or not value or len(value) > MAX_VALUE_LENGTH:
            raise BadCursor()
        try:
            return cls.model_validate_json(value)
        except (ValidationError, InvalidGuid, InvalidUid, ValueError):
            raise BadCursor() from None


class PageCursor(ButtonValue):
    """Where a paged list stands: group, page, page size and the search, if any."""

    guid: Guid = Field(alias="g")
    page: int = Field(1, alias="p", ge=1, le=MAX_PAGE)
    per_page: int = Field(10, alias="n", ge=1, le=MAX_PAGE_SIZE)  # more would pass 50 blocks
    query: str | None = Field(None, alias="q", max_length=100)

    def at(self, page: int) -> PageCursor:
        return self.model_copy(update={"page": page})


class _InGroup(ButtonValue):
    """A value about one group that may carry the list page to refresh: both name one group."""

    guid: Guid = Field(alias="g")
    cursor: PageCursor | None = Field(None, alias="c")

    @model_validator(mode="after")
    def _same_group(self) -> Self:
        if self.cursor is not None and self.cursor.guid != self.guid:
            raise ValueError("cursor names another group")
        return self


class UnbanRef(_InGroup):
    """What an Unban button acts on: `{"g": guid, "u": uid, "c": {cursor}}`. Without a cursor
    (the live feed) the handler reports the result without re-rendering a list."""

    uid: Uid = Field(alias="u")


class BanRef(_InGroup):
    """A pending ban: the group, the user once known, and the list page to refresh afterwards.

    Travels in the "Ban a user" button (no uid yet), the modal's `private_metadata` (with the
    list message's `response_url` and channel, which a view submission does not carry) and the
    confirm button of `/banned <guid> ban <uid>`.
    """

    uid: Uid | None = Field(None, alias="u")
    response_url: str | None = Field(None, alias="r", max_length=1000)
    channel_id: str | None = Field(None, alias="ch", max_length=30)
    # What the moderator gave with the ban: how long (None: permanent) and why.
    minutes: int | None = Field(None, alias="t", ge=1, le=MAX_BAN_MINUTES)
    reason: str | None = Field(None, alias="y", max_length=MAX_REASON_LENGTH)

    @property
    def duration(self) -> timedelta | None:
        return None if self.minutes is None else timedelta(minutes=self.minutes)


class BanConfirmRef(BanRef):
    """A ban whose user is known: the value of a button or form that bans when pressed."""

    uid: Uid = Field(alias="u")


class ActionRef(_InGroup):
    """An action on one user awaiting its confirmation (a kick asked for by command, an Unban
    clicked): `{"a": action, "g": guid, "u": uid, "y": reason, "c": {cursor}, "s": source}`.
    With a cursor, the list page the moderator was reading is drawn again afterwards."""

    action: ModerationAction = Field(alias="a")
    uid: Uid = Field(alias="u")
    reason: str | None = Field(None, alias="y", max_length=MAX_REASON_LENGTH)
    source: EventSource | None = Field(None, alias="s")  # None: asked for by command

    @model_validator(mode="after")
    def _asked_for(self) -> Self:
        # Only a moderator's action that is confirmed first; the rest is heard of or done by the
        # bot itself. A temporary action (a ban) carries its duration in a BanConfirmRef instead.
        if not ACTIONS[self.action].confirmable:
            raise ValueError("not an action this button can confirm")
        return self


class PickedRef(_InGroup):
    """Users ticked on a list page, for an action done to each (*Unban selected*): the button
    under the page carries none (Slack sends the ticks with the click), its confirmation carries
    them. `{"a": action, "g": guid, "c": {cursor}, "us": [uids]}`."""

    action: ModerationAction = Field(alias="a")
    uids: tuple[Uid, ...] = Field((), alias="us", max_length=MAX_PAGE_SIZE)

    @model_validator(mode="after")
    def _many(self) -> Self:
        if not ACTIONS[self.action].pick_many:
            raise ValueError("not an action done to ticked users")
        return self

    def fits(self) -> bool:
        """Whether it can travel in a button value (twenty very long uids would not)."""
        return len(self.model_dump_json(by_alias=True, exclude_none=True)) <= MAX_VALUE_LENGTH


class HistoryRef(ButtonValue):
    """A user's moderation history in a group; `before` pages to older events."""

    guid: Guid = Field(alias="g")
    uid: Uid = Field(alias="u")
    before: int | None = Field(None, alias="b", ge=1)


class MassBanRef(BanRef):
    """A mass ban in the making: the form's metadata (group, list page, where to answer), then
    the preview's, which adds the stored plan to run when confirmed."""

    plan: int | None = Field(None, alias="m", ge=1)


class MassUndoRef(ButtonValue):
    """*Undo* under a mass ban's report or audit line: its group and its case number."""

    guid: Guid = Field(alias="g")
    case: int = Field(alias="k", ge=1)


class LockdownRef(ButtonValue):
    """*Lift lockdown* under a lockdown's notice: its group."""

    guid: Guid = Field(alias="g")


class CaseRef(ButtonValue):
    """One case (a recorded event) to show or edit: `{"n": number}`; the edit form also keeps
    where it was opened from (a view submission carries neither channel nor response_url)."""

    number: int = Field(alias="n", ge=1, le=2**63 - 1)
    response_url: str | None = Field(None, alias="r", max_length=1000)
    channel_id: str | None = Field(None, alias="ch", max_length=30)


class HistoryExportRef(ButtonValue):
    """The Home tab's "Export history": `{}` for every group and everything kept."""

    guid: Guid | None = Field(None, alias="g")
    days: int | None = Field(None, alias="d", ge=1, le=36_500)


class RaidRef(ButtonValue):
    """A raid alert's buttons: its group and which raid (a group's next raid is another)."""

    guid: Guid = Field(alias="g")
    raid: str = Field(alias="r", min_length=1, max_length=36)


class AcrossRef(ButtonValue):
    """An action on one user in many groups (`/banned user <uid>`'s *Unban in all N groups* and
    *Ban in every group they are a member of*): the user, then, once previewed, exactly the
    groups the moderator saw, with the ban's duration and reason and where to answer."""

    action: ModerationAction = Field(alias="a")
    uid: Uid = Field(alias="u")
    guids: tuple[Guid, ...] | None = Field(None, alias="gs")
    response_url: str | None = Field(None, alias="r", max_length=1000)
    channel_id: str | None = Field(None, alias="ch", max_length=30)
    minutes: int | None = Field(None, alias="t", ge=1, le=MAX_BAN_MINUTES)
    reason: str | None = Field(None, alias="y", max_length=MAX_REASON_LENGTH)

    @model_validator(mode="after")
    def _in_many_groups(self) -> Self:
        spec = ACTIONS[self.action]
        if not spec.everywhere:
            raise ValueError("not an action taken in many groups at once")
        if self.minutes is not None and not spec.temporary:
            raise ValueError("a duration for an action that does not end")
        return self

    @property
    def duration(self) -> timedelta | None:
        return None if self.minutes is None else timedelta(minutes=self.minutes)

    def with_groups(self, guids: list[str]) -> tuple[AcrossRef, int]:
        """This value naming as many of `guids`, in order, as a value can carry; and how many
        were left out (a later press does the rest)."""
        kept: list[str] = []
        for guid in guids:
            trial = self.model_copy(update={"guids": (*kept, guid)})
            if len(trial.model_dump_json(by_alias=True, exclude_none=True)) > MAX_VALUE_LENGTH:
                break
            kept.append(guid)
        return self.model_copy(update={"guids": tuple(kept)}), len(guids) - len(kept)


class PickGroupRef(ButtonValue):
    """A button whose form asks for the group first (the Home tab's *Mass ban…*): `{}`."""
