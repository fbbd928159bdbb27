"""Typed views of CometChat's group-member webhooks, parsed defensively.

The documented payloads (see CometChat's webhook docs) have no event id and no event time,
`members` is an object keyed by uid (one event may name several users), and a reported CometChat
bug puts the moderator in `members` for ban/unban calls made with `onBehalfOf`. Anything that does
not fit raises `MalformedEvent` or `UnsupportedTrigger`; the endpoint logs those and answers 200.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.cometchat.models import LenientInt, LenientStr
from bot.domain.errors import InvalidGuid
from bot.domain.ids import validate_guid

MAX_MEMBERS = 1000  # far beyond any real event; a bound on work done for one request
MAX_ID = 200


class Trigger(StrEnum):
    BANNED = "group_member_banned"
    UNBANNED = "group_member_unbanned"
    KICKED = "group_member_kicked"
    SCOPE_CHANGED = "group_member_scope_changed"


TRIGGER_NAMES = frozenset(t.value for t in Trigger)


class JoinTrigger(StrEnum):
    """Users arriving in a group: counted for the raid alert, never posted one by one."""

    JOINED = "group_member_joined"
    ADDED = "group_member_added"


JOIN_TRIGGER_NAMES = frozenset(t.value for t in JoinTrigger)

# Triggers whose `members` may name the actor instead of the target (the onBehalfOf bug).
QUIRK_TRIGGERS = frozenset({Trigger.BANNED, Trigger.UNBANNED})


class MalformedEvent(ValueError):
    """The body is not JSON, or not the documented shape for its trigger."""


class UnsupportedTrigger(ValueError):
    """Well-formed JSON for a trigger the feed does not post (or no trigger at all)."""

    def __init__(self, trigger: str):
        super().__init__(trigger)
        self.trigger = trigger


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


Uid = Annotated[str, Field(min_length=1, max_length=MAX_ID)]


class Person(_Model):
    """A user named by the event: a target in `members`, or the actor in `by`."""

    uid: Uid
    name: LenientStr = None
    avatar: LenientStr = None
    role: LenientStr = None
    scope: LenientStr = None  # scope_changed: the new scope
    old_scope: LenientStr = Field(None, alias="oldScope")
    # Join triggers, when CometChat sends them (its example does not): when they joined, and
    # when their account was made (Unix seconds).
    joined_at: LenientInt = Field(None, alias="joinedAt")
    created_at: LenientInt = Field(None, alias="createdAt")

    @property
    def display_name(self) -> str:
        return (self.name or "").strip() or self.uid


class EventGroup(_Model):
    guid: str
    name: LenientStr = None
    type: LenientStr = None
    updated_at: LenientInt = Field(None, alias="updatedAt")

    @field_validator("guid")
    @classmethod
    def _guid(cls, value: str) -> str:
        # The same rule as `/banned <guid>`: the feed's "open list" button must be able to carry it.
        return validate_guid(value)

    @property
    def display_name(self) -> str:
        return (self.name or "").strip() or self.guid


class _Delivery(_Model):
    """What every group-member delivery carries: the group, the members it names, the actor."""

    webhook: LenientStr = None
    app_id: LenientStr = Field(None, alias="appId")
    group: EventGroup
    members: tuple[Person, ...]  # in payload order; never empty
    by: Person | None = None

    @property
    def trigger_name(self) -> str:
        raise NotImplementedError

    def dedupe_key(self) -> str:
        """Stable across CometChat's retries of one delivery; differs between two real events.

        No event id exists, so: webhook + trigger + group + sorted member uids + actor + the
        group's `updatedAt` (which moves with each membership change).
        """
        parts = [
            self.webhook,
            self.trigger_name,
            self.group.guid,
            sorted(m.uid for m in self.members),
            self.by.uid if self.by else None,
            self.group.updated_at,
        ]
        raw = json.dumps(parts, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()

    def subject_key(self) -> str:
        """Who the delivery is about (webhook, group, sorted member uids), whatever happened:
        once another event about them is seen, an earlier key is no retry of it any more, so a
        ban, an unban and the same ban again are three events, however close together."""
        parts = [self.webhook, self.group.guid, sorted(m.uid for m in self.members)]
        raw = json.dumps(parts, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


class JoinEvent(_Delivery):
    """Users who joined a group, or were added to it: what the raid alert counts."""

    trigger: JoinTrigger

    @property
    def trigger_name(self) -> str:
        return self.trigger.value


class MemberEvent(_Delivery):
    """One delivery of a group-member trigger, reduced to what the feed shows."""

    trigger: Trigger

    @property
    def trigger_name(self) -> str:
        return self.trigger.value

    @property
    def targets(self) -> tuple[Person, ...]:
        """Members CometChat names credibly: the onBehalfOf bug's echo of the actor is dropped."""
        if self.trigger not in QUIRK_TRIGGERS or self.by is None:
            return self.members
        return tuple(m for m in self.members if m.uid != self.by.uid)

    @property
    def unnamed(self) -> int:
        """How many targets CometChat failed to name (the actor appeared in their place)."""
        return len(self.members) - len(self.targets)


def parse_event(body: bytes) -> MemberEvent:
    """Bytes of a webhook request body -> a `MemberEvent`, or a typed reason why not (a join
    is an `UnsupportedTrigger` here: see `parse_delivery`)."""
    event = parse_delivery(body, joins=False)
    assert isinstance(event, MemberEvent)
    return event


def parse_delivery(body: bytes, *, joins: bool = True) -> MemberEvent | JoinEvent:
    """Bytes of a webhook request body -> a `MemberEvent`, or with `joins` a `JoinEvent` for
    the join triggers, or a typed reason why not."""
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedEvent("body is not JSON") from None
    except RecursionError:
        # `[[[[…` nested deeper than the interpreter's stack: hostile, never CometChat's.
        raise MalformedEvent("body is nested too deeply") from None
    if not isinstance(envelope, dict):
        raise MalformedEvent("body is not a JSON object")
    trigger = envelope.get("trigger")
    known = TRIGGER_NAMES | JOIN_TRIGGER_NAMES if joins else TRIGGER_NAMES
    if not isinstance(trigger, str) or trigger not in known:
        raise UnsupportedTrigger(trigger if isinstance(trigger, str) else repr(trigger)[:40])
    model: type[MemberEvent] | type[JoinEvent] = (
        JoinEvent if trigger in JOIN_TRIGGER_NAMES else MemberEvent
    )
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise MalformedEvent("data is not an object")
    try:
        return model.model_validate(
            {
                "trigger": trigger,
                "webhook": envelope.get("webhook"),
                "appId": envelope.get("appId"),
                "group": data.get("group"),
                "members": _members(data.get("members")),
                "by": data.get("by") if isinstance(data.get("by"), dict) else None,
            }
        )
    except InvalidGuid:
        raise MalformedEvent("group.guid is not a valid group id") from None
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        raise MalformedEvent("invalid " + ", ".join(fields)[:200]) from None


def _members(raw: Any) -> list[dict[str, Any]]:
    """`{uid: user}` -> [user, ...], in payload order. An entry without a uid takes its key."""
    if not isinstance(raw, dict) or not raw:
        raise MalformedEvent("members is not a non-empty object")
    if len(raw) > MAX_MEMBERS:
        raise MalformedEvent(f"members lists more than {MAX_MEMBERS} users")
    members = []
    for key, value in raw.items():
        entry = dict(value) if isinstance(value, dict) else {}
        if not isinstance(entry.get("uid"), str) or not entry["uid"]:
            entry["uid"] = key
        members.append(entry)
    return members
