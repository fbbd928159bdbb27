"""`/banned user <uid>` in Block Kit: the history's answer, the scan's progress and its result.
Pure: models in, message out. Each answer says where it comes from."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cometchat import errors as cc
from bot.domain.moderation import MAX_REASON_LENGTH, EventSource, ModerationEvent
from bot.domain.where import (
    BANNED_PER_PAGE,
    MAX_BANNED_PAGES,
    MAX_FAILED_GROUPS,
    Gap,
    ScanReport,
    Unchecked,
)
from bot.slack import kit
from bot.slack.across_blocks import everywhere_row
from bot.slack.history_blocks import SOURCE_WORDS, event_actor
from bot.slack.kit import Json
from bot.slack.message import Message
from bot.slack.moderation_blocks import unban_button
from bot.slack.text import code, date_token, escape, truncate

# Header, source, one section per group, "more", notes: well under Slack's 50 blocks.
MAX_GROUPS_SHOWN = 40
# Groups that could not be checked share one section: ten lines fit its 3,000 characters.
MAX_UNCHECKED_SHOWN = 10
HEADER_BLOCK_ID = "where_header"
SOURCE_BLOCK_ID = "where_source"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _header(uid: str) -> Json:
    return kit.header(HEADER_BLOCK_ID, f"Where is {' '.join(uid.split())} banned?")


def ban_details(ban: ModerationEvent) -> str:
    """When, by whom and why, as the history knows them."""
    when = date_token(int(ban.at.timestamp()))
    if ban.source is EventSource.SCAN:
        text = f"seen banned by a scan · {when}"
    else:
        actor = event_actor(ban)
        text = f"banned {when}" + (f" by {actor}" if actor else "")
        text += f" · {SOURCE_WORDS[ban.source]}"
    if ban.ends_at is not None:
        text += f" · until {date_token(int(ban.ends_at.timestamp()))}"
    if ban.reason.strip():
        text += f"\nReason: {escape(truncate(ban.reason, MAX_REASON_LENGTH))}"
    return text


def _unban(moderate: bool, *, guid: str, uid: str, name: str) -> Json | None:
    if not moderate:
        return None
    return unban_button(guid=guid, uid=uid, name=name or uid)


# Why a group could not be checked, in plain words (the CLI prints them as they are).
UNCHECKED_WORDS = {
    Unchecked.CHANGED: "its banned list changed while the scan was reading it",
    Unchecked.UNSIZED: (
        "its banned list runs to several pages and CometChat did not say how long it is, so a "
        "change while it was read cannot be ruled out"
    ),
    Unchecked.TOO_LONG: (
        f"its banned list is longer than a scan reads ({MAX_BANNED_PAGES * BANNED_PER_PAGE:,} "
        "users)"
    ),
    Unchecked.FAILED: "CometChat failed to answer for it",
    Unchecked.NOT_READ: (
        f"not read: the scan stopped reading after {MAX_FAILED_GROUPS} groups failed"
    ),
    Unchecked.NOT_LISTED: "CometChat did not list this group when the scan asked for all of them",
}
# A failed read, by what failed (the first class in the error's MRO that has words).
FAILED_WORDS: dict[type[cc.CometChatError], str] = {
    cc.Unavailable: "CometChat did not answer for it",
    cc.RateLimited: "CometChat was rate-limiting the bot",
    cc.GroupNotFound: "CometChat no longer has this group",
    cc.AuthRejected: "CometChat rejected the bot's credentials",
    cc.PermissionDenied: "CometChat refused to show its banned list",
    cc.UnexpectedResponse: "CometChat's answer for it was not understood",
}


def unchecked_reason(gap: Gap) -> str:
    """Why `gap`'s group could not be checked: plain text, no user-controlled part."""
    if gap.why is Unchecked.FAILED and gap.error is not None:
        for kind in type(gap.error).__mro__:
            if kind in FAILED_WORDS:
                return FAILED_WORDS[kind]
    return UNCHECKED_WORDS[gap.why]


def render_history_bans(
    uid: str, bans: Sequence[ModerationEvent], *, moderate: bool, note: str = ""
) -> Message:
    """The history's answer: each group its latest word on `uid` is a ban in, newest first,
    with an Unban for moderators. `note`: what happens next (the scan), in mrkdwn."""
    who = code(uid)
    blocks: list[Json] = [
        _header(uid),
        kit.context(SOURCE_BLOCK_ID, f"*From the bot's history* · {who}"),
    ]
    if not bans:
        text = f"From the bot's history: it knows of no group where {who} is banned."
        blocks.append(kit.section("where_none", text))
    else:
        text = f"From the bot's history: {who} is banned in {_plural(len(bans), 'group')}."
        for i, ban in enumerate(bans[:MAX_GROUPS_SHOWN]):
            line = f"*{code(ban.guid)}* · {ban_details(ban)}"
            button = _unban(moderate, guid=ban.guid, uid=uid, name=ban.name)
            blocks.append(kit.section(f"where_known_{i}", line, accessory=button))
        if len(bans) > MAX_GROUPS_SHOWN:
            more = len(bans) - MAX_GROUPS_SHOWN
            blocks.append(kit.context("where_more", f"…and {_plural(more, 'more group')}."))
    _everywhere(blocks, uid, len(bans), moderate=moderate)
    if note:
        blocks.append(kit.context("where_note", note))
    return Message(text=text, blocks=tuple(blocks))


