"""Moderation in Block Kit: Unban buttons, the ban modal, other actions' confirmations, results
and the audit line. Pure. Each action's words and icons are its row in `bot.domain.actions`.

The buttons carry `bot.domain.button_values` models. `ACTION_UNBAN` is shared with the live
feed: a feed message's Unban button carries no cursor, and its confirmation then comes as a
message of its own instead of in the list's place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import ValidationError

from bot.cometchat.models import BannedUser
from bot.domain.actions import ACTIONS
from bot.domain.audit import AuditEntry
from bot.domain.button_values import (
    ActionRef,
    BanConfirmRef,
    BanRef,
    MassBanRef,
    MassUndoRef,
    PageCursor,
    PickedRef,
    UnbanRef,
)
from bot.domain.duration import PERMANENT, describe_duration
from bot.domain.errors import InvalidGuid, InvalidUid
from bot.domain.evidence import UserCard
from bot.domain.ids import MAX_GUID_LENGTH
from bot.domain.moderation import MAX_REASON_LENGTH, ModerationAction, ModerationEvent
from bot.slack import kit
from bot.slack.banned_page import UserExtras
from bot.slack.kit import Json
from bot.slack.message import Message, case_message
from bot.slack.messages import OUTCOME_WORDS
from bot.slack.picker import ACTION_PICK_GROUP
from bot.slack.text import case_ref, code, date_token, escape, mention, truncate
from bot.slack.user_card_blocks import card_blocks

ACTION_UNBAN = "banned_unban"  # also used by the live feed's buttons
ACTION_BAN_OPEN = "banned_ban_open"  # "Ban a user" under the list: opens the ban modal
ACTION_MASSBAN_OPEN = "banned_massban_open"  # "Mass ban…" beside it: opens the mass ban form
ACTION_MASS_UNDO = "banned_mass_undo"  # "Undo" under a mass action's report or audit line
ACTION_BAN_CONFIRM = "banned_ban_confirm"  # the confirm-protected button of `/banned <g> ban <u>`
ACTION_BAN_CANCEL = "banned_ban_cancel"
VIEW_BAN = "banned_ban_modal"  # callback_id of the ban modal (step 1: which user?)
VIEW_BAN_CONFIRM = "banned_ban_modal_confirm"  # step 2: are you sure?
SHORTCUT_BAN = "banned_ban_shortcut"  # the global shortcut "Ban a CometChat user…"
VIEW_BAN_ANYWHERE = "banned_ban_anywhere_modal"  # its step 1: the form with a group to choose
VIEW_NOTICE = "banned_notice_modal"  # a modal that only says something (a refusal)
ACTION_ACT_CONFIRM = "banned_act_confirm"  # the confirm-protected button of another action
ACTION_ACT_CANCEL = "banned_act_cancel"
ACTION_PICK = "banned_pick"  # a user's tick on a list page (each row's checkbox)
ACTION_PICKED = "banned_picked"  # "Unban selected" under the page: asks to confirm
ACTION_PICKED_CONFIRM = "banned_picked_confirm"
ACTION_PICKED_CANCEL = "banned_picked_cancel"


# -- the list: Unban under each user, "Ban a user" under the page ------------------------------

BAN_BLOCK_ID = "banned_ban"
NOTICE_BLOCK_ID = "banned_notice"
UID_BLOCK_ID = "ban_uid"  # the modal's input blocks and their elements
UID_ACTION_ID = "uid"
DURATION_BLOCK_ID = "ban_duration"
DURATION_ACTION_ID = "duration"
REASON_BLOCK_ID = "ban_reason"
REASON_ACTION_ID = "reason"
GROUP_BLOCK_ID = "ban_group"  # the shortcut's form: the group, chosen with the group picker


def plain(value: str, limit: int) -> str:
    """Untrusted text for a `plain_text` field: nothing is parsed there, only folded and cut."""
    return truncate(" ".join(value.split()), limit)


def confirm_dialog(title: str, question: str, verb: str, *, style: str | None = None) -> Json:
    """Slack's confirm dialog: plain text only, so nothing in `question` is parsed."""
    return kit.confirm(title, plain(question, 300), verb, style=style)


