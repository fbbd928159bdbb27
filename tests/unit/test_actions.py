"""The action table is the one place that knows an action by name: every action has its row, and
no other module compares anything with an action's name to pick words, icons or calls."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cometchat import CometChatClient
from bot.domain.actions import ACTIONS, COMMAND_VERBS, HEARD, Role
from bot.domain.audit import AuditEntry
from bot.domain.member_events import Trigger
from bot.domain.moderation import ModerationAction
from bot.slack.moderation_blocks import done_notice, render_audit

BOT = Path(__file__).resolve().parents[2] / "bot"
NAMES = {action.value for action in ModerationAction}


def test_every_action_has_its_row_and_every_trigger_its_action():
    assert set(ACTIONS) == set(ModerationAction)
    assert all(spec.action is action for action, spec in ACTIONS.items())
    assert set(HEARD) == set(Trigger)


def test_what_the_bot_may_be_asked_for_has_a_client_call_and_a_moderator():
    for spec in ACTIONS.values():
        if spec.write is not None or spec.bulk is not None or spec.scope_write is not None:
            for method in (spec.write, spec.bulk, spec.scope_write):
                assert method is None or callable(getattr(CometChatClient, method, None)), method
            assert spec.who is Role.MODERATOR and spec.consequence
            assert (spec.bulk is None) is (spec.each is None)
        elif spec.command:  # only recorded: nothing to confirm, nothing asked of CometChat
            assert spec.records_only and spec.who is Role.MODERATOR and not spec.confirm
        else:
            assert spec.who is Role.NOBODY
    assert set(COMMAND_VERBS) == {"ban", "unban", "kick", "note"}


def test_words_are_distinct_per_action():
    for field in ("verb", "past", "icon"):
        values = [getattr(spec, field) for spec in ACTIONS.values()]
        assert len(set(values)) == len(values), field


@pytest.mark.parametrize("action", [a for a, s in ACTIONS.items() if s.write is not None])
def test_each_action_the_bot_does_is_worded_as_itself(action):
    spec = ACTIONS[action]
    notice = done_notice(action, "g-1", "u-1", duration=timedelta(hours=2)).text
    assert notice.startswith(f"{spec.notice_icon} {spec.headline} `u-1` from `g-1`")
    assert (" for 2 h." in notice) is spec.temporary
    done = AuditEntry(actor="U0MOD", action=action, guid="g-1", uid="u-1", at=0, outcome="done")
    assert render_audit(done).text.startswith(f"{spec.icon} <@U0MOD> {spec.past} `u-1`")
    failed = AuditEntry(actor="U0MOD", action=action, guid="g-1", uid="u-1", at=0, outcome="x")
    assert f"tried to {spec.verb} `u-1`" in render_audit(failed).text


def _names_an_action(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in NAMES


def _action_choices(tree: ast.AST) -> list[int]:
    """Lines comparing something with an action's name (`x == "ban"`, `"ban" if … else …`)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            named = [node.left, *node.comparators]
        elif isinstance(node, ast.IfExp):
            named = [node.body, node.orelse]
        else:
            continue
        if any(_names_an_action(n) for n in named):
            found.append(node.lineno)
    return found


def test_no_module_but_the_table_chooses_by_an_action_s_name():
    offenders = {}
    for path in BOT.rglob("*.py"):
        if path == BOT / "domain" / "actions.py":
            continue
        lines = _action_choices(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            offenders[str(path.relative_to(BOT))] = lines
    assert offenders == {}


def test_the_check_would_catch_the_old_two_way_choice():
    old = "verb = 'banned' if entry.action == 'ban' else 'unbanned'"
    assert _action_choices(ast.parse(old)) == [1]
