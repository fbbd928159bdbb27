"""The CometChat client against httpx.MockTransport: the requests it sends, what it parses, how it
maps and retries failures. Assertions about a request live inside the transport's handler."""

from __future__ import annotations

import math
from collections.abc import Callable
from urllib.parse import parse_qs, unquote

import httpx
import pytest
from pydantic import SecretStr

from bot.cometchat import (
    AuthRejected,
    CometChatClient,
    GroupNotFound,
    PermissionDenied,
    RateLimited,
    Rejected,
    RetryPolicy,
    Unavailable,
    UnexpectedResponse,
    UserNotFound,
)
from bot.cometchat.errors import BudgetReserved
from bot.settings import Settings
from tests.support import cometchat_spec as contract
from tests.support.fakes.clock import FakeClock

BASE = "https://testapp.api-us.cometchat.io/v3"
KEY = "cc-secret-key-for-client-tests"
GUID = "cometchat-guid-1"

HOSTILE_IDS = ["../x", "a/b", "x?y=1", "#", "%2F", "..", ".", "a b", "..%2F..", "x#y&page=9"]

Handler = Callable[[httpx.Request], httpx.Response]


def make_client(
    handler: Handler, retry: RetryPolicy | None = None
) -> tuple[CometChatClient, FakeClock]:
    clock = FakeClock()
    client = CometChatClient(
        BASE,
        SecretStr(KEY),
        transport=httpx.MockTransport(handler),
        retry=retry or RetryPolicy(),
        sleep=clock.sleep,
        clock=clock,
    )
    return client, clock


