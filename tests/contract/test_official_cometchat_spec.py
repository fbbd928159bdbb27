"""The project's CometChat contract against CometChat's official OpenAPI document.

`spec/cometchat/contract.json` is the project's own description of the operations the bot uses,
derived from CometChat's official OpenAPI document (chat-apis.json from the cometchat/docs
repository). That document is not in the repository: it carries no open license. Name a local
copy in COMETCHAT_SPEC and this module checks that every operation, parameter, type, header,
response field and sample shape in the contract agrees with it, and that the document's own
examples parse into our models. Unset, the module skips and says so; set to a path that cannot be
read, every test fails. `.ci/run` sets it.

The same module (so that a lone clone skips one thing) checks the webhook fixture against the
team's notes on CometChat's webhooks when COMETCHAT_WEBHOOKS_DOC names them; `.ci/run` sets it too.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest

from tests.contract.test_contract_cometchat import (
    WRITES,
    assert_banned_answer_parses,
    assert_group_answer_parses,
    assert_group_list_answer_parses,
    assert_messages_answer_parses,
    assert_user_answer_parses,
    assert_write_answer_accepted,
)
from tests.support import cometchat_spec as contract
from tests.support import official
from tests.support.webhook_payloads import documented

VARIABLE = "COMETCHAT_SPEC"
WHAT = "CometChat's official OpenAPI document (chat-apis.json from the cometchat/docs repository)"

official.require(VARIABLE, WHAT)

OPERATIONS = [pytest.param(op, id=op.operation_id) for op in contract.operations()]
JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def document() -> dict[str, Any]:
    return _parse(official.read(VARIABLE, WHAT))


@functools.cache
def _parse(text: str) -> dict[str, Any]:
    try:
        return json.loads(text)
    except ValueError as exc:
        problem = str(exc)
    pytest.fail(f"{VARIABLE} names a file that is not JSON ({problem})")


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    found: Any = document()
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return found


def official_operation(op: contract.Operation) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The document's operation for a contract operation, and its parameters ($refs resolved)."""
    path_item = document()["paths"].get(op.template)
    assert path_item is not None, f"{op.template} is not in the official document"
    found = path_item.get(op.method.lower())
    assert found is not None, f"{op.method} {op.template} is not in the official document"
    params = [resolve(p) for p in path_item.get("parameters", []) + found.get("parameters", [])]
    return found, params


def ok_answer(found: dict[str, Any]) -> dict[str, Any]:
    return found["responses"]["200"]["content"]["application/json"]


