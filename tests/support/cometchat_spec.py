"""The project's CometChat contract as a test oracle: does a request match a documented operation?

The contract (`spec/cometchat/contract.json`) is the project's own description of the operations
the bot uses, derived from CometChat's official OpenAPI document; it lives in the repository so a
lone clone can run every contract test. `tests/contract/test_official_cometchat_spec.py` checks
it against a copy of the official document when `COMETCHAT_SPEC` names one.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT_PATH = REPO_ROOT / "spec" / "cometchat" / "contract.json"

# Headers any HTTP client sends; everything else must be declared by the operation or security.
TRANSPORT_HEADERS = {
    "host",
    "accept",
    "accept-encoding",
    "connection",
    "user-agent",
    "content-length",
    "content-type",
}

# Deliberate, documented departures from the contract, keyed by (operation id, query parameter).
# Each needs a reason; a request using an undeclared parameter not listed here fails the contract.
QUERY_DEVIATIONS: dict[tuple[str, str], str] = {
    # CometChat's list endpoints accept `searchKey` and the bot also filters the page itself, so
    # an ignored parameter cannot show wrong users. The official document declares `searchKey` on
    # GET /groups and /messages, not on GET /groups/{guid}/bannedusers.
    ("list-banned-group-users", "searchKey"): "banned-user search; page re-filtered by the bot",
}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # e.g. /groups/{guid}/bannedusers/{uid}
    operation_id: str
    path_params: tuple[str, ...]
    query: dict[str, dict[str, Any]]  # name -> parameter description (type, maximum, enum…)
    headers: dict[str, dict[str, Any]]  # lower-cased name -> parameter description
    security_headers: frozenset[str]
    has_body: bool
    raw: dict[str, Any] = field(repr=False, hash=False, compare=False)

    @property
    def regex(self) -> re.Pattern[str]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(self.template))
        return re.compile(f"^{pattern}$")


@dataclass(frozen=True)
class Match:
    operation: Operation
    path_values: dict[str, str]  # decoded


@functools.cache
def load_contract() -> dict[str, Any]:
    return json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))


def base_path() -> str:
    """The path part of the server URL (`/v3`)."""
    return urlsplit(load_contract()["server"]["url"].replace("{", "").replace("}", "")).path


@functools.cache
def operations() -> tuple[Operation, ...]:
    contract = load_contract()
    schemes = contract["security"]
    ops = []
    for op in contract["operations"]:
        template = op["path"]
        path_params = tuple(re.findall(r"\{([^}]+)\}", template))
        assert path_params == tuple(op["path_params"]), f"{op['id']}: path params out of order"
        ops.append(
            Operation(
                method=op["method"],
                template=template,
                operation_id=op["id"],
                path_params=path_params,
                query=dict(op["query"]),
                headers={name.lower(): param for name, param in op["headers"].items()},
                security_headers=frozenset(
                    name.lower() for name in op["security"] if schemes[name]["in"] == "header"
                ),
                has_body=op["request_body"],
                raw=op,
            )
        )
    return tuple(ops)


def operation(operation_id: str) -> Operation:
    for op in operations():
        if op.operation_id == operation_id:
            return op
    raise KeyError(operation_id)


def match_route(method: str, raw_path: str) -> Match:
    """The documented operation for a method and raw (still percent-encoded) path, or fail.

    Each `{param}` must be exactly one path segment, encoded canonically: decoding and re-encoding
    it gives it back, so no `/`, `?`, `#`, `%` or dot-segment can have reached CometChat raw.
    """
    prefix = base_path()
    assert raw_path.startswith(prefix + "/"), f"{raw_path!r} is outside {prefix}"
    path = raw_path[len(prefix) :]
    for op in operations():
        if op.method != method:
            continue
        found = op.regex.match(path)
        if not found:
            continue
        values = {}
        for name, raw in zip(op.path_params, found.groups(), strict=True):
            decoded = unquote(raw)
            assert canonical_segment(decoded) == raw, (
                f"{method} {raw_path}: segment {raw!r} for {{{name}}} is not canonically encoded"
            )
            values[name] = decoded
        return Match(op, values)
    raise AssertionError(f"{method} {raw_path}: no documented CometChat operation has this route")


def canonical_segment(value: str) -> str:
    """How one id must look as a path segment (mirrors RFC 3986 unreserved + dot-segment rule)."""
    encoded = quote(value, safe="")
    return encoded.replace(".", "%2E") if encoded in {".", ".."} else encoded


def check_request(
    method: str,
    raw_path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    *,
    body: bytes = b"",
    allowed_deviations: dict[tuple[str, str], str] | None = None,
) -> Match:
    """Assert a recorded request matches its operation: route, query names and types, headers."""
    found = match_route(method, raw_path)
    op = found.operation
    where = f"{method} {raw_path} ({op.operation_id})"
    deviations = QUERY_DEVIATIONS if allowed_deviations is None else allowed_deviations
    for name, values in query.items():
        declared = op.query.get(name)
        if declared is None:
            assert (op.operation_id, name) in deviations, f"{where}: undeclared query `{name}`"
            continue
        for value in values:
            assert_param_value(declared, value, where=f"{where} ?{name}")
    lowered = {k.lower(): v for k, v in headers.items()}
    for required in op.security_headers:
        assert lowered.get(required), f"{where}: security header `{required}` missing"
    for name, value in lowered.items():
        if name in TRANSPORT_HEADERS or name in op.security_headers:
            continue
        assert name in op.headers, f"{where}: header `{name}` is not declared for this operation"
        assert value, f"{where}: header `{name}` sent empty"
    for name, param in op.headers.items():
        if param.get("required"):
            assert lowered.get(name), f"{where}: required header `{name}` missing"
    if not op.has_body:
        assert not body, f"{where}: the operation takes no body, {len(body)} bytes sent"
    return found


def assert_param_value(param: dict[str, Any], value: str, *, where: str) -> None:
    kind = param.get("type", "string")
    if kind in {"integer", "number"}:
        assert re.fullmatch(r"-?\d+", value), f"{where}: {value!r} is not an integer"
        number = int(value)
        if "minimum" in param:
            assert number >= param["minimum"], f"{where}: {number} < minimum"
        if "maximum" in param:
            assert number <= param["maximum"], f"{where}: {number} > maximum"
    elif kind == "boolean":
        assert value in {"true", "false"}, f"{where}: {value!r} is not a boolean"
    elif kind == "array":
        items = param.get("items", {})
        for item in value.split(","):
            if "enum" in items:
                assert item in items["enum"], f"{where}: {item!r} not in {items['enum']}"
    if "enum" in param and kind != "array":
        assert value in param["enum"], f"{where}: {value!r} not in {param['enum']}"


def sample_answer(operation_id: str) -> Any:
    """The project's sample 200 answer for this operation (documented shape, quirks included)."""
    return json.loads(json.dumps(operation(operation_id).raw["sample"]))  # a fresh copy


def item_variants(operation_id: str) -> list[dict[str, Any]]:
    """Other shapes the contract says a list item may take, each with its fields' types."""
    return operation(operation_id).raw.get("item_variants", [])


def response_fields(operation_id: str) -> dict[str, str]:
    """Dotted response field path -> JSON type, as the contract describes the 200 answer."""
    return {path: spec["type"] for path, spec in operation(operation_id).raw["response"].items()}


def response_schema(operation_id: str) -> dict[str, Any]:
    """A JSON Schema for the 200 answer built from the contract's fields.

    Like the official schemas it leaves fields optional and open to extra keys: it checks that
    what is there has the documented type.
    """
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    for path, kind in response_fields(operation_id).items():
        node = schema
        for part in path.split("."):
            is_list = part.endswith("[]")
            name = part.removesuffix("[]")
            node = node.setdefault("properties", {}).setdefault(name, {})
            if is_list:
                node["type"] = "array"
                node = node.setdefault("items", {"type": "object"})
            else:
                node.setdefault("type", "object")
        node["type"] = kind
    return schema


def error_codes() -> dict[str, str]:
    """Documented CometChat error codes -> what they mean (the project's words)."""
    return load_contract()["errors"]["codes"]
