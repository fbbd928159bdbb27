"""Search: `/banned <guid> <text>` lists only banned users whose name or uid matches."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from bot.cometchat import CometChatClient
from bot.domain.button_values import PageCursor
from bot.domain.command import ListBanned, ShowHelp, parse_command
from bot.domain.errors import QueryTooLong
from bot.domain.search import MAX_QUERY_LENGTH, MAX_SCAN_PAGES, SCAN_PER_PAGE, search_banned
from bot.services import build_services
from bot.slack.banned_page import ACTION_NEXT, ACTION_PREVIOUS
from bot.slack.list_tools import ACTION_EXPORT, ACTION_SHARE, SEARCH_NOTE_BLOCK_ID
from bot.usecases.banned_list import render_page
from tests.conftest import GUID, make_settings
from tests.support.fakes.cometchat import API_KEY, FakeCometChat, make_user
from tests.support.fakes.slack import action_body, command_body
from tests.support.slack_limits import assert_no_injected_markup, assert_valid_message
from tests.support.slack_messages import button, listed_uids

# In the 57-user group, uid or name contains "1" for users 1, 10-19, 21, 31, 41, 51.
ONES = [f"user-{i:03d}" for i in (1, *range(10, 20), 21, 31, 41, 51)]


def _client(fake: FakeCometChat) -> CometChatClient:
    return CometChatClient(
        "https://cometchat.test/v3", SecretStr(API_KEY), transport=fake.transport()
    )


def _banned_requests(fake: FakeCometChat) -> list:
    return [r for r in fake.requests if r.path.endswith("/bannedusers")]


# -- parsing -----------------------------------------------------------------------------------


def test_text_after_the_guid_is_the_search():
    assert parse_command("g1  Ann   Smith ") == ListBanned(guid="g1", query="Ann Smith")
    assert parse_command("g1") == ListBanned(guid="g1", query=None)
    assert parse_command("help") == ShowHelp()


def test_search_of_exactly_the_limit_is_accepted_and_one_more_is_refused():
    assert parse_command("g1 " + "a" * MAX_QUERY_LENGTH).query == "a" * MAX_QUERY_LENGTH
    with pytest.raises(QueryTooLong) as caught:
        parse_command("g1 " + "a" * (MAX_QUERY_LENGTH + 1))
    assert caught.value.limit == MAX_QUERY_LENGTH


# -- the search itself (CometChat faked) -------------------------------------------------------


@pytest.mark.parametrize("server_filters", [False, True], ids=["ignores", "honours"])
def test_matches_are_the_same_whether_or_not_cometchat_honours_searchkey(server_filters):
    fake = FakeCometChat(banned_search=server_filters)
    fake.add_group("g", banned=57)
    result = search_banned(_client(fake), "g", "1", page=1, per_page=10)
    page2 = search_banned(_client(fake), "g", "1", page=2, per_page=10)

    assert [u.uid for u in result.page.users] == ONES[:10]
    assert [u.uid for u in page2.page.users] == ONES[10:]
    assert result.page.total == page2.page.total == len(ONES) == 15
    assert result.page.has_next and not page2.page.has_next
    assert all(r.query["searchKey"] == ["1"] for r in _banned_requests(fake))


def test_search_is_case_insensitive_on_names_and_uids():
    fake = FakeCometChat()
    fake.add_group("g")
    fake.banned["g"] = [
        make_user(1, uid="alice-1", name="Alice Liddell"),
        make_user(2, uid="bob-2", name="BOB"),
        make_user(3, uid="CAROL-3", name=None),
    ]
    client = _client(fake)
    assert [u.uid for u in search_banned(client, "g", "LIDDELL").page.users] == ["alice-1"]
    assert [u.uid for u in search_banned(client, "g", "bob").page.users] == ["bob-2"]
    assert [u.uid for u in search_banned(client, "g", "carol").page.users] == ["CAROL-3"]


def test_search_walks_server_pages_and_stops_once_it_has_enough():
    fake = FakeCometChat()
    fake.add_group("g", banned=950)  # ten server pages of 100
    result = search_banned(_client(fake), "g", "user", page=1, per_page=10)
    # Every user matches "user": the first server page already holds more than one page.
    assert len(_banned_requests(fake)) == 1
    assert result.page.has_next and result.page.total is None and not result.limited
    assert _banned_requests(fake)[0].query["perPage"] == [str(SCAN_PER_PAGE)]


def test_search_that_hits_its_bound_says_matches_may_be_missing():
    fake = FakeCometChat()
    fake.add_group("g", banned=350)
    fake.banned["g"][300]["name"] = "Needle"  # only match, beyond two server pages
    result = search_banned(_client(fake), "g", "needle", max_scan_pages=2)
    assert result.page.users == () and result.limited and result.scanned == 200
    assert len(_banned_requests(fake)) == 2

    whole = search_banned(_client(fake), "g", "needle", max_scan_pages=4)
    assert [u.name for u in whole.page.users] == ["Needle"] and not whole.limited


def test_a_user_repeated_across_shifting_pages_is_listed_once():
    fake = FakeCometChat()
    fake.add_group("g", banned=150)
    # Someone unbans during the walk: page 2 now starts with a user already seen on page 1.
    fake.banned["g"].insert(100, dict(fake.banned["g"][99]))
    result = search_banned(_client(fake), "g", "user", page=1, per_page=200)
    uids = [u.uid for u in result.page.users]
    assert len(uids) == len(set(uids)) == 150


# -- through the real app ----------------------------------------------------------------------


def test_search_lists_only_matches_and_keeps_the_query_across_next_and_previous(live_app, slack):
    first = live_app.post(command_body(f"{GUID} 1", slack.url + "/response/s0")).json()
    assert listed_uids(first) == ONES[:10]
    assert "*15* matching `1`" in first["blocks"][1]["elements"][0]["text"]
    assert "15 users matching `1` banned from Hiking Group" in first["text"]
    assert button(first, ACTION_PREVIOUS) is None

    next_value = button(first, ACTION_NEXT)["value"]
    assert json.loads(next_value)["q"] == "1"
    assert live_app.post(action_body(ACTION_NEXT, next_value, slack.url + "/response/s1"))
    (second,) = slack.wait_for(1, path_prefix="/response/s1")
    assert listed_uids(second.body) == ONES[10:]
    assert button(second.body, ACTION_NEXT) is None

    back = button(second.body, ACTION_PREVIOUS)["value"]
    assert live_app.post(action_body(ACTION_PREVIOUS, back, slack.url + "/response/s2"))
    (again,) = slack.wait_for(1, path_prefix="/response/s2")
    assert listed_uids(again.body) == ONES[:10]


def test_search_that_matches_nothing_says_so_without_buttons(live_app, slack):
    reply = live_app.post(command_body(f"{GUID} zebra", slack.url + "/response/z")).json()
    assert reply["text"] == "No banned user matching `zebra` in Hiking Group."
    empty = [b for b in reply["blocks"] if b.get("block_id") == "banned_empty"]
    assert empty[0]["text"]["text"] == f"No banned user matching `zebra` in `{GUID}`."
    assert not [b for b in reply["blocks"] if b["type"] == "actions"]  # nothing to page/share


def test_hostile_search_text_is_escaped_everywhere_it_is_shown(live_app, slack, cometchat):
    hostile = "<!channel> <@U0BOSS> `x` <https://evil.example|y> &amp;"
    reply = live_app.post(command_body(f"{GUID} {hostile}", slack.url + "/response/h")).json()
    assert_valid_message(reply)
    assert_no_injected_markup(reply)
    assert "&lt;!channel&gt;" in reply["text"]
    (request,) = _banned_requests(cometchat)
    assert request.path == f"/v3/groups/{GUID}/bannedusers"  # the text never reaches a path
    assert request.query["searchKey"] == [hostile]


def test_too_long_search_is_refused_with_a_clear_message_and_nothing_is_fetched(
    live_app, slack, cometchat
):
    text = f"{GUID} " + "x" * (MAX_QUERY_LENGTH + 1)
    reply = live_app.post(command_body(text, slack.url + "/response/long")).json()
    assert f"at most {MAX_QUERY_LENGTH} fit" in reply["text"]
    assert "Nothing was looked up" in reply["text"]
    assert cometchat.requests == []


def test_search_pages_share_and_export_buttons_carry_the_query(live_app, slack):
    reply = live_app.post(command_body(f"{GUID} 1", slack.url + "/response/t")).json()
    share, export = button(reply, ACTION_SHARE), button(reply, ACTION_EXPORT)
    assert PageCursor.decode(share["value"]).query == "1"
    assert export["text"]["text"] == "Export CSV (all)"  # a search page still exports everyone


def test_moderators_full_search_page_with_the_bound_note_stays_within_50_blocks(slack):
    fake = FakeCometChat()
    bound = MAX_SCAN_PAGES * SCAN_PER_PAGE
    fake.add_group("big", "Big", banned=bound + 100)
    for user in fake.banned["big"][:20]:
        user["name"] = "Match " + user["name"]  # 20 matches, then the rest scanned in vain
    settings = make_settings(
        slack_api_url=slack.url + "/api/", page_size=20, moderator_user_ids="U0MOD"
    )
    services = build_services(settings, cometchat_transport=fake.transport())
    try:
        cursor = PageCursor(guid="big", page=1, per_page=20, query="match")
        message = render_page(services.lists, cursor, moderate=True).message.to_dict()
    finally:
        services.close()
    ids = [b.get("block_id") for b in message["blocks"]]
    assert SEARCH_NOTE_BLOCK_ID in ids and len(listed_uids(message)) == 20
    assert_valid_message(message)  # includes the 50-block limit
    assert len(message["blocks"]) <= 50
