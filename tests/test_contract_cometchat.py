"""Contract with CometChat's published spec (`../shared/cometchat/chat-apis.groups.json`).

Every request the client can make is captured through `httpx.MockTransport` and must match a
documented operation: method, path template (one canonically encoded segment per id), declared
query parameters of the declared types, the `apikey` security header, and `onBehalfOf` only where
declared. Every example answer the spec gives for those operations must parse into our models,
and the FakeCometChat the other tests lean on must answer in the documented shape.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
import jsonschema
import pytest
from pydantic import SecretStr

from bot.cometchat import BannedPage, CometChatClient, Group, RetryPolicy
from tests import cometchat_spec as spec
from tests.fakes.cometchat import API_KEY, FakeCometChat

BASE = "https://testapp.api-us.cometchat.io/v3"

# Ids chosen to break naive URL building: separators, escapes, dot-segments, unicode, mentions.
HOSTILE_IDS = [
    "cometchat-guid-1",
    "a/b",
    "../../users",
    "..",
    ".",
    "x?perPage=1000",
    "x#frag",
    "100%2F",
    "%",
    "ünï cödé ☃",
    "<!channel>",
    "<@U123>",
    '{"g":"x"}',
    "tab\there",
    "line\nbreak",
    "+@:.-_",
]


@dataclass
class Captured:
    method: str
    raw_path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


class Recorder:
    """A MockTransport handler that records requests and answers with a canned body."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | None = None):
        self.requests: list[Captured] = []
        self._answer = answer or (lambda _r: httpx.Response(200, json={"data": {}}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(
            Captured(
                method=request.method,
                raw_path=request.url.raw_path.split(b"?")[0].decode("ascii"),
                query=parse_qs(request.url.query.decode("ascii"), keep_blank_values=True),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=request.read(),
            )
        )
        return self._answer(request)


def make_client(handler: Callable[[httpx.Request], httpx.Response]) -> CometChatClient:
    return CometChatClient(
        BASE,
        SecretStr(API_KEY),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1),
    )


def _answer_for(operation_id: str) -> Callable[[httpx.Request], httpx.Response]:
    example = spec.example_responses(operation_id)[0]
    return lambda _r: httpx.Response(200, json=example)


# One driver per public client method that talks to CometChat: how to call it with two ids, the
# operation it must use, and the path values it must send. A new public method fails
# `test_every_public_client_method_is_covered` until it is added here.
@dataclass(frozen=True)
class Driver:
    operation_id: str
    call: Callable[[CometChatClient, str, str], Any]
    path_values: Callable[[str, str], dict[str, str]]
    on_behalf_of: bool = False


DRIVERS: dict[str, list[Driver]] = {
    "list_banned_users": [
        Driver(
            "list-banned-group-users",
            lambda c, g, _u: c.list_banned_users(g, page=3, per_page=20),
            lambda g, _u: {"guid": g},
        ),
        Driver(
            "list-banned-group-users",
            lambda c, g, u: c.list_banned_users(g, page=1, per_page=100, search=u),
            lambda g, _u: {"guid": g},
        ),
    ],
    "get_group": [
        Driver("get-group", lambda c, g, _u: c.get_group(g), lambda g, _u: {"guid": g}),
    ],
    "list_groups": [
        Driver("list-groups", lambda c, _g, _u: c.list_groups(page=2, per_page=1), lambda *_: {}),
        Driver("list-groups", lambda c, g, _u: c.list_groups(search=g), lambda *_: {}),
    ],
    "ban": [
        Driver("ban-group-user", lambda c, g, u: c.ban(g, u), lambda g, u: {"guid": g, "uid": u}),
        Driver(
            "ban-group-user",
            lambda c, g, u: c.ban(g, u, on_behalf_of="mod-uid-1"),
            lambda g, u: {"guid": g, "uid": u},
            on_behalf_of=True,
        ),
    ],
    "unban": [
        Driver(
            "unban-group-user", lambda c, g, u: c.unban(g, u), lambda g, u: {"guid": g, "uid": u}
        ),
        Driver(
            "unban-group-user",
            lambda c, g, u: c.unban(g, u, on_behalf_of="mod-uid-1"),
            lambda g, u: {"guid": g, "uid": u},
            on_behalf_of=True,
        ),
    ],
}

# A documented-shape answer per operation, so the route checks do not depend on the spec's
# (sometimes garbled) examples; those are parsed in their own tests below.
WELL_FORMED: dict[str, Any] = {
    "list-banned-group-users": spec.example_responses("list-banned-group-users")[0],
    "get-group": spec.example_responses("get-group")[0],
    "list-groups": {"data": [spec.example_responses("get-group")[0]["data"]], "meta": {}},
    "ban-group-user": spec.example_responses("ban-group-user")[0],
    "unban-group-user": spec.example_responses("unban-group-user")[0],
}

# Public methods that make no request.
NOT_REQUESTS = {"close"}


def _public_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(CometChatClient, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_public_client_method_is_covered():
    uncovered = _public_methods() - set(DRIVERS) - NOT_REQUESTS
    assert not uncovered, (
        f"CometChatClient methods with no contract driver: {sorted(uncovered)} — "
        "add them to DRIVERS so their requests are checked against the spec"
    )


CASES = [
    pytest.param(name, driver, guid, uid, id=f"{name}-{i}-{j}")
    for name, drivers in DRIVERS.items()
    if hasattr(CometChatClient, name)  # drivers may be written before a colleague's method lands
    for i, driver in enumerate(drivers)
    for j, (guid, uid) in enumerate(zip(HOSTILE_IDS, reversed(HOSTILE_IDS), strict=True))
]


@pytest.mark.parametrize(("name", "driver", "guid", "uid"), CASES)
def test_request_matches_a_documented_operation(name, driver, guid, uid):
    recorder = Recorder(lambda _r: httpx.Response(200, json=WELL_FORMED[driver.operation_id]))
    client = make_client(recorder)

    driver.call(client, guid, uid)

    assert recorder.requests, f"{name} made no request"
    for captured in recorder.requests:
        found = spec.check_request(
            captured.method,
            captured.raw_path,
            captured.query,
            captured.headers,
            body=captured.body,
        )
        assert found.operation.operation_id == driver.operation_id
        assert found.path_values == driver.path_values(guid, uid), "ids did not round-trip"
        assert captured.headers["apikey"] == API_KEY
        assert ("onbehalfof" in captured.headers) == driver.on_behalf_of


def test_list_banned_users_sends_declared_integer_paging():
    recorder = Recorder(_answer_for("list-banned-group-users"))
    make_client(recorder).list_banned_users("g1", page=7, per_page=15)
    (captured,) = recorder.requests
    assert captured.query == {"page": ["7"], "perPage": ["15"]}


def test_group_search_travels_as_the_declared_searchkey():
    recorder = Recorder(lambda _r: httpx.Response(200, json=WELL_FORMED["list-groups"]))
    make_client(recorder).list_groups(search="a&b=c #d")
    (captured,) = recorder.requests
    assert captured.query["searchKey"] == ["a&b=c #d"]


def test_banned_user_search_is_a_recorded_deviation_not_a_silent_pass():
    # Issue 5 sends `searchKey` to GET bannedusers, which the spec does not declare there. The
    # request passes only because QUERY_DEVIATIONS names it; without the allowlist it fails.
    recorder = Recorder(lambda _r: httpx.Response(200, json=WELL_FORMED["list-banned-group-users"]))
    make_client(recorder).list_banned_users("g1", search="geo al")
    (captured,) = recorder.requests
    assert captured.query["searchKey"] == ["geo al"]
    args = (captured.method, captured.raw_path, captured.query, captured.headers)
    spec.check_request(*args)
    with pytest.raises(AssertionError, match="undeclared query `searchKey`"):
        spec.check_request(*args, allowed_deviations={})


def test_onbehalfof_is_not_sent_where_the_spec_does_not_declare_it():
    # GET bannedusers does not declare onBehalfOf; sending it could change CometChat's answer.
    op = spec.operation("list-banned-group-users")
    assert "onbehalfof" not in op.headers
    recorder = Recorder(_answer_for("list-banned-group-users"))
    make_client(recorder).list_banned_users("g1")
    assert "onbehalfof" not in recorder.requests[0].headers


def test_the_oracle_rejects_what_the_spec_does_not_allow():
    # The contract is only worth something if the checker can fail.
    headers = {"apikey": "k"}
    with pytest.raises(AssertionError, match="no documented"):
        spec.check_request("GET", "/v3/groups/a/b/bannedusers", {}, headers)
    with pytest.raises(AssertionError, match="canonically"):
        spec.check_request("GET", "/v3/groups/a%2fb/bannedusers", {}, headers)
    with pytest.raises(AssertionError, match="canonically"):
        spec.check_request("GET", "/v3/groups/../bannedusers", {}, headers)
    with pytest.raises(AssertionError, match="undeclared query"):
        spec.check_request("GET", "/v3/groups/g/bannedusers", {"limit": ["5"]}, headers)
    with pytest.raises(AssertionError, match="not an integer"):
        spec.check_request("GET", "/v3/groups/g/bannedusers", {"page": ["1.5"]}, headers)
    with pytest.raises(AssertionError, match="not declared"):
        spec.check_request("GET", "/v3/groups/g/bannedusers", {}, {**headers, "onBehalfOf": "mod"})
    with pytest.raises(AssertionError, match="apikey"):
        spec.check_request("GET", "/v3/groups/g", {}, {})
    with pytest.raises(AssertionError, match="takes no body"):
        spec.check_request("POST", "/v3/groups/g/bannedusers/u", {}, headers, body=b"{}")


def test_allowlisted_deviations_are_real_deviations():
    # An allowlist entry for a parameter the spec does declare would hide nothing: keep it honest.
    for (operation_id, name), reason in spec.QUERY_DEVIATIONS.items():
        assert reason
        assert name not in spec.operation(operation_id).query, (operation_id, name)


# -- example answers parse into our models -------------------------------------------------


def test_banned_users_examples_parse_into_a_page():
    examples = spec.example_responses("list-banned-group-users")
    assert examples
    for example in examples:
        client = make_client(lambda _r, body=example: httpx.Response(200, json=body))
        page = client.list_banned_users("cometchat-guid-1", page=1, per_page=10)
        assert isinstance(page, BannedPage)
        assert [u.uid for u in page.users] == [item["uid"] for item in example["data"]]
        assert page.users[0].display_name == example["data"][0]["name"]
        assert page.users[0].created_at == example["data"][0]["createdAt"]
        # The example's meta says total 0 beside 3 users: a short page is the last one anyway.
        assert page.has_next is False and page.total == len(example["data"])


def test_group_examples_parse_into_a_group():
    examples = spec.example_responses("get-group")
    assert examples
    for example in examples:
        client = make_client(lambda _r, body=example: httpx.Response(200, json=body))
        group = client.get_group("ignored-guid")
        assert isinstance(group, Group)
        assert group.guid == example["data"]["guid"]
        assert group.display_name == example["data"]["name"]
        assert group.members_count == example["data"]["membersCount"]


def test_list_groups_example_parses_into_groups():
    # The spec's example is garbled: `data` is an object holding one group flat, another under
    # key "0", and `meta` inside `data`. The client must still find the groups it names.
    if not hasattr(CometChatClient, "list_groups"):
        pytest.fail("list_groups is in DRIVERS but not on the client")
    for example in spec.example_responses("list-groups"):
        client = make_client(lambda _r, body=example: httpx.Response(200, json=body))
        guids = {group.guid for group in client.list_groups()}
        assert "project-group" in guids


@pytest.mark.parametrize("operation_id", ["ban-group-user", "unban-group-user"])
def test_ban_and_unban_examples_are_accepted(operation_id):
    examples = spec.example_responses(operation_id)
    assert examples
    method = "ban" if operation_id == "ban-group-user" else "unban"
    for example in examples:
        client = make_client(lambda _r, body=example: httpx.Response(200, json=body))
        assert getattr(client, method)("cometchat-guid-1", "cometchat-uid-3") is None


def test_unreferenced_banned_user_schema_shape_also_parses():
    # The excerpt describes a second banned-user shape in components; models must take it too.
    schema = spec.load_spec()["components"]["schemas"]["bannedUserSchema"]
    sample = {
        name: (1638354015 if prop.get("type") == "integer" else f"{name}-value")
        for name, prop in schema["properties"].items()
        if prop.get("type") in {"string", "integer"}
    }
    body = {"data": [sample]}
    client = make_client(lambda _r: httpx.Response(200, json=body))
    page = client.list_banned_users("g", page=1, per_page=10)
    assert page.users[0].uid == sample["uid"]


# -- the fake answers in the documented shape ------------------------------------------------


def test_fake_cometchat_answers_validate_against_the_spec_schemas():
    fake = FakeCometChat()
    fake.add_group("g-1", "Group One", banned=3)
    client = CometChatClient(
        BASE.replace("testapp.api-us.cometchat.io", "cometchat.test"),
        SecretStr(API_KEY),
        transport=_validating(fake),
    )
    client.get_group("g-1")
    client.list_banned_users("g-1", page=1, per_page=2)
    client.ban("g-1", "newcomer")
    client.unban("g-1", "newcomer")
    assert len(fake.requests) == 4


def _validating(fake: FakeCometChat) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        response = fake.handle(request)
        found = spec.match_route(request.method, request.url.raw_path.split(b"?")[0].decode())
        if response.status_code == 200:
            schema = spec.response_schema(found.operation.operation_id)
            jsonschema.validate(json.loads(response.content), schema)
        return response

    return httpx.MockTransport(handle)
