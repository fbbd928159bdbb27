"""What a moderator was shown before confirming (bot.domain.evidence), kept as a snapshot and
matched back to the event it led to when a history page is read."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from bot.domain.actions import ACTIONS
from bot.domain.evidence import EVIDENCE_WINDOW, UserCard
from bot.domain.moderation import EventSource, ModerationEvent
from bot.store.tables import evidence

# Only the bot's own confirmed actions were preceded by a card.
_CONFIRMED_HERE = frozenset({EventSource.BUTTON, EventSource.COMMAND})


def insert_card(conn: Connection, card: UserCard) -> int:
    row = conn.execute(
        insert(evidence)
        .values(guid=card.guid, uid=card.uid, taken_at=card.read_at, body=card.to_json())
        .returning(evidence.c.id)
    ).scalar_one()
    return int(row)


def cards_for(
    conn: Connection, guid: str, uid: str, events: Sequence[ModerationEvent]
) -> dict[int, UserCard]:
    """For each of the user's events that a confirmation preceded, the latest card taken in the
    window before it. One query for the page."""
    asked = [
        e
        for e in events
        if e.id is not None and e.source in _CONFIRMED_HERE and ACTIONS[e.action].confirm
    ]
    if not asked:
        return {}
    oldest = min(e.at for e in asked) - EVIDENCE_WINDOW
    newest = max(e.at for e in asked)
    x = evidence
    rows = conn.execute(
        select(x.c.taken_at, x.c.body)
        .where(x.c.guid == guid, x.c.uid == uid, x.c.taken_at >= oldest, x.c.taken_at <= newest)
        .order_by(x.c.taken_at)
    ).all()
    found: dict[int, UserCard] = {}
    for event in asked:
        before = [r for r in rows if event.at - EVIDENCE_WINDOW <= r.taken_at <= event.at]
        if before and event.id is not None:
            latest = before[-1]
            found[event.id] = UserCard.from_json(guid, uid, latest.taken_at, latest.body)
    return found
