"""The list's extra lookup: `latest_bans` for one page of uids, against a bare round trip.

    python bench/store_lookup.py [POSTGRESQL_SERVER_URL]   (default: a temporary SQLite file)

Given a PostgreSQL URL, it creates a database of its own on that server (`banned_bench_<random>`)
and drops it at the end: it never writes into the database the URL names.

Seeds 10,000 users with three events each in one group, then times `latest_bans` for a page of
10 uids (the list's default page) beside `SELECT 1` on the same engine, in the same run: the
ratio says what the query costs above a round trip, whatever the machine's noise.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Run as a script: the project's root holds `tests`, whose database helper this shares.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bot.domain.moderation import EventSource, ModerationAction
from bot.store import ModerationStore, build_engine
from bot.store.migrate import upgrade
from bot.store.tables import metadata, moderation_events
from tests.support.databases import own_postgres_database

GUID, USERS, PAGE, ROUNDS = "bench-group", 10_000, 10, 500


@contextmanager
def own_database(server: str | None) -> Iterator[str]:
    if server is None:
        yield f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
        return
    with own_postgres_database(server, prefix="banned_bench") as url:
        yield url


def main() -> None:
    with own_database(sys.argv[1] if len(sys.argv) > 1 else None) as url:
        measure(url)


def measure(url: str) -> None:
    engine = build_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        at = datetime(2026, 1, 1, tzinfo=UTC)
        rows = [
            {
                "guid": GUID,
                "uid": f"u{n}",
                "name": f"User {n}",
                "action": action.value,
                "actor": "UALICE",
                "source": EventSource.COMMAND.value,
                "reason": "spamming links",
                "scope": "",
                "at": at + timedelta(minutes=step),
                "ends_at": None,
            }
            for n in range(USERS)
            for step, action in enumerate(
                (ModerationAction.BAN, ModerationAction.UNBAN, ModerationAction.BAN)
            )
        ]
        conn.execute(moderation_events.insert(), rows)
    with engine.begin() as conn:
        # Fresh statistics, as autovacuum would have them on a live table after a bulk load.
        conn.execute(text("ANALYZE"))
    store = ModerationStore(engine)
    pages = [[f"u{(r * PAGE + i) % USERS}" for i in range(PAGE)] for r in range(ROUNDS)]

    def timed(work) -> list[float]:
        samples = []
        for page in pages:
            started = time.perf_counter()
            work(page)
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    def bare(_page) -> None:
        with engine.begin() as conn:
            conn.execute(text("SELECT 1"))

    baseline = timed(bare)
    lookup = timed(lambda page: store.latest_bans(GUID, page))
    assert len(store.latest_bans(GUID, pages[0])) == PAGE
    p50_base, p50_lookup = statistics.median(baseline), statistics.median(lookup)
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(f"{'':28}{'p50 ms':>10}{'p95 ms':>10}")
    for name, samples in (("SELECT 1 (round trip)", baseline), ("latest_bans, 10 uids", lookup)):
        p95 = statistics.quantiles(samples, n=20)[-1]
        print(f"{name:28}{statistics.median(samples):>10.3f}{p95:>10.3f}")
    print(f"ratio lookup/round trip (p50): {p50_lookup / p50_base:.2f}")
    engine.dispose()


if __name__ == "__main__":
    main()
