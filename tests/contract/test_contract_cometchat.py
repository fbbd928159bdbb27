"""Contract with CometChat's API as the project describes it (`spec/cometchat/contract.json`).

Every request the client can make is captured through `httpx.MockTransport` and must match a
documented operation: method, path template (one canonically encoded segment per id), declared
query parameters of the declared types, the `apikey` security header, and `onBehalfOf` only where
declared. Every sample answer the contract gives for those operations (the documented shapes, their
quirks included) must parse into our models, and the FakeCometChat the other tests lean on must
answer in the documented shape. tests/contract/test_official_cometchat_spec.py ties the contract to
CometChat's official OpenAPI document, and parses that document's own examples.
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

from bot.cometchat import BannedPage, CometChatClient, CometChatError, Group, RetryPolicy
from bot.cometchat.models import BannedUser, ChatUser, GroupMessage, JoinedGroup, Pagination
from tests.support import cometchat_spec as spec
from tests.support.fakes.cometchat import API_KEY, FakeCometChat

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
    sample = spec.sample_answer(operation_id)
    return lambda _r: httpx.Response(200, json=sample)


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
    "banned_pages": [
        Driver(
            "list-banned-group-users",
            lambda c, g, u: list(c.banned_pages(g, per_page=20, search=u, max_pages=3)),
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
    # A user's groups: the documented hasJoined filter, on their behalf.
    "joined_groups": [
        Driver(
            "list-groups",
            lambda c, _g, u: c.joined_groups(u, per_page=2, max_pages=2),
            lambda *_: {},
            on_behalf_of=True,
        ),
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
    "get_user": [
        Driver("get-user", lambda c, _g, u: c.get_user(u), lambda _g, u: {"uid": u}),
    ],
    "recent_messages": [
        Driver(
            "user-list-group-messages",
            lambda c, g, u: c.recent_messages(g, u, limit=5),
            lambda g, _u: {"guid": g},
        ),
    ],
    "list_members": [
        Driver(
            "list-group-members",
            lambda c, g, _u: c.list_members(g, page=2, per_page=1000),
            lambda g, _u: {"guid": g},
        ),
    ],
    "all_members": [
        Driver("list-group-members", lambda c, g, _u: c.all_members(g), lambda g, _u: {"guid": g}),
    ],
    "ban_many": [
        Driver(
            "add-group-members",
            lambda c, g, u: c.ban_many(g, [u, "sample-uid-2"]),
            lambda g, _u: {"guid": g},
        ),
        Driver(
            "add-group-members",
            lambda c, g, u: c.ban_many(g, [u], on_behalf_of="mod-uid-1"),
            lambda g, _u: {"guid": g},
            on_behalf_of=True,
        ),
    ],
    "scope_permissions": [
        Driver(
            "list-scope-permissions",
            lambda c, g, u: c.scope_permissions(g, u),
            lambda g, u: {"guid": g, "scope": u},
        ),
    ],
    "set_scope_permissions": [
        Driver(
            "set-scope-permissions",
            lambda c, g, u: c.set_scope_permissions(g, u, {"sendMessage": "deny"}),
            lambda g, u: {"guid": g, "scope": u},
        ),
    ],
    "kick": [
        Driver(
            "kick-group-member", lambda c, g, u: c.kick(g, u), lambda g, u: {"guid": g, "uid": u}
        ),
        Driver(
            "kick-group-member",
            lambda c, g, u: c.kick(g, u, on_behalf_of="mod-uid-1"),
            lambda g, u: {"guid": g, "uid": u},
            on_behalf_of=True,
        ),
    ],
}

# A well-formed answer per operation, so the route checks do not depend on the documented
# (sometimes garbled) shapes; those are parsed in their own tests below.
WELL_FORMED: dict[str, Any] = {
    "list-banned-group-users": spec.sample_answer("list-banned-group-users"),
    "get-group": spec.sample_answer("get-group"),
    "list-groups": {"data": [spec.sample_answer("get-group")["data"]], "meta": {}},
    "ban-group-user": spec.sample_answer("ban-group-user"),
    "unban-group-user": spec.sample_answer("unban-group-user"),
    "kick-group-member": spec.sample_answer("kick-group-member"),
    "get-user": spec.sample_answer("get-user"),
    "user-list-group-messages": spec.sample_answer("user-list-group-messages"),
    "list-group-members": spec.sample_answer("list-group-members"),
    "add-group-members": spec.sample_answer("add-group-members"),
    "list-scope-permissions": spec.sample_answer("list-scope-permissions"),
    "set-scope-permissions": spec.sample_answer("set-scope-permissions"),
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


def test_joined_groups_asks_for_the_users_groups_on_their_behalf():
    recorder = Recorder(lambda _r: httpx.Response(200, json=WELL_FORMED["list-groups"]))
    make_client(recorder).joined_groups("user-7", per_page=50)
    (captured,) = recorder.requests
    assert captured.query["hasJoined"] == ["true"] and captured.query["perPage"] == ["50"]
    assert captured.headers["onbehalfof"] == "user-7"


def test_banned_user_search_is_a_recorded_deviation_not_a_silent_pass():
    # Banned-user search sends `searchKey` to GET bannedusers, which is not declared there. The
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


# -- documented answers parse into our models ----------------------------------------------
# Each check takes one answer body, so the official document's own examples go through the same
# assertions (tests/contract/test_official_cometchat_spec.py).


def _answering(body: Any) -> CometChatClient:
    return make_client(lambda _r: httpx.Response(200, json=body))


def assert_banned_answer_parses(body: dict) -> None:
    page = _answering(body).list_banned_users("cometchat-guid-1", page=1, per_page=10)
    assert isinstance(page, BannedPage)
    assert [u.uid for u in page.users] == [item["uid"] for item in body["data"]]
    assert page.users[0].display_name == body["data"][0]["name"]
    assert page.users[0].created_at == body["data"][0]["createdAt"]
    # The documented meta says total 0 beside 3 users: a short page is the last one anyway.
    assert page.has_next is False and page.total == len(body["data"])
    assert (page.total_pages, page.has_previous) == (1, False)
    # As a full page it is still the last: meta says there is one page.
    full = _answering(body).list_banned_users("g", page=1, per_page=len(body["data"]))
    assert full.has_next is False and full.total == len(body["data"])


def assert_group_answer_parses(body: dict) -> None:
    group = _answering(body).get_group("ignored-guid")
    assert isinstance(group, Group)
    assert group.guid == body["data"]["guid"]
    assert group.display_name == body["data"]["name"]
    assert group.members_count == body["data"]["membersCount"]


def assert_group_list_answer_parses(body: dict) -> None:
    # The documented shape is garbled: `data` is an object holding one group flat (under key
    # "0"), another nested inside it, and `meta` inside `data`. The client must still find the
    # flat group it names.
    if not hasattr(CometChatClient, "list_groups"):
        pytest.fail("list_groups is in DRIVERS but not on the client")
    guids = {group.guid for group in _answering(body).list_groups()}
    assert body["data"]["0"]["guid"] in guids


def assert_user_answer_parses(body: dict) -> None:
    user = _answering(body).get_user("asked-uid")
    assert isinstance(user, ChatUser)
    assert (user.uid, user.display_name) == (body["data"]["uid"], body["data"]["name"])
    assert (user.role, user.created_at) == (body["data"]["role"], body["data"]["createdAt"])


def assert_messages_answer_parses(body: dict) -> None:
    item = body["data"][0]
    (message,) = _answering(body).recent_messages("g", item["sender"])
    assert isinstance(message, GroupMessage)
    assert (message.id, message.text, message.sent_at) == (
        item["id"],
        item["data"]["text"],
        item["sentAt"],
    )


# Each write operation and the client method that makes it.
WRITES = {"ban-group-user": "ban", "unban-group-user": "unban", "kick-group-member": "kick"}


def assert_write_answer_accepted(operation_id: str, body: dict) -> None:
    method = WRITES[operation_id]
    assert getattr(_answering(body), method)("cometchat-guid-1", "cometchat-uid-3") is None


def assert_banned_item_variant_parses(fields: dict[str, str]) -> None:
    sample = {
        name: (1638354015 if kind == "integer" else f"{name}-value")
        for name, kind in fields.items()
        if kind in {"string", "integer"}
    }
    page = _answering({"data": [sample]}).list_banned_users("g", page=1, per_page=10)
    (user,) = page.users
    assert user.uid == sample["uid"]
    by_alias = {(f.alias or name): name for name, f in type(user).model_fields.items()}
    for name, value in sample.items():
        if name in by_alias:  # a documented field the model keeps must keep its value
            assert getattr(user, by_alias[name]) == value, name


def test_banned_users_sample_parses_into_a_page():
    assert_banned_answer_parses(spec.sample_answer("list-banned-group-users"))


def test_group_sample_parses_into_a_group():
    assert_group_answer_parses(spec.sample_answer("get-group"))


def test_user_sample_parses_into_a_user():
    assert_user_answer_parses(spec.sample_answer("get-user"))


def test_messages_sample_parses_into_messages():
    assert_messages_answer_parses(spec.sample_answer("user-list-group-messages"))


def test_list_groups_sample_parses_into_groups():
    sample = spec.sample_answer("list-groups")
    assert_group_list_answer_parses(sample)
    # The sample reproduces the documented garbling: no array, meta inside data.
    assert isinstance(sample["data"], dict) and "meta" in sample["data"]


@pytest.mark.parametrize("operation_id", sorted(WRITES))
def test_write_samples_are_accepted(operation_id):
    assert_write_answer_accepted(operation_id, spec.sample_answer(operation_id))


@pytest.mark.parametrize(
    "variant",
    spec.item_variants("list-banned-group-users"),
    ids=lambda v: v["from"],
)
def test_other_documented_banned_user_shapes_also_parse(variant):
    # Components describe a second banned-user shape and the docs a third; models take both.
    assert_banned_item_variant_parses(variant["fields"])


@pytest.mark.parametrize("op", spec.operations(), ids=lambda op: op.operation_id)
def test_samples_have_the_types_the_contract_describes(op):
    schema = spec.response_schema(op.operation_id)
    errors = list(
        jsonschema.Draft7Validator(schema).iter_errors(spec.sample_answer(op.operation_id))
    )
    if op.operation_id == "list-groups":
        # The documented example contradicts its own schema (`data` an object, not an array);
        # the sample keeps that, so the client is tested against what CometChat shows.
        assert [list(e.absolute_path) for e in errors] == [["data"]]
    else:
        assert errors == []


def test_every_field_the_models_read_is_in_the_contract():
    # A model field the contract does not describe is read from an answer nobody documented.
    banned = {
        path.removeprefix("data[].")
        for path in spec.response_fields("list-banned-group-users")
        if path.startswith("data[].")
    }
    for variant in spec.item_variants("list-banned-group-users"):
        banned |= set(variant["fields"])
    pagination = {
        path.removeprefix("meta.pagination.")
        for path in spec.response_fields("list-banned-group-users")
        if path.startswith("meta.pagination.")
    }
    group = {
        path.removeprefix("data.")
        for path in spec.response_fields("get-group")
        if path.startswith("data.")
    }
    listed = {
        path.removeprefix("data[].")
        for path in spec.response_fields("list-groups")
        if path.startswith("data[].")
    }
    user = {
        path.removeprefix("data.")
        for path in spec.response_fields("get-user")
        if path.startswith("data.")
    }
    # A message's text is read from `data.text`, one level down: the model flattens it.
    message = {
        path.removeprefix("data[].").removeprefix("data.")
        for path in spec.response_fields("user-list-group-messages")
        if path.startswith("data[].")
    }
    for model, described in [
        (ChatUser, user),
        (GroupMessage, message),
        (BannedUser, banned),
        (Pagination, pagination),
        (Group, group),
        (Group, listed),
        (JoinedGroup, listed),
    ]:
        read = {f.alias or name for name, f in model.model_fields.items()}
        assert read <= described, f"{model.__name__} reads {read - described}, not in the contract"


def test_every_contract_operation_is_one_the_client_uses():
    # The contract describes what the bot uses; an operation no driver reaches is dead weight.
    driven = {driver.operation_id for drivers in DRIVERS.values() for driver in drivers}
    assert driven == {op.operation_id for op in spec.operations()}


def test_the_fake_answers_only_with_documented_error_codes():
    fake = FakeCometChat()
    fake.add_group("g-1", "Group One", banned=1)
    client = make_client(fake.handle)
    stranger = CometChatClient(BASE, SecretStr("wrong-key"), transport=fake.transport())
    failures = [
        lambda: client.get_group("missing"),
        lambda: client.ban("g-1", "user-001"),
        lambda: client.ban("g-1", "ghost-1"),
        lambda: client.unban("g-1", "never-banned"),
        lambda: client.kick("g-1", "not-in-it"),
        lambda: client.kick("g-1", "ghost-1"),
        lambda: client.get_user("ghost-1"),
        lambda: client.recent_messages("missing", "user-001"),
        lambda: stranger.get_group("g-1"),
    ]
    codes = set()
    for fail in failures:
        with pytest.raises(CometChatError) as raised:
            fail()
        codes.add(raised.value.code)
    assert None not in codes
    assert codes <= set(spec.error_codes()), codes - set(spec.error_codes())


# -- the fake answers in the documented shape ------------------------------------------------


def test_fake_cometchat_answers_validate_against_the_contract_schemas():
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
    fake.add_member("g-1", "newcomer")
    client.kick("g-1", "newcomer")
    client.list_groups()
    client.get_user("newcomer")
    fake.add_message("g-1", "newcomer", "hello")
    client.recent_messages("g-1", "newcomer")
    fake.add_member("g-1", "raider", joined_at=1_700_000_500, created_at=1_700_000_400)
    (member,) = client.all_members("g-1")
    assert (member.uid, member.joined_at, member.created_at) == (
        "raider",
        1_700_000_500,
        1_700_000_400,
    )
    outcomes = client.ban_many("g-1", ["raider", "ghost-1"])
    assert (outcomes["raider"].success, outcomes["ghost-1"].code) == (True, "ERR_UID_NOT_FOUND")
    assert client.scope_permissions("g-1", "participant")["sendMessage"] == "allow"
    client.set_scope_permissions("g-1", "participant", {"sendMessage": "deny"})
    assert client.scope_permissions("g-1", "participant")["sendMessage"] == "deny"
    assert len(fake.requests) == 13


def _validating(fake: FakeCometChat) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        response = fake.handle(request)
        found = spec.match_route(request.method, request.url.raw_path.split(b"?")[0].decode())
        if response.status_code == 200:
            schema = spec.response_schema(found.operation.operation_id)
            jsonschema.validate(json.loads(response.content), schema)
        return response

    return httpx.MockTransport(handle)
