"""`python -m bot where <uid>`: where is this user banned? The history's answer, then a scan.

The same store, scan and recording as `/banned user <uid>`: the bot's history first (instant),
then every group's banned list read through the client's bulk path (inside the rate limit, with
COMETCHAT_RESERVE left to the app), progress on stderr, the result on stdout, recorded in the
history like the command's. Plain text: every name and id is cleaned of control characters.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TextIO

import httpx
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.list_banned import clean, explain_plain
from bot.cometchat import CometChatClient, RetryPolicy
from bot.cometchat import errors as cc
from bot.cometchat.governor import BulkGovernor
from bot.domain.errors import InvalidUid
from bot.domain.ids import validate_uid
from bot.domain.moderation import EventSource, ModerationEvent
from bot.domain.where import ScanReport
from bot.services import build_store
from bot.settings import Settings
from bot.slack.bot_error_words import invalid_uid_reason
from bot.slack.where_blocks import unchecked_reason
from bot.store import ModerationStore
from bot.usecases.where import history_bans, scan_and_record

PROGRESS_STEPS = 10  # progress lines on stderr over a whole scan, at most (and the last)


class _ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgumentError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m bot where",
        description="Where is a CometChat user banned? The bot's history, then a scan of every "
        "group (recorded in the history).",
    )
    parser.add_argument("uid", help="the CometChat user id, as in /banned user <uid>")
    return parser


def main(
    argv: list[str],
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    store: ModerationStore | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """0: scanned (some groups may be reported unchecked); 1: CometChat said no or is
    unreachable when asked for the groups; 2: bad arguments."""
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    try:
        uid = validate_uid(parser.parse_args(argv).uid)
    except _ArgumentError as exc:
        err.write(f"{parser.format_usage()}error: {exc}\n")
        return 2
    except InvalidUid as exc:
        allowed = "_ - . @ : or +"
        reason = invalid_uid_reason(
            repr(clean(exc.uid, 40)), too_long=exc.too_long, punctuation=allowed
        )
        err.write(f"error: {reason} Nothing was looked up.\n")
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    history = store or build_store(settings)
    client = CometChatClient(
        settings.cometchat_url,
        settings.cometchat_api_key,
        transport=transport,
        timeout=settings.cometchat_timeout,
        max_connections=settings.cometchat_max_parallel_total,
        retry=RetryPolicy(budget=settings.cometchat_retry_budget),
        max_parallel=settings.cometchat_max_parallel,
        governor=BulkGovernor(
            reserve=settings.cometchat_reserve,
            max_in_flight=settings.cometchat_max_parallel_total,
        ),
    )
    try:
        out.write(f"Where is {clean(uid, 100)} banned?\n\n")
        try:
            out.write(render_history(uid, history_bans(history, uid)))
        except SQLAlchemyError as exc:
            out.write(f"The bot's history cannot be read ({type(exc).__name__}).\n")
        out.flush()
        try:
            report = scan_and_record(client, history, uid, progress=progress_to(err))
        except cc.CometChatError as exc:
            err.write(
                f"error: the scan did not finish, so nothing was recorded: {explain_plain(exc)}\n"
            )
            return 1
        out.write("\n" + render_report(report))
        return 0
    finally:
        client.close()
        if store is None:
            history.engine.dispose()


def progress_to(err: TextIO) -> Callable[[int, int | None], None]:
    def told(done: int, total: int | None) -> None:
        step = max(1, (total or 0) // PROGRESS_STEPS)
        if done and (done == total or done % step == 0):
            err.write(f"scanned {done} of {total} groups\n")
            err.flush()

    return told


# -- words ----------------------------------------------------------------------------------


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def ban_line(ban: ModerationEvent) -> str:
    if ban.source is EventSource.SCAN:
        text = f"seen banned by a scan {_when(ban.at)}"
    else:
        text = f"banned {_when(ban.at)}"
        if ban.actor and ban.source is not EventSource.EXPIRY:
            where = " (in CometChat)" if ban.source is EventSource.WEBHOOK else " (Slack)"
            text += f" by {clean(ban.actor, 40)}{where}"
    if ban.ends_at is not None:
        text += f", until {_when(ban.ends_at)}"
    if ban.reason.strip():
        text += f". Reason: {clean(ban.reason, 200)}"
    return text


def render_history(uid: str, bans: Sequence[ModerationEvent]) -> str:
    """Pure: the history's answer as terminal text."""
    if not bans:
        return f"From the bot's history: it knows of no group where {clean(uid, 100)} is banned.\n"
    lines = [f"From the bot's history: banned in {_groups(len(bans))}"]
    lines += [f"  {clean(ban.guid, 100)}: {ban_line(ban)}" for ban in bans]
    return "\n".join(lines) + "\n"


def render_report(report: ScanReport) -> str:
    """Pure: the scan's answer as terminal text."""
    result = report.result
    who = clean(result.uid, 100)
    unchecked = len(report.unchecked)
    head = f"From a scan of all {_groups(result.groups)}"
    head += f" ({unchecked:,} could not be checked):" if unchecked else ":"
    if not result.found and unchecked and not result.checked:
        lines = [f"{head} no group could be checked for {who}."]
    elif not result.found:
        anywhere = f"any of the {_groups(result.checked)} checked" if unchecked else "any group"
        lines = [f"{head} {who} is not banned in {anywhere}."]
    else:
        lines = [f"{head} banned in {_groups(len(result.found))}"]
        for hit in result.found:
            line = f"  {clean(hit.group.display_name, 60)} ({clean(hit.group.guid, 100)})"
            known = report.known.get(hit.group.guid)
            lines.append(line + (f": {ban_line(known)}" if known else ""))
    if report.no_longer:
        guids = ", ".join(clean(ban.guid, 100) for ban in report.no_longer)
        lines.append(f"No longer banned in (the history listed them): {guids}")
    if unchecked:
        lines.append(
            f"Could not be checked ({_groups(unchecked)}): the scan cannot say whether {who} is "
            "banned there, so it recorded nothing for them."
        )
        for gap in report.unchecked:
            line = f"  {clean(gap.group.display_name, 60)} ({clean(gap.group.guid, 100)}): "
            line += unchecked_reason(gap)
            if gap.group.guid in report.standing:
                line += "; the history's ban stands"
            lines.append(line)
    if report.recorded is None:
        lines.append("Not recorded: the bot's database is unavailable.")
    elif report.unrecorded:
        lines.append(
            f"Recorded {report.recorded} change(s); {report.unrecorded} could not be recorded "
            "(the bot's database refused them)."
        )
    elif report.recorded:
        lines.append(f"Recorded {report.recorded} change(s) in the bot's history.")
    return "\n".join(lines) + "\n"


def _groups(count: int) -> str:
    return f"{count:,} group{'' if count == 1 else 's'}"
