"""Cases as the store keeps them: a recorded event read with its evidence and edits, and a
moderator's correction applied to it (its reason, a ban's end and the pending expiry with it),
each correction kept as a row of `case_edits`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from bot.domain.actions import ACTIONS
from bot.domain.cases import Case, CaseEdit, EditedField
from bot.domain.errors import CaseClosed, EndPassed
from bot.domain.moderation import ModerationAction, ModerationEvent
from bot.store.evidence import cards_for
from bot.store.tables import case_edits, moderation_events

# The events that say whether a user is banned in a group (the member's decisions).
STATE_ACTIONS = (
    ModerationAction.BAN.value,
    ModerationAction.UNBAN.value,
    ModerationAction.EXPIRE.value,
)


@dataclass(frozen=True)
class Keep:
    """An edit that leaves a ban's end as it is."""


KEEP = Keep()


def read_case(conn: Connection, event: ModerationEvent) -> Case:
    """`event` (a stored one) with the card shown before it, its edits and whether its length
    may still change."""
    assert event.id is not None
    card = cards_for(conn, event.guid, event.uid, [event]).get(event.id)
    x = case_edits
    rows = conn.execute(select(x).where(x.c.event_id == event.id).order_by(x.c.id)).all()
    return Case(event, card, [_edit(row) for row in rows], is_open(conn, event))


def is_open(conn: Connection, event: ModerationEvent) -> bool:
    """A ban still in force: the member's latest decision, and not ended by the clock."""
    if not ACTIONS[event.action].temporary:
        return False
    e = moderation_events
    latest = conn.execute(
        select(e.c.id)
        .where(e.c.guid == event.guid, e.c.uid == event.uid, e.c.action.in_(STATE_ACTIONS))
        .order_by(e.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return latest == event.id


def apply_edit(
    conn: Connection,
    event: ModerationEvent,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
    ends_at: datetime | Keep | None,
    move_expiry: Callable[[Connection, ModerationEvent, datetime | None], None],
) -> list[CaseEdit]:
    """Correct `event`: a new reason (None: unchanged) and, for a ban still in force, a new end
    (None: permanent; KEEP: unchanged), moving its pending expiry with it. Raises CaseClosed or
    EndPassed before anything is written; returns the edits made (none if nothing differs)."""
    assert event.id is not None
    changes: list[tuple[EditedField, str, str]] = []
    values: dict[str, Any] = {}
    if reason is not None and reason != event.reason:
        changes.append((EditedField.REASON, event.reason, reason))
        values["reason"] = reason
    if not isinstance(ends_at, Keep) and ends_at != event.ends_at:
        if not is_open(conn, event):
            raise CaseClosed(event.id)
        if ends_at is not None and ends_at <= at:
            raise EndPassed()
        changes.append((EditedField.ENDS_AT, _when(event.ends_at), _when(ends_at)))
        values["ends_at"] = ends_at
        move_expiry(conn, event, ends_at)
    if not changes:
        return []
    e = moderation_events
    conn.execute(update(e).where(e.c.id == event.id).values(**values))
    return [
        insert_edit(conn, CaseEdit(event.id, actor, at, field, before, after))
        for field, before, after in changes
    ]


def insert_edit(conn: Connection, edit: CaseEdit) -> CaseEdit:
    """Keep one edit; returned with its id."""
    values = {
        "event_id": edit.event_id,
        "actor": edit.actor,
        "at": edit.at,
        "field": edit.field.value,
        "before": edit.before,
        "after": edit.after,
    }
    new_id = conn.execute(insert(case_edits).values(**values).returning(case_edits.c.id))
    return replace(edit, id=int(new_id.scalar_one()))


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat()


def _edit(row: Any) -> CaseEdit:
    return CaseEdit(
        event_id=row.event_id,
        actor=row.actor,
        at=row.at,
        field=EditedField(row.field),
        before=row.before,
        after=row.after,
        id=row.id,
    )
