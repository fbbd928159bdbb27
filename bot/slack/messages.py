"""Every error a user can meet, worded once. Listeners raise; this module explains."""

from __future__ import annotations

import logging

from bot.cometchat import errors as cc
from bot.domain.cursor import MAX_GUID_LENGTH
from bot.domain.errors import (
    BadCursor,
    BotError,
    ExportFailed,
    ExportRunning,
    ExportsBusy,
    ExportTimedOut,
    ForeignWorkspace,
    InvalidGuid,
    InvalidUid,
    JobQueueFull,
    NotAllowed,
    QueryTooLong,
)
from bot.slack.message import Message
from bot.slack.text import code, escape, truncate

USAGE = (
    # `<…>` is Slack's control syntax even inside code spans, hence &lt; &gt; for placeholders.
    "*Usage:* `/banned &lt;group-guid&gt;` lists who is banned from a CometChat group, "
    "a page at a time, with Previous/Next buttons.\n"
    "`/banned &lt;group-guid&gt; &lt;text&gt;` lists only those whose name or uid contains "
    "the text.\n"
    "`/banned` alone offers a menu of the app's groups: type to find one.\n"
    "`/banned &lt;group-guid&gt; ban &lt;uid&gt;` bans a user from the group once you confirm "
    "(moderators only; they also get Unban buttons on the list).\n"
    "*Example:* `/banned cometchat-guid-1`\n"
    "`/banned help` shows this message."
)


def usage(prefix: str = "") -> Message:
    text = f"{prefix}\n\n{USAGE}" if prefix else USAGE
    return Message(text=text)


def explain(error: BaseException, *, ref: str = "") -> Message:
    """The user-facing message for an error. Unknown errors get a reference, never a trace."""
    if isinstance(error, BotError):
        return _bot_error(error)
    if isinstance(error, cc.CometChatError):
        return Message(text=_cometchat_error(error))
    suffix = f" (reference {code(ref)})" if ref else ""
    return Message(
        text=f":warning: Something went wrong on our side{suffix}. It has been logged; "
        "please try again, and tell the bot's operator if it keeps happening."
    )


def _bot_error(error: BotError) -> Message:
    if isinstance(error, InvalidGuid):
        shown = code(truncate(error.guid, 40))
        if error.too_long:
            return usage(
                f":x: {shown} is too long for a group id "
                f"(at most {MAX_GUID_LENGTH} characters). Nothing was looked up."
            )
        return usage(
            f":x: {shown} is not a valid group id: use letters, digits, `_`, `-`, `.`, `@`, "
            "`:` or `+`, without spaces. Nothing was looked up."
        )
    if isinstance(error, InvalidUid):
        shown = code(truncate(error.uid, 40))
        limit = f" (at most {MAX_GUID_LENGTH} characters)" if error.too_long else ""
        return Message(
            text=f":x: {shown} is not a valid CometChat user id{limit}: use letters, digits, "
            "`_`, `-`, `.`, `@`, `:` or `+`, without spaces. Nothing was changed."
        )
    if isinstance(error, QueryTooLong):
        return usage(
            f":x: That search is {len(error.query)} characters long; at most {error.limit} fit. "
            "Nothing was looked up."
        )
    if isinstance(error, ExportFailed):
        return Message(
            text=f":x: Slack did not accept the CSV file ({code(truncate(error.reason, 60))}), "
            "so nothing was sent. Please tell the bot's operator if it keeps happening."
        )
    if isinstance(error, BadCursor):
        return Message(
            text=":x: That button no longer works (it is out of date or was altered). "
            "Run `/banned &lt;group-guid&gt;` again."
        )
    if isinstance(error, NotAllowed):
        verb = "view banned users" if error.action == "view" else error.action
        return Message(
            text=f":no_entry: Sorry, you are not allowed to {verb} here. "
            "Ask the bot's operator if you need access. Nothing was changed."
        )
    if isinstance(error, ForeignWorkspace):
        return Message(
            text=":wave: Sorry, this bot only serves people of the Slack workspace it is "
            "installed in, so it cannot help you here. Nothing was looked up or changed."
        )
    if isinstance(error, JobQueueFull):
        return Message(
            text=":hourglass: The bot is busy right now and cannot take on more work. "
            "Please try again in a moment. Nothing was looked up or changed."
        )
    if isinstance(error, ExportRunning):
        return Message(
            text=":hourglass: You already have an export running; its file will arrive in your "
            "direct messages with the bot. Please wait for it before starting another."
        )
    if isinstance(error, ExportsBusy):
        return Message(
            text=f":hourglass: {error.limit} exports are already running, the most the bot "
            "does at once. Please try again in a minute."
        )
    if isinstance(error, ExportTimedOut):
        return Message(
            text=f":hourglass: The export stopped after {error.budget:g} s without reaching "
            f"the end of the list ({error.rows:,} users read), so no file was sent. The list "
            "may be very long or CometChat slow: try again later, or ask the bot's operator."
        )
    return Message(text=f":x: {escape(str(error))}")


