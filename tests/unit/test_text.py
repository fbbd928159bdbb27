"""bot.slack.text.escape: its fast path agrees with the plain definition on any text."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from bot.slack.text import escape


def reference_escape(value: str) -> str:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(escaped.split())


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
@example(" leading")
@example("trailing ")
@example("two  spaces")
@example("tab\there")
@example("nbsp\u00a0and\u2028line separator")
@example("<!channel> & <@U1>")
@example("")
def test_escape_equals_its_definition(value):
    assert escape(value) == reference_escape(value)
