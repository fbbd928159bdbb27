"""What the history lets go of: events and kept user cards past the retention period (deleted a
batch at a time, so no transaction holds a table for long), and a person's names, reasons and
cards on request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, delete, func, select, update

from bot.store.tables import (
    case_edits,
    evidence,
    group_joins,
    mass_action_users,
    moderation_events,
    recent_scans,
)


def purge_events_before(engine: Engine, cutoff: datetime, *, batch: int) -> int:
    """Delete up to `batch` events older than `cutoff` (a range of the `at` index), with their
    edits; the count deleted. A pending expiry whose ban goes loses only its link to it (ON
    DELETE SET NULL)."""
    e = moderation_events
    oldest = select(e.c.id).where(e.c.at < cutoff).limit(batch)
    with engine.begin() as conn:
        ids = list(conn.execute(oldest).scalars())
        if not ids:
            return 0
        # Explicitly, not by ON DELETE CASCADE alone: SQLite enforces no foreign keys here.
        conn.execute(delete(case_edits).where(case_edits.c.event_id.in_(ids)))
        return conn.execute(delete(e).where(e.c.id.in_(ids))).rowcount


def purge_cards_before(engine: Engine, cutoff: datetime, *, batch: int) -> int:
    """Delete up to `batch` user cards taken before `cutoff`; the count deleted."""
    x = evidence
    oldest = select(x.c.id).where(x.c.taken_at < cutoff).limit(batch).scalar_subquery()
    with engine.begin() as conn:
        return conn.execute(delete(x).where(x.c.id.in_(oldest))).rowcount


@dataclass(frozen=True)
class Erased:
    events: int  # events about the person
    groups: int  # groups they were in
    names: int  # names blanked
    reasons: int  # reasons blanked
    cards: int = 0  # user cards (their profile and messages, shown before a confirmation) deleted
    joins: int = 0  # their joins counted for a raid alert, deleted


def erase_person(engine: Engine, uid: str) -> Erased:
    """Blank the name and the reason of every event about `uid`, and delete the user cards kept
    about them, in one transaction. The events stay (what happened, when, by whom), so every
    count made of them is unchanged."""
    e = moderation_events
    about = e.c.uid == uid
    with engine.begin() as conn:
        events, groups, names, reasons = conn.execute(
            select(
                func.count(),
                func.count(func.distinct(e.c.guid)),
                func.count().filter(e.c.name != ""),
                func.count().filter(e.c.reason != ""),
            ).where(about)
        ).one()
        conn.execute(
            update(e)
            .where(and_(about, (e.c.name != "") | (e.c.reason != "")))
            .values(name="", reason="")
        )
        # A corrected reason is a reason too: its before and after go with it.
        conn.execute(
            update(case_edits)
            .where(case_edits.c.event_id.in_(select(e.c.id).where(about)))
            .where(case_edits.c.field == "reason")
            .values(before="", after="")
        )
        conn.execute(delete(recent_scans).where(recent_scans.c.uid == uid))
        cards = conn.execute(delete(evidence).where(evidence.c.uid == uid)).rowcount
        # A mass action keeps who it reached; their name there goes too (the uid stays, as in
        # the events, so an undo still finds them).
        m = mass_action_users
        conn.execute(update(m).where(m.c.uid == uid, m.c.name != "").values(name=""))
        # Their joins counted for a raid alert (minutes old at most) go too.
        joins = conn.execute(delete(group_joins).where(group_joins.c.uid == uid)).rowcount
    return Erased(
        events=events, groups=groups, names=names, reasons=reasons, cards=cards, joins=joins
    )
