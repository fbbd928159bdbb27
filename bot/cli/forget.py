"""`python -m bot forget <uid>`: for an erasure request, blank a CometChat user's names and
reasons in the bot's history. The events stay (what happened, when, by whom), so counts and the
Home tab's chart do not change. Needs only DATABASE_URL, like `migrate`."""

from __future__ import annotations

import sys
from typing import TextIO

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.list_banned import clean
from bot.domain.errors import InvalidUid
from bot.domain.ids import validate_uid
from bot.settings import DatabaseSettings
from bot.slack.bot_error_words import invalid_uid_reason
from bot.store import build_engine
from bot.store.retention import Erased, erase_person

USAGE = "usage: python -m bot forget <uid>"


def main(
    argv: list[str],
    load: type[DatabaseSettings] = DatabaseSettings,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """0: erased (or nothing to erase); 1: the database failed; 2: bad arguments."""
    out, err = out or sys.stdout, err or sys.stderr
    if len(argv) != 1 or argv[0].startswith("-"):
        err.write(f"{USAGE}\nBlanks a CometChat user's names and reasons in the bot's history.\n")
        return 0 if argv in (["-h"], ["--help"]) else 2
    try:
        uid = validate_uid(argv[0])
    except InvalidUid as exc:
        reason = invalid_uid_reason(
            repr(clean(exc.uid, 40)), too_long=exc.too_long, punctuation="_ - . @ : or +"
        )
        err.write(f"error: {reason} Nothing was erased.\n")
        return 2
    try:
        settings = load()
    except ValidationError as exc:
        for error in exc.errors():
            err.write(f"DATABASE_URL: {error.get('msg', 'invalid')}\n")
        return 2
    where = settings.database_url_for_log
    engine = build_engine(settings.database_url.get_secret_value())
    try:
        erased = erase_person(engine, uid)
    except SQLAlchemyError as exc:
        # The driver's message may quote the URL: name the class and the host only.
        err.write(f"Cannot erase in {where}: {type(exc).__name__}. Nothing was erased.\n")
        return 1
    finally:
        engine.dispose()
    out.write(report(uid, erased, where))
    return 0


def report(uid: str, erased: Erased, where: str) -> str:
    shown = clean(uid, 100)
    deleted = (
        f"Deleted: {_n(erased.cards, 'kept user card')} (their profile and messages, as shown "
        "before a confirmation).\n"
        if erased.cards
        else ""
    )
    if erased.joins:
        # Said even when the history has nothing about them: something was erased.
        deleted += (
            f"Deleted: {_n(erased.joins, 'join')} counted for the raid alert (their name and "
            "when they joined).\n"
        )
    if not erased.events:
        if deleted:
            return f"{where}: the history has no event about {shown}.\n{deleted}"
        return f"{where}: the history has no event about {shown}; nothing to erase.\n"
    if not erased.names and not erased.reasons:
        if deleted:
            return (
                f"{where}: the {_n(erased.events, 'event')} about {shown} carry no name or "
                f"reason (erased before).\n{deleted}"
            )
        return (
            f"{where}: the {_n(erased.events, 'event')} about {shown} carry no name or reason "
            "(erased before); nothing to erase.\n"
        )
    return (
        f"{where}: erased {shown}'s {_n(erased.names, 'name')} and "
        f"{_n(erased.reasons, 'reason')} from {_n(erased.events, 'event')} "
        f"in {_n(erased.groups, 'group')}.\n"
        f"{deleted}"
        "Kept: the events themselves (action, time, who acted) and the uid on them, so counts\n"
        "and the Home tab's chart do not change.\n"
        "Not changed: CometChat (its bans stand), and messages the bot already posted in Slack\n"
        "(audit channel, feed): delete those in Slack.\n"
    )


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
