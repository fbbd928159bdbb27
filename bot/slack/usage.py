"""How `/banned` explains itself: the usage text, shown alone or under a complaint. Its forms
and words are the grammar's (bot.domain.grammar), as are the manifest's hint and the command
table of docs/moderators.md."""

from __future__ import annotations

from bot.domain.grammar import EXAMPLES, FORMS, CommandForm, typed
from bot.slack.message import Message
from bot.slack.text import escape


def _line(form: CommandForm) -> str:
    # `<…>` is Slack's control syntax even inside code spans, hence &lt; &gt; for placeholders.
    return f"`{escape(form.typed)}` {form.usage}"


def _usage() -> str:
    lines = [_line(form) for form in FORMS]
    lines[0] = f"*Usage:* {lines[0]}"
    examples = ", or ".join(f"`{escape(typed(example))}`" for example in EXAMPLES)
    return "\n".join([*lines, f"*Example:* {examples}"])


USAGE = _usage()


def usage(prefix: str = "") -> Message:
    text = f"{prefix}\n\n{USAGE}" if prefix else USAGE
    return Message(text=text)
