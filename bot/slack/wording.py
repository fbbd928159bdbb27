"""The shape of one entry of the error table (see `bot.slack.messages`): what an error means to
the person in Slack, to the operator, to the log and to the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.domain.moderation import ModerationAction
from bot.slack.message import Message

E = TypeVar("E", bound=BaseException)


@dataclass(frozen=True)
class Attempt:
    """The action an error interrupted: its words name the user and the group."""

    action: ModerationAction
    guid: str
    uid: str


@dataclass(frozen=True)
class Outcome:
    """How a ban/unban that ended in an error is recorded: `name` in the audit entry, `words`
    in the audit channel (None: "failed" and the error's code)."""

    name: str
    words: str | None = None


FAILED = Outcome("failed")
# Writes are not retried: the request may have reached CometChat before it went quiet, and a
# garbled 2xx most likely means it did.
UNCERTAIN = Outcome("uncertain", "CometChat did not confirm; it may or may not have happened")


@dataclass(frozen=True)
class Wording(Generic[E]):
    """What one kind of error means to each audience."""

    user: Callable[[E], Message]  # the person in Slack (user data escaped)
    level: int  # of the failure's log line
    hint: Callable[[E], str] | None = None  # the operator: settings' names, never their values
    outcome: Outcome = FAILED  # a ban/unban that ended in this error
    moderation: Callable[[E, Attempt], Message] | None = None  # that ban/unban, worded


def text(words: str) -> Callable[[BaseException], Message]:
    """Words that do not depend on the error's details."""
    return lambda _error: Message(text=words)
