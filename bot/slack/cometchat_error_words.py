"""CometChat's errors (`bot.cometchat.errors`) worded: one entry per class. The client knows
nothing of Slack; its errors get their words here."""

from __future__ import annotations

import logging
from typing import Any

from bot.cometchat import errors as cc
from bot.domain.actions import ACTIONS
from bot.slack.message import Message
from bot.slack.text import code
from bot.slack.wording import UNCERTAIN, Attempt, Outcome, Wording, text


def _refused(error: cc.CometChatError) -> Message:
    return Message(
        text=f":x: CometChat refused the request ({code(error.code or str(error.status))})."
    )


def _group_not_found(error: cc.GroupNotFound) -> Message:
    return Message(text=f":mag: There is no group {code(error.guid)} in this CometChat app.")


def _user_not_found(error: cc.UserNotFound) -> Message:
    return Message(
        text=f":mag: There is no user {code(error.uid)} in this CometChat app "
        "(or the user is deactivated)."
    )


def _user_not_found_then(_error: cc.UserNotFound, attempt: Attempt) -> Message:
    return Message(
        text=f":mag: There is no user {code(attempt.uid)} in this CometChat app (or the user is "
        f"deactivated). {ACTIONS[attempt.action].nobody}"
    )


def _already_banned(_error: cc.AlreadyBanned, attempt: Attempt) -> Message:
    return Message(
        text=f":information_source: {code(attempt.uid)} is already banned from "
        f"{code(attempt.guid)}. Nothing was changed."
    )


def _not_banned(_error: cc.NotBanned, attempt: Attempt) -> Message:
    return Message(
        text=f":information_source: {code(attempt.uid)} is not banned from {code(attempt.guid)} "
        "(any more): someone may have unbanned them already. Nothing was changed."
    )


def _not_a_member(_error: cc.NotAMember, attempt: Attempt) -> Message:
    return Message(
        text=f":information_source: {code(attempt.uid)} is not a member of {code(attempt.guid)}: "
        f"they may have left, or been removed already. {ACTIONS[attempt.action].nobody}"
    )


def _unconfirmed(_error: cc.CometChatError, attempt: Attempt) -> Message:
    return Message(
        text=f":hourglass: CometChat did not confirm the {ACTIONS[attempt.action].verb} of "
        f"{code(attempt.uid)} "
        f"in {code(attempt.guid)}: it may or may not have happened. Check the list before "
        "trying again."
    )


def _auth_hint(error: cc.AuthRejected) -> str:
    return (
        f"CometChat rejected the credentials ({error.code or error.status}): check "
        "COMETCHAT_API_KEY (a fullAccess REST API key), COMETCHAT_APP_ID and COMETCHAT_REGION"
    )


def _permission_denied(error: cc.PermissionDenied) -> Message:
    return Message(
        text=f":no_entry: CometChat refused: the bot may not do that ({code(error.code or '')})."
    )


def _rate_limited(error: cc.RateLimited) -> Message:
    seconds = error.retry_after
    # A wait over an hour is a garbled header, not advice worth repeating.
    wait = f" in about {max(1, round(seconds))} s" if seconds and seconds <= 3600 else " shortly"
    return Message(
        text=f":hourglass: CometChat is rate-limiting the bot right now. Please try again{wait}."
    )


# Someone else got there first (already banned, not banned any more): INFO, like a typo; the
# rest of CometChat's refusals may need the operator, so WARNING.
COMETCHAT_ERRORS: dict[type[BaseException], Wording[Any]] = {
    cc.CometChatError: Wording(_refused, logging.WARNING),
    cc.Rejected: Wording(_refused, logging.WARNING),
    cc.GroupNotFound: Wording(
        _group_not_found, logging.INFO, outcome=Outcome("group_not_found", "no such group")
    ),
    cc.UserNotFound: Wording(
        _user_not_found,
        logging.INFO,
        outcome=Outcome("user_not_found", "no such user"),
        moderation=_user_not_found_then,
    ),
    cc.AlreadyBanned: Wording(
        _refused,
        logging.INFO,
        outcome=Outcome("already_banned", "the user was already banned"),
        moderation=_already_banned,
    ),
    cc.NotBanned: Wording(
        _refused,
        logging.INFO,
        outcome=Outcome("not_banned", "the user was not banned"),
        moderation=_not_banned,
    ),
    cc.NotAMember: Wording(
        _refused,
        logging.INFO,
        outcome=Outcome("not_a_member", "the user was not a member of the group"),
        moderation=_not_a_member,
    ),
    cc.AuthRejected: Wording(
        text(
            ":wrench: The bot is misconfigured: CometChat rejected its credentials. "
            "Please ask the person who runs /banned to check its settings."
        ),
        logging.WARNING,
        hint=_auth_hint,
    ),
    cc.PermissionDenied: Wording(
        _permission_denied,
        logging.WARNING,
        hint=lambda e: (
            f"CometChat refused the action ({e.code}): check the app's plan and key scope"
        ),
    ),
    cc.RateLimited: Wording(_rate_limited, logging.WARNING),
    cc.Unavailable: Wording(
        text(
            ":hourglass: CometChat is not answering right now (slow or down). "
            "Please try again in a minute."
        ),
        logging.WARNING,
        outcome=UNCERTAIN,
        moderation=_unconfirmed,
    ),
    cc.UnexpectedResponse: Wording(
        text(
            ":warning: CometChat sent an answer the bot could not read. Please try again; "
            "tell the bot's operator if it keeps happening."
        ),
        logging.WARNING,
        outcome=UNCERTAIN,
        moderation=_unconfirmed,
    ),
}