def counting(*answers: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler that gives `answers` in turn (the last one repeats) and records each request."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle, seen


def ok(users: list[dict], meta: dict | None = None) -> httpx.Response:
    body: dict = {"data": users}
    if meta is not None:
        body["meta"] = meta
    return httpx.Response(200, json=body)


def error(status: int, code: str | None, headers: dict | None = None) -> httpx.Response:
    body = {"error": {"code": code, "message": f"{code} happened"}} if code else {}
    return httpx.Response(status, json=body, headers=headers)


def users(n: int) -> list[dict]:
    return [{"uid": f"u{i}", "name": f"User {i}"} for i in range(1, n + 1)]


def path_segments(request: httpx.Request) -> list[bytes]:
    return request.url.raw_path.split(b"?")[0].split(b"/")


# -- the request ----------------------------------------------------------------------------


def test_list_sends_path_apikey_header_and_paging_params():
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET"
        assert request.url.host == "testapp.api-us.cometchat.io"
        assert request.url.raw_path.split(b"?")[0] == b"/v3/groups/cometchat-guid-1/bannedusers"
        assert request.headers["apikey"] == KEY
        assert dict(request.url.params) == {"page": "3", "perPage": "7"}
        return ok(users(2))

    client, _ = make_client(handle)
    page = client.list_banned_users(GUID, page=3, per_page=7)
    assert [u.uid for u in page.users] == ["u1", "u2"]


@pytest.mark.parametrize("guid", HOSTILE_IDS)
def test_hostile_guid_is_one_encoded_path_segment_and_adds_no_query(guid):
    def handle(request: httpx.Request) -> httpx.Response:
        segments = path_segments(request)
        assert segments[:3] == [b"", b"v3", b"groups"] and segments[4:] == [b"bannedusers"]
        encoded = segments[3].decode()
        assert unquote(encoded) == guid  # the whole id, decoded once, in one segment
        assert not any(ch in encoded for ch in "/?#") and encoded not in {".", ".."}
        assert parse_qs(request.url.query.decode()) == {"page": ["1"], "perPage": ["10"]}
        assert request.url.fragment == ""
        return ok([])

    client, _ = make_client(handle)
    assert client.list_banned_users(guid, page=1, per_page=10).users == ()


@pytest.mark.parametrize("guid", HOSTILE_IDS)
def test_hostile_ids_stay_in_their_segments_for_group_ban_and_unban(guid):
    seen: list[tuple[str, list[str]]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        assert b"?" not in request.url.raw_path and request.url.fragment == ""
        seen.append((request.method, [unquote(s.decode()) for s in path_segments(request)]))
        if request.method == "GET":
            return httpx.Response(200, json={"data": {"guid": guid, "name": "G"}})
        return httpx.Response(200, json={"data": {"success": True}})

    client, _ = make_client(handle)
    client.get_group(guid)
    client.ban(guid, guid)
    client.unban(guid, guid)
    assert seen == [
        ("GET", ["", "v3", "groups", guid]),
        ("POST", ["", "v3", "groups", guid, "bannedusers", guid]),
        ("DELETE", ["", "v3", "groups", guid, "bannedusers", guid]),
    ]


def test_ban_sends_post_with_on_behalf_of_and_unban_sends_delete():
    methods = []

    def handle(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        assert request.url.raw_path == b"/v3/groups/g1/bannedusers/u1"
        assert request.headers["apikey"] == KEY
        assert request.headers.get("onbehalfof") == ("mod-1" if request.method == "POST" else None)
        return httpx.Response(200, json={"data": {"success": True, "message": "done"}})

    client, _ = make_client(handle)
    client.ban("g1", "u1", on_behalf_of="mod-1")
    client.unban("g1", "u1")
    assert methods == ["POST", "DELETE"]


# -- parsing --------------------------------------------------------------------------------


def documented_banned_page() -> dict:
    """The contract's sample: the documented shape, with its lying pagination."""
    return contract.sample_answer("list-banned-group-users")


def test_parses_the_documented_answer_despite_its_pagination_lying():
    example = documented_banned_page()
    assert example["meta"]["pagination"]["total"] == 0  # the quirk this test is about
    assert example["meta"]["pagination"]["count"] == 5
    client, _ = make_client(lambda request: httpx.Response(200, json=example))

    page = client.list_banned_users(GUID, page=1, per_page=10)

    assert [u.uid for u in page.users] == ["sample-uid-1", "sample-uid-2", "sample-uid-3"]
    riley = page.users[0]
    assert (riley.display_name, riley.role) == ("Riley Moss", "moderator")
    assert riley.status == "available"
    assert (riley.created_at, riley.updated_at) == (1700000100, 1700000900)
    assert riley.avatar == "https://example.com/avatars/sample-uid-1.png"
    assert riley.link == "https://example.com/people/riley"
    assert riley.metadata == {"email": "riley@example.com", "contactNumber": "5550100"}
    assert page.users[1].link is None and page.users[1].metadata == {}
    # Neither meta's total (0) nor its count (5): the three users actually listed.
    assert (page.total, page.total_pages, page.has_next, page.has_previous) == (3, 1, False, False)


def test_documented_answer_as_a_full_page_is_still_the_last_because_meta_says_one_page():
    client, _ = make_client(lambda request: httpx.Response(200, json=documented_banned_page()))
    page = client.list_banned_users(GUID, page=1, per_page=3)
    assert page.has_next is False and page.total == 3


def test_missing_meta_full_page_offers_next_without_claiming_a_total():
    client, _ = make_client(lambda request: ok(users(5)))
    page = client.list_banned_users(GUID, page=1, per_page=5)
    assert page.has_next is True and page.total is None and page.total_pages is None


def test_missing_meta_short_page_is_the_last_and_counts_what_came_before():
    client, _ = make_client(lambda request: ok(users(2)))
    page = client.list_banned_users(GUID, page=3, per_page=5)
    assert page.has_next is False and page.total == 12 and page.first_index == 11


def test_empty_page_after_the_first_claims_no_total():
    client, _ = make_client(lambda request: ok([]))
    page = client.list_banned_users(GUID, page=4, per_page=5)
    assert page.users == () and page.has_next is False and page.total is None


@pytest.mark.parametrize(
    "meta",
    [
        "not an object",
        {"pagination": ["a", "list"]},
        {"pagination": {"total": "many", "total_pages": None, "per_page": {}}},
        {"pagination": {"total": 1000, "count": 5, "total_pages": 200}},
    ],
)
def test_meta_that_disagrees_with_the_data_does_not_beat_a_short_page(meta):
    client, _ = make_client(lambda request: ok(users(3), meta))
    page = client.list_banned_users(GUID, page=1, per_page=10)
    assert page.has_next is False and page.total == 3


def test_full_page_uses_metas_total_when_it_is_believable():
    meta = {"pagination": {"total": 57, "count": 10, "per_page": 10, "total_pages": 6}}
    client, _ = make_client(lambda request: ok(users(10), meta))
    page = client.list_banned_users(GUID, page=2, per_page=10)
    assert page.has_next is True and page.total == 57 and page.total_pages == 6


def test_wrong_typed_optional_fields_become_none_and_extra_fields_are_ignored():
    item = {
        "uid": "odd",
        "name": 42,
        "avatar": {"url": "https://x"},
        "status": ["online"],
        "role": None,
        "createdAt": "not a time",
        "updatedAt": "1638354799",
        "joinedAt": True,
        "metadata": "email@example.com",
        "blockedByMe": True,
        "somethingNew": {"nested": [1, 2]},
    }
    client, _ = make_client(lambda request: ok([item, {"uid": "plain"}]))
    first, second = client.list_banned_users(GUID, per_page=10).users
    assert (first.name, first.avatar, first.status, first.role) == ("42", None, None, None)
    assert (first.created_at, first.updated_at, first.joined_at) == (None, 1638354799, None)
    assert first.metadata == {}
    assert not hasattr(first, "somethingNew") and not hasattr(first, "blockedByMe")
    assert second.display_name == "plain"


@pytest.mark.parametrize(
    "body",
    [{"meta": {}}, {"data": None}, {"data": "x"}, {"data": [{"name": "no uid"}]}, [1, 2]],
)
def test_a_2xx_without_a_usable_data_list_is_unexpected(body):
    handle, _ = counting(httpx.Response(200, json=body))
    client, _ = make_client(handle, RetryPolicy(attempts=1))
    with pytest.raises(UnexpectedResponse):
        client.list_banned_users(GUID)


def test_get_group_parses_the_group_and_falls_back_to_the_guid_for_its_name():
    client, _ = make_client(lambda request: httpx.Response(200, json={"data": {"type": "public"}}))
    group = client.get_group(GUID)
    assert group.guid == GUID and group.display_name == GUID


# -- error mapping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (error(404, "ERR_GUID_NOT_FOUND"), GroupNotFound),
        (error(400, "ERR_GUID_NOT_FOUND"), GroupNotFound),  # the code decides, not the status
        (error(401, "AUTH_ERR_APIKEY_NOT_FOUND"), AuthRejected),
        (error(401, "AUTH_ERR_EMPTY_APIKEY"), AuthRejected),
        (error(403, "AUTH_ERR_NO_ACCESS"), AuthRejected),
        (error(400, "AUTH_ERR_INVALID_APPID"), AuthRejected),
        (error(401, None), AuthRejected),
        (error(403, "ERR_GROUP_NO_MODERATOR_SCOPE"), PermissionDenied),
        (error(500, "ERR_EXCEPTION"), Unavailable),
        (error(502, None), Unavailable),
        (httpx.Response(503, text="<html>Service Unavailable</html>"), Unavailable),
        (error(400, "ERR_BAD_REQUEST"), Rejected),
        (httpx.Response(404, text="<html>Not Found</html>"), Rejected),
        (httpx.Response(200, text="<html>hello from a captive portal</html>"), UnexpectedResponse),
    ],
)
def test_errors_are_mapped_by_code_first(response, expected):
    client, _ = make_client(lambda request: response, RetryPolicy(attempts=1))
    with pytest.raises(expected) as caught:
        client.list_banned_users(GUID)
    assert type(caught.value) is expected
    assert KEY not in str(caught.value)


def test_group_not_found_names_the_group_and_keeps_the_code():
    client, _ = make_client(lambda request: error(404, "ERR_GUID_NOT_FOUND"))
    with pytest.raises(GroupNotFound) as caught:
        client.list_banned_users("nope")
    assert caught.value.guid == "nope" and caught.value.code == "ERR_GUID_NOT_FOUND"


def test_429_is_rate_limited_with_retry_after_and_not_retried_past_the_budget():
    handle, seen = counting(error(429, "ERR_TOO_MANY_REQUESTS", {"Retry-After": "15"}))
    client, clock = make_client(handle, RetryPolicy(budget=10))
    with pytest.raises(RateLimited) as caught:
        client.list_banned_users(GUID)
    assert caught.value.retry_after == 15
    assert len(seen) == 1 and clock.sleeps == []  # waiting 15 s would blow a 10 s budget


@pytest.mark.parametrize("value", ["inf", "nan", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "1e400"])
def test_unusable_retry_after_values_leave_a_finite_wait(value):
    handle, _ = counting(error(429, "ERR_TOO_MANY_REQUESTS", {"Retry-After": value}))
    client, clock = make_client(handle, RetryPolicy(attempts=2, budget=10))
    with pytest.raises(RateLimited) as caught:
        client.list_banned_users(GUID)
    retry_after = caught.value.retry_after
    assert retry_after is None or (math.isfinite(retry_after) and retry_after >= 0)
    assert all(math.isfinite(s) for s in clock.sleeps)


# -- retries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        error(503, None),
        error(500, "ERR_MISSION_FAILED"),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, text="not json"),
    ],
    ids=["503", "500", "connect", "timeout", "garbled-200"],
)
def test_reads_are_retried_after_transient_failures(failure):
    handle, seen = counting(failure, failure, ok(users(1)))
    client, clock = make_client(handle)
    page = client.list_banned_users(GUID)
    assert [u.uid for u in page.users] == ["u1"]
    assert len(seen) == 3 and len(clock.sleeps) == 2
    assert all(0 < s <= RetryPolicy().max_backoff for s in clock.sleeps)


