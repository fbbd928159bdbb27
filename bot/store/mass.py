"""Mass actions: the draft a preview leaves, taken once by its confirmation, and what became of
each of its users. Each user's ban itself is recorded through the member's one path
(`ModerationStore.change`); this only keeps the list that ties them to the action's case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update

from bot.domain.massban import MassPlan, MassUser, Member
from bot.store.tables import mass_action_users, mass_actions

# A preview nobody confirmed is forgotten after this.
DRAFT_TTL = timedelta(days=1)


class MassActions:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]):
        self.engine = engine
        self._clock = clock

    def draft(
        self,
        *,
        guid: str,
        action: str,
        actor: str,
        reason: str,
        minutes: int | None,
        users: Sequence[Member],
    ) -> int:
        """Keep a previewed plan; its id travels in the confirmation. Old drafts go."""
        now = self._clock()
        m, u = mass_actions, mass_action_users
        with self.engine.begin() as conn:
            stale = select(m.c.id).where(
                m.c.status == "previewed", m.c.created_at < now - DRAFT_TTL
            )
            conn.execute(delete(u).where(u.c.mass_id.in_(stale)))
            conn.execute(
                delete(m).where(m.c.status == "previewed", m.c.created_at < now - DRAFT_TTL)
            )
            plan_id = conn.execute(
                insert(m)
                .values(
                    guid=guid,
                    action=action,
                    actor=actor,
                    reason=reason,
                    minutes=minutes,
                    status="previewed",
                    created_at=now,
                )
                .returning(m.c.id)
            ).scalar_one()
            if users:
                conn.execute(
                    insert(u),
                    [
                        {
                            "mass_id": plan_id,
                            "uid": user.uid,
                            "position": n,
                            "name": user.name[:200],
                            "joined_at": user.joined_at,
                            "created_at": user.created_at,
                            "outcome": "",
                            "detail": "",
                        }
                        for n, user in enumerate(users)
                    ],
                )
        return int(plan_id)

    def by_case(self, case_id: int) -> MassPlan | None:
        """The mass action whose case this is."""
        m = mass_actions
        with self.engine.begin() as conn:
            found = conn.execute(select(m.c.id).where(m.c.case_id == case_id)).scalar()
        return self.load(int(found)) if found is not None else None

    def load(self, plan_id: int) -> MassPlan | None:
        m, u = mass_actions, mass_action_users
        with self.engine.begin() as conn:
            row = conn.execute(select(m).where(m.c.id == plan_id)).first()
            if row is None:
                return None
            users = conn.execute(
                select(u).where(u.c.mass_id == plan_id).order_by(u.c.position)
            ).all()
        return MassPlan(
            id=row.id,
            guid=row.guid,
            action=row.action,
            actor=row.actor,
            reason=row.reason,
            minutes=row.minutes,
            status=row.status,
            created_at=row.created_at,
            case_id=row.case_id,
            users=[
                MassUser(
                    uid=r.uid,
                    name=r.name,
                    joined_at=r.joined_at,
                    created_at=r.created_at,
                    outcome=r.outcome,
                    detail=r.detail,
                    ban_id=r.ban_id,
                )
                for r in users
            ],
        )

    def start(self, plan_id: int) -> bool:
        """Take the draft for running: True for exactly one caller, in every process (a
        conditional UPDATE); a second confirmation of the same preview gets False."""
        return self._move(plan_id, "previewed", "running")

    def start_undo(self, plan_id: int) -> bool:
        """Take a finished action for undoing: True for exactly one caller, once."""
        return self._move(plan_id, "done", "undoing")

    def finish_undo(self, plan_id: int) -> None:
        self._move(plan_id, "undoing", "undone")

    def _move(self, plan_id: int, before: str, after: str) -> bool:
        m = mass_actions
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(m).where(m.c.id == plan_id, m.c.status == before).values(status=after)
            )
        return taken.rowcount == 1

    def link_case(self, plan_id: int, case_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(mass_actions).where(mass_actions.c.id == plan_id).values(case_id=case_id)
            )

    def set_outcome(
        self, plan_id: int, uid: str, outcome: str, detail: str = "", ban_id: int | None = None
    ) -> None:
        u = mass_action_users
        with self.engine.begin() as conn:
            conn.execute(
                update(u)
                .where(u.c.mass_id == plan_id, u.c.uid == uid)
                .values(outcome=outcome, detail=detail[:300], ban_id=ban_id)
            )

    def finish(self, plan_id: int) -> None:
        self._move(plan_id, "running", "done")
