"""Every error a user can meet, worded once: one table, keyed by error class and read along the
class's MRO (an error without an entry of its own takes its nearest parent's). Listeners, use
cases and the CLI raise or catch; this module says what the person is told, what the operator
should check, how loud the log line is, and what a ban/unban that ended in the error is called in
the audit trail. The entries are in `bot_error_words` and `cometchat_error_words`."""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.domain.moderation import ModerationAction
from bot.slack.bot_error_words import BOT_ERRORS
from bot.slack.cometchat_error_words import COMETCHAT_ERRORS
from bot.slack.message import Message
from bot.slack.text import code
from bot.slack.usage import USAGE as USAGE  # re-exported: the usage is part of the words
from bot.slack.usage import usage as usage
from bot.slack.wording import FAILED, Attempt, Outcome, Wording

WORDINGS: dict[type[BaseException], Wording[Any]] = {**BOT_ERRORS, **COMETCHAT_ERRORS}


# Resolved along the MRO once per class; filling it twice from two threads is harmless.
_RESOLVED: dict[type[BaseException], Wording[Any] | None] = {}


def wording_for(error: BaseException) -> Wording[Any] | None:
    """The nearest entry along the error's class hierarchy; None for an error nobody expected."""
    kind = type(error)
    if kind not in _RESOLVED:
        _RESOLVED[kind] = next((WORDINGS[k] for k in kind.__mro__ if k in WORDINGS), None)
    return _RESOLVED[kind]


# -- what the rest of the bot reads --------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """An error as each audience needs it, from one look-up of its entry."""

    message: Message  # for the person
    level: int  # of its log line
    hint: str | None  # for the operator


def failure(error: BaseException, *, ref: str = "") -> Failure:
    wording = wording_for(error)
    if wording is None:
        return Failure(_unexpected(ref), logging.ERROR, None)
    hint = wording.hint(error) if wording.hint is not None else None
    return Failure(wording.user(error), wording.level, hint)


def _unexpected(ref: str) -> Message:
    suffix = f" (reference {code(ref)})" if ref else ""
    return Message(
        text=f":warning: Something went wrong on our side{suffix}. It has been logged; "
        "please try again, and tell the bot's operator if it keeps happening."
    )


def explain(error: BaseException, *, ref: str = "") -> Message:
    """The user-facing message for an error. Unknown errors get a reference, never a trace."""
    wording = wording_for(error)
    return wording.user(error) if wording is not None else _unexpected(ref)


def explain_moderation(
    error: BaseException, *, action: ModerationAction, guid: str, uid: str, ref: str = ""
) -> Message:
    """An action that did not happen, worded with the user and group it was about."""
    wording = wording_for(error)
    if wording is not None and wording.moderation is not None:
        return wording.moderation(error, Attempt(action, guid, uid))
    return explain(error, ref=ref)


def as_plain_text(message: Message) -> str:
    """A worded message where only plain text shows (a form field's error, a workflow step's
    error): without the emoji code opening each line and backticks, `&lt;` read back as `<`."""
    text = _LINE_ICON.sub("", message.text)
    return html.unescape(text.replace("`", ""))


_LINE_ICON = re.compile(r"^:[a-z0-9_+-]+: ", re.MULTILINE)


def operator_hint(error: BaseException) -> str | None:
    """What the operator should check, for the log line. Names settings, never their values."""
    wording = wording_for(error)
    return wording.hint(error) if wording is not None and wording.hint is not None else None


def log_level_for(error: BaseException) -> int:
    wording = wording_for(error)
    return wording.level if wording is not None else logging.ERROR


def outcome_of(error: BaseException) -> Outcome:
    """How a ban/unban that ended in `error` is recorded in the audit trail."""
    wording = wording_for(error)
    return wording.outcome if wording is not None else FAILED


# The audit channel has only an entry's outcome name to go on.
OUTCOME_WORDS = {w.outcome.name: w.outcome.words for w in WORDINGS.values() if w.outcome.words}
