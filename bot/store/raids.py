"""Joins per group and each group's raid alert, in the database every process shares.

Joins are one row per (group, user), written with an upsert, so a delivery heard twice counts
once. The alert's row is claimed without locks: its primary key is the group, so of two processes
seeing the same raid begin, one insert wins (a calmed alert is taken over by one conditional
UPDATE); posting, each throttled edit and the calm-down are conditional UPDATEs too, so each is
done by one process, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.domain.raids import (
    CALM_AFTER,
    NEWEST,
    RATE_WINDOW,
    UPDATE_EVERY,
    YOUNG,
    Joiner,
    RaidAlert,
)
from bot.store.tables import NAME_LENGTH, group_joins, raid_alerts

# How long the process that claimed a new alert has to post it before another may.
POST_LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class JoinCounts:
    last_minute: int
    total: int
    young: int
    unknown_age: int
    newest: tuple[Joiner, ...]


def _alert(row: Any) -> RaidAlert:
    return RaidAlert(
        guid=row.guid,
        raid=row.raid,
        group_name=row.group_name,
        started_at=row.started_at,
        last_raid_at=row.last_raid_at,
        last_join_at=row.last_join_at,
        channel=row.channel,
        ts=row.ts,
        updated_at=row.updated_at,
        dismissed_by=row.dismissed_by,
        dismissed_at=row.dismissed_at,
        calmed_at=row.calmed_at,
        total=row.total,
    )


class Raids:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]):
        self.engine = engine
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def record(self, guid: str, joiners: Sequence[Joiner]) -> None:
        """Keep each join; a user already kept keeps one row, at their latest join."""
        if not joiners:
            return
        j = group_joins
        with self.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            for joiner in joiners:
                stmt = dialect.insert(j).values(
                    guid=guid,
                    uid=joiner.uid,
                    name=joiner.name[:NAME_LENGTH],
                    joined_at=joiner.joined_at,
                    created_at=joiner.created_at,
                )
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[j.c.guid, j.c.uid],
                        set_={
                            "name": stmt.excluded.name,
                            "joined_at": stmt.excluded.joined_at,
                            "created_at": func.coalesce(stmt.excluded.created_at, j.c.created_at),
                        },
                        where=j.c.joined_at < stmt.excluded.joined_at,
                    )
                )

    def joins_since(self, guid: str, since: datetime) -> tuple[int, datetime | None]:
        """How many joins since `since`, and the earliest of them."""
        j = group_joins
        query = select(func.count(), func.min(j.c.joined_at)).where(
            j.c.guid == guid, j.c.joined_at >= since
        )
        with self.engine.begin() as conn:
            count, first = conn.execute(query).one()
        return int(count), first

    def heard(
        self, guid: str, group_name: str, *, raiding: bool, started_at: datetime | None
    ) -> tuple[RaidAlert | None, bool]:
        """Joins were heard in `guid`: the group's open alert (None: none) and whether this
        caller has just claimed it, to post. At a raid's rate (`raiding`), an alert is claimed
        if the group has none open; either way an open alert notes the join."""
        now = self._clock()
        a = raid_alerts
        name = group_name[:NAME_LENGTH]
        fresh = {
            "raid": str(uuid.uuid4()),
            "group_name": name,
            "started_at": started_at or now,
            "last_raid_at": now,
            "last_join_at": now,
            "posting_until": now + POST_LEASE,
        }
        with self.engine.begin() as conn:
            if raiding:
                dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                won = conn.execute(
                    dialect.insert(a)
                    .values(guid=guid, **fresh)
                    .on_conflict_do_nothing()
                    .returning(a.c.guid)
                ).first()
                taken = won is not None
                if not taken:
                    # The group's last raid is over: this is a new one, claimed by one caller.
                    renewed = update(a).where(a.c.guid == guid, a.c.calmed_at.is_not(None))
                    taken = (
                        conn.execute(
                            renewed.values(
                                **fresh,
                                channel=None,
                                ts=None,
                                updated_at=None,
                                dismissed_by=None,
                                dismissed_at=None,
                                calmed_at=None,
                                total=None,
                            )
                        ).rowcount
                        == 1
                    )
                if taken:
                    claimed = conn.execute(select(a).where(a.c.guid == guid)).one()
                    return _alert(claimed), True
            values: dict[str, Any] = {"last_join_at": now}
            if raiding:
                values["last_raid_at"] = now
            conn.execute(update(a).where(a.c.guid == guid, a.c.calmed_at.is_(None)).values(values))
            row = conn.execute(select(a).where(a.c.guid == guid, a.c.calmed_at.is_(None))).first()
        return (_alert(row) if row is not None else None), False

    def current(self, guid: str) -> RaidAlert | None:
        with self.engine.begin() as conn:
            row = conn.execute(select(raid_alerts).where(raid_alerts.c.guid == guid)).first()
        return _alert(row) if row is not None else None

    def posted(self, alert: RaidAlert, channel: str, ts: str, *, at: datetime) -> None:
        """The alert's message, drawn as of `at`."""
        a = raid_alerts
        with self.engine.begin() as conn:
            conn.execute(
                update(a)
                .where(a.c.guid == alert.guid, a.c.raid == alert.raid)
                .values(channel=channel, ts=ts, updated_at=at, posting_until=None)
            )

    def claim_orphan(self, guid: str) -> RaidAlert | None:
        """An open alert whose poster did not post it within its lease: this caller's now."""
        now = self._clock()
        a = raid_alerts
        return self._claim(
            guid,
            [
                a.c.guid == guid,
                a.c.ts.is_(None),
                a.c.calmed_at.is_(None),
                or_(a.c.posting_until.is_(None), a.c.posting_until < now),
            ],
            posting_until=now + POST_LEASE,
        )

    def claim_edit(self, alert: RaidAlert, *, any_time: bool = False) -> RaidAlert | None:
        """The turn to edit the posted alert (at most once per UPDATE_EVERY, unless
        `any_time`): the alert as it is now, or None when another process has it."""
        now = self._clock()
        a = raid_alerts
        where = [a.c.guid == alert.guid, a.c.raid == alert.raid, a.c.ts.is_not(None)]
        if not any_time:
            where.append(or_(a.c.updated_at.is_(None), a.c.updated_at <= now - UPDATE_EVERY))
        return self._claim(alert.guid, where, updated_at=now)

    def open_alerts(self) -> list[RaidAlert]:
        a = raid_alerts
        with self.engine.begin() as conn:
            rows = conn.execute(select(a).where(a.c.calmed_at.is_(None)).order_by(a.c.guid))
            return [_alert(row) for row in rows]

    def calm(self, alert: RaidAlert, total: int) -> RaidAlert | None:
        """Mark the raid calmed down, once (no raid-level minute for CALM_AFTER): the alert
        as it is now, or None when it is not calm yet or another caller did it."""
        now = self._clock()
        a = raid_alerts
        return self._claim(
            alert.guid,
            [
                a.c.guid == alert.guid,
                a.c.raid == alert.raid,
                a.c.calmed_at.is_(None),
                a.c.last_raid_at <= now - CALM_AFTER,
            ],
            calmed_at=now,
            total=total,
            updated_at=now,
        )

    def _claim(self, guid: str, where: list, **values: object) -> RaidAlert | None:
        """A conditional UPDATE of the group's alert: whichever process's statement matches
        first has it (the alert as it is now); the others get None."""
        a = raid_alerts
        with self.engine.begin() as conn:
            won = conn.execute(update(a).where(*where).values(**values)).rowcount
            row = conn.execute(select(a).where(a.c.guid == guid)).first() if won else None
        return _alert(row) if row is not None else None

    def dismiss(self, guid: str, raid: str, actor: str) -> tuple[RaidAlert | None, bool]:
        """Mark that raid's alert dismissed by `actor`: the alert (None: no longer that raid)
        and whether this caller dismissed it (False: someone had already)."""
        now = self._clock()
        a = raid_alerts
        with self.engine.begin() as conn:
            won = conn.execute(
                update(a)
                .where(a.c.guid == guid, a.c.raid == raid, a.c.dismissed_at.is_(None))
                .values(dismissed_by=actor, dismissed_at=now, updated_at=now)
            ).rowcount
            row = conn.execute(select(a).where(a.c.guid == guid, a.c.raid == raid)).first()
        return (_alert(row) if row is not None else None), bool(won)

    def counts(self, alert: RaidAlert) -> JoinCounts:
        """What the alert shows: joins in the last minute, since the raid began, how many of
        those accounts are young or of unknown age, and the newest few."""
        now = self._clock()
        j = group_joins
        since = and_(j.c.guid == alert.guid, j.c.joined_at >= alert.started_at)
        with self.engine.begin() as conn:
            total, young, unknown = conn.execute(
                select(
                    func.count(),
                    func.count().filter(j.c.created_at >= now - YOUNG),
                    func.count().filter(j.c.created_at.is_(None)),
                ).where(since)
            ).one()
            last_minute = conn.execute(
                select(func.count()).where(
                    j.c.guid == alert.guid, j.c.joined_at >= now - RATE_WINDOW
                )
            ).scalar_one()
            rows = conn.execute(
                select(j.c.uid, j.c.name, j.c.joined_at, j.c.created_at)
                .where(since)
                .order_by(j.c.joined_at.desc(), j.c.uid)
                .limit(NEWEST)
            ).all()
        newest = tuple(Joiner(r.uid, r.name, r.joined_at, r.created_at) for r in rows)
        return JoinCounts(int(last_minute), int(total), int(young), int(unknown), newest)

    def ages_unknown(self, alert: RaidAlert, limit: int) -> list[str]:
        """The raid's joiners whose account age is unknown and was never looked up, newest
        first, at most `limit`."""
        j = group_joins
        query = (
            select(j.c.uid)
            .where(
                j.c.guid == alert.guid,
                j.c.joined_at >= alert.started_at,
                j.c.created_at.is_(None),
                j.c.looked_up_at.is_(None),
            )
            .order_by(j.c.joined_at.desc(), j.c.uid)
            .limit(limit)
        )
        with self.engine.begin() as conn:
            return list(conn.execute(query).scalars())

    def record_ages(self, guid: str, found: Mapping[str, datetime | None]) -> None:
        """What look-ups answered: each account's creation time (None: CometChat has no such
        user, so the age stays unknown), and that it was looked up, so it is not asked again."""
        if not found:
            return
        now = self._clock()
        j = group_joins
        with self.engine.begin() as conn:
            for uid, created_at in found.items():
                values: dict[str, Any] = {"looked_up_at": now}
                if created_at is not None:
                    values["created_at"] = created_at
                conn.execute(update(j).where(j.c.guid == guid, j.c.uid == uid).values(values))

    def prune(self, keep: timedelta) -> int:
        """Forget joins older than `keep`, except in groups whose alert is open (its total
        counts them); the count deleted."""
        cutoff = self._clock() - keep
        j, a = group_joins, raid_alerts
        open_groups = select(a.c.guid).where(a.c.calmed_at.is_(None))
        with self.engine.begin() as conn:
            return conn.execute(
                delete(j).where(j.c.joined_at < cutoff, j.c.guid.not_in(open_groups))
            ).rowcount
