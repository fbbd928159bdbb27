"""The moderation store against SQLite, and PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event

from bot.domain.errors import ReasonTooLong
from bot.domain.moderation import (
    EventSource,
    ModerationAction,
    ModerationEvent,
)
from bot.store import ModerationStore
from tests.support.clock import UtcClock

GUID = "cometchat-guid-1"


def ban(clock, uid="cometchat-uid-7", *, ends_in=None, actor="UALICE", reason="", guid=GUID):
    return ModerationEvent(
        guid=guid,
        uid=uid,
        name=f"Name of {uid}",
        action=ModerationAction.BAN,
        source=EventSource.COMMAND,
        actor=actor,
        reason=reason,
        at=clock(),
        ends_at=clock() + ends_in if ends_in else None,
    )


def unban(clock, uid="cometchat-uid-7", *, source=EventSource.WEBHOOK, actor="cometchat-uid-1"):
    return ModerationEvent(
        guid=GUID,
        uid=uid,
        action=ModerationAction.UNBAN,
        source=source,
        actor=actor,
        at=clock(),
    )


def test_a_recorded_event_reads_back_whole(store, clock):
    stored = store.record(ban(clock, ends_in=timedelta(hours=24), reason="spamming <links>"))
    assert stored.id is not None
    assert store.event(stored.id) == stored
    assert stored.at == clock() and stored.at.tzinfo is not None
    assert stored.ends_at == clock() + timedelta(hours=24)


def test_reasons_over_500_characters_never_reach_the_database():
    with pytest.raises(ReasonTooLong):
        ban(UtcClock(), reason="x" * 501)


def test_latest_bans_give_each_users_newest_ban_in_that_group(store, clock):
    store.record(ban(clock, "u1", reason="first"))
    clock.advance(timedelta(minutes=5))
    store.record(unban(clock, "u1"))
    clock.advance(timedelta(minutes=5))
    store.record(ban(clock, "u1", reason="again", actor="UBOB"))
    store.record(ban(clock, "u2", reason="other"))
    store.record(ban(clock, "u3", reason="another group", guid="other-group"))

    latest = store.latest_bans(GUID, ["u1", "u2", "u3", "never-seen"])

    assert set(latest) == {"u1", "u2"}
    assert (latest["u1"].reason, latest["u1"].actor) == ("again", "UBOB")
    assert latest["u2"].reason == "other"
    assert store.latest_bans(GUID, []) == {}


def test_a_list_page_s_lookup_is_one_statement_and_on_postgresql_no_transaction(store, clock):
    store.record(ban(clock, "u1", reason="spam"))
    sent: list[tuple[str, bool]] = []

    def statement(conn, _cursor, sql, *_args):
        autocommit = getattr(conn.connection.dbapi_connection, "autocommit", False)
        sent.append((sql.split()[0].upper(), bool(autocommit)))

    event.listen(store.engine, "before_cursor_execute", statement)
    try:
        assert set(store.latest_bans(GUID, ["u1", "u2"])) == {"u1"}
    finally:
        event.remove(store.engine, "before_cursor_execute", statement)
    selects = [autocommit for verb, autocommit in sent if verb == "SELECT"]
    assert len(selects) == 1
    if store.engine.dialect.name == "postgresql":
        # Autocommit: the driver sends no BEGIN and COMMIT around it (two round trips fewer
        # per page).
        assert selects == [True] and len(sent) == 1


def test_history_is_newest_first_twenty_at_a_time(store, clock):
    for n in range(45):
        store.record(ban(clock, reason=f"r{n}") if n % 2 == 0 else unban(clock))
        clock.advance(timedelta(minutes=1))
    store.record(ban(clock, "someone-else"))

    first = store.history(GUID, "cometchat-uid-7")
    second = store.history(GUID, "cometchat-uid-7", before=first.before)
    third = store.history(GUID, "cometchat-uid-7", before=second.before)

    assert [len(p.events) for p in (first, second, third)] == [20, 20, 5]
    assert first.events[0].reason == "r44"
    assert third.before is None
    everything = [e.id for p in (first, second, third) for e in p.events]
    assert everything == sorted(everything, reverse=True)
    assert len(set(everything)) == 45


def test_history_of_a_stranger_is_empty(store):
    page = store.history(GUID, "nobody")
    assert (page.events, page.before) == ([], None)


def test_a_temporary_ban_schedules_its_end_and_a_new_ban_replaces_it(store, clock):
    store.record(ban(clock, ends_in=timedelta(hours=1)))
    assert store.pending_expiry(GUID, "cometchat-uid-7") == clock() + timedelta(hours=1)

    store.record(ban(clock, ends_in=timedelta(days=7)))
    assert store.pending_expiry(GUID, "cometchat-uid-7") == clock() + timedelta(days=7)

    store.record(ban(clock))  # permanent now: nothing left to end
    assert store.pending_expiry(GUID, "cometchat-uid-7") is None


def test_an_unban_by_hand_cancels_the_pending_end(store, clock):
    store.record(ban(clock, ends_in=timedelta(hours=1)))
    store.record(unban(clock))
    assert store.pending_expiry(GUID, "cometchat-uid-7") is None
    clock.advance(timedelta(hours=2))
    assert store.claim_due_expiries() == []


def test_only_due_expiries_are_claimed_and_each_once(store, clock):
    store.record(ban(clock, "soon", ends_in=timedelta(minutes=30)))
    store.record(ban(clock, "later", ends_in=timedelta(hours=3)))
    clock.advance(timedelta(hours=1))

    claimed = store.claim_due_expiries()

    assert [c.uid for c in claimed] == ["soon"]
    assert claimed[0].attempts == 1
    assert store.claim_due_expiries() == []  # held by the first claim


def test_a_lapsed_claim_is_free_again(store, clock):
    store.record(ban(clock, ends_in=timedelta(minutes=1)))
    clock.advance(timedelta(minutes=2))
    first = store.claim_due_expiries(lease=timedelta(minutes=2))
    clock.advance(timedelta(minutes=3))  # its process died mid-attempt
    again = store.claim_due_expiries()
    assert [(e.uid, e.attempts) for e in again] == [("cometchat-uid-7", 2)]
    assert store.finish_expiry(first[0]) is None  # the old claim no longer counts


def test_finishing_records_the_expiry_and_clears_it(store, clock):
    banned = store.record(ban(clock, ends_in=timedelta(minutes=1)))
    clock.advance(timedelta(minutes=1))
    [expiry] = store.claim_due_expiries()
    assert expiry.ban_id == banned.id

    event = store.finish_expiry(expiry)

    assert event is not None
    assert (event.action, event.source, event.name) == (
        ModerationAction.EXPIRE,
        EventSource.EXPIRY,
        banned.name,
    )
    assert store.pending_expiry(GUID, "cometchat-uid-7") is None
    assert store.history(GUID, "cometchat-uid-7").events[0] == event


def test_a_ban_replaced_mid_attempt_is_not_finished_by_the_old_claim(store, clock):
    store.record(ban(clock, ends_in=timedelta(minutes=1)))
    clock.advance(timedelta(minutes=1))
    [expiry] = store.claim_due_expiries()
    store.record(ban(clock, ends_in=timedelta(days=1)))  # re-banned meanwhile

    assert store.finish_expiry(expiry) is None
    assert store.pending_expiry(GUID, "cometchat-uid-7") == clock() + timedelta(days=1)
    assert store.retry_expiry(expiry, clock()) is False


def test_a_failed_attempt_is_due_again_at_the_given_time(store, clock):
    store.record(ban(clock, ends_in=timedelta(minutes=1)))
    clock.advance(timedelta(minutes=1))
    [expiry] = store.claim_due_expiries()

    assert store.retry_expiry(expiry, clock() + timedelta(seconds=30))
    assert store.claim_due_expiries() == []
    clock.advance(timedelta(seconds=30))
    assert [e.attempts for e in store.claim_due_expiries()] == [2]


def test_a_webhook_key_is_new_once_then_forgotten_after_its_ttl(store, clock):
    assert store.first_delivery("delivery-1") is True
    assert store.first_delivery("delivery-1") is False
    assert store.delivery_count() == 1
    clock.advance(timedelta(minutes=11))
    assert store.first_delivery("delivery-1") is True  # old keys purged


def test_a_forgotten_key_counts_as_new(store):
    assert store.first_delivery("k" * 5000) is True  # long keys are stored by digest
    store.forget_delivery("k" * 5000)
    assert store.first_delivery("k" * 5000) is True


def test_one_delivery_reaching_two_processes_is_accepted_once(engines, clock):
    first, second = ModerationStore(engines(), clock=clock), ModerationStore(engines(), clock=clock)
    assert [first.first_delivery("d"), second.first_delivery("d")] == [True, False]
    # A restart: a new engine on the same database still knows it.
    assert ModerationStore(engines(), clock=clock).first_delivery("d") is False


# -- across groups --------------------------------------------------------------------------


def test_recent_events_are_the_newest_of_every_group(store, clock):
    for i in range(25):
        store.record(ban(clock, uid=f"u{i}", guid=f"g{i % 3}"))
        clock.advance(timedelta(minutes=1))
    recent = store.recent_events(limit=20)
    assert [e.uid for e in recent] == [f"u{i}" for i in range(24, 4, -1)]
    assert {e.guid for e in recent} == {"g0", "g1", "g2"}


def test_bans_ending_in_a_window_soonest_first_and_not_the_cancelled(store, clock):
    store.record(ban(clock, uid="late", ends_in=timedelta(hours=30)))
    store.record(ban(clock, uid="soon", ends_in=timedelta(hours=2), reason="spam"))
    store.record(ban(clock, uid="sooner", ends_in=timedelta(hours=1), guid="g2"))
    store.record(ban(clock, uid="lifted", ends_in=timedelta(hours=3)))
    store.record(unban(clock, uid="lifted"))
    store.record(ban(clock, uid="permanent"))
    ending = store.bans_ending(clock(), clock() + timedelta(hours=24))
    assert [(e.uid, e.guid, e.reason) for e in ending] == [
        ("sooner", "g2", ""),
        ("soon", GUID, "spam"),
    ]
    assert ending[1].ends_at == clock() + timedelta(hours=2)


def test_daily_counts_count_bans_and_unbans_per_utc_day(store, clock):
    since = clock() - timedelta(days=30)
    store.record(ban(clock, uid="a"))
    store.record(ban(clock, uid="b"))
    store.record(unban(clock, uid="a"))
    clock.advance(timedelta(days=1))
    store.record(ban(clock, uid="c"))
    today, yesterday = clock().date(), (clock() - timedelta(days=1)).date()
    assert store.daily_counts(since) == {yesterday: (2, 1), today: (1, 0)}
    assert store.daily_counts(clock() + timedelta(days=1)) == {}


def test_bans_of_a_user_are_the_groups_whose_latest_word_is_a_ban(store, clock):
    store.record(ban(clock, uid="troll", guid="g1", reason="first"))
    clock.advance(timedelta(minutes=1))
    store.record(ban(clock, uid="troll", guid="g2", reason="second"))
    clock.advance(timedelta(minutes=1))
    store.record(ban(clock, uid="troll", guid="g3"))
    store.record(replace(unban(clock, uid="troll"), guid="g3"))
    store.record(ban(clock, uid="someone-else", guid="g4"))
    assert [(e.guid, e.reason) for e in store.bans_of("troll")] == [
        ("g2", "second"),
        ("g1", "first"),
    ]
    assert store.bans_of("nobody") == []
    assert store.last_event_id() >= 5


def test_every_stored_event_is_announced_once_whoever_recorded_it(store, clock):
    heard: list[ModerationEvent] = []
    store.on_record(heard.append)
    stored = store.record(ban(clock, ends_in=timedelta(minutes=5)))
    clock.advance(timedelta(minutes=6))
    (due,) = store.claim_due_expiries()
    expired = store.finish_expiry(due)
    assert expired is not None
    assert heard == [stored, expired]
    assert store.finish_expiry(due) is None  # nothing stored: nothing announced
    assert len(heard) == 2


def test_a_failing_announcement_never_undoes_the_event(store, clock):
    def broken(_event: ModerationEvent) -> None:
        raise RuntimeError("listener bug")

    store.on_record(broken)
    stored = store.record(ban(clock))
    assert store.event(stored.id) == stored


def test_a_heard_scope_change_is_kept_whatever_the_length_of_its_scope_and_name(store):
    from bot.domain.member_events import parse_event
    from bot.store.tables import NAME_LENGTH, SCOPE_LENGTH
    from bot.usecases.heard import record_heard
    from tests.support.webhook_payloads import encode, event, user

    long = user("cometchat-uid-5", "N" * 300, scope="s" * 60, oldScope="participant")
    heard = parse_event(encode(event("group_member_scope_changed", members=[long])))
    assert record_heard(store, heard, 1_700_000_000) == 1  # on PostgreSQL too: cut to fit
    (kept,) = store.history(heard.group.guid, "cometchat-uid-5").events
    assert (kept.scope, kept.name) == ("s" * SCOPE_LENGTH, "N" * NAME_LENGTH)


# -- what a scan records ---------------------------------------------------------------------


def seen_by_scan(clock, action: ModerationAction, uid="cometchat-uid-7") -> ModerationEvent:
    return ModerationEvent(guid=GUID, uid=uid, action=action, source=EventSource.SCAN, at=clock())


def test_a_scan_never_cancels_nor_replaces_a_pending_expiry(store, clock):
    ends = store.record(ban(clock, ends_in=timedelta(days=7))).ends_at
    since = store.last_event_id()
    assert store.record_scan(seen_by_scan(clock, ModerationAction.UNBAN), since=since)
    assert store.pending_expiry(GUID, "cometchat-uid-7") == ends
    # Even through `record`: a scan-sourced ban leaves the expiry as it was.
    store.record(seen_by_scan(clock, ModerationAction.BAN))
    assert store.pending_expiry(GUID, "cometchat-uid-7") == ends


def test_a_scan_leaves_a_member_alone_once_anything_newer_is_recorded_by_id_not_time(store, clock):
    store.record(ban(clock))
    since = store.last_event_id()  # the scan starts here
    # Heard by webhook while the scan ran, timed by CometChat an hour before the scan began.
    late = replace(unban(clock), at=clock() - timedelta(hours=1))
    store.record(late)
    assert store.record_scan(seen_by_scan(clock, ModerationAction.BAN), since=since) is None
    assert store.states_of("cometchat-uid-7")[GUID].source is EventSource.WEBHOOK
    # Another member of the same group is not held back by it.
    other = seen_by_scan(clock, ModerationAction.BAN, uid="cometchat-uid-8")
    stored = store.record_scan(other, since=since)
    assert stored is not None and stored.id is not None and stored.id > since


def test_a_heard_event_naming_several_members_keeps_each_whatever_happens_to_one(engine, clock):
    from sqlalchemy.exc import IntegrityError

    from bot.domain.member_events import parse_event
    from bot.usecases.heard import record_heard
    from tests.support.webhook_payloads import encode, event, user

    class RefusesOne(ModerationStore):
        # A statement the database refuses (not an outage, which would wait in the backlog).
        def change(self, guid: str, uid: str, apply, what: str):
            if uid == "member-2":
                raise IntegrityError("INSERT", {}, Exception("violates a constraint"))
            return super().change(guid, uid, apply, what)

    store = RefusesOne(engine, clock=clock)
    members = [user(f"member-{i}", f"Member {i}") for i in (1, 2, 3)]
    heard = parse_event(encode(event("group_member_banned", members=members)))
    assert record_heard(store, heard, 1_700_000_000) == 2
    kept = {uid for uid in ("member-1", "member-2", "member-3") if store.states_of(uid)}
    assert kept == {"member-1", "member-3"}


# -- what the moderator was shown before confirming -------------------------------------------


def _card(clock, uid="cometchat-uid-7", text="spam link"):
    from bot.cometchat.models import ChatUser, GroupMessage
    from bot.domain.evidence import UserCard

    message = GroupMessage.model_validate({"id": "9", "sender": uid, "text": text, "sentAt": 17})
    return UserCard(
        GUID, uid, clock(), ChatUser(uid=uid, name="Mallory"), (message,), ("their role (x)",)
    )


def test_the_card_shown_before_a_confirmed_action_comes_back_with_it(store, clock):
    older = store.keep_card(_card(clock, text="an older card"))
    clock.advance(timedelta(minutes=5))
    newer = store.keep_card(_card(clock))
    assert newer > older
    clock.advance(timedelta(minutes=2))
    banned = store.record(ban(clock))

    page = store.history(GUID, "cometchat-uid-7")

    kept = page.evidence[banned.id]
    assert kept.user is not None and kept.user.name == "Mallory"
    assert [m.text for m in kept.messages or ()] == ["spam link"]  # the latest card, not the older
    assert kept.missing == ("their role (x)",)
    assert kept.read_at == clock() - timedelta(minutes=2)


def test_a_card_is_not_matched_to_what_came_too_late_from_elsewhere_or_to_someone_else(
    store, clock
):
    store.keep_card(_card(clock))
    store.keep_card(_card(clock, uid="someone-else"))
    heard = store.record(unban(clock))  # reported by webhook: no confirmation here
    clock.advance(timedelta(hours=2))
    late = store.record(ban(clock))  # the card is past the window
    clock.advance(timedelta(minutes=1))
    other = store.record(ban(clock, uid="third-user"))

    assert store.history(GUID, "cometchat-uid-7").evidence == {}
    assert store.history(GUID, "third-user").evidence == {}
    assert heard.id and late.id and other.id
