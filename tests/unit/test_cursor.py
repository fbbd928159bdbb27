"""The page cursor carried in button values, and the group-id rules it shares with the command."""

from __future__ import annotations

import json

import pytest

from bot.domain.button_values import MAX_PAGE, MAX_VALUE_LENGTH, PageCursor
from bot.domain.errors import BadCursor, InvalidGuid, InvalidUid
from bot.domain.ids import MAX_GUID_LENGTH, validate_guid, validate_uid
from bot.settings import MAX_PAGE_SIZE

GUID = "cometchat-guid-1"


def value(**fields: object) -> str:
    return json.dumps({"g": GUID, "p": 2, "n": 10, **fields})


def test_round_trip_keeps_every_field():
    cursor = PageCursor(guid=GUID, page=3, per_page=7, query="bob")
    decoded = PageCursor.decode(cursor.encode())
    assert decoded == cursor
    assert (decoded.guid, decoded.page, decoded.per_page, decoded.query) == (GUID, 3, 7, "bob")


def test_encoding_is_compact_and_omits_an_absent_query():
    encoded = PageCursor(guid=GUID, page=2, per_page=10).encode()
    assert json.loads(encoded) == {"g": GUID, "p": 2, "n": 10}
    assert " " not in encoded


def test_at_moves_the_page_and_keeps_the_rest():
    cursor = PageCursor(guid=GUID, page=2, per_page=5, query="x")
    moved = cursor.at(3)
    assert (moved.guid, moved.page, moved.per_page, moved.query) == (GUID, 3, 5, "x")
    assert cursor.page == 2  # frozen: the original is untouched


def test_the_largest_cursor_fits_a_slack_button_value():
    cursor = PageCursor(guid="g" * MAX_GUID_LENGTH, page=MAX_PAGE, per_page=MAX_PAGE_SIZE)
    cursor = cursor.model_copy(update={"query": "\u2028" * 100})  # 6 characters each as JSON
    assert len(cursor.encode()) <= MAX_VALUE_LENGTH
    assert PageCursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "raw",
    [
        None,
        123,
        b'{"g": "cometchat-guid-1"}',
        ["g"],
        {"g": GUID},
        "",
        "   ",
        "{",
        "not json",
        "null",
        "[]",
        '"cometchat-guid-1"',
        "1",
        "[" * 1000 + "]" * 1000,
        value() + " " * MAX_VALUE_LENGTH,  # oversized, even though it would parse
        "{}",
        json.dumps({"p": 1, "n": 10}),
        value(g="../x"),
        value(g="a/b"),
        value(g="x?y=1"),
        value(g="#"),
        value(g="%2F"),
        value(g=".."),
        value(g=""),
        value(g="g" * (MAX_GUID_LENGTH + 1)),
        value(g=123),
        value(g=None),
        value(g=[GUID]),
        value(p=0),
        value(p=-1),
        value(p=MAX_PAGE + 1),
        value(p="2"),
        value(p=True),
        value(p=1.5),
        value(p=2.0),
        value(p=None),
        value(p=[2]),
        value(n=0),
        value(n=MAX_PAGE_SIZE + 1),
        value(n=100),
        value(n="10"),
        value(q="q" * 101),
        value(q=5),
        value(admin=True),
    ],
)
def test_tampered_or_garbage_values_are_bad_cursors(raw):
    with pytest.raises(BadCursor):
        PageCursor.decode(raw)


@pytest.mark.parametrize(
    "guid",
    [GUID, "a", "g" * MAX_GUID_LENGTH, "Team_42", "a.b", "user@example.com", "ns:room+1", "x..y"],
)
def test_valid_guids_are_accepted(guid):
    assert validate_guid(guid) == guid
    assert PageCursor.decode(value(g=guid)).guid == guid


def test_surrounding_whitespace_is_not_part_of_the_guid():
    assert validate_guid(f"  {GUID}\t") == GUID


@pytest.mark.parametrize(
    "guid",
    ["", "   ", "a b", "a/b", "../x", "x?y=1", "#", "%2F", "a\\b", "ü", "a\x00b", "`x`", ".", ".."],
)
def test_malformed_guids_are_refused(guid):
    with pytest.raises(InvalidGuid) as caught:
        validate_guid(guid)
    assert caught.value.too_long is False


def test_too_long_guid_is_refused_as_too_long():
    with pytest.raises(InvalidGuid) as caught:
        validate_guid("g" * (MAX_GUID_LENGTH + 1))
    assert caught.value.too_long is True


@pytest.mark.parametrize("uid", [".", "..", "..."])
def test_dot_only_user_ids_are_refused_too(uid):
    # DELETE …/bannedusers/%2E%2E would become DELETE /groups/{guid} on a normalising server.
    with pytest.raises(InvalidUid):
        validate_uid(uid)