def test_429_waits_exactly_retry_after_then_succeeds():
    handle, seen = counting(error(429, "ERR_TOO_MANY_REQUESTS", {"Retry-After": "2"}), ok([]))
    client, clock = make_client(handle)
    client.list_banned_users(GUID)
    assert clock.sleeps == [2.0] and len(seen) == 2


def test_retries_stop_after_the_attempts_allowed():
    handle, seen = counting(error(503, None))
    client, clock = make_client(handle, RetryPolicy(attempts=4, budget=1000))
    with pytest.raises(Unavailable):
        client.list_banned_users(GUID)
    assert len(seen) == 4 and len(clock.sleeps) == 3


def test_retries_stop_when_the_next_wait_would_pass_the_budget():
    handle, seen = counting(error(429, "ERR_TOO_MANY_REQUESTS", {"Retry-After": "3"}))
    client, clock = make_client(handle, RetryPolicy(attempts=100, budget=10))
    with pytest.raises(RateLimited):
        client.list_banned_users(GUID)
    # Tries at t=0, 3, 6 and 9; a fifth would start at 12 > 10.
    assert len(seen) == 4 and clock.sleeps == [3.0, 3.0, 3.0] and clock.now <= 10


@pytest.mark.parametrize(
    "answer", [error(404, "ERR_GUID_NOT_FOUND"), error(401, "AUTH_ERR_APIKEY_NOT_FOUND")]
)
def test_client_errors_are_not_retried(answer):
    handle, seen = counting(answer)
    client, clock = make_client(handle)
    with pytest.raises((GroupNotFound, AuthRejected)):
        client.list_banned_users(GUID)
    assert len(seen) == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (error(503, None), Unavailable),
        (httpx.ConnectError("refused"), Unavailable),
        (httpx.ReadTimeout("slow"), Unavailable),
        (error(429, "ERR_TOO_MANY_REQUESTS", {"Retry-After": "0"}), RateLimited),
    ],
    ids=["503", "connect", "timeout", "429"],
)
@pytest.mark.parametrize("operation", ["ban", "unban"])
def test_writes_are_never_retried(operation, failure, expected):
    handle, seen = counting(failure, httpx.Response(200, json={"data": {"success": True}}))
    client, clock = make_client(handle)
    with pytest.raises(expected):
        getattr(client, operation)("g1", "u1")
    assert len(seen) == 1 and clock.sleeps == []


