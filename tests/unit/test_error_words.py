"""The one error table: every error class has its own words and level, and nothing else decides.

Listeners, the use cases, the job backstop and the CLI all read `bot.slack.messages`; these tests
make sure a new error class cannot arrive without its wording.
"""

from __future__ import annotations

import logging
import re

import pytest

from bot.cometchat import errors as cc
from bot.domain import errors as domain
from bot.domain.audit import AuditEntry
from bot.slack import messages
from bot.slack.moderation_blocks import render_audit
from bot.slack.wording import FAILED
from tests.support.error_kinds import instantiate, subclasses

FAMILIES = [domain.BotError, *subclasses(domain.BotError)]
FAMILIES += [cc.CometChatError, *subclasses(cc.CometChatError)]

# What the operator must act on is logged at WARNING; what a user typed or clicked, at INFO.
WARNINGS = {
    domain.ExportFailed,
    domain.JobQueueFull,
    domain.ExportTimedOut,
    domain.HistoryUnavailable,
    domain.HistoryUnreadable,
    domain.MassActionNeedsHistory,
    domain.LockdownNeedsHistory,
    cc.CometChatError,
    cc.Rejected,
    cc.AuthRejected,
    cc.PermissionDenied,
    cc.RateLimited,
    cc.Unavailable,
    cc.UnexpectedResponse,
}
WITH_HINTS = {
    domain.HistoryUnavailable,
    domain.MassActionNeedsHistory,
    domain.LockdownNeedsHistory,
    domain.HistoryUnreadable,
    domain.ExportFailed,
    domain.JobQueueFull,
    domain.ExportTimedOut,
    cc.AuthRejected,
    cc.PermissionDenied,
}


@pytest.mark.parametrize("kind", FAMILIES, ids=lambda k: k.__name__)
def test_every_error_class_has_its_own_words_level_and_hint(kind):
    assert kind in messages.WORDINGS, f"{kind.__name__} has no entry in the error table"
    error = instantiate(kind, "<!channel> x")
    worded = messages.explain(error, ref="r1")
    assert worded.text.strip()
    assert "<!channel>" not in worded.text  # user data is escaped
    assert "Something went wrong" not in worded.text  # that is for errors nobody expected
    expected = logging.WARNING if kind in WARNINGS else logging.INFO
    assert messages.log_level_for(error) == expected
    hint = messages.operator_hint(error)
    assert (hint is not None) == (kind in WITH_HINTS)
    assert hint is None or hint.strip()


def test_the_bot_s_startup_error_is_not_for_users():
    # It never reaches Slack: the operator reads it on the terminal, so it has no entry.
    assert domain.StartupError not in messages.WORDINGS


def test_an_error_without_its_own_entry_takes_its_nearest_parent_s():
    class Flaky(cc.Unavailable):
        pass

    class Odd(domain.BotError):
        pass

    flaky = Flaky()
    assert messages.explain(flaky).text == messages.explain(cc.Unavailable()).text
    assert messages.log_level_for(flaky) == logging.WARNING
    assert messages.outcome_of(flaky).name == "uncertain"
    odd = Odd("a <b>")
    assert messages.explain(odd).text == ":x: a &lt;b&gt;"
    assert messages.log_level_for(odd) == logging.INFO


def test_an_unexpected_error_gets_a_reference_an_error_level_and_no_hint():
    error = RuntimeError("secret detail")
    assert messages.wording_for(error) is None
    text = messages.explain(error, ref="abc").text
    assert "reference `abc`" in text and "secret detail" not in text
    assert messages.log_level_for(error) == logging.ERROR
    assert messages.operator_hint(error) is None
    assert messages.outcome_of(error) is FAILED


OUTCOMES = {
    cc.AlreadyBanned: "already_banned",
    cc.NotBanned: "not_banned",
    cc.NotAMember: "not_a_member",
    cc.UserNotFound: "user_not_found",
    cc.GroupNotFound: "group_not_found",
    cc.Unavailable: "uncertain",
    cc.UnexpectedResponse: "uncertain",
    domain.HistoryUnavailable: "no_database",
    domain.MassActionNeedsHistory: "no_database",
    domain.LockdownNeedsHistory: "no_database",
}


@pytest.mark.parametrize("kind", FAMILIES, ids=lambda k: k.__name__)
def test_every_outcome_name_is_worded_in_the_audit_channel(kind):
    outcome = messages.outcome_of(instantiate(kind, "x"))
    assert outcome.name == OUTCOMES.get(kind, "failed")
    assert re.fullmatch(r"[a-z_]+", outcome.name)
    entry = AuditEntry(
        actor="U0MOD", action="ban", guid="g", uid="u", at=0, outcome=outcome.name, error="E1"
    )
    line = render_audit(entry).text
    if outcome is FAILED:
        assert "not done: failed (E1)" in line
    else:
        assert outcome.words and line.endswith(f"not done: {outcome.words}")


def test_one_outcome_name_has_one_wording():
    worded: dict[str, set[str | None]] = {}
    for wording in messages.WORDINGS.values():
        worded.setdefault(wording.outcome.name, set()).add(wording.outcome.words)
    assert all(len(words) == 1 for words in worded.values()), worded
