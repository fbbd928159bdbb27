"""Webhook pieces on their own: parsing, the dedupe key and store, Basic Auth, filters, time."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.domain.member_events import MalformedEvent, Trigger, UnsupportedTrigger, parse_event
from bot.slack.feed_blocks import render_feed_event
from bot.webhooks.auth import BasicAuth
from bot.webhooks.dedupe import SeenEvents
from bot.webhooks.feed import event_time, parse_trigger_filter
from tests.support.webhook_payloads import (
    TRIGGERS,
    encode,
    event,
    example,
    user,
)

# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_documented_examples_parse(trigger):
    parsed = parse_event(encode(example(trigger)))

    assert parsed.trigger is Trigger(trigger)
    assert parsed.webhook == "<webhookID>" and parsed.app_id == "<appId>"
    assert (parsed.group.guid, parsed.group.display_name) == ("cometchat-guid-1", "Hiking Group")
    assert parsed.group.updated_at == 1696933533
    assert [(m.uid, m.display_name) for m in parsed.targets] == [("cometchat-uid-2", "George Alan")]
    assert parsed.by is not None and parsed.by.uid == "cometchat-uid-1"
    assert parsed.unnamed == 0


def test_scope_change_carries_old_and_new_scope():
    (member,) = parse_event(encode(example("group_member_scope_changed"))).members
    assert (member.old_scope, member.scope) == ("participant", "moderator")


def test_members_keep_payload_order_and_a_missing_uid_takes_its_key():
    body = event(members=[user("u-b"), user("u-a")])
    body["data"]["members"]["u-c"] = {"name": "Cy"}
    parsed = parse_event(encode(body))
    assert [m.uid for m in parsed.members] == ["u-b", "u-a", "u-c"]
    assert parsed.members[2].display_name == "Cy"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"group_member_banned"',
        encode({"trigger": "group_member_banned"}),
        encode({"trigger": "group_member_banned", "data": []}),
        encode({**event(), "data": {**event()["data"], "members": {}}}),
        encode({**event(), "data": {**event()["data"], "members": ["u-1"]}}),
        encode({**event(), "data": {**event()["data"], "group": None}}),
        encode({**event(), "data": {**event()["data"], "group": {"name": "no guid"}}}),
        encode(event(guid="has space")),
        encode(event(guid="../etc")),
        encode(event(members=[user("x" * 201)])),
        b"[" * 100_000,
        b'{"trigger": "group_member_banned", "data": ' + b"[" * 100_000,
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(raw):
    with pytest.raises(MalformedEvent):
        parse_event(raw)


@pytest.mark.parametrize(
    "raw",
    [
        encode(event("group_member_joined")),
        encode(event("message_sent")),
        encode({**event(), "trigger": None}),
        encode({k: v for k, v in event().items() if k != "trigger"}),
        encode({**event(), "trigger": 42}),
    ],
)
def test_other_triggers_are_unsupported_not_malformed(raw):
    with pytest.raises(UnsupportedTrigger):
        parse_event(raw)


def test_wrongly_typed_optional_fields_are_tolerated():
    body = event(members=[user("u-1", name=None)])
    body["data"]["group"]["updatedAt"] = "soon"
    body["data"]["members"]["u-1"]["name"] = {"first": "x"}
    body["data"]["by"] = "not an object"
    parsed = parse_event(encode(body))
    assert parsed.group.updated_at is None and parsed.by is None
    assert parsed.members[0].display_name == "u-1"


def test_the_actor_among_ban_members_is_not_a_target():
    actor = user("mod-1")
    for trigger in ("group_member_banned", "group_member_unbanned"):
        parsed = parse_event(encode(event(trigger, members=[dict(actor), user("u-1")], by=actor)))
        assert [m.uid for m in parsed.targets] == ["u-1"] and parsed.unnamed == 1


# -- the dedupe key ----------------------------------------------------------------------------


def key(body: dict) -> str:
    return parse_event(encode(body)).dedupe_key()


def test_a_redelivery_has_the_same_key_whatever_the_member_order():
    a, b = user("u-a"), user("u-b")
    assert key(event(members=[a, b])) == key(event(members=[b, a]))
    # Volatile member details (status, lastActiveAt) do not enter the key.
    assert key(event(members=[a])) == key(event(members=[{**a, "status": "available"}]))


@pytest.mark.parametrize(
    "change",
    [
        {"trigger": "group_member_unbanned"},
        {"guid": "other-group"},
        {"members": [user("u-other")]},
        {"by": user("mod-other")},
        {"updated_at": 1696933534},
        {"webhook": "other-webhook"},
    ],
)
def test_different_events_have_different_keys(change):
    assert key(event()) != key(event(**change))


# -- the dedupe store ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_seen_events_remember_within_the_ttl_then_forget():
    clock = Clock()
    seen = SeenEvents(ttl=600, clock=clock)
    assert seen.first_sighting("k") is True
    clock.now += 40  # CometChat's second retry
    assert seen.first_sighting("k") is False
    clock.now += 561
    assert seen.first_sighting("k") is True


def test_seen_events_are_bounded_oldest_first():
    clock = Clock()
    seen = SeenEvents(ttl=600, max_keys=3, clock=clock)
    for k in "abcd":
        assert seen.first_sighting(k)
        clock.now += 1
    assert len(seen) == 3
    assert seen.first_sighting("a") is True  # evicted, so new again
    assert seen.first_sighting("d") is False


def test_forget_lets_a_retry_through():
    seen = SeenEvents()
    seen.first_sighting("k")
    seen.forget("k")
    assert seen.first_sighting("k") is True


# -- Basic Auth --------------------------------------------------------------------------------


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def auth() -> BasicAuth:
    return BasicAuth("cometchat", SecretStr("s3cretPassw0rd"))


def test_basic_auth_accepts_the_right_pair(auth):
    assert auth.check(basic("cometchat", "s3cretPassw0rd"))
    assert auth.check("basic " + basic("cometchat", "s3cretPassw0rd").split()[1])  # scheme case


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic",
        "Basic ",
        "Bearer " + base64.b64encode(b"cometchat:s3cretPassw0rd").decode(),
        "Basic not-base64!!",
        "Basic " + base64.b64encode(b"cometchats3cretPassw0rd").decode(),  # no colon
        basic("cometchat", "wrong"),
        basic("someone", "s3cretPassw0rd"),
        basic("cometchat", "s3cretPassw0rd" + "x"),
        basic("cometchat", ""),
        basic("", ""),
        basic("cometchat", "s3cretPassw0r"),
    ],
)
def test_basic_auth_refuses_anything_else(auth, header):
    assert auth.check(header) is False


# -- filters and time ---------------------------------------------------------------------------


def test_trigger_filter_takes_full_or_short_names_and_reports_typos():
    triggers, unknown = parse_trigger_filter(
        ["banned", "GROUP_MEMBER_KICKED", "bannd", "message_sent"]
    )
    assert triggers == {Trigger.BANNED, Trigger.KICKED}
    assert unknown == ["bannd", "message_sent"]


def test_event_time_is_the_groups_updated_at_when_it_fits_the_receipt():
    received = 1_764_140_000.7
    parsed = lambda updated: parse_event(encode(event(updated_at=updated)))  # noqa: E731
    assert event_time(parsed(1_764_139_970), received) == 1_764_139_970  # 30 s lag
    assert event_time(parsed(1_764_140_060), received) == 1_764_140_060  # small clock skew
    assert event_time(parsed(1696933533), received) == 1_764_140_000  # the group's last edit
    assert event_time(parsed(1_764_150_000), received) == 1_764_140_000  # from the future
    assert event_time(parsed(0), received) == 1_764_140_000


# -- anything at all -----------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
PERSON = JSON | st.fixed_dictionaries(
    {"uid": st.text(max_size=12) | JSON, "name": JSON, "scope": JSON, "oldScope": JSON}
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_are_refused_with_a_typed_reason(raw):
    try:
        parsed = parse_event(raw)
    except (MalformedEvent, UnsupportedTrigger):
        return
    assert parsed.members and parsed.group.guid


@settings(max_examples=300, deadline=None)
@given(
    trigger=st.sampled_from(TRIGGERS),
    group=JSON | st.fixed_dictionaries({"guid": st.text(max_size=12) | JSON, "name": JSON}),
    members=JSON
    | st.dictionaries(st.text(min_size=1, max_size=20), PERSON, min_size=1, max_size=5),
    by=PERSON,
)
def test_any_shape_of_data_parses_or_is_refused_with_a_typed_reason(trigger, group, members, by):
    body = {"trigger": trigger, "data": {"group": group, "members": members, "by": by}}
    try:
        parsed = parse_event(encode(body))
    except MalformedEvent:
        return
    assert parsed.members and parsed.group.guid and parsed.trigger.value == trigger


@settings(max_examples=200, deadline=None)
@given(
    trigger=st.sampled_from(TRIGGERS),
    names=st.lists(st.text(max_size=300), min_size=1, max_size=15),
    uids=st.lists(st.text(min_size=1, max_size=120), min_size=1, max_size=15, unique=True),
    group_name=st.text(max_size=300),
    actor_is_member=st.booleans(),
)
def test_every_parsed_event_renders_a_valid_message(
    trigger, names, uids, group_name, actor_is_member
):
    from tests.unit.test_feed_render import assert_valid

    members = [
        user(uid, names[i % len(names)], scope="admin", oldScope=names[0][:10])
        for i, uid in enumerate(uids)
    ]
    actor = members[0] if actor_is_member else user("mod-1", names[-1])
    parsed = parse_event(encode(event(trigger, group_name=group_name, members=members, by=actor)))
    assert_valid(render_feed_event(parsed, at=1_764_140_000, can_unban=True).to_dict())