# -- a spare read of a user (a raid alert's age look-up) ------------------------------------------


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        (httpx.Response(404, json={"error": {"code": "ERR_UID_NOT_FOUND"}}), UserNotFound),
        (httpx.Response(503), Unavailable),
        (httpx.Response(429, json={"error": {"code": "ERR_TOO_MANY_REQUESTS"}}), RateLimited),
    ],
)
def test_a_spare_user_read_is_tried_once_and_never_waits(answer, raised):
    handler, seen = counting(answer)
    client, clock = make_client(handler)

    with pytest.raises(raised) as caught:
        client.get_user("raider-1", spare=True)

    assert len(seen) == 1 and clock.sleeps == []
    if raised is UserNotFound:
        assert caught.value.uid == "raider-1"


def test_a_spare_user_read_is_not_sent_when_only_the_reserve_is_left():
    at_reserve = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "50"}
    handler, seen = counting(httpx.Response(200, json={"data": {"uid": "u-1"}}, headers=at_reserve))
    client, _clock = make_client(handler)
    client.get_user("u-1")  # a person's read: the client learns the budget

    with pytest.raises(BudgetReserved):
        client.get_user("u-2", spare=True)

    assert len(seen) == 1


def test_the_client_reads_as_many_pages_at_once_as_the_settings_say_by_default():
    # A client built without the settings (a command, a bench) behaves as the deployed bot.
    default = Settings.model_fields["cometchat_max_parallel"].default
    assert CometChatClient("https://app.example/v3", SecretStr("k")).max_parallel == default