def _cometchat_error(error: cc.CometChatError) -> str:
    if isinstance(error, cc.GroupNotFound):
        return f":mag: There is no group {code(error.guid)} in this CometChat app."
    if isinstance(error, cc.UserNotFound):
        return (
            f":mag: There is no user {code(error.uid)} in this CometChat app "
            "(or the user is deactivated)."
        )
    if isinstance(error, cc.AuthRejected):
        return (
            ":wrench: The bot is misconfigured: CometChat rejected its credentials. "
            "Please ask the person who runs /banned to check its settings."
        )
    if isinstance(error, cc.RateLimited):
        seconds = error.retry_after
        # A wait over an hour is a garbled header, not advice worth repeating.
        wait = (
            f" in about {max(1, round(seconds))} s" if seconds and seconds <= 3600 else " shortly"
        )
        return f":hourglass: CometChat is rate-limiting the bot right now. Please try again{wait}."
    if isinstance(error, cc.Unavailable):
        return (
            ":hourglass: CometChat is not answering right now (slow or down). "
            "Please try again in a minute."
        )
    if isinstance(error, cc.UnexpectedResponse):
        return (
            ":warning: CometChat sent an answer the bot could not read. Please try again; "
            "tell the bot's operator if it keeps happening."
        )
    if isinstance(error, cc.PermissionDenied):
        return f":no_entry: CometChat refused: the bot may not do that ({code(error.code or '')})."
    return f":x: CometChat refused the request ({code(error.code or str(error.status))})."


def explain_moderation(
    error: BaseException, *, action: str, guid: str, uid: str, ref: str = ""
) -> Message:
    """A ban/unban that did not happen, worded with the user and group it was about."""
    user, group = code(uid), code(guid)
    if isinstance(error, cc.AlreadyBanned):
        return Message(
            text=f":information_source: {user} is already banned from {group}. Nothing was changed."
        )
    if isinstance(error, cc.NotBanned):
        return Message(
            text=f":information_source: {user} is not banned from {group} (any more): someone "
            "may have unbanned them already. Nothing was changed."
        )
    if isinstance(error, cc.UserNotFound):
        return Message(
            text=f":mag: There is no user {user} in this CometChat app (or the user is "
            f"deactivated). Nobody was {'banned' if action == 'ban' else 'unbanned'}."
        )
    if isinstance(error, (cc.Unavailable, cc.UnexpectedResponse)):
        # Writes are not retried: the request may have reached CometChat before it went quiet,
        # and a garbled 2xx most likely means it did.
        return Message(
            text=f":hourglass: CometChat did not confirm the {action} of {user} in {group}: it "
            "may or may not have happened. Check the list before trying again."
        )
    return explain(error, ref=ref)


def operator_hint(error: BaseException) -> str | None:
    """What the operator should check, for the log line. Names settings, never their values."""
    if isinstance(error, cc.AuthRejected):
        return (
            f"CometChat rejected the credentials ({error.code or error.status}): check "
            "COMETCHAT_API_KEY (a fullAccess REST API key), COMETCHAT_APP_ID and COMETCHAT_REGION"
        )
    if isinstance(error, cc.PermissionDenied):
        return f"CometChat refused the action ({error.code}): check the app's plan and key scope"
    if isinstance(error, ExportFailed):
        scope = f" (needs {error.needed})" if error.needed else ""
        fix = (
            "; the CSV export needs the files:write and im:write scopes (reinstall the app "
            "from manifest.yml)"
            if error.reason in ("missing_scope", "not_allowed_token_type")
            else ""
        )
        return f"Slack refused {error.step}: {error.reason}{scope}{fix}"
    if isinstance(error, JobQueueFull):
        return (
            f"{error.limit} background jobs pending: requests are being refused; raise WORKERS "
            "or JOB_QUEUE_PER_WORKER, or see why jobs are slow (CometChat latency)"
        )
    if isinstance(error, ExportTimedOut):
        return (
            f"the export read {error.pages} pages in EXPORT_TIME_BUDGET ({error.budget:g} s) "
            "without reaching the end: raise it for very long lists, or check CometChat latency"
        )
    return None


def log_level_for(error: BaseException) -> int:
    # A missing scope, a queue at its bound, a list too long for the budget: the operator's.
    if isinstance(error, (ExportFailed, JobQueueFull, ExportTimedOut)):
        return logging.WARNING
    if isinstance(error, (BotError, cc.GroupNotFound, cc.UserNotFound)):
        return logging.INFO
    if isinstance(error, cc.CometChatError):
        return logging.WARNING
    return logging.ERROR
