"""A lockdown in Slack, pure: the notice with its *Lift lockdown* button, and the lift's."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.actions import ACTIONS
from bot.domain.button_values import LockdownRef
from bot.domain.duration import describe_duration
from bot.domain.moderation import ModerationAction
from bot.slack import kit
from bot.slack.message import Message
from bot.slack.text import code, date_token, escape

ACTION_LOCKDOWN_LIFT = "banned_lockdown_lift"

_LOCK = ACTIONS[ModerationAction.LOCKDOWN]
_END = ACTIONS[ModerationAction.LOCKDOWN_END]


def lockdown_notice(guid: str, duration: timedelta, ends_at: datetime, reason: str) -> Message:
    text = (
        f"{_LOCK.notice_icon} {_LOCK.headline} group {code(guid)} for "
        f"{describe_duration(duration)}, until {date_token(int(ends_at.timestamp()))}. "
        f"{_LOCK.consequence}"
    )
    if reason:
        text += f" Reason: {escape(reason)}"
    value = LockdownRef(guid=guid).encode()
    return Message(
        text=text,
        blocks=(
            kit.section("lockdown_notice", text),
            kit.actions(
                "lockdown_lift", [kit.button(ACTION_LOCKDOWN_LIFT, "Lift lockdown", value)]
            ),
        ),
    )


def lockdown_already(guid: str) -> Message:
    return Message(
        text=f":information_source: Group {code(guid)} is locked down already; nothing changed."
    )


def lifted_notice(guid: str, restored: dict[str, object]) -> Message:
    back = ", ".join(f"{code(key)} {code(str(value))}" for key, value in sorted(restored.items()))
    return Message(text=f"{_END.notice_icon} {_END.headline} in group {code(guid)}: {back} again.")


def nothing_to_lift(guid: str) -> Message:
    return Message(text=f":information_source: Group {code(guid)} is not locked down (any more).")
