"""Render one CometChat group-member event as a feed message. Pure: event in, Block Kit out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.domain.actions import ACTIONS, HEARD
from bot.domain.button_values import PageCursor
from bot.domain.member_events import EventGroup, MemberEvent, Person, Trigger
from bot.slack import kit
from bot.slack.kit import Json
from bot.slack.message import Message, case_message
from bot.slack.moderation_blocks import unban_button
from bot.slack.text import case_ref, code, date_token, escape, truncate

ACTION_OPEN_LIST = "feed_open_list"
EVENT_BLOCK_ID = "feed_event"
META_BLOCK_ID = "feed_meta"
ACTIONS_BLOCK_ID = "feed_actions"
MEMBER_BLOCK_PREFIX = "feed_member_"
UNBAN_BLOCK_PREFIX = "feed_unban_"

MAX_LISTED = 10  # members shown one per block; the rest are counted (Slack allows 50 blocks)
NAME_LIMIT = 100


def _icon(trigger: Trigger) -> str:
    return ACTIONS[HEARD[trigger]].feed_icon


def _past(trigger: Trigger) -> str:
    return ACTIONS[HEARD[trigger]].past


def render_feed_event(
    event: MemberEvent,
    *,
    at: int,
    page_size: int = 10,
    can_unban: bool = False,
    cases: Mapping[str, int] | None = None,
) -> Message:
    """`at` is the event's time (epoch seconds). `can_unban` (someone is on the moderator list)
    adds, for a ban, an Unban button under each user CometChat named. `cases`: the case number
    the history gave each user, by uid (shown beside them; a post about one case carries it in
    its metadata too)."""
    cases = cases or {}
    group = event.group
    targets = event.targets
    unban = can_unban and event.trigger is Trigger.BANNED
    where = f"*{_name(group.display_name)}* {code(group.guid)}"
    single = len(targets) == 1 and not event.unnamed
    headline = _single(event, targets[0]) if single else _headline(event, where)

    meta = _meta(event, at)
    if single and targets[0].uid in cases:
        meta = f"Case {case_ref(cases[targets[0].uid])} · {meta}"
    blocks: list[Json] = [
        kit.section(EVENT_BLOCK_ID, f"{_icon(event.trigger)} {headline}"),
        kit.context(META_BLOCK_ID, meta),
    ]
    for index, person in enumerate(targets[:MAX_LISTED]):
        if not single:
            line = _member_line(event.trigger, person)
            if person.uid in cases:
                line = f"{line} · case {case_ref(cases[person.uid])}"
            blocks.append(kit.section(f"{MEMBER_BLOCK_PREFIX}{index}", line))
        button = _unban_button(group, person) if unban else None
        if button is not None:
            # A row of its own: the Unban handler replaces exactly this row with the outcome.
            blocks.append(kit.actions(f"{UNBAN_BLOCK_PREFIX}{index}", [button]))
    if len(targets) > MAX_LISTED:
        more = len(targets) - MAX_LISTED
        rest = ", ".join(code(truncate(p.uid, 40)) for p in targets[MAX_LISTED : MAX_LISTED + 20])
        blocks.append(kit.context("feed_more", truncate(f"…and {more} more: {rest}", 2900)))
    cursor = PageCursor(guid=group.guid, page=1, per_page=page_size)
    open_list = kit.button(ACTION_OPEN_LIST, "View banned list", cursor.encode())
    blocks.append(kit.actions(ACTIONS_BLOCK_ID, [open_list]))
    numbers = set(cases.values())
    if len(numbers) == 1:  # one case: the "Open case" shortcut finds it in the metadata
        (number,) = numbers
        return replace(case_message(_fallback(event), number), blocks=tuple(blocks))
    return Message(text=_fallback(event), blocks=tuple(blocks))


def _unban_button(group: EventGroup, person: Person) -> Json | None:
    # No cursor: the handler answers in place of the feed message's row.
    return unban_button(guid=group.guid, uid=person.uid, name=person.display_name)


def _name(value: str) -> str:
    return escape(truncate(value, NAME_LIMIT))


def _who(person: Person) -> str:
    return f"*{_name(person.display_name)}* {code(truncate(person.uid, 100))}"


def _scopes(person: Person) -> str:
    old = escape(truncate(person.old_scope or "?", 30))
    new = escape(truncate(person.scope or "?", 30))
    return f"*{old}* → *{new}*"


def _single(event: MemberEvent, person: Person) -> str:
    where = f"*{_name(event.group.display_name)}* {code(event.group.guid)}"
    if event.trigger is Trigger.SCOPE_CHANGED:
        return f"Scope of {_who(person)} in {where} changed: {_scopes(person)}"
    return f"{_who(person)} was *{_past(event.trigger)}* from {where}"


def _headline(event: MemberEvent, where: str) -> str:
    named, unnamed = len(event.targets), event.unnamed
    if event.trigger is Trigger.SCOPE_CHANGED:
        return f"Scope changed for *{_count(named, 'member')}* of {where}"
    verb = _past(event.trigger)
    if named == 0:
        # The onBehalfOf bug: CometChat named the moderator, not whoever was acted on.
        return f"A user CometChat did not name was *{verb}* from {where}"
    also = f" (and {unnamed} CometChat did not name)" if unnamed else ""
    return f"*{_count(named, 'user')}*{also} were *{verb}* from {where}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _member_line(trigger: Trigger, person: Person) -> str:
    if trigger is Trigger.SCOPE_CHANGED:
        return f"{_who(person)}: {_scopes(person)}"
    return _who(person)


def _meta(event: MemberEvent, at: int) -> str:
    parts = []
    if event.by is not None:
        parts.append(f"By {_who(event.by)}")
    parts.append(date_token(at))
    text = " · ".join(parts)
    if event.unnamed:
        look = (
            "the banned list shows who is banned now"
            if event.trigger is Trigger.BANNED
            else "check the group's banned list"
        )
        text += (
            "\n:grey_question: CometChat's event named the moderator in place of the user acted on "
            f"(a known CometChat bug with `onBehalfOf`), so who it was is not known; {look}."
        )
    return text


def _fallback(event: MemberEvent) -> str:
    group = _name(event.group.display_name)
    by = f" by {_name(event.by.display_name)}" if event.by is not None else ""
    targets = event.targets
    if len(targets) == 1 and not event.unnamed:
        who = f"{_name(targets[0].display_name)} ({escape(truncate(targets[0].uid, 100))}) was"
    elif not targets:
        who = "A user was"
    else:
        who = f"{len(targets) + event.unnamed} users were"
    if event.trigger is Trigger.SCOPE_CHANGED:
        whose = who.removesuffix(" was").removesuffix(" were")
        return truncate(f"Scope changed for {whose} in {group}{by}", 3000)
    return truncate(f"{who} {_past(event.trigger)} from {group}{by}", 3000)