def unban_button(
    *, guid: str, uid: str, name: str, cursor: PageCursor | None = None
) -> Json | None:
    """Unban: the click asks for a confirmation showing who the user is (their card) before
    anything changes. Without a cursor (the live feed), that confirmation is a message of its
    own instead of taking the list's place."""
    try:
        value = UnbanRef(guid=guid, uid=uid, cursor=cursor).encode()
    except (ValidationError, InvalidUid, InvalidGuid):
        # A uid CometChat should never issue: better no button than one that cannot work.
        return None
    unban = ACTIONS[ModerationAction.UNBAN]
    # The name too: a screen reader reading out twenty "Unban" buttons says nothing.
    label = plain(f"{unban.button} {name}", 75)
    return kit.button(ACTION_UNBAN, label, value)


PICK_LABEL = "Select "  # before the name, in a tick's label


def pick_box(uid: str, name: str) -> Json | None:
    """A user's tick on a list page, read back (Slack's `state.values`) by *Unban selected*:
    one option, the uid its value. None for a uid too long to be an option's value."""
    if len(uid) > kit.OPTION_VALUE:
        return None
    return kit.checkboxes(ACTION_PICK, [kit.option(uid, f"{PICK_LABEL}{plain(name, 60)}")])


def ticked(state: dict, *, limit: int) -> dict[str, str] | None:
    """The uids ticked with `pick_box` when a button was clicked, with the names their options
    showed, from the click's `state.values` (sent by Slack, signed, but still read defensively).
    None when more than `limit` are ticked (no page shows that many)."""
    found: dict[str, str] = {}
    for elements in state.values():
        element = elements.get(ACTION_PICK) if isinstance(elements, dict) else None
        options = element.get("selected_options") if isinstance(element, dict) else None
        for option in options if isinstance(options, list) else []:
            value = option.get("value") if isinstance(option, dict) else None
            if not isinstance(value, str) or not value:
                continue
            text = option.get("text")
            label = text.get("text") if isinstance(text, dict) else None
            found[value] = label.removeprefix(PICK_LABEL) if isinstance(label, str) else ""
            if len(found) > limit:
                return None
    return found


def unban_extras(cursor: PageCursor) -> UserExtras:
    """Beside each user's History button: their tick and their Unban button."""

    def extras(user: BannedUser) -> list[Json]:
        button = unban_button(guid=cursor.guid, uid=user.uid, name=user.display_name, cursor=cursor)
        if button is None:
            return []
        box = pick_box(user.uid, user.display_name)
        return [box, button] if box is not None else [button]

    return extras


def ban_row(cursor: PageCursor) -> Json:
    value = BanRef(guid=cursor.guid, cursor=cursor).encode()
    mass = MassBanRef(guid=cursor.guid, cursor=cursor).encode()
    picked = [
        kit.button(
            ACTION_PICKED,
            spec.picked_button,
            PickedRef(action=spec.action, guid=cursor.guid, cursor=cursor).encode(),
        )
        for spec in ACTIONS.values()
        if spec.pick_many
    ]
    return kit.actions(
        BAN_BLOCK_ID,
        [
            kit.button(ACTION_BAN_OPEN, "Ban a user…", value, style="danger"),
            kit.button(ACTION_MASSBAN_OPEN, "Mass ban…", mass),
            *picked,
        ],
    )


def with_notice(notice: Message, page: Message) -> Message:
    """The page again, with the outcome of what was just done on top."""
    block = kit.section(NOTICE_BLOCK_ID, notice.text)
    return Message(text=truncate(notice.text, 3000), blocks=(block, *page.blocks))


def done_notice(
    action: ModerationAction,
    guid: str,
    uid: str,
    *,
    duration: timedelta | None = None,
    reason: str = "",
    recorded: bool = True,
) -> Message:
    """What was done, with what the moderator gave (how long, why) and, if the bot's history
    could not keep it, what that means."""
    spec = ACTIONS[action]
    text = f"{spec.notice_icon} {spec.headline} {code(uid)} from {code(guid)}"
    if not spec.temporary:
        text += "."
    else:
        text += f" for {describe_duration(duration)}." if duration else " (permanent)."
    if reason:
        text += f" Reason: {escape(truncate(reason, MAX_REASON_LENGTH))}"
    if not recorded and duration:
        text += (
            "\n:warning: The bot could not record when this ban ends (its database is "
            "unavailable), so it will *not* end by itself: unban by hand when it should."
        )
    elif not recorded:
        text += "\n:warning: Its history could not be recorded (the bot's database is unavailable)."
    return Message(text=text)


# -- banning: the command's confirmation, the modal --------------------------------------------


