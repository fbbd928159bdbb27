"""A mass ban in Slack, pure: the form, the preview that confirms it, its progress and its
report. Models in, Block Kit out; every uid and reason escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.actions import ACTIONS
from bot.domain.button_values import MassBanRef
from bot.domain.duration import PERMANENT, describe_duration
from bot.domain.massban import (
    MAX_AGE_DAYS,
    MAX_UIDS,
    MAX_WINDOW_MINUTES,
    PREVIEW_ROWS,
    UNDO_WINDOW,
    MassBanReport,
    Member,
    Preview,
    UndoReport,
)
from bot.domain.moderation import MAX_REASON_LENGTH, ModerationAction
from bot.slack import kit
from bot.slack.kit import Json
from bot.slack.message import Message
from bot.slack.moderation_blocks import BAN_DURATIONS, undo_row
from bot.slack.picker import ACTION_PICK_GROUP

# The list's *Mass ban…* button is drawn with the list's other tools (moderation_blocks.ban_row).
from bot.slack.text import case_ref, code, date_token, escape, truncate

VIEW_MASSBAN = "banned_massban_modal"  # step 1: whom?
VIEW_MASSBAN_ANYWHERE = "banned_massban_anywhere_modal"  # step 1 from Home: which group, whom?
MB_GROUP_BLOCK_ID = "massban_group"  # its group, chosen with the group picker
VIEW_MASSBAN_CONFIRM = "banned_massban_confirm"  # step 2: the preview; submitting it bans
UIDS_BLOCK_ID, UIDS_ACTION_ID = "massban_uids", "uids"
WINDOW_BLOCK_ID, WINDOW_ACTION_ID = "massban_window", "minutes"
AGE_BLOCK_ID, AGE_ACTION_ID = "massban_age", "days"
MB_DURATION_BLOCK_ID, MB_DURATION_ACTION_ID = "massban_duration", "duration"
MB_REASON_BLOCK_ID, MB_REASON_ACTION_ID = "massban_reason", "reason"

_SPEC = ACTIONS[ModerationAction.MASS_BAN]
# Uids named in one line of the preview or report before "and N more".
_NAMED = 30
# Slack's limit on one text input (the pasted uids).
_PASTE_LIMIT = 3000 * 4


def _users(count: int) -> str:
    return f"{count} user{'' if count == 1 else 's'}"


def massban_modal(
    ref: MassBanRef | None, *, minutes: int | None = None, days: int | None = None
) -> Json:
    """Step 1: pasted uids and/or a join window, one duration and one reason for all.
    `minutes` pre-fills the window and `days` the account age (a raid alert's *Review and mass
    ban*; the age field then says why it is filled in). Without `ref` (the Home tab: no group in
    context) the group is asked for first, with the group picker."""
    uids = kit.plain_text_input(
        UIDS_ACTION_ID,
        placeholder="uids separated by spaces, commas or lines",
        multiline=True,
        max_length=_PASTE_LIMIT,
    )
    window = kit.plain_text_input(WINDOW_ACTION_ID, placeholder="e.g. 30", max_length=4)
    if minutes is not None:
        window["initial_value"] = str(minutes)
    age = kit.plain_text_input(AGE_ACTION_ID, placeholder="e.g. 1", max_length=4)
    age_hint = f"1 to {MAX_AGE_DAYS:,}. Empty: any age."
    if days is not None:
        age["initial_value"] = str(days)
        # Said, not silent: the filter leaves the raid's older accounts out.
        age_hint = (
            "Filled in by the raid alert: most of the raid's accounts are younger than a day. "
            "Older accounts that joined in the window are left out; empty it to include them."
        )
    options = [kit.option(value, label) for value, label in BAN_DURATIONS.items()]
    duration = kit.static_select(
        MB_DURATION_ACTION_ID, options, initial=kit.option(PERMANENT, BAN_DURATIONS[PERMANENT])
    )
    reason = kit.plain_text_input(
        MB_REASON_ACTION_ID, placeholder="e.g. raid", max_length=MAX_REASON_LENGTH, multiline=True
    )
    if ref is None:
        picker = kit.external_select(
            ACTION_PICK_GROUP, "Type a group's name or id", min_query_length=0
        )
        where = "one group"
        first = [kit.input_block(MB_GROUP_BLOCK_ID, "CometChat group", picker)]
    else:
        where, first = f"group {code(ref.guid)}", []
    return kit.modal(
        VIEW_MASSBAN if ref is not None else VIEW_MASSBAN_ANYWHERE,
        "Mass ban",
        [
            kit.section(
                None,
                f"Ban many users from {where} at once. You will see who is picked "
                "before anything happens. The group's admins and moderators, and the protected "
                "uids, are never picked.",
            ),
            *first,
            kit.input_block(
                UIDS_BLOCK_ID,
                "Uids",
                uids,
                hint=f"Up to {MAX_UIDS:,}, with any separators.",
                optional=True,
            ),
            kit.input_block(
                WINDOW_BLOCK_ID,
                "And everyone who joined in the last … minutes",
                window,
                hint=f"1 to {MAX_WINDOW_MINUTES:,}.",
                optional=True,
            ),
            kit.input_block(
                AGE_BLOCK_ID,
                "Of those, only accounts younger than … days",
                age,
                hint=age_hint,
                optional=True,
            ),
            kit.input_block(MB_DURATION_BLOCK_ID, "Duration", duration),
            kit.input_block(MB_REASON_BLOCK_ID, "Reason", reason, optional=True),
        ],
        submit="Preview",
        close="Cancel",
        private_metadata=ref.encode() if ref is not None else None,
    )


def preparing_modal() -> Json:
    """Shown while the preview is read from CometChat (it may take more than Slack waits)."""
    return kit.modal(
        VIEW_MASSBAN_CONFIRM,
        "Mass ban",
        [kit.section(None, ":hourglass_flowing_sand: Reading the group's members…")],
        close="Cancel",
    )


def failed_modal(message: Message) -> Json:
    """The preview could not be drawn: why, in the usual words."""
    return kit.modal(
        VIEW_MASSBAN_CONFIRM, "Mass ban", [kit.section(None, message.text)], close="Close"
    )


def named_uids(uids: Sequence[str]) -> str:
    """The first few uids, then how many more."""
    shown = ", ".join(code(uid) for uid in uids[:_NAMED])
    more = len(uids) - _NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def _age(member: Member, now: datetime) -> str:
    if member.created_at is None:
        return "account age unknown"
    days = (now - member.created_at) / timedelta(days=1)
    return (
        f"account {days:.0f} day{'' if round(days) == 1 else 's'} old"
        if days >= 1
        else ("account made today")
    )


def _terms(duration: timedelta | None, reason: str) -> str:
    lines = [f"*Duration:* {describe_duration(duration)}"]
    lines.append(f"*Reason:* {escape(truncate(reason, 300)) if reason else 'none given'}")
    return "\n".join(lines)


def preview_modal(preview: Preview, ref: MassBanRef, *, now: datetime) -> Json:
    """Step 2: how many, the first of them with join time and account age, who was left out
    and why. Submitting bans (no submit button when nobody would be)."""
    count = len(preview.picked)
    blocks: list[Json] = []
    if count:
        blocks.append(
            kit.section(
                None,
                f":rotating_light: *Ban {_users(count)} from group {code(preview.guid)}?*\n"
                f"{_terms(preview.duration, preview.reason)}",
            )
        )
        rows = []
        for member in preview.picked[:PREVIEW_ROWS]:
            joined = (
                f"joined {date_token(int(member.joined_at.timestamp()))}"
                if member.joined_at is not None
                else "not a member"
            )
            name = f" {escape(truncate(member.name, 40))}" if member.name else ""
            rows.append(f"• {code(member.uid)}{name} · {joined} · {_age(member, now)}")
        if count > PREVIEW_ROWS:
            rows.append(f"…and {count - PREVIEW_ROWS} more")
        blocks.append(kit.section(None, "\n".join(rows)))
    else:
        blocks.append(kit.section(None, f"Nobody to ban from group {code(preview.guid)}."))
    left_out = []
    if preview.missing:
        left_out.append(f"*No such user:* {named_uids(preview.missing)}")
    if preview.already:
        left_out.append(f"*Already banned:* {named_uids(preview.already)}")
    if preview.privileged:
        left_out.append(f"*Admins and moderators, never picked:* {named_uids(preview.privileged)}")
    if preview.protected:
        left_out.append(f"*Protected, never picked:* {named_uids(preview.protected)}")
    if left_out:
        blocks.append(kit.context("massban_left_out", "\n".join(left_out)))
    plan_ref = ref.model_copy(update={"plan": preview.plan})
    return kit.modal(
        VIEW_MASSBAN_CONFIRM,
        "Mass ban",
        blocks,
        submit=f"Ban {count}" if count else None,
        close="Cancel",
        private_metadata=plan_ref.encode(),
    )


def massban_progress(guid: str, sent: int, total: int) -> Message:
    return Message(
        text=f":hourglass_flowing_sand: Mass ban of group {code(guid)}: {sent:,} of "
        f"{total:,} users sent to CometChat…"
    )


def massban_report(report: MassBanReport) -> Message:
    """What became of each user: banned, already banned, failed with CometChat's words."""
    plan = report.plan
    case = f" (case {case_ref(report.case_id)})" if report.case_id is not None else ""
    lines = [
        f"{_SPEC.icon} *Mass ban of group {code(plan.guid)}*{case}: "
        f"{_users(len(report.banned))} banned"
        + (f", {len(report.already)} already banned" if report.already else "")
        + (f", {len(report.failed)} failed" if report.failed else "")
        + ".",
        _terms(plan.duration, plan.reason),
    ]
    if report.banned:
        lines.append(f"*Banned:* {named_uids(report.banned)}")
    if report.already:
        lines.append(f"*Already banned:* {named_uids(report.already)}")
    for uid, why in report.failed[:_NAMED]:
        lines.append(f"*Failed:* {code(uid)}: {escape(failure_words(why))}")
    if len(report.failed) > _NAMED:
        lines.append(f"…and {len(report.failed) - _NAMED} more failed")
    if report.unrecorded:
        lines.append(
            f":warning: {_users(report.unrecorded)} banned but not yet in the history: "
            "kept when the database is back."
        )
    text = "\n".join(lines)
    if report.case_id is None or not report.banned:
        return Message(text=text)
    hours = int(UNDO_WINDOW.total_seconds() // 3600)
    return Message(
        text=text,
        blocks=(
            kit.section("massban_report", truncate(text, kit.SECTION_TEXT)),
            kit.context("massban_undo_hint", f"*Undo* unbans them, for {hours} hours."),
            undo_row(plan.guid, report.case_id, len(report.banned)),
        ),
    )


def undo_report(report: UndoReport) -> Message:
    """What an undo did: who it unbanned, who it left banned (decided about since)."""
    lines = [
        f":leftwards_arrow_with_hook: *Undo of mass ban {case_ref(report.case_id)}* in group "
        f"{code(report.guid)}: {_users(len(report.unbanned))} unbanned"
        + (f", {len(report.kept)} left as they are" if report.kept else "")
        + (f", {len(report.failed)} failed" if report.failed else "")
        + "."
    ]
    if report.unbanned:
        lines.append(f"*Unbanned:* {named_uids(report.unbanned)}")
    if report.kept:
        lines.append(
            f"*Left as they are (banned again or unbanned since):* {named_uids(report.kept)}"
        )
    for uid, why in report.failed[:_NAMED]:
        lines.append(f"*Failed:* {code(uid)}: {escape(failure_words(why))}")
    return Message(text="\n".join(lines))


def massban_spent() -> Message:
    return Message(
        text=":information_source: This mass ban was already confirmed once. Nobody "
        "else was banned."
    )


# CometChat's per-user refusals, worded for the report.
_FAILURES = {
    "ERR_UID_NOT_FOUND": "no such user",
    "ERR_GROUP_NO_CLEARANCE": "CometChat refused: not allowed to ban this user",
    "ERR_GROUP_NO_ADMIN_SCOPE": "CometChat refused: an admin of the group",
    "ERR_GROUP_NO_MODERATOR_SCOPE": "CometChat refused: a moderator of the group",
    "Unavailable": "CometChat did not answer; it may or may not have banned them",
    "RateLimited": "CometChat's rate limit: not done",
    "ERR_NOT_A_BANNED_USER": "CometChat says they are not banned",
}


def failure_words(code_or_message: str) -> str:
    return _FAILURES.get(code_or_message, f"CometChat refused ({code_or_message})")
