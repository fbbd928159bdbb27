"""Workflow Builder steps as Slack knows them (manifest.workflows.yml declares the same names):
their callback ids, their inputs and outputs, and what each answers. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.moderation import ModerationEvent
from bot.slack.message import Message
from bot.slack.messages import as_plain_text
from bot.slack.text import case_ref

STEP_BAN = "ban_cometchat_user"
STEP_UNBAN = "unban_cometchat_user"
STEP_IS_BANNED = "is_cometchat_user_banned"
STEPS = (STEP_BAN, STEP_UNBAN, STEP_IS_BANNED)

# Inputs. `moderator` is a user_context: Slack fills it with the person who ran the workflow (or
# pressed its button); a workflow's builder cannot type someone else's id into it.
IN_GROUP = "group_id"
IN_USER = "user_id"
IN_DURATION = "duration"
IN_REASON = "reason"
IN_MODERATOR = "moderator"

# Outputs.
OUT_CASE_NUMBER = "case_number"
OUT_CASE = "case"
OUT_SUMMARY = "summary"
OUT_BANNED = "banned"
OUT_GROUPS = "groups"


def text_input(inputs: dict[str, Any], name: str) -> str:
    """A text input as the step received it; absent or not text reads as empty."""
    value = inputs.get(name)
    return value if isinstance(value, str) else ""


def moderator_of(inputs: dict[str, Any]) -> str | None:
    """The Slack user id in the step's user_context input, if it holds one."""
    context = inputs.get(IN_MODERATOR)
    user = context.get("id") if isinstance(context, dict) else None
    return user if isinstance(user, str) and user else None


def moderation_outputs(notice: Message, case: int | None) -> dict[str, Any]:
    """A ban or unban that was done. Without a case number its history could not be kept (the
    summary says so), and the later steps get no number."""
    outputs: dict[str, Any] = {OUT_SUMMARY: as_plain_text(notice)}
    if case is not None:
        outputs[OUT_CASE_NUMBER] = case
        outputs[OUT_CASE] = case_ref(case)
    return outputs


def lookup_outputs(uid: str, bans: Sequence[ModerationEvent]) -> dict[str, Any]:
    """Where the history says `uid` is banned (newest first)."""
    groups = [ban.guid for ban in bans]
    if groups:
        summary = f"{uid} is banned from {len(groups)} group(s): {', '.join(groups)}."
    else:
        summary = f"The bot's history knows of no group {uid} is banned from."
    return {OUT_BANNED: bool(groups), OUT_GROUPS: groups, OUT_SUMMARY: summary}