def ban_confirmation(ref: BanConfirmRef, card: UserCard | None = None) -> Message:
    """`/banned <guid> ban <uid> [<duration>] [<reason…>]`: nothing happens until the
    confirm-protected button is pressed. Message and dialog name user, group, duration, reason;
    the card, when read, shows who the user is."""
    text = _ban_question(ref)
    value = ref.encode()
    ban = kit.button(ACTION_BAN_CONFIRM, "Ban", value, style="danger", confirm=_ban_dialog(ref))
    cancel = kit.button(ACTION_BAN_CANCEL, "Cancel", value)
    about = card_blocks(card) if card is not None else []
    return Message(
        text=text,
        blocks=(
            kit.section("ban_question", text),
            *about,
            kit.actions(BAN_BLOCK_ID, [ban, cancel]),
        ),
    )


def _ban_question(ref: BanConfirmRef) -> str:
    """The question both confirmations ask, in mrkdwn; the reason is the moderator's own text."""
    if ref.duration is None:
        how_long = "permanent, until someone unbans them"
    else:
        how_long = f"{describe_duration(ref.duration)}, then they are unbanned automatically"
    reason = escape(ref.reason) if ref.reason else "none given"
    return (
        f":warning: Ban {code(ref.uid)} from group {code(ref.guid)}?\n"
        f"*Duration:* {how_long}\n*Reason:* {reason}"
    )


def _ban_dialog(ref: BanConfirmRef) -> Json:
    # The reason comes last: if the dialog's 300 characters run out, only it is cut.
    if ref.duration is None:
        what, until = "permanently", "until unbanned"
    else:
        what, until = f"for {describe_duration(ref.duration)}", "until the ban ends"
    why = f"Reason: {ref.reason}" if ref.reason else "No reason given."
    return confirm_dialog(
        "Ban this user?",
        f"Ban {ref.uid} from {ref.guid} {what}? They will be removed from the group and cannot "
        f"rejoin {until}. {why}",
        "Ban",
        style="danger",
    )


def action_confirmation(ref: ActionRef, card: UserCard | None = None) -> Message:
    """`/banned <guid> kick <uid> [<reason…>]`, an Unban clicked (any action on one user but a
    ban): nothing happens until the confirm-protected button is pressed. Message and dialog name
    user, group and, for what a command asks with one, the reason; the card, when read, shows
    who the user is."""
    spec = ACTIONS[ref.action]
    text = f":warning: {spec.button} {code(ref.uid)} from group {code(ref.guid)}?"
    # A command could have carried a reason, so its absence is said; a button never carries one.
    by_command = spec.command and ref.source is None
    if ref.reason or by_command:
        text += f"\n*{spec.reason_label}:* {escape(ref.reason) if ref.reason else 'none given'}"
    # The reason comes last: if the dialog's 300 characters run out, only it is cut.
    why = f"Reason: {ref.reason}" if ref.reason else "No reason given." if by_command else ""
    dialog = confirm_dialog(
        f"{spec.button} this user?",
        f"{spec.button} {ref.uid} from {ref.guid}? {spec.consequence} {why}",
        spec.button,
        style="danger",
    )
    value = ref.encode()
    act = kit.button(
        ACTION_ACT_CONFIRM,
        spec.button,
        value,
        style="danger",
        confirm=dialog if spec.confirm else None,
    )
    cancel = kit.button(ACTION_ACT_CANCEL, "Cancel", value)
    about = card_blocks(card) if card is not None else []
    return Message(
        text=text,
        blocks=(
            kit.section("act_question", text),
            *about,
            kit.actions("act_buttons", [act, cancel]),
        ),
    )


# -- users ticked on a list page: *Unban selected* -------------------------------------------


def nothing_picked(action: ModerationAction) -> Message:
    spec = ACTIONS[action]
    return Message(
        text=f":point_up: Nothing selected: tick the users to {spec.verb} on the page first, "
        f"then press *{spec.picked_button}*. {spec.nobody}"
    )


def too_many_picked(action: ModerationAction) -> Message:
    spec = ACTIONS[action]
    return Message(
        text=f":warning: Those users' ids are too long to {spec.verb} in one go: select fewer "
        f"and press *{spec.picked_button}* again. {spec.nobody}"
    )


