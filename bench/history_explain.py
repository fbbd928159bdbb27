"""The Home tab's and `/banned user`'s queries on a history of 1,000,000 events: their plans
(`EXPLAIN (ANALYZE, BUFFERS)`) and their time beside `SELECT 1`. A measurement, run once.

    python bench/history_explain.py [POSTGRESQL_SERVER_URL]
    (default: TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test)

It creates a database of its own on that server (`banned_bench_<random>`), migrated to the head
revision, and drops it at the end: it never writes into the database the URL names.

The plans are of the statements the store itself sends: each store method is called once with
a listener recording what reached the driver, and that exact SQL, with its parameters, is run
again under EXPLAIN. Then the indexes revision 0003 added are dropped and the plans shown again,
to show what they are for.

Seeded on the server (`generate_series`): 1,000,000 events over the last 400 days (ids in time
order), 200,000 users with five events each, all in one of 1,000 groups; 10,000 temporary bans
pending, ending over the next 30 days.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script: the project's root holds `tests`, whose database helper this shares.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, event, text

from bot.store import ModerationStore, build_engine
from bot.store.migrate import upgrade
from bot.store.scans import RecentScans
from tests.support.databases import own_postgres_database

EVENTS, USERS, GROUPS, PENDING = 1_000_000, 200_000, 1_000, 10_000
TIMED = 25  # runs of each query for its median (and of SELECT 1 beside it)
UID, GUID = "u12345", "g345"  # user 12345's five events are all in group 345
DROPPED = (  # what revision 0003 added for these queries
    "ix_moderation_events_uid_id",
    "ix_moderation_events_at",
    "ix_pending_expiries_ends_at",
)


def seed_sql(events: int = EVENTS, users: int = USERS, groups: int = GROUPS) -> str:
    """Event n (its id) is user n mod `users`'s, in group (n mod `users`) mod `groups`, at
    400 days ago plus n steps; a user's five events are ban, unban, ban, kick, ban."""
    return f"""
INSERT INTO moderation_events (guid, uid, name, action, actor, source, reason, scope, at, ends_at)
SELECT 'g' || mod(mod(n, {users}), {groups}), 'u' || mod(n, {users}), 'User ' || mod(n, {users}),
       (ARRAY['ban', 'unban', 'ban', 'kick', 'ban'])[1 + (n - 1) / {users}],
       'UALICE', 'command', 'spamming links', '',
       now() - interval '400 days' + n * (interval '400 days' / {events}), NULL
FROM generate_series(1, {events}) AS n;
INSERT INTO pending_expiries (guid, uid, ends_at, due_at, attempts, ban_id)
SELECT 'g' || mod(n, {groups}), 'u' || n, now() + n * (interval '30 days' / {PENDING}),
       now() + n * (interval '30 days' / {PENDING}), 0, {4 * users} + n
FROM generate_series(1, {PENDING}) AS n;
ANALYZE;
"""


def main() -> None:
    server = (
        sys.argv[1]
        if len(sys.argv) > 1
        else os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    )
    with own_postgres_database(server, prefix="banned_bench") as url:
        engine = build_engine(url)
        try:
            measure(engine)
        finally:
            engine.dispose()


def queries(engine: Engine) -> dict[str, Callable[[], Any]]:
    store, scans = ModerationStore(engine), RecentScans(engine)
    now = datetime.now(UTC)
    since = datetime.combine((now - timedelta(days=29)).date(), datetime.min.time(), UTC)
    return {
        "Home tab: recent_events(20)": lambda: store.recent_events(20),
        "Home tab: bans_ending(next 24 h)": lambda: store.bans_ending(now, now + timedelta(days=1)),
        "Home tab: daily_counts(30 days)": lambda: store.daily_counts(since),
        "/banned user: bans_of(uid)": lambda: store.bans_of(UID),
        "/banned user: states_of(uid) (the scan's)": lambda: store.states_of(UID),
        "/banned user: recent scan of uid": lambda: scans.last_scan(UID),
        "History button: history(guid, uid)": lambda: store.history(GUID, UID),
        "Next read ahead: last_event_id(guid)": lambda: store.last_event_id(GUID),
    }


def captured(engine: Engine, call: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements `call` sent to the driver, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]


def explain(engine: Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars()
        return "\n".join(rows)


def median_ms(call: Callable[[], Any]) -> float:
    call()  # warm: connection, plan, pages
    times = []
    for _ in range(TIMED):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(engine: Engine) -> None:
    upgrade(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(seed_sql())
    print(f"seeded {EVENTS:,} events, {PENDING:,} pending in {time.perf_counter() - started:.0f} s")

    def select_one() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    plans = {name: captured(engine, call) for name, call in queries(engine).items()}
    print(f"\nmedian of {TIMED} runs, through the store (a pooled connection, as a worker):")
    print(f"  {'SELECT 1':48} {median_ms(select_one):7.2f} ms")
    for name, call in queries(engine).items():
        print(f"  {name:48} {median_ms(call):7.2f} ms")

    for title, drop in (("with revision 0003's indexes", False), ("without them", True)):
        if drop:
            with engine.begin() as conn:
                for index in DROPPED:
                    conn.exec_driver_sql(f"DROP INDEX {index}")
                conn.exec_driver_sql("ANALYZE")
        print(f"\n==== plans {title} ====")
        for name, statements in plans.items():
            for statement, parameters in statements:
                print(f"\n-- {name}\n{explain(engine, statement, parameters)}")
        if drop:
            print("\nmedian without them:")
            for name, call in queries(engine).items():
                print(f"  {name:48} {median_ms(call):7.2f} ms")


if __name__ == "__main__":
    main()
