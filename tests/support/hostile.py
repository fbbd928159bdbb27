"""Hypothesis strategies for hostile input: what a curious or malicious Slack user can send."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Fragments that have broken URL building, mrkdwn rendering or JSON decoding somewhere before.
FRAGMENTS = [
    "../",
    "..",
    ".",
    "/",
    "\\",
    "?",
    "#",
    "&",
    "=",
    "+",
    "%",
    "%2F",
    "%2f",
    "%2e%2e",
    "%00",
    "%25",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0123ABCD>",
    "<#C0123|general>",
    "<https://evil.example|click me>",
    "&lt;",
    "&amp;",
    "`",
    "```",
    "*bold*",
    "_it_",
    "~s~",
    '{"g":"x"}',
    '{"g":"cometchat-guid-1","p":2,"n":10}',
    '"}',
    "{",
    "[1,",
    "null",
    "true",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\u202e",  # right-to-left override
    "\ufeff",  # byte-order mark
    "\u200b",  # zero-width space
    "\n",
    "\r\n",
    "\t",
    " ",
    "\u00a0",  # no-break space: str.split() treats it as whitespace
    "ü",
    "☃",
    "𝕏",
    "help",
    "ban",
    "unban",
    "search",
    "-h",
    "--page",
    "cometchat-guid-1",
    "g1",
    "user-001",
    "ghost-user",
]

fragment = st.sampled_from(FRAGMENTS)

# Arbitrary unicode (hypothesis' default alphabet includes control characters, not surrogates).
any_text = st.text()

# Hostile pieces glued together, with or without spaces between them.
glued = st.lists(fragment | st.text(max_size=4), min_size=1, max_size=8).map("".join)
spaced = st.lists(fragment | st.text(max_size=6), min_size=1, max_size=6).map(" ".join)

# Far beyond any limit we or Slack have (40k ≈ Slack's message text cap).
huge = st.builds(lambda piece, n: piece * n, fragment | st.just("a"), st.integers(500, 40_000))

# Valid-looking ids (the pattern the bot accepts) — to reach CometChat with odd but legal ids.
legal_id = st.from_regex(r"[A-Za-z0-9_\-.@:+]{1,100}", fullmatch=True) | st.sampled_from(
    ["cometchat-guid-1", "g1", "empty-group", "..", ".", "...", "a.b", "+@:", "-"]
)

hostile_text = st.one_of(any_text, glued, spaced, huge, legal_id, fragment)


def json_values(*, finite: bool = False) -> st.SearchStrategy[Any]:
    """JSON-able values; `finite` leaves out NaN/Infinity (not valid JSON, httpx refuses them)."""
    floats = st.floats(allow_nan=not finite, allow_infinity=not finite)
    scalars = st.none() | st.booleans() | st.integers() | floats | hostile_text
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=8,
    )


page_number = st.one_of(
    st.integers(-3, 5),
    st.integers(),
    st.just(10**30),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.none(),
    st.booleans(),
)


def cursor_like() -> st.SearchStrategy[str]:
    """JSON shaped like our button values, with hostile fields and extra keys."""
    fields = st.fixed_dictionaries(
        {"g": hostile_text | legal_id},
        optional={
            "p": page_number,
            "n": page_number,
            "q": hostile_text,
            "u": hostile_text | legal_id,
            "x": json_values(),
        },
    )
    return fields.map(lambda d: json.dumps(d, allow_nan=True))


button_value = st.one_of(
    hostile_text,
    json_values().map(lambda v: json.dumps(v, allow_nan=True)),
    cursor_like(),
    cursor_like(),  # weighted: shaped values reach further into the handlers
)


def strings_in(raw: str) -> set[str]:
    """Every string an input could legitimately contribute as an id: itself, its words, and the
    string leaves of its JSON decoding (button values are JSON)."""
    found = {raw, raw.strip(), *raw.split()}
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):  # `[1,` * 2000 nests deeper than json allows
        return found

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.update({node, node.strip(), *node.split()})
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(decoded)
    return found
