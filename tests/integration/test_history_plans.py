"""The Home tab's and `/banned user`'s queries read indexes, never the whole history: their
plans on PostgreSQL over 100,000 events (bench/history_explain.py shows them over 1,000,000,
with their times)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bench.history_explain import captured, seed_sql
from bot.store import ModerationStore, build_engine
from bot.store.migrate import upgrade
from tests.support.databases import fresh_postgres_database


def _plan_nodes(plan: dict) -> list[dict]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


@pytest.fixture(scope="module")
def seeded():
    with fresh_postgres_database() as url:
        engine = build_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql(seed_sql(events=100_000, users=20_000, groups=100))
        yield engine
        engine.dispose()


@pytest.mark.parametrize(
    "lookup",
    ["bans_of", "states_of", "daily_counts", "bans_ending", "recent_events", "history"],
)
def test_each_lookup_reads_an_index_of_the_history(seeded, lookup):
    store = ModerationStore(seeded)
    now = datetime.now(UTC)
    calls = {
        "bans_of": lambda: store.bans_of("u12345"),
        "states_of": lambda: store.states_of("u12345"),
        "daily_counts": lambda: store.daily_counts(now - timedelta(days=30)),
        "bans_ending": lambda: store.bans_ending(now, now + timedelta(days=1)),
        "recent_events": lambda: store.recent_events(20),
        "history": lambda: store.history("g45", "u12345"),
    }
    (statement, parameters), *_ = captured(seeded, calls[lookup])
    with seeded.connect() as conn:
        (plan,) = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    nodes = _plan_nodes(plan["Plan"])
    scanned = {n["Relation Name"]: n["Node Type"] for n in nodes if "Relation Name" in n}
    assert scanned, json.dumps(plan)
    for table, how in scanned.items():
        assert "Seq Scan" not in how, f"{lookup} reads all of {table}: {json.dumps(plan)}"


def test_a_groups_last_event_is_one_probe_of_its_own_index(seeded):
    # The freshness mark of a page read ahead, asked at every Next click.
    store = ModerationStore(seeded)
    (statement, parameters), *_ = captured(seeded, lambda: store.last_event_id("g45"))
    with seeded.connect() as conn:
        (plan,) = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    used = {n.get("Index Name") for n in _plan_nodes(plan["Plan"])}
    assert "ix_moderation_events_guid_id" in used, json.dumps(plan)
