"""A case as Block Kit: the event (who, what, when, why, how long), the evidence kept with it and
its edit trail; the form correcting it; the audit line of a correction. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.actions import ACTIONS
from bot.domain.button_values import CaseRef, HistoryRef
from bot.domain.cases import MAX_EDITS_SHOWN, Case, CaseEdit, DurationChoice, EditedField
from bot.domain.duration import describe_duration
from bot.domain.moderation import MAX_REASON_LENGTH, ModerationEvent
from bot.slack import kit
from bot.slack.history_blocks import ACTION_HISTORY, SOURCE_WORDS, event_actor
from bot.slack.kit import Json
from bot.slack.massban_blocks import named_uids
from bot.slack.message import Message, case_message
from bot.slack.moderation_blocks import BAN_DURATIONS, undo_row
from bot.slack.text import case_ref, code, date_token, escape, mention, truncate
from bot.slack.user_card_blocks import card_blocks

ACTION_CASE_EDIT = "banned_case_edit"  # the case view's "Edit": value is a CaseRef
VIEW_CASE_EDIT = "banned_case_edit_modal"  # callback_id of the form correcting a case
SHORTCUT_OPEN_CASE = "banned_open_case"  # the message shortcut (manifest.yml's callback_id)
EDIT_REASON_BLOCK_ID = "case_reason"
EDIT_REASON_ACTION_ID = "reason"
EDIT_LENGTH_BLOCK_ID = "case_length"
EDIT_LENGTH_ACTION_ID = "length"
NAME_LIMIT = 100
SHORT_REASON = 200  # a reason as an edit trail or audit line quotes it

# The edit form's lengths: keep, the ban form's durations (permanent among them), end now.
LENGTH_CHOICES = {
    DurationChoice.KEEP.value: "Keep as it is",
    **BAN_DURATIONS,
    DurationChoice.END_NOW.value: "End now (unban)",
}


def render_case(
    case: Case,
    *,
    moderate: bool,
    undo: int | None = None,
    users: Sequence[str] = (),
) -> Message:
    """The case view: `moderate` adds its Edit button (refused again on the server if pressed
    by someone else). For an action on the whole group (a mass ban, a lockdown): `users`, those
    a mass action was done to, and `undo`, while it can still be undone, how many its Undo
    button would unban."""
    event, number = case.event, case.number
    spec = ACTIONS[event.action]
    name = " ".join(event.name.split())
    who = code(event.uid)
    if name and name != event.uid:
        who = f"{escape(truncate(name, NAME_LIMIT))} ({who})"
    whole_group = not event.uid
    facts = [
        f"{spec.icon} *{spec.headline}*: group {code(event.guid)}"
        if whole_group
        else f"{spec.icon} *{spec.headline}*: {who} in group {code(event.guid)}",
        f"*When:* {date_token(int(event.at.timestamp()))} · {SOURCE_WORDS[event.source]}",
    ]
    actor = event_actor(event)
    if actor:
        facts.append(f"*By:* {actor}")
    if spec.temporary:
        facts.append(_length(event.at, event.ends_at, still=case.open_ban))
    reason = escape(event.reason) if event.reason.strip() else "_none given_"
    facts.append(f"*{spec.reason_label}:* {reason}")
    blocks: list[Json] = [
        kit.header("case_header", f"Case {case_ref(number)}"),
        kit.section("case_event", "\n".join(facts)),
    ]
    if case.card is not None:
        blocks.append(kit.context("case_evidence_title", "What the moderator was shown:"))
        blocks.extend(card_blocks(case.card))
    if case.edits:
        blocks.append(kit.section("case_edits", _trail(case.edits)))
    if users:
        blocks.append(kit.section("case_users", f"*Users ({len(users)}):* {named_uids(users)}"))
    buttons = []
    if not whole_group:  # a group-wide case has no one user's history, and no edit of one
        buttons.append(
            kit.button(
                ACTION_HISTORY,
                "User's history",
                HistoryRef(guid=event.guid, uid=event.uid).encode(),
            )
        )
        if moderate:
            buttons.insert(0, kit.button(ACTION_CASE_EDIT, "Edit", CaseRef(number=number).encode()))
    if buttons:
        blocks.append(kit.actions("case_buttons", buttons))
    if undo:
        blocks.append(undo_row(event.guid, number, undo))
    text = (
        f"Case {case_ref(number)}: {spec.past} group {code(event.guid)}"
        if whole_group
        else f"Case {case_ref(number)}: {spec.past} {code(event.uid)} in group {code(event.guid)}"
    )
    return Message(text=text, blocks=tuple(blocks))


def _length(at: datetime, ends_at: datetime | None, *, still: bool) -> str:
    if ends_at is None:
        return "*Length:* permanent" + ("" if still else " (no longer in force)")
    ends = date_token(int(ends_at.timestamp()))
    verb = "ends" if still else "was to end"
    return f"*Length:* {describe_duration(ends_at - at)}, {verb} {ends}"


def _trail(edits: list[CaseEdit]) -> str:
    shown = edits[-MAX_EDITS_SHOWN:]
    lines = ["*Edits*"]
    if len(edits) > len(shown):
        lines.append(f"…{len(edits) - len(shown)} earlier edits not shown")
    for edit in shown:
        lines.append(
            f"• {date_token(int(edit.at.timestamp()))} {mention(edit.actor)}: {_change(edit)}"
        )
    return "\n".join(lines)


def _change(edit: CaseEdit) -> str:
    """ "reason `spam` → `spamming links`", "end 7 Dec 14:00 → permanent"."""
    if edit.field is EditedField.REASON:
        before = escape(truncate(edit.before, SHORT_REASON)) if edit.before else "_none_"
        after = escape(truncate(edit.after, SHORT_REASON)) if edit.after else "_none_"
        return f"reason {before} → {after}"
    return f"end {_end(edit.before)} → {_end(edit.after)}"


def _end(iso: str) -> str:
    if not iso:
        return "permanent"
    return date_token(int(datetime.fromisoformat(iso).timestamp()))


def case_edit_modal(case: Case, ref: CaseRef) -> Json:
    """The form correcting a case: its reason, and for a ban still in force its length."""
    event = case.event
    reason = kit.plain_text_input(
        EDIT_REASON_ACTION_ID,
        max_length=MAX_REASON_LENGTH,
        multiline=True,
        initial=event.reason or None,
    )
    blocks: list[Json] = [
        kit.section(
            None,
            f"Case {case_ref(case.number)}: {ACTIONS[event.action].past} {code(event.uid)} "
            f"in group {code(event.guid)}, {date_token(int(event.at.timestamp()))}.",
        ),
        kit.input_block(
            EDIT_REASON_BLOCK_ID, ACTIONS[event.action].reason_label, reason, optional=True
        ),
    ]
    if case.open_ban:
        options = [kit.option(value, label) for value, label in LENGTH_CHOICES.items()]
        keep = options[0]
        blocks.append(
            kit.input_block(
                EDIT_LENGTH_BLOCK_ID,
                "Length",
                kit.static_select(EDIT_LENGTH_ACTION_ID, options, initial=keep),
                hint="Counted from when the ban started. End now unbans the user at once.",
            )
        )
    return kit.modal(
        VIEW_CASE_EDIT,
        f"Edit case {case_ref(case.number)}"[: kit.VIEW_TITLE],
        blocks,
        submit="Save",
        close="Cancel",
        private_metadata=ref.encode(),
    )


def render_case_edit(case: Case, edits: list[CaseEdit], actor: str) -> Message:
    """The audit channel's line for a correction: who changed what of which case."""
    event = case.event
    changes = "; ".join(_change(edit) for edit in edits)
    text = (
        f":pencil2: {mention(actor)} edited case {case_ref(case.number)} "
        f"({ACTIONS[event.action].past} {code(event.uid)} in group {code(event.guid)}): {changes}"
    )
    return case_message(truncate(text, kit.SECTION_TEXT), case.number)


def edited_notice(case: Case, edits: list[CaseEdit]) -> Message:
    """What the moderator is told once the edit is saved."""
    if not edits:
        return Message(text=f":information_source: Case {case_ref(case.number)}: nothing changed.")
    changes = "; ".join(_change(edit) for edit in edits)
    return Message(text=f":pencil2: Case {case_ref(case.number)} edited: {changes}")


def recorded_notice(event: ModerationEvent, *, stored: bool) -> Message:
    """What a moderator is told once an action that is only recorded (a note) is kept."""
    spec = ACTIONS[event.action]
    text = f"{spec.notice_icon} {spec.headline} on {code(event.uid)} in group {code(event.guid)}"
    if stored and event.id is not None:
        text += f" · case {case_ref(event.id)}"
    text += f"\n{spec.reason_label}: {escape(truncate(event.reason, MAX_REASON_LENGTH))}"
    if not stored:
        text += "\n:warning: The bot's database is unavailable: it is kept once it is back."
    return Message(text=text)