def picked_confirmation(ref: PickedRef, names: dict[str, str]) -> Message:
    """The users ticked, by name and uid, and what happens to them: nothing until Confirm."""
    spec = ACTIONS[ref.action]
    count = len(ref.uids)
    lines = [
        f":warning: {spec.button} these {count} user{_s(count)} from group {code(ref.guid)}? "
        f"{spec.consequence}"
    ]
    for uid in ref.uids:
        name = names.get(uid, "")
        who = f"*{escape(plain(name, 80))}* {code(uid)}" if name and name != uid else code(uid)
        lines.append(f"• {who}")
    text = truncate("\n".join(lines), kit.SECTION_TEXT)
    value = ref.encode()
    act = kit.button(ACTION_PICKED_CONFIRM, f"{spec.button} {count}", value, style="danger")
    cancel = kit.button(ACTION_PICKED_CANCEL, "Cancel", value)
    return Message(
        text=text,
        blocks=(kit.section("picked_question", text), kit.actions("picked_buttons", [act, cancel])),
    )


def picked_report(
    action: ModerationAction,
    guid: str,
    done: list[str],
    already: list[str],
    failed: list[tuple[str, str]],
) -> Message:
    """Each ticked user's outcome: done, nothing to do (someone did it meanwhile), or not done
    and why (`failed`: uid and the words for it)."""
    spec = ACTIONS[action]
    lines = [f"{spec.notice_icon} *{spec.picked_button}* in group {code(guid)}:"]
    if done:
        lines.append(f"{spec.headline} {len(done)}: {', '.join(code(uid) for uid in done)}.")
    if already:
        lines.append(
            f":grey_question: Already {spec.past} (by someone else meanwhile, or before), "
            f"nothing to do for {len(already)}: {', '.join(code(uid) for uid in already)}."
        )
    lines += [why for _uid, why in failed]  # each already names its user
    if not done:
        lines.append(spec.nobody)
    return Message(text=truncate("\n".join(lines), kit.SECTION_TEXT))


def cancelled(action: ModerationAction) -> Message:
    """The confirmation's Cancel: it takes the question's place."""
    return Message(text=f":heavy_multiplication_x: Cancelled. {ACTIONS[action].nobody}")


# The form's durations, written as the command takes them (bot.domain.duration parses them).
BAN_DURATIONS = {
    "1h": "1 hour",
    "24h": "24 hours",
    "7d": "7 days",
    "30d": "30 days",
    PERMANENT: "Permanent",
}


def _ban_fields() -> list[Json]:
    """The form's questions: which user, for how long, why. Checked on submit."""
    uid = kit.plain_text_input(
        UID_ACTION_ID, placeholder="e.g. user-001", max_length=MAX_GUID_LENGTH
    )
    return [kit.input_block(UID_BLOCK_ID, "CometChat user id (uid)", uid), *ban_terms_fields()]


def ban_terms_fields() -> list[Json]:
    """For how long, and why: the questions every ban form asks (one user in one group, or in
    every group they are a member of). Read back by `bot.listeners.views.ban.read_terms`."""
    options = [kit.option(value, label) for value, label in BAN_DURATIONS.items()]
    duration = kit.static_select(
        DURATION_ACTION_ID, options, initial=kit.option(PERMANENT, BAN_DURATIONS[PERMANENT])
    )
    reason = kit.plain_text_input(
        REASON_ACTION_ID,
        placeholder="e.g. spamming links",
        max_length=MAX_REASON_LENGTH,
        multiline=True,
    )
    return [
        kit.input_block(
            DURATION_BLOCK_ID,
            "Duration",
            duration,
            hint="A temporary ban ends by itself: the bot unbans the user when it is over.",
        ),
        kit.input_block(
            REASON_BLOCK_ID,
            "Reason",
            reason,
            hint=f"Kept with the ban, and shown on the list and in the user's history "
            f"(at most {MAX_REASON_LENGTH} characters).",
            optional=True,
        ),
    ]


def ban_modal(ref: BanRef) -> Json:
    """Step 1: which user, for how long, why? Checked on submit, before CometChat is asked."""
    return kit.modal(
        VIEW_BAN,
        "Ban a user",
        [kit.section(None, f"Ban a user from group {code(ref.guid)}."), *_ban_fields()],
        submit="Next",
        close="Cancel",
        private_metadata=ref.encode(),
    )


def ban_anywhere_modal() -> Json:
    """The global shortcut's step 1: the list's form, with the group to choose first (the
    group picker's type-ahead). Step 2 is the list's confirmation."""
    group = kit.external_select(ACTION_PICK_GROUP, "Type a group's name or id", min_query_length=0)
    return kit.modal(
        VIEW_BAN_ANYWHERE,
        "Ban a user",
        [kit.input_block(GROUP_BLOCK_ID, "CometChat group", group), *_ban_fields()],
        submit="Next",
        close="Cancel",
    )


def notice_modal(notice: Message) -> Json:
    """A modal that only says something (why a shortcut was refused): there is no message to
    answer beside."""
    return kit.modal(VIEW_NOTICE, "Banned", [kit.section(None, notice.text)], close="Close")


