"""The bot's own errors (`bot.domain.errors`) worded: one entry per class."""

from __future__ import annotations

import logging
from typing import Any

from bot.domain.duration import ACCEPTED_FORMS
from bot.domain.errors import (
    BadCaseNumber,
    BadCursor,
    BadDuration,
    BadExportDays,
    BadLockdownDuration,
    BotError,
    CaseClosed,
    EndPassed,
    ExportFailed,
    ExportRunning,
    ExportsBusy,
    ExportTimedOut,
    ForeignWorkspace,
    HistoryUnavailable,
    HistoryUnreadable,
    InvalidGuid,
    InvalidUid,
    JobQueueFull,
    LockdownNeedsHistory,
    MassActionNeedsHistory,
    NotACasePost,
    NotAllowed,
    NothingToRecord,
    ProtectedUser,
    QueryTooLong,
    ReasonTooLong,
    ScanRunning,
    ScansBusy,
    UndoRefused,
    UnknownCase,
)
from bot.domain.ids import MAX_GUID_LENGTH
from bot.slack.message import Message
from bot.slack.text import case_ref, code, escape, truncate
from bot.slack.usage import usage
from bot.slack.wording import Outcome, Wording, text


def invalid_guid_reason(shown: str, *, too_long: bool) -> str:
    """Why a group id was refused, in Slack and in the terminal alike; `shown` is the id as the
    medium can show it safely."""
    if too_long:
        return (
            f"{shown} is too long for a group id (at most {MAX_GUID_LENGTH} characters). "
            "Nothing was looked up."
        )
    return (
        f"{shown} is not a valid group id: use letters, digits, _ - . @ : or +, without "
        "spaces. Nothing was looked up."
    )


def _invalid_guid(error: InvalidGuid) -> Message:
    shown = code(truncate(error.guid, 40))
    return usage(f":x: {invalid_guid_reason(shown, too_long=error.too_long)}")


def invalid_uid_reason(shown: str, *, too_long: bool, punctuation: str) -> str:
    """Why a user id was refused, in Slack and in the terminal alike; `punctuation`: the
    allowed characters as the medium shows them."""
    limit = f" (at most {MAX_GUID_LENGTH} characters)" if too_long else ""
    return (
        f"{shown} is not a valid CometChat user id{limit}: use letters, digits, "
        f"{punctuation}, without spaces."
    )


def _invalid_uid(error: InvalidUid) -> Message:
    shown = code(truncate(error.uid, 40))
    allowed = "`_`, `-`, `.`, `@`, `:` or `+`"
    reason = invalid_uid_reason(shown, too_long=error.too_long, punctuation=allowed)
    return Message(text=f":x: {reason} Nothing was changed.")


def _bad_duration(error: BadDuration) -> Message:
    shown = code(truncate(error.text, 40))
    forms = ", ".join(code(form) for form in ACCEPTED_FORMS)
    problem = "is too short or too long a ban" if error.out_of_range else "is not a duration"
    # A reason that starts with a number is read as a duration: say how to give one.
    aside = (
        ""
        if error.out_of_range
        else " A reason starting with a number goes after a duration: `permanent 3 spam links`."
    )
    return Message(
        text=f":x: {shown} {problem}. Use a number and a unit (m, h, d or w), from 1 minute "
        f"to 365 days, or `permanent`: {forms}. Nobody was banned.{aside}"
    )


def _reason_too_long(error: ReasonTooLong) -> Message:
    return Message(
        text=f":x: That reason is {error.length} characters long; at most {error.limit} are kept. "
        "Shorten it and try again. Nobody was banned."
    )


def _history_unavailable(_error: HistoryUnavailable) -> Message:
    return Message(
        text=":warning: A temporary ban needs the bot's database (to end the ban on time), and "
        "it cannot be reached right now. Nobody was banned. A permanent ban still works."
    )


def _history_unavailable_hint(_error: HistoryUnavailable) -> str:
    return "the database (DATABASE_URL) cannot be reached; `python -m bot check` tells more"


def _history_unreadable_hint(_error: HistoryUnreadable) -> str:
    return (
        "the moderation history could not be read from the database (DATABASE_URL); "
        "`python -m bot check` tells more"
    )


def _query_too_long(error: QueryTooLong) -> Message:
    return usage(
        f":x: That search is {len(error.query)} characters long; at most {error.limit} fit. "
        "Nothing was looked up."
    )


