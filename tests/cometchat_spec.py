"""CometChat's OpenAPI excerpt as a test oracle: does a request match a documented operation?

The spec lives beside the repository (`<repo>/../shared/cometchat/chat-apis.groups.json`); CI runs
a fresh clone with `shared/` next to it, so the path is computed from this file, never the cwd.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = REPO_ROOT.parent / "shared" / "cometchat" / "chat-apis.groups.json"

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

# Deliberate, documented departures from the spec, keyed by (operationId, query parameter).
# Each needs a reason; a request using an undeclared parameter not listed here fails the contract.
QUERY_DEVIATIONS: dict[tuple[str, str], str] = {
    # Issue 5 (search): CometChat's list endpoints accept `searchKey` and the bot also filters the
    # page itself, so an ignored parameter cannot show wrong users. The excerpt declares
    # `searchKey` on GET /groups and /messages, not on GET /groups/{guid}/bannedusers.
    ("list-banned-group-users", "searchKey"): "issue 5 search; page re-filtered by the bot",
}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # e.g. /groups/{guid}/bannedusers/{uid}
    operation_id: str
    path_params: tuple[str, ...]
    query: dict[str, dict[str, Any]]  # name -> parameter object
    headers: dict[str, dict[str, Any]]  # lower-cased name -> parameter object
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
def load_spec() -> dict[str, Any]:
    assert SPEC_PATH.is_file(), f"CometChat spec not found at {SPEC_PATH} (shared/ beside repo)"
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def base_path() -> str:
    """The path part of the spec's server URL (`/v3`)."""
    return urlsplit(load_spec()["servers"][0]["url"].replace("{", "").replace("}", "")).path


def _resolve(obj: dict[str, Any]) -> dict[str, Any]:
    ref = obj.get("$ref")
    if not ref:
        return obj
    node: Any = load_spec()
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


@functools.cache
def operations() -> tuple[Operation, ...]:
    spec = load_spec()
    schemes = spec["components"]["securitySchemes"]
    ops = []
    for template, methods in spec["paths"].items():
        shared = [_resolve(p) for p in methods.get("parameters", [])]
        for method, op in methods.items():
            if method == "parameters":
                continue
            params = shared + [_resolve(p) for p in op.get("parameters", [])]
            security = set()
            for requirement in op.get("security", spec.get("security", [])):
                for name in requirement:
                    scheme = schemes[name]
                    if scheme["type"] == "apiKey" and scheme["in"] == "header":
                        security.add(scheme["name"].lower())
            ops.append(
                Operation(
                    method=method.upper(),
                    template=template,
                    operation_id=op["operationId"],
                    path_params=tuple(re.findall(r"\{([^}]+)\}", template)),
                    query={p["name"]: p for p in params if p["in"] == "query"},
                    headers={p["name"].lower(): p for p in params if p["in"] == "header"},
                    security_headers=frozenset(security),
                    has_body="requestBody" in op,
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
    schema = param.get("schema", {})
    kind = schema.get("type", "string")
    if kind in {"integer", "number"}:
        assert re.fullmatch(r"-?\d+", value), f"{where}: {value!r} is not an integer"
        number = int(value)
        if "minimum" in schema:
            assert number >= schema["minimum"], f"{where}: {number} < minimum"
        if "maximum" in schema:
            assert number <= schema["maximum"], f"{where}: {number} > maximum"
    elif kind == "boolean":
        assert value in {"true", "false"}, f"{where}: {value!r} is not a boolean"
    elif kind == "array":
        items = schema.get("items", {})
        for item in value.split(","):
            if "enum" in items:
                assert item in items["enum"], f"{where}: {item!r} not in {items['enum']}"
    if "enum" in schema and kind != "array":
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"


def example_responses(operation_id: str) -> list[Any]:
    """Every example body the spec gives for this operation's 2xx JSON answers."""
    op = operation(operation_id).raw
    found = []
    for status, response in op.get("responses", {}).items():
        if not str(status).startswith("2"):
            continue
        for media in response.get("content", {}).values():
            if "example" in media:
                found.append(media["example"])
            for example in (media.get("examples") or {}).values():
                found.append(example.get("value"))
    return found


def response_schema(operation_id: str) -> dict[str, Any]:
    op = operation(operation_id).raw
    return op["responses"]["200"]["content"]["application/json"]["schema"]