def _everywhere(blocks: list[Json], uid: str, banned: int, *, moderate: bool) -> None:
    """For moderators: unban in every group listed, ban in every group they are a member of."""
    row = everywhere_row(uid, banned) if moderate else None
    if row is not None:
        blocks.append(row)


def scan_started_note() -> str:
    return (
        ":mag: Scanning every group in CometChat now, within the rate limit the bot leaves to "
        "the app; the result will follow here."
    )


def scan_fresh_note(age: float) -> str:
    minutes = max(1, round(age / 60))
    return (
        f"Every group was scanned for this user {_plural(minutes, 'minute')} ago and the "
        "history brought up to date, so no new scan was started."
    )


def render_scan_progress(uid: str, done: int, total: int | None) -> Message:
    of = f" of {total:,}" if total is not None else ""
    return Message(text=f":mag: Still scanning for {code(uid)}: {done:,}{of} groups read so far…")


def render_scan_failed(uid: str, failure: Message) -> Message:
    """`failure`: the CometChat error, worded as everywhere else."""
    return Message(
        text=f":warning: The scan of every group for {code(uid)} did not finish, so nothing "
        f"was recorded.\n{failure.text}"
    )


def render_scan_report(report: ScanReport, *, moderate: bool) -> Message:
    """The scan's answer: where `uid` is banned now, with what the history adds (who, when,
    why) and an Unban for moderators; the groups the history listed that no longer ban them; and
    the groups it could not check, where the history's word stands."""
    result = report.result
    who = code(result.uid)
    unchecked = len(report.unchecked)
    source = f"*From a scan of all {_plural(result.groups, 'group')}* · {who}"
    if unchecked:
        source += f" · {unchecked:,} could not be checked"
    blocks: list[Json] = [_header(result.uid), kit.context(SOURCE_BLOCK_ID, source)]
    if not result.found and unchecked:
        if result.checked:
            text = (
                f"{who} is not banned in any of the {_plural(result.checked, 'group')} checked; "
                f"{_plural(unchecked, 'group')} could not be checked."
            )
        else:
            text = f"No group could be checked for {who} ({_plural(unchecked, 'group')})."
        blocks.append(kit.section("where_none", text))
    elif not result.found:
        text = f"{who} is not banned in any group."
        blocks.append(kit.section("where_none", f"{text} ({_plural(result.groups, 'group')} read)"))
    else:
        text = f"{who} is banned in {_plural(len(result.found), 'group')}."
        if unchecked:
            text += f" {_plural(unchecked, 'group')} could not be checked."
        for i, hit in enumerate(result.found[:MAX_GROUPS_SHOWN]):
            group = hit.group
            line = f"*{escape(truncate(group.display_name, 100))}* ({code(group.guid)})"
            known = report.known.get(group.guid)
            if known is not None:
                line += f" · {ban_details(known)}"
            button = _unban(moderate, guid=group.guid, uid=result.uid, name=hit.user.display_name)
            blocks.append(kit.section(f"where_found_{i}", line, accessory=button))
        if len(result.found) > MAX_GROUPS_SHOWN:
            more = len(result.found) - MAX_GROUPS_SHOWN
            blocks.append(kit.context("where_more", f"…and {_plural(more, 'more group')}."))
    if report.no_longer:
        guids = ", ".join(code(ban.guid) for ban in report.no_longer[:MAX_GROUPS_SHOWN])
        gone = (
            f"The history listed {who} as banned in {guids}, but the scan found them no longer "
            "banned there."
        )
        blocks.append(kit.section("where_gone", gone))
        text += f" No longer banned in {_plural(len(report.no_longer), 'group')} history listed."
    if unchecked:
        blocks.append(kit.section("where_unchecked", _unchecked_text(report)))
    blocks.append(kit.context("where_recorded", _recorded_note(report)))
    _everywhere(blocks, result.uid, len(result.found), moderate=moderate)
    return Message(text=text, blocks=tuple(blocks))


def _unchecked_text(report: ScanReport) -> str:
    """The groups the scan could not check, each with why, and whether the history's ban there
    stands; nothing was recorded for any of them."""
    gaps = report.unchecked
    lines = [
        f":warning: *Could not be checked* ({_plural(len(gaps), 'group')}): the scan cannot say "
        f"whether {code(report.result.uid)} is banned there, so it recorded nothing for them."
    ]
    for gap in gaps[:MAX_UNCHECKED_SHOWN]:
        name = escape(truncate(gap.group.display_name, 60))
        line = f"• *{name}* ({code(truncate(gap.group.guid, 100))}): {unchecked_reason(gap)}"
        ban = report.standing.get(gap.group.guid)
        if ban is not None:
            line += f" · the history's ban stands ({date_token(int(ban.at.timestamp()))})"
        lines.append(line)
    if len(gaps) > MAX_UNCHECKED_SHOWN:
        lines.append(f"…and {_plural(len(gaps) - MAX_UNCHECKED_SHOWN, 'more group')}.")
    return "\n".join(lines)


def _recorded_note(report: ScanReport) -> str:
    if report.recorded is None:
        return (
            ":warning: The bot's database is unavailable, so this was not recorded: the next "
            "lookup will scan again."
        )
    if report.unrecorded:
        return (
            f":warning: {_plural(report.unrecorded, 'change')} could not be recorded (the bot's "
            f"database refused them; {report.recorded} recorded): the next lookup will scan again."
        )
    if report.recorded:
        return (
            f"Recorded in the bot's history ({_plural(report.recorded, 'change')}): the next "
            "lookup answers at once."
        )
    return "The bot's history already knew all of this."
