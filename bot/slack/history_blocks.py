"""A user's moderation history in a group, as Block Kit. Pure: events in, message out.

Who acted is read from where the event came from, not from the id's shape: the bot's own buttons
and commands name a Slack user (a mention), CometChat's webhooks a CometChat uid (shown as code,
even one that looks like a Slack id), and an automatic expiry nobody.
"""

from __future__ import annotations

from bot.domain.actions import ACTIONS
from bot.domain.button_values import CaseRef, HistoryRef
from bot.domain.duration import describe_duration
from bot.domain.evidence import UserCard
from bot.domain.moderation import EventSource, HistoryPage, ModerationEvent
from bot.slack import kit
from bot.slack.kit import Json
from bot.slack.message import Message
from bot.slack.text import case_ref, code, date_token, escape, mention
from bot.slack.user_card_blocks import card_summary

ACTION_HISTORY = "banned_history"  # a list row's "History": value is a HistoryRef
ACTION_HISTORY_OLDER = "banned_history_older"  # the next (older) 20 events
ACTION_CASE = "banned_case"  # a history line's "Case": value is a CaseRef

HEADER_BLOCK_ID = "history_header"
OLDER_BLOCK_ID = "history_older"
NAME_LIMIT = 100
# Header, intro, one section per event and the Older row stay well under Slack's 50 blocks.
MAX_EVENTS_SHOWN = 40

SOURCE_WORDS = {
    EventSource.BUTTON: "with a button in Slack",
    EventSource.COMMAND: "with `/banned`",
    EventSource.WEBHOOK: "reported by CometChat",
    EventSource.EXPIRY: "when the ban ran out",
    EventSource.SCAN: "seen by a scan of every group",
    EventSource.WORKFLOW: "by a step of a Slack workflow",
}


def render_history(ref: HistoryRef, page: HistoryPage) -> Message:
    """One page of `ref.uid`'s history in `ref.guid`, newest first. `ref.before` set means an
    older page (after an "Older" click); `page.before` set means there are older events still."""
    events = page.events[:MAX_EVENTS_SHOWN]
    before = page.before
    if len(page.events) > len(events):
        before = events[-1].id  # the rest is on the next page, not lost
    name = next((e.name for e in page.events if e.name.strip()), "")
    who = " ".join(name.split())[:NAME_LIMIT] or ref.uid
    where = f"{code(ref.uid)} in group {code(ref.guid)}"
    blocks: list[Json] = [kit.header(HEADER_BLOCK_ID, f"Moderation history of {who}")]
    if not events:
        text = _nothing_older(where) if ref.before is not None else _no_record(where)
        blocks.append(kit.section("history_empty", text))
        return Message(text=text, blocks=tuple(blocks))
    order = "older events, newest first" if ref.before is not None else "newest first"
    blocks.append(kit.context("history_intro", f"{where} · {order}"))
    blocks.extend(
        kit.section(
            f"history_event_{i}", event_text(e, page.evidence.get(e.id or 0)), case_button(e)
        )
        for i, e in enumerate(events)
    )
    if before is not None:
        older = HistoryRef(guid=ref.guid, uid=ref.uid, before=before).encode()
        blocks.append(
            kit.actions(OLDER_BLOCK_ID, [kit.button(ACTION_HISTORY_OLDER, "Older", older)])
        )
    count = f"{len(events)} event{'s' if len(events) != 1 else ''}"
    more = ", more are older" if before is not None else ""
    return Message(text=f"Moderation history of {where}: {count}{more}.", blocks=tuple(blocks))


def event_text(event: ModerationEvent, card: UserCard | None = None) -> str:
    """What, who, when and how on the first line; the ban's end and the reason below it; then
    who the moderator was shown before confirming, if that was kept."""
    first = f"{ACTIONS[event.action].icon} {_what(event)}"
    if event.id is not None:
        first = f"{case_ref(event.id)} {first}"
    actor = event_actor(event)
    if actor:
        first += f" by {actor}"
    first += f" · {date_token(int(event.at.timestamp()))} · {SOURCE_WORDS[event.source]}"
    lines = [first]
    if ACTIONS[event.action].temporary and event.ends_at is not None:
        lines.append(f"Until {date_token(int(event.ends_at.timestamp()))}")
    if event.reason.strip():
        lines.append(f"{ACTIONS[event.action].reason_label}: {escape(event.reason)}")
    if card is not None:
        summary = card_summary(card)
        if sum(len(line) + 1 for line in lines) + len(summary) > kit.SECTION_TEXT:
            summary = card_summary(card, messages=0)  # a long reason leaves room for no more
        lines.append(summary)
    return "\n".join(lines)


def case_button(event: ModerationEvent) -> Json | None:
    """The "Case #n" button opening an event's case view (none for an unsaved event)."""
    if event.id is None or event.id < 1:
        return None
    return kit.button(ACTION_CASE, f"Case {case_ref(event.id)}", CaseRef(number=event.id).encode())


def _what(event: ModerationEvent) -> str:
    """The action in mrkdwn: the verb in bold, what CometChat sent (a scope) as code."""
    spec = ACTIONS[event.action]
    if spec.temporary and event.ends_at is not None:
        return f"*{spec.headline}* for {describe_duration(event.ends_at - event.at)}"
    if event.scope:  # only a scope change carries one
        return f"*{spec.headline}* to {code(event.scope)}"
    return f"*{spec.headline}*"


def event_actor(event: ModerationEvent) -> str:
    """Who did it, as mrkdwn: a Slack mention, a CometChat uid, or empty (nobody known)."""
    who = actor_of(event)
    return f"{who} (in CometChat)" if who and event.source is EventSource.WEBHOOK else who


def actor_of(event: ModerationEvent) -> str:
    """The actor alone: a mention for the bot's own buttons and commands, a CometChat uid (as
    code, even one shaped like a Slack id) for what webhooks reported, empty for nobody."""
    if not event.actor or event.source in (EventSource.EXPIRY, EventSource.SCAN):
        return ""
    if event.source is EventSource.WEBHOOK:
        return code(event.actor)
    return mention(event.actor)


def _no_record(where: str) -> str:
    return (
        f"The bot has no record of {where}. It only knows what it did or heard of since it "
        "started recording: bans and unbans made with it, what CometChat's webhooks reported, "
        "and bans that ended by themselves."
    )


def _nothing_older(where: str) -> str:
    return f"No older events for {where}."
