"""A raid alert in Slack, pure: how many joined and how fast, how many accounts are young, the
newest joiners, and what a moderator can do about it. Picture in, Block Kit out."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.actions import ACTIONS
from bot.domain.button_values import RaidRef
from bot.domain.moderation import ModerationAction
from bot.domain.raids import Joiner, RaidPicture
from bot.slack import kit
from bot.slack.kit import Json
from bot.slack.message import Message
from bot.slack.moderation_blocks import confirm_dialog, plain
from bot.slack.text import code, date_token, escape, mention, truncate

ACTION_RAID_REVIEW = "banned_raid_review"
ACTION_RAID_LOCKDOWN = "banned_raid_lockdown"
ACTION_RAID_DISMISS = "banned_raid_dismiss"
ALERT_BLOCK_ID = "raid_alert"
NEWEST_BLOCK_ID = "raid_newest"
STATUS_BLOCK_ID = "raid_status"
ACTIONS_BLOCK_ID = "raid_actions"

# What *Lock down* under an alert does: long enough to mass ban calmly, short enough to forget.
RAID_LOCKDOWN = timedelta(minutes=30)
RAID_LOCKDOWN_REASON = "raid alert"
ICON = ":rotating_light:"
CALM_ICON = ":white_check_mark:"

_MASS_BAN = ACTIONS[ModerationAction.MASS_BAN]
_LOCK = ACTIONS[ModerationAction.LOCKDOWN]


def _joins(count: int) -> str:
    return f"{count:,} join{'' if count == 1 else 's'}"


def _accounts(count: int) -> str:
    return f"{count:,} account{'' if count == 1 else 's'}"


def _time(at_seconds: int) -> str:
    return date_token(at_seconds, "{time}")


def _joiner(joiner: Joiner) -> str:
    name = f" {escape(truncate(joiner.name, 40))}" if joiner.name else ""
    return f"{code(truncate(joiner.uid, 100))}{name} ({_time(int(joiner.joined_at.timestamp()))})"


def render_raid_alert(picture: RaidPicture) -> Message:
    """The alert while the raid lasts, once dismissed, and once it has calmed down."""
    alert = picture.alert
    name = escape(truncate(alert.group_name or alert.guid, 100))
    started = _time(int(alert.started_at.timestamp()))
    if alert.calmed_at is not None:
        total = alert.total if alert.total is not None else picture.total
        headline = (
            f"{CALM_ICON} *The raid on {name} calmed down* ({code(alert.guid)}) at "
            f"{_time(int(alert.calmed_at.timestamp()))}: {_joins(total)} in total since {started}."
        )
    else:
        headline = (
            f"{ICON} *Raid on {name}* ({code(alert.guid)}): {_joins(picture.last_minute)} in "
            "the last minute, "
            f"{_joins(picture.total)} since {started}."
        )
    ages = f"{_accounts(picture.young)} younger than a day"
    if picture.unknown_age:
        ages += f", {picture.unknown_age:,} of unknown age"
    lines = [headline, ages + "."]
    blocks: list[Json] = [kit.section(ALERT_BLOCK_ID, "\n".join(lines))]
    if picture.newest:
        newest = ", ".join(_joiner(j) for j in picture.newest)
        blocks.append(kit.context(NEWEST_BLOCK_ID, truncate(f"*Newest:* {newest}", 2900)))
    status = _status(picture)
    if status:
        blocks.append(kit.context(STATUS_BLOCK_ID, status))
    buttons = _buttons(picture)
    if buttons:
        blocks.append(kit.actions(ACTIONS_BLOCK_ID, buttons))
    text = truncate(" ".join(lines), 3000)
    return Message(text=text, blocks=tuple(blocks))


def _status(picture: RaidPicture) -> str:
    alert = picture.alert
    if alert.dismissed_at is not None:
        who = mention(alert.dismissed_by) if alert.dismissed_by else "a moderator"
        return f"Dismissed by {who} at {_time(int(alert.dismissed_at.timestamp()))}."
    if alert.calmed_at is None:
        return f"Updated {_time(int(picture.now.timestamp()))}; it says when the raid calms down."
    return ""


def _buttons(picture: RaidPicture) -> list[Json]:
    alert = picture.alert
    if alert.dismissed_at is not None:
        return []
    value = RaidRef(guid=alert.guid, raid=alert.raid).encode()
    # The raid's joiners can still be reviewed once it has calmed down.
    buttons = [
        kit.button(ACTION_RAID_REVIEW, f"Review and {_MASS_BAN.verb}", value, style="primary")
    ]
    if alert.calmed_at is not None:
        return buttons
    minutes = int(RAID_LOCKDOWN.total_seconds() // 60)
    dialog = confirm_dialog(
        f"{_LOCK.button} for {minutes} min?",
        f"{_LOCK.button} {plain(alert.group_name or alert.guid, 80)} for {minutes} minutes? "
        f"{_LOCK.consequence}",
        _LOCK.button,
        style="danger",
    )
    buttons.append(
        kit.button(ACTION_RAID_LOCKDOWN, f"{_LOCK.button} {minutes} min", value, confirm=dialog)
    )
    buttons.append(kit.button(ACTION_RAID_DISMISS, "Dismiss", value))
    return buttons


def raid_alert_gone(guid: str) -> Message:
    """A button of an alert whose raid is no longer the group's latest."""
    return Message(
        text=f":information_source: This raid alert for group {code(guid)} is out of date; "
        "nothing was changed."
    )


def raid_already_dismissed(guid: str, by: str | None) -> Message:
    who = mention(by) if by else "someone"
    return Message(
        text=f":information_source: The raid alert for group {code(guid)} was already "
        f"dismissed by {who}."
    )


def raid_dismissed(guid: str) -> Message:
    return Message(text=f":white_check_mark: Dismissed the raid alert for group {code(guid)}.")