def schema_at(schema: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The schema a dotted field path (`data[].uid`) leads to, or None."""
    node: dict[str, Any] | None = resolve(schema)
    for part in path.split("."):
        name = part.removesuffix("[]")
        node = resolve(node.get("properties", {}).get(name, {})) or None
        if node is None:
            return None
        if part.endswith("[]"):
            if node.get("type") != "array":
                return None
            node = resolve(node.get("items", {}))
    return node


def values_at(body: Any, path: str) -> list[Any]:
    """Every value a dotted field path reaches in a JSON body (`[]` fans out over an array)."""
    found = [body]
    for part in path.split("."):
        name = part.removesuffix("[]")
        found = [item[name] for item in found if isinstance(item, dict) and name in item]
        if part.endswith("[]"):
            found = [each for item in found if isinstance(item, list) for each in item]
    return found


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in JSON_TYPES:
        if isinstance(value, kind):
            return name
    return "array" if isinstance(value, list) else "object"


def shape(body: Any, prefix: str = "") -> set[tuple[str, str]]:
    """Every (path, JSON type) in a body; array items share one `[]` path."""
    found = {(prefix, json_type(body))}
    if isinstance(body, dict):
        for key, value in body.items():
            found |= shape(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(body, list):
        for item in body:
            found |= shape(item, f"{prefix}[]")
    return found


def paginations(body: Any) -> list[Any]:
    if isinstance(body, dict):
        here = [body["pagination"]] if "pagination" in body else []
        return here + [p for value in body.values() for p in paginations(value)]
    if isinstance(body, list):
        return [p for item in body for p in paginations(item)]
    return []


# -- the contract agrees with the document ----------------------------------------------------


def test_server_security_and_version_match():
    doc = document()
    derived = contract.load_contract()["derived_from"]
    assert (doc["openapi"], doc["info"]["version"]) == (derived["openapi"], derived["info_version"])
    (server,) = doc["servers"]
    assert server["url"] == contract.load_contract()["server"]["url"]
    assert server["variables"]["region"]["enum"] == contract.load_contract()["server"]["regions"]
    schemes = doc["components"]["securitySchemes"].values()
    headers = {s["name"] for s in schemes if s["type"] == "apiKey" and s["in"] == "header"}
    assert set(contract.load_contract()["security"]) <= headers


@pytest.mark.parametrize("op", OPERATIONS)
def test_operation_route_parameters_and_headers_match(op):
    found, params = official_operation(op)
    entry = op.raw
    assert found["operationId"] == op.operation_id

    in_path = {p["name"]: p for p in params if p["in"] == "path"}
    assert set(in_path) == set(entry["path_params"])
    for name, kind in entry["path_params"].items():
        assert in_path[name]["schema"]["type"] == kind and in_path[name]["required"] is True

    in_query = {p["name"]: p for p in params if p["in"] == "query"}
    for name, described in entry["query"].items():
        assert name in in_query, f"{op.operation_id}: query `{name}` is not in the document"
        schema = in_query[name].get("schema", {})
        assert described["type"] == schema.get("type"), (op.operation_id, name)
        assert described.get("enum") == schema.get("enum"), (op.operation_id, name)
        for bound in ("minimum", "maximum"):
            if bound in schema:
                assert described.get(bound) == schema[bound], (op.operation_id, name, bound)
            elif bound in described:
                # A bound the schema does not state must be stated in the parameter's prose.
                assert described["stated_in"][bound] == "description"
                words = in_query[name].get("description", "")
                assert re.search(rf"\b{described[bound]}\b", words), (op.operation_id, name)

    # Headers must match exactly: one declared here that CometChat does not declare could change
    # its answer, and one it declares that we omit would be refused by the oracle.
    in_header = {p["name"]: p for p in params if p["in"] == "header"}
    assert set(in_header) == set(entry["headers"]), op.operation_id
    for name, described in entry["headers"].items():
        assert in_header[name]["schema"]["type"] == described["type"]
        assert in_header[name].get("required", False) is described["required"]

    schemes = document()["components"]["securitySchemes"]
    requirements = found.get("security", document().get("security", []))
    declared = {schemes[name]["name"] for requirement in requirements for name in requirement}
    assert declared == set(entry["security"])

    assert ("requestBody" in found) is entry["request_body"]
    assert {int(status) for status in found["responses"]} == set(entry["responses"])


@pytest.mark.parametrize("op", OPERATIONS)
def test_response_fields_are_where_the_contract_says(op):
    found, _ = official_operation(op)
    answer = ok_answer(found)
    schemas = document()["components"]["schemas"]
    for path, described in op.raw["response"].items():
        where = f"{op.operation_id} {path}"
        source = described["from"]
        if source == "schema":
            node = schema_at(answer["schema"], path)
            assert node is not None, f"{where}: not in the response schema"
            assert node.get("type") == described["type"], where
        elif source == "example":
            values = values_at(answer["example"], path)
            assert values, f"{where}: not in the example"
            assert {json_type(v) for v in values} == {described["type"]}, where
        elif source.startswith("components.schemas."):
            name, _, inner = source.removeprefix("components.schemas.").partition("#")
            node = schema_at(schemas[name], inner)
            assert node is not None, f"{where}: not in {name}"
            assert node.get("type") == described["type"], where
        else:
            pytest.fail(f"{where}: unknown source {source!r}")


def test_banned_user_variants_match_their_sources():
    op = contract.operation("list-banned-group-users")
    found, _ = official_operation(op)
    item = schema_at(ok_answer(found)["schema"], "data[]")
    assert item is not None
    listed = set(item["properties"])
    for variant in contract.item_variants(op.operation_id):
        if variant["from"].startswith("components.schemas."):
            schema = document()["components"]["schemas"][variant["from"].split(".")[-1]]
            described = {name: prop.get("type") for name, prop in schema["properties"].items()}
            assert described == variant["fields"], variant["from"]
        else:
            # A shape only the prose documents must say where, and differ from the schema's.
            assert variant["from"] == "docs" and variant["see"].startswith("https://")
            assert set(variant["fields"]) - listed, "this shape is the schema's: say so instead"


def test_recorded_deviations_are_deviations_from_the_document_too():
    for (operation_id, name), reason in contract.QUERY_DEVIATIONS.items():
        _, params = official_operation(contract.operation(operation_id))
        assert reason
        assert name not in {p["name"] for p in params if p["in"] == "query"}, (operation_id, name)


def test_errors_and_rate_limits_come_from_the_docs_not_the_document():
    # The document declares only 200 answers, no error codes and no response headers for these
    # operations: what the contract says about errors and rate limits must name its pages.
    text = json.dumps(document())
    for op in contract.operations():
        found, _ = official_operation(op)
        assert set(found["responses"]) == {"200"}
        assert "headers" not in found["responses"]["200"]
    for section in ("errors", "rate_limits"):
        described = contract.load_contract()[section]
        assert described["from"] == "docs" and described["see"]
        assert all(url.startswith("https://www.cometchat.com/docs/") for url in described["see"])
    assert not [code for code in contract.error_codes() if code in text]


# -- the samples have the documented shape, and the document's examples parse -----------------


@pytest.mark.parametrize("op", OPERATIONS)
def test_sample_has_the_official_examples_shape_and_quirks(op):
    found, _ = official_operation(op)
    example = ok_answer(found)["example"]
    sample = contract.sample_answer(op.operation_id)
    assert shape(sample) == shape(example)
    assert paginations(sample) == paginations(example)


def test_official_banned_users_example_parses_into_a_page():
    found, _ = official_operation(contract.operation("list-banned-group-users"))
    example = ok_answer(found)["example"]
    assert example["meta"]["pagination"]["total"] == 0  # the quirk the sample reproduces
    assert_banned_answer_parses(example)


def test_official_group_example_parses_into_a_group():
    found, _ = official_operation(contract.operation("get-group"))
    assert_group_answer_parses(ok_answer(found)["example"])


def test_official_list_groups_example_parses_into_groups():
    found, _ = official_operation(contract.operation("list-groups"))
    assert_group_list_answer_parses(ok_answer(found)["example"])


def test_joined_groups_is_the_documented_has_joined_filter_on_the_users_behalf():
    # The client's joined_groups sends hasJoined=true with onBehalfOf: the document says the
    # filter lists a user's joined groups, and works only with that header.
    _, params = official_operation(contract.operation("list-groups"))
    joined = next(p for p in params if p["in"] == "query" and p["name"] == "hasJoined")
    assert "onBehalfOf" in joined["description"] and "joined groups" in joined["description"]
    assert any(p["in"] == "header" and p["name"] == "onBehalfOf" for p in params)


def test_official_user_example_parses_into_a_user():
    found, _ = official_operation(contract.operation("get-user"))
    assert_user_answer_parses(ok_answer(found)["example"])


def test_official_messages_example_parses_into_messages():
    found, _ = official_operation(contract.operation("user-list-group-messages"))
    assert_messages_answer_parses(ok_answer(found)["example"])


@pytest.mark.parametrize("operation_id", sorted(WRITES))
def test_official_write_examples_are_accepted(operation_id):
    found, _ = official_operation(contract.operation(operation_id))
    assert_write_answer_accepted(operation_id, ok_answer(found)["example"])


# -- the webhook fixture is CometChat's documented examples, verbatim ----------------------------


def test_webhook_fixture_holds_the_examples_documented_in_the_notes():
    notes = official.read(
        "COMETCHAT_WEBHOOKS_DOC", "the team's CometChat webhook notes (WEBHOOKS.md)"
    )
    blocks = re.findall(r"### Example: `(\w+)`.*?```json\n(.*?)```", notes, re.S)
    assert {name: json.loads(body) for name, body in blocks} == documented()
    assert set(documented()) == {"group_member_banned", "group_member_unbanned"}
