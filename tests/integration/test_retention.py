"""What the history lets go of: events past HISTORY_RETENTION_DAYS, purged in the background a
bounded batch at a time, and a person's names and reasons on an erasure request
(`python -m bot forget <uid>`), with the events and every count made of them kept. On SQLite and
PostgreSQL (TEST_DATABASE_URL); time is a settable clock."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.__main__ import main as python_m_bot
from bot.domain.massban import Member
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.domain.raids import Joiner
from bot.settings import ConfigError
from bot.store import ModerationStore
from bot.store.cases import KEEP
from bot.store.raids import Raids
from bot.store.scans import RecentScans
from bot.store.tables import case_edits, group_joins
from bot.usecases.expiry import ExpiryLoop, ExpiryScheduler
from bot.usecases.retention import HistoryRetention
from tests.conftest import make_settings
from tests.support.clock import UtcClock

UID = "troll-7"


def event(clock, *, uid=UID, guid="g1", action=ModerationAction.BAN, ago=timedelta(0), **extra):
    values = {
        "guid": guid,
        "uid": uid,
        "name": f"Name of {uid}",
        "action": action,
        "source": EventSource.COMMAND,
        "actor": "UALICE",
        "at": clock() - ago,
        **extra,
    }
    return ModerationEvent(**values)


# -- retention ------------------------------------------------------------------------------------


def test_events_past_the_retention_period_go_a_bounded_batch_at_a_time(engine, store, clock):
    old = [event(clock, uid=f"old-{n}", ago=timedelta(days=400, seconds=1)) for n in range(7)]
    kept = [
        event(clock, uid="kept-1", ago=timedelta(days=399)),
        event(clock, uid="kept-2", ago=timedelta(days=400)),  # exactly at the limit: kept
        event(clock, uid="kept-3"),
    ]
    store.record_all(old + kept)
    retention = HistoryRetention(engine, 400, clock=clock, batch=3, batches=2)

    assert retention.purge() == 6  # two batches of three, then the round ends
    assert retention.purge() == 1
    assert retention.purge() == 0
    left = store.recent_events(50)
    assert sorted(e.uid for e in left) == ["kept-1", "kept-2", "kept-3"]


def test_the_retention_moves_with_the_clock(engine, store, clock):
    store.record(event(clock))
    retention = HistoryRetention(engine, 400, clock=clock)
    clock.advance(timedelta(days=400))
    assert retention.purge() == 0
    clock.advance(timedelta(seconds=1))
    assert retention.purge() == 1
    assert store.recent_events(5) == []


def test_the_expiry_loop_runs_the_purge_each_round_in_its_thread():
    ran = threading.Event()

    class NoExpiries:
        def claim_due_expiries(self, **_kw):
            return []

    loop = ExpiryLoop(
        ExpiryScheduler(NoExpiries(), cometchat=None),  # type: ignore[arg-type]
        interval=3600,
        chores=[ran.set],
    )
    loop.start()
    try:
        assert ran.wait(5), "the round ran no chore"
    finally:
        assert loop.stop()


def test_the_apps_loop_purges_the_apps_history(services):
    # The app's own clock is the real one: a margin of months either side of 400 days.
    store, now = services.store, UtcClock(datetime.now(UTC))
    store.record(event(now, uid="ancient", ago=timedelta(days=500)))
    store.record(event(now, uid="recent", ago=timedelta(days=10)))

    services.expiries.run_chores()

    assert [e.uid for e in store.recent_events(5)] == ["recent"]


def test_retention_is_400_days_unless_set_and_at_least_a_month():
    assert make_settings().history_retention_days == 400
    assert make_settings(history_retention_days=31).history_retention_days == 31
    with pytest.raises(ConfigError) as caught:
        make_settings(history_retention_days=30)
    (problem,) = caught.value.problems
    assert problem.startswith("HISTORY_RETENTION_DAYS: ") and "31" in problem


# -- python -m bot forget <uid> -------------------------------------------------------------------


@pytest.fixture
def forget(database, engines, monkeypatch, tmp_path, capsys):
    """Runs `python -m bot forget …` on the run's database (emptied first): (status, out, err)."""
    _backend, url = database
    engines()  # empties every table
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("DATABASE_URL", url)

    def run(*args: str) -> tuple[int, str, str]:
        status = python_m_bot(["forget", *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def _rows(store: ModerationStore, guid: str, uid: str):
    return [
        (e.id, e.action, e.at, e.actor, e.name, e.reason) for e in store.history(guid, uid).events
    ]


def test_forget_blanks_a_users_names_and_reasons_and_keeps_every_count(engines, forget, clock):
    store = ModerationStore(engines(), clock=clock)
    since = clock() - timedelta(days=30)
    store.record(event(clock, guid="g1", reason="spamming <links>"))
    store.record(event(clock, guid="g1", action=ModerationAction.UNBAN))
    store.record(event(clock, guid="g2", reason="again", ends_at=clock() + timedelta(days=1)))
    store.record(event(clock, uid="bystander", reason="their own reason"))
    RecentScans(store.engine).scanned(UID, clock(), keep=timedelta(minutes=5))
    counts = store.daily_counts(since)
    before = {g: _rows(store, g, UID) for g in ("g1", "g2")}
    bystander = _rows(store, "g1", "bystander")

    status, out, _err = forget(UID)

    assert status == 0
    assert f"erased {UID}'s 3 names and 2 reasons from 3 events in 2 groups" in out
    assert "counts" in out and "CometChat" in out  # what stays, and what is not touched
    for guid, rows in before.items():
        after = _rows(store, guid, UID)
        # Same events, same order, same facts: only the name and the reason are gone.
        assert [r[:4] for r in after] == [r[:4] for r in rows]
        assert all(r[4:] == ("", "") for r in after)
    assert store.daily_counts(since) == counts
    assert store.pending_expiry("g2", UID) is not None  # the temporary ban still ends
    assert _rows(store, "g1", "bystander") == bystander
    assert RecentScans(store.engine).last_scan(UID) is None

    status, out, _err = forget(UID)
    assert status == 0 and "nothing to erase" in out


def test_forget_of_a_uid_the_history_never_saw_says_so(forget):
    status, out, _err = forget("nobody-at-all")
    assert status == 0
    assert "no event about nobody-at-all; nothing to erase" in out


@pytest.mark.parametrize("args", [("a b",), ("../etc",), ("x" * 101,), (), (UID, "extra")])
def test_forget_refuses_a_bad_uid_and_erases_nothing(engines, forget, clock, args):
    store = ModerationStore(engines(), clock=clock)
    store.record(event(clock, uid=UID, reason="kept"))

    status, _out, err = forget(*args)

    assert status == 2
    assert "Nothing was erased" in err or "usage: python -m bot forget <uid>" in err
    assert [e.reason for e in store.recent_events(5)] == ["kept"]


def test_forget_with_the_database_unreachable_says_so_without_the_password(
    monkeypatch, tmp_path, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:hunter2secret@127.0.0.1:1/banned")

    status = python_m_bot(["forget", UID])

    captured = capsys.readouterr()
    assert status == 1
    assert "Cannot erase in postgresql://127.0.0.1:1/banned" in captured.err
    assert "Nothing was erased" in captured.err
    assert "hunter2secret" not in captured.err + captured.out


def test_forget_keeps_other_users_events_in_the_same_group_whole(engines, forget, clock):
    store = ModerationStore(engines(), clock=clock)
    mine = store.record(event(clock, reason="mine"))
    theirs = store.record(replace(event(clock, uid="other"), reason="theirs"))
    forget(UID)
    assert store.event(theirs.id) == theirs
    assert store.event(mine.id) == replace(mine, name="", reason="")


# -- a case's edits -------------------------------------------------------------------------------


def _edit_reason(store: ModerationStore, number: int, reason: str, clock) -> None:
    kept = store.event(number)
    with store.member(kept.guid, kept.uid) as member:
        member.edit_case(number, actor="UALICE", at=clock(), reason=reason, ends_at=KEEP)


def test_an_events_edits_go_with_it_when_the_retention_lets_it_go(engine, store, clock):
    old = store.record(event(clock, reason="spam", ago=timedelta(days=401)))
    kept = store.record(event(clock, uid="kept-1", reason="spam"))
    _edit_reason(store, old.id, "spamming links", clock)
    _edit_reason(store, kept.id, "flooding", clock)

    assert HistoryRetention(engine, 400, clock=clock).purge() == 1

    [edit] = store.case(kept.id).edits
    assert edit.after == "flooding"
    with engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(case_edits)).scalar_one() == 1


def test_forget_blanks_the_corrected_reasons_too(engines, forget, clock):
    store = ModerationStore(engines(), clock=clock)
    ban = store.record(event(clock, reason="spamming <links>"))
    _edit_reason(store, ban.id, "spam and abuse", clock)
    other = store.record(event(clock, uid="bystander", reason="their own"))
    _edit_reason(store, other.id, "their own, corrected", clock)

    status, _out, _err = forget(UID)

    assert status == 0
    [edit] = store.case(ban.id).edits
    assert (edit.before, edit.after, edit.actor) == ("", "", "UALICE")  # who and when stay
    [theirs] = store.case(other.id).edits
    assert theirs.after == "their own, corrected"


def test_forget_also_blanks_the_name_a_mass_action_kept_and_keeps_its_list(engines, forget, clock):
    store = ModerationStore(engines(), clock=clock)
    store.record(event(clock, reason="raid"))
    plan = store.mass.draft(
        guid="g1",
        action=ModerationAction.MASS_BAN.value,
        actor="UALICE",
        reason="raid",
        minutes=None,
        users=[Member(UID, name="Name of troll"), Member("bystander", name="Their name")],
    )

    status, _out, _err = forget(UID)

    assert status == 0
    kept = store.mass.load(plan)
    assert kept is not None
    assert [(u.uid, u.name) for u in kept.users] == [(UID, ""), ("bystander", "Their name")]


def test_forget_deletes_the_joins_counted_for_a_raid_alert_and_only_theirs(engines, forget, clock):
    engine = engines()
    raids = Raids(engine, clock)
    for guid in ("g1", "g2"):
        raids.record(
            guid,
            [
                Joiner(UID, "Name of troll", clock(), created_at=clock() - timedelta(hours=1)),
                Joiner("bystander", "Their name", clock()),
            ],
        )

    status, out, _err = forget(UID)

    assert status == 0
    assert "Deleted: 2 joins counted for the raid alert" in out
    with engine.begin() as conn:
        kept = conn.execute(select(group_joins.c.guid, group_joins.c.uid)).all()
    assert sorted(kept) == [("g1", "bystander"), ("g2", "bystander")]

    status, out, _err = forget(UID)
    assert status == 0 and "nothing to erase" in out