def _export_failed(error: ExportFailed) -> Message:
    return Message(
        text=f":x: Slack did not accept the CSV file ({code(truncate(error.reason, 60))}), "
        "so nothing was sent. Please tell the bot's operator if it keeps happening."
    )


def _export_failed_hint(error: ExportFailed) -> str:
    scope = f" (needs {error.needed})" if error.needed else ""
    fix = (
        "; the CSV export needs the files:write and im:write scopes (reinstall the app "
        "from manifest.yml)"
        if error.reason in ("missing_scope", "not_allowed_token_type")
        else ""
    )
    return f"Slack refused {error.step}: {error.reason}{scope}{fix}"


def _not_allowed(error: NotAllowed) -> Message:
    verb = "view banned users" if error.action == "view" else error.action
    return Message(
        text=f":no_entry: Sorry, you are not allowed to {verb} here. "
        "Ask the bot's operator if you need access. Nothing was changed."
    )


def _protected_user(error: ProtectedUser) -> Message:
    return Message(
        text=f":shield: {code(error.uid)} is a protected user (PROTECTED_UIDS): the bot never "
        "bans them in many groups at once. Nothing was changed."
    )


def _queue_full_hint(error: JobQueueFull) -> str:
    return (
        f"{error.limit} background jobs pending: requests are being refused; raise WORKERS "
        "or JOB_QUEUE_PER_WORKER, or see why jobs are slow (CometChat latency)"
    )


def _exports_busy(error: ExportsBusy) -> Message:
    return Message(
        text=f":hourglass: {error.limit} exports are already running, the most the bot "
        "does at once. Please try again in a minute."
    )


def _export_timed_out(error: ExportTimedOut) -> Message:
    return Message(
        text=f":hourglass: The export stopped after {error.budget:g} s without reaching "
        f"the end of the list ({error.rows:,} users read), so no file was sent. The list "
        "may be very long or CometChat slow: try again later, or ask the bot's operator."
    )


def _export_timed_out_hint(error: ExportTimedOut) -> str:
    return (
        f"the export read {error.pages} pages in EXPORT_TIME_BUDGET ({error.budget:g} s) "
        "without reaching the end: raise it for very long lists, or check CometChat latency"
    )


def _bad_lockdown_duration(error: BadLockdownDuration) -> Message:
    return Message(
        text=f":x: {code(truncate(error.text, 40))} is no length for a lockdown: use a number and "
        "a unit (m, h, d or w), from 1 minute to 365 days, e.g. `30m`. Nothing was changed."
    )


def _undo_refused(error: UndoRefused) -> Message:
    if error.why == "too_late":
        why = f"it is more than {error.hours} hours old; unban its users one by one instead"
    elif error.why == "done":
        why = "it has already been undone"
    else:
        why = "the bot has no record of it"
    return Message(text=f":x: This mass ban cannot be undone: {why}. Nobody was unbanned.")


def _bad_case_number(error: BadCaseNumber) -> Message:
    return Message(
        text=f":x: {code(truncate(error.text, 30))} is not a case number: type the number "
        "shown beside an event, like `/banned case 1042`. Nothing was looked up."
    )


def _bad_export_days(error: BadExportDays) -> Message:
    return Message(
        text=f":x: {code(truncate(error.text, 30))} is not a number of days: type "
        "`/banned history export [&lt;group-guid&gt;] [&lt;days&gt;]`, like "
        "`/banned history export 30`. Nothing was exported."
    )


def _unknown_case(error: UnknownCase) -> Message:
    return Message(
        text=f":grey_question: There is no case {case_ref(error.number)}: no event the bot "
        "recorded has that number (or it is older than the history keeps). Nothing was changed."
    )


def _case_closed(error: CaseClosed) -> Message:
    return Message(
        text=f":hourglass: The ban of case {case_ref(error.number)} has already ended or was "
        "replaced by a later decision, so its length can no longer change. Nothing was changed."
    )


def _nothing_to_record(error: NothingToRecord) -> Message:
    return usage(
        f":x: Nothing to {escape(error.verb)}: write the text after the user id, like "
        f"`/banned &lt;group-guid&gt; {escape(error.verb)} &lt;uid&gt; warned in DM`. "
        "Nothing was recorded."
    )


