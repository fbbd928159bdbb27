"""The App Home tab, as a Block Kit view. Pure: what the store knows in, a `home` view out.

The view lists the newest moderation events of every group, the bans ending soon (with *Unban
now* for moderators), bans and unbans per day (a chart image when the bot has a public URL, the
counts as text otherwise), the group picker and the "find a user" input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.charts import DailyCounts
from bot.domain.button_values import HistoryExportRef, PickGroupRef, UnbanRef
from bot.domain.moderation import ModerationEvent
from bot.slack import kit
from bot.slack.history_blocks import event_text
from bot.slack.kit import Json
from bot.slack.message import Message
from bot.slack.picker import with_group_picker
from bot.slack.text import case_ref, code, date_token, escape, truncate

ACTION_HOME_UNBAN = "banned_home_unban"  # value: an UnbanRef without a cursor
ACTION_HOME_EXPORT_HISTORY = "banned_home_export_history"  # value: a HistoryExportRef
# The mass ban form, with a group picker first (no group in context here); moderators only.
ACTION_HOME_MASSBAN_OPEN = "banned_home_massban_open"  # value: a PickGroupRef
# Handled by the "where is this user banned?" lookup: Enter in the input sends its uid.
ACTION_FIND_USER = "banned_home_find_user"

MAX_ENDING_SHOWN = 25
MAX_RECENT_SHOWN = 20
NAME_LIMIT = 60


@dataclass(frozen=True)
class HomeSnapshot:
    """What one viewer's Home tab shows, gathered by `bot.usecases.home`."""

    now: datetime
    recent: list[ModerationEvent]
    ending: list[ModerationEvent]  # bans with their pending `ends_at`, soonest first
    counts: DailyCounts
    chart_url: str | None = None  # None: the counts are shown as text
    moderate: bool = False  # the viewer may unban
    notice: str = ""  # already-safe mrkdwn: what the viewer's last click did
    # A confirmation the viewer's last click asked for (an unban, with the user's card): on top
    # until its Confirm or Cancel publishes the view again.
    asking: tuple[Json, ...] = ()
    problems: list[str] = field(default_factory=list)  # safe mrkdwn: parts that could not load


def render_home(home: HomeSnapshot) -> Json:
    blocks: list[Json] = [kit.header("home_header", "Moderation at a glance")]
    if home.notice:
        blocks.append(kit.section("home_notice", home.notice))
    blocks.extend(home.asking)
    blocks.append(
        kit.context(
            "home_updated",
            f"Every group the bot has seen · updated {date_token(int(home.now.timestamp()))}",
        )
    )
    blocks.extend(kit.section(f"home_problem_{i}", p) for i, p in enumerate(home.problems[:3]))
    picker = with_group_picker(Message(text="*Open a group's banned list* (sent to you in a DM):"))
    blocks.extend(picker.blocks)
    blocks.append(
        kit.input_block(
            "home_find_user",
            "Where is this user banned?",
            kit.plain_text_input(
                ACTION_FIND_USER, placeholder="A CometChat uid, then Enter", max_length=100
            ),
            dispatch_action=True,
        )
    )
    if home.moderate:
        blocks.append(
            kit.actions(
                "home_moderation_tools",
                [kit.button(ACTION_HOME_MASSBAN_OPEN, "Mass ban…", PickGroupRef().encode())],
            )
        )
    blocks.append(kit.divider("home_div_ending"))
    blocks.extend(_ending(home))
    blocks.append(kit.divider("home_div_chart"))
    blocks.extend(_chart(home))
    blocks.append(kit.divider("home_div_recent"))
    blocks.extend(_recent(home))
    export = kit.button(ACTION_HOME_EXPORT_HISTORY, "Export history", HistoryExportRef().encode())
    blocks.append(kit.actions("home_history_tools", [export]))
    blocks.append(
        kit.context(
            "home_history_tools_note",
            "The whole moderation history as CSV, sent to you in a DM; "
            "`/banned history export [group] [days]` narrows it.",
        )
    )
    return kit.home(blocks)


def render_home_refused() -> Json:
    """The whole view for someone the viewer lists refuse: nothing of the history."""
    return kit.home(
        [
            kit.header("home_header", "Moderation at a glance"),
            kit.section(
                "home_refused",
                ":no_entry: Sorry, you are not allowed to see this. "
                "Ask the bot's operator if you need access.",
            ),
        ]
    )


def _who(event: ModerationEvent) -> str:
    name = " ".join(event.name.split())
    who = code(event.uid)
    if name and name != event.uid:
        who = f"{escape(truncate(name, NAME_LIMIT))} ({who})"
    return f"{who} in group {code(event.guid)}"


def _ending(home: HomeSnapshot) -> list[Json]:
    title = "*Bans ending in the next 24 hours*"
    if not home.ending:
        return [kit.section("home_ending_title", f"{title}\nNone.")]
    blocks = [kit.section("home_ending_title", title)]
    shown = home.ending[:MAX_ENDING_SHOWN]
    for i, ban in enumerate(shown):
        ends = ban.ends_at or home.now
        text = f"{_who(ban)}\nEnds {date_token(int(ends.timestamp()))}"
        if ban.id is not None:
            text = f"{case_ref(ban.id)} {text}"
        if ban.reason.strip():
            text += f" · Reason: {escape(ban.reason)}"
        accessory = None
        if home.moderate:
            value = UnbanRef(guid=ban.guid, uid=ban.uid).encode()
            # The click asks first, with the user's card, on top of this view.
            accessory = kit.button(ACTION_HOME_UNBAN, "Unban now", value)
        blocks.append(kit.section(f"home_ending_{i}", text, accessory))
    if len(home.ending) > len(shown):
        more = len(home.ending) - len(shown)
        blocks.append(kit.context("home_ending_more", f"…and {more} more later today."))
    return blocks


def _chart(home: HomeSnapshot) -> list[Json]:
    counts = home.counts
    bans, unbans = counts.totals
    summary = (
        f"*Bans and unbans per day, last {counts.days} days* (UTC, every group): "
        f"{bans} ban{'s' if bans != 1 else ''}, {unbans} unban{'s' if unbans != 1 else ''}"
    )
    if home.chart_url:
        alt = (
            f"Bar chart of bans and unbans per day over the last {counts.days} days: "
            f"{bans} bans, {unbans} unbans."
        )
        return [
            kit.section("home_chart_title", summary),
            kit.image_block("home_chart", home.chart_url, alt),
        ]
    lines = [
        f"`{_day(day)}` {b} ban{'s' if b != 1 else ''}, {u} unban{'s' if u != 1 else ''}"
        for day, (b, u) in zip(counts.dates, counts.counts, strict=True)
        if b or u
    ]
    text = summary + ("\n" + "\n".join(lines) if lines else "\nNothing recorded.")
    return [kit.section("home_chart_text", text)]


def _day(day: date) -> str:
    return f"{day:%b %d}"


def _recent(home: HomeSnapshot) -> list[Json]:
    title = "*Latest moderation*"
    if not home.recent:
        return [kit.section("home_recent_title", f"{title}\nNothing recorded yet.")]
    blocks = [kit.section("home_recent_title", title)]
    for i, event in enumerate(home.recent[:MAX_RECENT_SHOWN]):
        blocks.append(kit.section(f"home_recent_{i}", f"{_who(event)}\n{event_text(event)}"))
    return blocks
