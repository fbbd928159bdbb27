"""What `/banned` accepts, written once: the usage text (bot.slack.usage), the manifest's usage
hint and the command table of docs/moderators.md are produced from these forms (`python -m bot
docs`), and a test fails when a copy disagrees. The parser is `bot.domain.command`; a test checks
that every verb it takes from the action table has its form here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.actions import ACTIONS, ActionSpec, Role

COMMAND = "/banned"


@dataclass(frozen=True)
class CommandForm:
    syntax: str  # after the command; `<…>` is a placeholder, `[…]` optional
    usage: str  # the usage text's words for it, in Slack mrkdwn (code spans in backticks)
    table: str  # the moderators' guide's words for it, in Markdown
    hint: bool = True  # shown in the manifest's usage hint (the shortest forms stand for others)

    @property
    def typed(self) -> str:
        return typed(self.syntax)


def typed(words: str) -> str:
    """The command as typed: `/banned` and what follows it."""
    return f"{COMMAND} {words}".rstrip()


def action_syntax(spec: ActionSpec) -> str:
    """The form an action's command takes: what the parser (bot.domain.command) reads."""
    duration = " [<duration>]" if spec.temporary else ""
    return f"<group-guid> {spec.verb} <uid>{duration} {spec.argument}"


FORMS: tuple[CommandForm, ...] = (
    CommandForm(
        "<group-guid>",
        "lists who is banned from a CometChat group, a page at a time, with Previous/Next buttons.",
        "page 1 of the group's banned users, with Previous/Next",
        hint=False,
    ),
    CommandForm(
        "<group-guid> <text>",
        "lists only those whose name or uid contains the text.",
        "only the banned users whose name or uid contains the text (see "
        "[Finding fast](#finding-fast-search-group-picker-share-export))",
    ),
    CommandForm(
        "",
        "alone offers a menu of the app's groups: type to find one.",
        "a menu of the app's groups, with how to use it",
        hint=False,
    ),
    CommandForm(
        "<group-guid> ban <uid> [<duration>] [<reason…>]",
        "bans a user from the group once you confirm (moderators only; they also get Unban "
        "buttons on the list). The duration is a number and a unit, `30m`, `2h`, `7d` or `2w`, "
        "from 1 minute to 365 days, after which the bot unbans them; without one, or with "
        "`permanent`, the ban lasts until someone unbans them.",
        "moderators: ban a user, for a while or for good, after a confirmation (see "
        "[Moderating](#moderating))",
    ),
    CommandForm(
        "<group-guid> unban <uid> [<reason…>]",
        "lifts a user's ban once you confirm (moderators only), after showing who they are: "
        "the same as the Unban button on their row of the list.",
        "moderators: lift a ban, after a confirmation that shows the user "
        "(see [Moderating](#moderating))",
    ),
    CommandForm(
        "<group-guid> kick <uid> [<reason…>]",
        "removes a user from the group once you confirm (moderators only); unlike a ban, they "
        "may join it again.",
        "moderators: remove a user from the group (they may join again), after a confirmation "
        "(see [Moderating](#moderating))",
    ),
    CommandForm(
        "<group-guid> note <uid> <text…>",
        "adds a note to the user's history in the group (moderators only): a warning given, "
        "something to remember. Nothing is asked of CometChat; the note is a case like any "
        "other.",
        "moderators: a note in the user's history, a case of its own; CometChat is not called "
        "(see [Cases](#cases))",
    ),
    CommandForm(
        "<group-guid> massban",
        "opens the mass ban form (moderators only): pasted uids and/or everyone who joined in "
        "the last minutes, previewed before anything is banned.",
        "moderators: ban many users at once, previewed first (see [Raid response](#raid-response))",
        hint=False,
    ),
    CommandForm(
        "<group-guid> lockdown <duration> [<reason…>]",
        "stops the group's participants sending messages for that long (moderators only; "
        "moderators and admins still can); its answer has a button to lift it sooner.",
        "moderators: participants may not send messages for a while (see "
        "[Raid response](#raid-response))",
        hint=False,
    ),
    CommandForm(
        "<group-guid> history <uid>",
        "shows what the bot knows of a user in the group (bans, unbans, kicks, newest first); "
        "so does each row's History button.",
        "what the bot knows of that user in that group, newest first, 20 at a time (see "
        "[History](#moderating))",
    ),
    CommandForm(
        "case <number>",
        "shows one case (every recorded event has a number, `#1042`): who, what, when, why, "
        "how long, what the moderator was shown and its edits; moderators can edit it there "
        "(its reason, and a ban's length: longer, shorter, permanent or ended now). So does "
        "each history line's Case button.",
        "one case: the event, its evidence and its edits; moderators can correct the reason "
        "or a ban's length there (see [Cases](#cases))",
    ),
    CommandForm(
        "history export [<group-guid>] [<days>]",
        "sends you the moderation history as a CSV file in a direct message: every group, or "
        "one; everything kept, or the last days. So does the Home tab's Export history.",
        "the moderation history as CSV in your DM (case, time, group, user, action, actor, "
        "source, reason, duration, end; see [Cases](#cases))",
    ),
    CommandForm(
        "user <uid>",
        "shows every group a user is banned from: the bot's history at once, then a scan of "
        "every group, whose result follows.",
        "every group the user is banned from: the bot's history at once, then a scan of every "
        "group (see [Where is this user banned?](#moderating))",
    ),
    CommandForm(
        "help",
        "shows this message.",
        "how to use it, with an example, and a menu of the app's groups",
    ),
)

EXAMPLES = ("cometchat-guid-1", "cometchat-guid-1 ban cometchat-uid-7 24h spamming links")


def usage_hint() -> str:
    """The manifest's `usage_hint`: Slack shows it as you type, so `[x]` for every placeholder."""
    shown = [f.syntax for f in FORMS if f.hint]
    return " | ".join(re.sub(r"\[?<([^>]+)>\]?", r"[\1]", syntax) for syntax in shown)


def command_table() -> str:
    """The moderators' guide's table of what you can type, in Markdown."""
    rows = ["| You type | You get |", "|---|---|"]
    rows += [f"| `{form.typed}` | {form.table} |" for form in FORMS]
    return "\n".join(rows)


_WHO = {Role.MODERATOR: "moderators", Role.NOBODY: "nobody: heard of, or done by the bot itself"}


def actions_table() -> str:
    """docs/architecture.md's table of moderation actions, one row per entry of the action table."""
    rows = [
        "| Action | Command | Who may | Confirm first | Temporary | CometChat call "
        "| In the history |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in ACTIONS.values():
        asked = f"`{typed(action_syntax(spec))}`" if spec.command else "–"
        method = spec.write or spec.bulk or spec.scope_write
        call = f"`{method}`" if method is not None else "–"
        rows.append(
            f"| `{spec.action.value}` | {asked} | {_WHO[spec.who]} | "
            f"{'yes' if spec.confirm and method else 'no'} | "
            f"{'yes' if spec.temporary else 'no'} | {call} | {spec.icon} {spec.headline} |"
        )
    return "\n".join(rows)
