"""One user in many groups, in Block Kit: `/banned user <uid>`'s two buttons, the unban's
preview with Confirm and Cancel, the ban's form and preview, and the report. Pure; each
action's words are its row in `bot.domain.actions`."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.across import AcrossReport, BanEverywherePreview, GroupOutcome
from bot.domain.actions import ACTIONS
from bot.domain.button_values import AcrossRef
from bot.domain.duration import describe_duration
from bot.domain.moderation import ModerationAction
from bot.slack import kit
from bot.slack.kit import Json
from bot.slack.message import Message
from bot.slack.moderation_blocks import ban_terms_fields, confirm_dialog, plain
from bot.slack.text import code, escape, truncate

ACTION_UNBAN_ALL = "banned_unban_all"  # "Unban in all N groups": its preview
ACTION_BAN_EVERYWHERE = "banned_ban_everywhere"  # "Ban in every group…": its form
ACTION_ACROSS_CONFIRM = "banned_across_confirm"  # the unban preview's Confirm
ACTION_ACROSS_CANCEL = "banned_across_cancel"
VIEW_BAN_EVERYWHERE = "banned_ban_everywhere_modal"  # step 1: how long, why
VIEW_BAN_EVERYWHERE_CONFIRM = "banned_ban_everywhere_confirm"  # step 2: the preview
EVERYWHERE_BLOCK_ID = "where_everywhere"
# Groups named one per line in a preview or report before "…and N more".
MAX_LISTED = 30

_TITLE = "Ban everywhere"


def _groups(count: int) -> str:
    return f"{count:,} group{'' if count == 1 else 's'}"


def _more(count: int) -> str:
    return f"{count:,} more group{'' if count == 1 else 's'}"


def _listed(guids: Sequence[str]) -> str:
    lines = [f"• {code(truncate(guid, 100))}" for guid in guids[:MAX_LISTED]]
    if len(guids) > MAX_LISTED:
        lines.append(f"…and {_more(len(guids) - MAX_LISTED)}")
    return "\n".join(lines)


def everywhere_row(uid: str, banned: int) -> Json | None:
    """Under `/banned user <uid>`'s answer, for moderators: unban in the `banned` groups (when
    there are any), ban in every group they are a member of."""
    buttons = []
    unban, ban = ACTIONS[ModerationAction.UNBAN], ACTIONS[ModerationAction.BAN]
    try:
        unban_value = AcrossRef(action=ModerationAction.UNBAN, uid=uid).encode()
        ban_value = AcrossRef(action=ModerationAction.BAN, uid=uid).encode()
    except ValueError:
        return None  # a uid CometChat could not have issued: no button that cannot work
    if banned:
        label = plain(unban.everywhere.format(count=banned), 75)
        buttons.append(kit.button(ACTION_UNBAN_ALL, label, unban_value))
    buttons.append(kit.button(ACTION_BAN_EVERYWHERE, plain(ban.everywhere, 75), ban_value))
    return kit.actions(EVERYWHERE_BLOCK_ID, buttons)


def unban_all_preview(ref: AcrossRef, left_out: int) -> Message:
    """The groups an unban everywhere would unban `ref.uid` in, and Confirm / Cancel. Nothing
    is done until Confirm."""
    spec = ACTIONS[ModerationAction.UNBAN]
    guids = ref.guids or ()
    if not guids:
        text = f"The bot's history knows of no group where {code(ref.uid)} is banned. {spec.nobody}"
        return Message(text=text)
    text = (
        f":warning: *{spec.button} {code(ref.uid)} in {_groups(len(guids))}?* "
        f"{spec.consequence}\n{_listed(guids)}"
    )
    if left_out:
        text += (
            f"\n{left_out:,} more {'group does' if left_out == 1 else 'groups do'} not fit one "
            "confirmation: press the button again afterwards for them."
        )
    value = ref.encode()
    dialog = confirm_dialog(
        f"{spec.button} everywhere?",
        f"{spec.button} {ref.uid} in {_groups(len(guids))}? {spec.consequence}",
        spec.button,
        style="danger",
    )
    confirm = kit.button(
        ACTION_ACROSS_CONFIRM,
        f"{spec.button} in {_groups(len(guids))}",
        value,
        style="danger",
        confirm=dialog,
    )
    cancel = kit.button(ACTION_ACROSS_CANCEL, "Cancel", value)
    return Message(
        text=text,
        blocks=(
            kit.section("across_question", truncate(text, kit.SECTION_TEXT)),
            kit.actions("across_buttons", [confirm, cancel]),
        ),
    )


def ban_everywhere_modal(ref: AcrossRef) -> Json:
    """Step 1: for how long and why, as for one ban. Nothing is read or done yet."""
    return kit.modal(
        VIEW_BAN_EVERYWHERE,
        _TITLE,
        [
            kit.section(
                None,
                f"Ban {code(ref.uid)} in every group they are a member of. You will see the "
                "groups before anything happens.",
            ),
            *ban_terms_fields(),
        ],
        submit="Preview",
        close="Cancel",
        private_metadata=ref.encode(),
    )


def preparing_modal() -> Json:
    return kit.modal(
        VIEW_BAN_EVERYWHERE_CONFIRM,
        _TITLE,
        [kit.section(None, ":hourglass_flowing_sand: Reading the groups they are a member of…")],
        close="Cancel",
    )


def failed_modal(message: Message) -> Json:
    """The preview could not be drawn: why, in the usual words."""
    return kit.modal(
        VIEW_BAN_EVERYWHERE_CONFIRM, _TITLE, [kit.section(None, message.text)], close="Close"
    )


def _terms(ref: AcrossRef) -> str:
    reason = escape(truncate(ref.reason, 300)) if ref.reason else "none given"
    return f"*Duration:* {describe_duration(ref.duration)}\n*Reason:* {reason}"


def ban_everywhere_preview(preview: BanEverywherePreview, ref: AcrossRef, left_out: int) -> Json:
    """Step 2: the groups to ban in, and those skipped (banned there already; an admin or
    moderator there). Submitting bans (no submit button when there is nowhere to ban)."""
    spec = ACTIONS[ModerationAction.BAN]
    guids = ref.guids or ()
    who = code(preview.uid)
    blocks: list[Json] = []
    if guids:
        head = f":no_entry_sign: *{spec.button} {who} in {_groups(len(guids))}?* {spec.consequence}"
        blocks.append(kit.section(None, f"{head}\n{_terms(ref)}"))
        blocks.append(kit.section(None, truncate(_listed(guids), kit.SECTION_TEXT)))
    else:
        blocks.append(
            kit.section(None, f"{who} is a member of no group to ban them in. {spec.nobody}")
        )
    skipped = []
    if left_out:
        skipped.append(
            f"*Not in this confirmation* ({_groups(left_out)}: more than one can carry): "
            "press the button again afterwards for them."
        )
    if preview.already:
        skipped.append(f"*Already banned, skipped:* {_named(preview.already)}")
    if preview.privileged:
        skipped.append(f"*Admin or moderator there, skipped:* {_named(preview.privileged)}")
    if skipped:
        blocks.append(kit.context("across_skipped", truncate("\n".join(skipped), 2000)))
    return kit.modal(
        VIEW_BAN_EVERYWHERE_CONFIRM,
        _TITLE,
        blocks,
        submit=f"{spec.button} in {_groups(len(guids))}" if guids else None,
        close="Cancel",
        private_metadata=ref.encode(),
    )


def _named(guids: Sequence[str]) -> str:
    shown = ", ".join(code(truncate(guid, 100)) for guid in guids[:MAX_LISTED])
    more = len(guids) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def across_report(report: AcrossReport) -> Message:
    """What became of each group: done, already so, or not done and why (the usual words)."""
    spec = ACTIONS[report.action]
    done = report.count(GroupOutcome.DONE)
    already = report.count(GroupOutcome.ALREADY)
    failed = report.count(GroupOutcome.FAILED)
    summary = f"{done} {spec.past}"
    if already:
        summary += f", {already} {spec.already}"
    if failed:
        summary += f", {failed} failed"
    lines = [
        f"{spec.notice_icon} *{spec.button} {code(report.uid)} in "
        f"{_groups(len(report.groups))}*: {summary}."
    ]
    for group in report.groups[:MAX_LISTED]:
        where = code(truncate(group.guid, 100))
        if group.outcome is GroupOutcome.DONE:
            recorded = "" if group.recorded else " (not yet in the bot's history)"
            lines.append(f"• {where}: {spec.past}{recorded}")
        elif group.outcome is GroupOutcome.ALREADY:
            lines.append(f"• {where}: {spec.already}, nothing changed")
        else:
            lines.append(f"• {where}: not done. {_reason(group.words)}")
    if len(report.groups) > MAX_LISTED:
        lines.append(f"…and {_more(len(report.groups) - MAX_LISTED)}")
    return Message(text="\n".join(lines))


def _reason(words: str) -> str:
    """A failure's usual words without their opening emoji, for one line of the report."""
    return words.split(" ", 1)[1] if words.startswith(":") and " " in words else words