def ban_confirm_modal(ref: BanConfirmRef, card: UserCard | None = None) -> Json:
    """Step 2: the confirmation, naming user, group, duration and reason; submitting it bans."""
    until = "unbanned" if ref.duration is None else "the ban ends"
    question = (
        f"{_ban_question(ref)}\n\nThey will be removed from the group and cannot rejoin "
        f"until {until}."
    )
    return kit.modal(
        VIEW_BAN_CONFIRM,
        "Ban a user",
        [kit.section(None, question), *(card_blocks(card) if card is not None else [])],
        submit="Ban",
        close="Cancel",
        private_metadata=ref.encode(),
    )


# -- the audit channel -------------------------------------------------------------------------


def render_audit(entry: AuditEntry) -> Message:
    """One line per attempt: who (in Slack), what, which user, which group, when, outcome."""
    who = mention(entry.actor)
    when = date_token(entry.at)
    spec = ACTIONS[entry.action]
    # An action on many users names how many, and its case, instead of one uid; one on the
    # group as a whole (a lockdown) names the group alone.
    whole = not entry.uid and entry.count is None
    whom = code(entry.uid) if entry.count is None else f"{entry.count} user{_s(entry.count)}"
    where = f"group {code(entry.guid)}" if whole else f"{whom} in group {code(entry.guid)}"
    if entry.ok:
        text = f"{spec.icon} {who} {spec.past} {whom} from group {code(entry.guid)}"
        if whole:
            text = f"{spec.icon} {spec.headline}: group {code(entry.guid)}, by {who}"
        if spec.temporary:
            minutes = timedelta(minutes=entry.minutes) if entry.minutes else None
            text += f" for {describe_duration(minutes)}" if minutes else " (permanent)"
        if entry.reason:
            text += f" · {escape(truncate(' '.join(entry.reason.split()), MAX_REASON_LENGTH))}"
        line = f"{text} · {when}"
        if entry.case is None:
            return Message(text=line)
        line += f" · case {case_ref(entry.case)}"
        message = case_message(line, entry.case)
        if spec.each is not None and entry.count:
            # An action on many users can be undone from its line for a while.
            blocks = (
                kit.section("audit_line", line),
                undo_row(entry.guid, entry.case, entry.count),
            )
            return Message(text=line, blocks=blocks, metadata=message.metadata)
        return message
    why = OUTCOME_WORDS.get(entry.outcome, f"failed ({escape(entry.error or entry.outcome)})")
    return Message(
        text=f":grey_question: {who} tried to {spec.verb} {where} · {when} · not done: {why}"
    )


def render_expiry(
    guid: str,
    uid: str,
    ban: ModerationEvent | None,
    *,
    ended_at: datetime,
    already: bool,
    case: int | None = None,
) -> Message:
    """A temporary ban that ended by itself, for the audit channel and the feed: "unbanned
    automatically after 24 h; banned by @alice: spamming links". `already`: CometChat said the
    user was no longer banned when the ban was due to end (someone lifted it by other means)."""
    when = date_token(int(ended_at.timestamp()))
    if already:
        text = (
            f":hourglass: The ban of {code(uid)} in group {code(guid)} was due to end, and "
            "CometChat says it had already been lifted"
        )
    else:
        text = f":hourglass: {code(uid)} was unbanned automatically from group {code(guid)}"
    if ban is not None and ban.ends_at is not None:
        text += f" after {describe_duration(ban.ends_at - ban.at)}"
        by = mention(ban.actor) if ban.actor else "someone"
        text += f"; banned by {by}"
        if ban.reason:
            text += f": {escape(truncate(' '.join(ban.reason.split()), MAX_REASON_LENGTH))}"
    if case is not None:
        return case_message(f"{text} · {when} · case {case_ref(case)}", case)
    return Message(text=f"{text} · {when}")


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def undo_row(guid: str, case: int, count: int) -> Json:
    """*Undo* of a mass action, behind Slack's confirmation dialog."""
    value = MassUndoRef(guid=guid, case=case).encode()
    dialog = confirm_dialog(
        "Undo the mass ban?",
        f"Unban the {count} users mass ban {case_ref(case)} banned in {plain(guid, 100)}? "
        "Anyone banned again since, by anyone, stays banned.",
        "Unban them",
    )
    return kit.actions("mass_undo", [kit.button(ACTION_MASS_UNDO, "Undo", value, confirm=dialog)])
