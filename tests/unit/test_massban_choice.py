"""Who a mass ban picks, on its own: pasted uids with any separators, the join window, the
account age, and the users it never picks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.massban import Criteria, Member, choose, chunks, parse_uids

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_pasted_uids_split_on_anything_a_uid_cannot_hold_and_keep_their_first_order():
    pasted = parse_uids("b-1, a-1;c-1\n\tb-1 | d.e@f:g+h")
    assert pasted.uids == ["b-1", "a-1", "c-1", "d.e@f:g+h"]
    assert pasted.invalid == []


def test_what_cannot_be_a_uid_is_reported_not_dropped():
    pasted = parse_uids("ok-1 " + "x" * 101 + " ..")
    assert pasted.uids == ["ok-1"]
    assert pasted.invalid == ["x" * 40, ".."]


def _member(uid: str, *, minutes_ago: int, days_old: int, scope: str = "participant") -> Member:
    return Member(
        uid=uid,
        scope=scope,
        joined_at=NOW - timedelta(minutes=minutes_ago),
        created_at=NOW - timedelta(days=days_old),
    )


MEMBERS = [
    _member("fresh-1", minutes_ago=5, days_old=0),
    _member("fresh-2", minutes_ago=1, days_old=2),
    _member("veteran", minutes_ago=3, days_old=900),
    _member("earlier", minutes_ago=90, days_old=0),
    _member("owner-1", minutes_ago=2, days_old=0, scope="owner"),
    _member("admin-1", minutes_ago=2, days_old=0, scope="admin"),
    _member("mod-1", minutes_ago=2, days_old=0, scope="Moderator"),
    _member("bot-1", minutes_ago=2, days_old=0),
]


def test_the_window_and_the_age_pick_only_young_recent_joiners_newest_first():
    criteria = Criteria(joined_within=timedelta(minutes=30), younger_than=timedelta(days=7))
    choice = choose(criteria, MEMBERS, protected={"bot-1"}, now=NOW)
    assert [m.uid for m in choice.picked] == ["fresh-2", "fresh-1"]
    assert choice.privileged == ["owner-1", "admin-1", "mod-1"]
    assert choice.protected == ["bot-1"]


def test_staff_and_protected_users_are_never_picked_even_when_pasted():
    criteria = Criteria(pasted=("admin-1", "bot-1", "mod-1", "earlier", "stranger"))
    choice = choose(criteria, MEMBERS, protected={"bot-1"}, now=NOW)
    assert [m.uid for m in choice.picked] == ["earlier", "stranger"]
    assert choice.privileged == ["admin-1", "mod-1"] and choice.protected == ["bot-1"]
    assert choice.unchecked == ["stranger"]  # not a member: the preview asks if it exists


def test_chunks_keep_the_order_and_the_size():
    uids = [f"u-{n}" for n in range(250)]
    sent = list(chunks(uids, 100))
    assert [len(c) for c in sent] == [100, 100, 50] and [u for c in sent for u in c] == uids