# A missing scope, a queue at its bound, a list too long for the budget: the operator's, so
# WARNING; what a user typed or clicked is theirs, so INFO.
BOT_ERRORS: dict[type[BaseException], Wording[Any]] = {
    BotError: Wording(lambda e: Message(text=f":x: {escape(str(e))}"), logging.INFO),
    InvalidGuid: Wording(_invalid_guid, logging.INFO),
    InvalidUid: Wording(_invalid_uid, logging.INFO),
    QueryTooLong: Wording(_query_too_long, logging.INFO),
    BadDuration: Wording(_bad_duration, logging.INFO),
    ReasonTooLong: Wording(_reason_too_long, logging.INFO),
    HistoryUnavailable: Wording(
        _history_unavailable,
        logging.WARNING,
        hint=_history_unavailable_hint,
        outcome=Outcome("no_database", "the bot's database was unavailable, so nothing was done"),
    ),
    HistoryUnreadable: Wording(
        text(
            ":warning: The moderation history cannot be read right now (the bot's database "
            "is unavailable). The banned list still works: `/banned &lt;group-guid&gt;`. "
            "Please try again later."
        ),
        logging.WARNING,
        hint=_history_unreadable_hint,
    ),
    ExportFailed: Wording(_export_failed, logging.WARNING, hint=_export_failed_hint),
    BadCursor: Wording(
        text(
            ":x: That button no longer works (it is out of date or was altered). "
            "Run `/banned &lt;group-guid&gt;` again."
        ),
        logging.INFO,
    ),
    NotAllowed: Wording(_not_allowed, logging.INFO),
    ProtectedUser: Wording(_protected_user, logging.INFO),
    BadCaseNumber: Wording(_bad_case_number, logging.INFO),
    BadExportDays: Wording(_bad_export_days, logging.INFO),
    NothingToRecord: Wording(_nothing_to_record, logging.INFO),
    NotACasePost: Wording(
        text(
            ":grey_question: That message is not about a case. *Open case* works on the "
            "bot's own posts in the audit channel and the moderation feed; or type "
            "`/banned case &lt;number&gt;`."
        ),
        logging.INFO,
    ),
    UnknownCase: Wording(_unknown_case, logging.INFO),
    CaseClosed: Wording(_case_closed, logging.INFO),
    EndPassed: Wording(
        text(
            ":x: With that length the ban would already be over: choose *End now* to lift "
            "it. Nothing was changed."
        ),
        logging.INFO,
    ),
    ForeignWorkspace: Wording(
        text(
            ":wave: Sorry, this bot only serves people of the Slack workspace it is "
            "installed in, so it cannot help you here. Nothing was looked up or changed."
        ),
        logging.INFO,
    ),
    JobQueueFull: Wording(
        text(
            ":hourglass: The bot is busy right now and cannot take on more work. "
            "Please try again in a moment. Nothing was looked up or changed."
        ),
        logging.WARNING,
        hint=_queue_full_hint,
    ),
    ExportRunning: Wording(
        text(
            ":hourglass: You already have an export running; its file will arrive in your "
            "direct messages with the bot. Please wait for it before starting another."
        ),
        logging.INFO,
    ),
    ExportsBusy: Wording(_exports_busy, logging.INFO),
    ScanRunning: Wording(
        text(
            ":hourglass: You already have a scan of every group running; its result will "
            "arrive here. Please wait for it before starting another."
        ),
        logging.INFO,
    ),
    ScansBusy: Wording(
        text(
            ":hourglass: Someone else's scan of every group is running, and the bot runs one "
            "at a time. Please try again when it has finished (usually within a minute)."
        ),
        logging.INFO,
    ),
    ExportTimedOut: Wording(_export_timed_out, logging.WARNING, hint=_export_timed_out_hint),
    MassActionNeedsHistory: Wording(
        text(
            ":warning: A mass ban, and its undo, need the bot's database (where its users are "
            "listed), and it cannot be reached right now. Nothing was done."
        ),
        logging.WARNING,
        hint=_history_unavailable_hint,
        outcome=Outcome("no_database", "the bot's database was unavailable, so nothing was done"),
    ),
    UndoRefused: Wording(_undo_refused, logging.INFO),
    BadLockdownDuration: Wording(_bad_lockdown_duration, logging.INFO),
    LockdownNeedsHistory: Wording(
        text(
            ":warning: A lockdown needs the bot's database (to lift it on time, and to put back "
            "exactly what participants were allowed), and it cannot be reached right now. "
            "Nothing was changed."
        ),
        logging.WARNING,
        hint=_history_unavailable_hint,
        outcome=Outcome("no_database", "the bot's database was unavailable, so nothing was done"),
    ),
}
