"""Ban and unban: call CometChat, audit the attempt, and word what happened.

Listeners stay thin: they check nothing here (permissions are listener middleware, declared at
registration) and only decide where the answer goes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from bot.cometchat import CometChatClient
from bot.domain.audit import Action, AuditEntry, AuditSink
from bot.domain.button_values import BanConfirmRef, PageCursor
from bot.domain.command import BanUser
from bot.domain.errors import NotAllowed
from bot.domain.permissions import Permissions
from bot.logs import kv, request_id
from bot.slack.message import Message
from bot.slack.messages import explain_moderation, failure, outcome_of
from bot.slack.moderation_blocks import ban_confirmation, done_notice, replace_action_row
from bot.slack.payloads import new_ephemeral, replacing
from bot.usecases.banned_list import BannedLists, refreshed_page
from bot.usecases.report import report_failure

log = logging.getLogger("bot.moderation")


@dataclass(frozen=True)
class ActResult:
    action: Action
    guid: str
    uid: str
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def outcome(self) -> str:
        return "done" if self.error is None else outcome_of(self.error).name

    def notice(self) -> Message:
        if self.error is None:
            return done_notice(self.action, self.guid, self.uid)
        return explain_moderation(
            self.error, action=self.action, guid=self.guid, uid=self.uid, ref=request_id()
        )


def ban_or_unban(
    cometchat: CometChatClient, audit: AuditSink, action: Action, guid: str, uid: str, *, actor: str
) -> ActResult:
    """Ban or unban once (writes are never retried), then audit the attempt. Never raises."""
    at = int(time.time())
    started = time.perf_counter()
    write = cometchat.ban if action == "ban" else cometchat.unban
    error: Exception | None = None
    try:
        write(guid, uid)
    except Exception as exc:
        error = exc
    result = ActResult(action, guid, uid, error)
    audit.record(
        AuditEntry(
            actor=actor,
            action=action,
            guid=guid,
            uid=uid,
            at=at,
            outcome=result.outcome,
            error=(getattr(error, "code", None) or type(error).__name__) if error else None,
        )
    )
    failed = failure(error) if error is not None else None
    level = logging.INFO if failed is None else failed.level
    log.log(
        level,
        kv(
            event=action,
            guid=guid,
            uid=uid,
            outcome=result.outcome,
            code=getattr(error, "code", None),
            hint=failed.hint if failed else None,
            ms=(time.perf_counter() - started) * 1000,
        ),
        # Outside the except block by now: hand the exception over, or the trace is lost.
        exc_info=error if level >= logging.ERROR else None,
    )
    return result


def outcome_payload(
    lists: BannedLists,
    result: ActResult,
    cursor: PageCursor | None,
    *,
    original: dict | None = None,
    block_id: str = "",
    actor: str = "",
) -> dict[str, Any]:
    """Where the outcome goes: the refreshed list, the clicked message's row, or beside it."""
    notice = result.notice()
    if cursor is not None:
        try:
            return replacing(refreshed_page(lists, cursor, notice))
        except Exception as exc:
            # The action itself is done (or explained); only the refresh failed.
            report_failure(exc, event="refresh_after_" + result.action)
            return new_ephemeral(notice)
    blocks = (original or {}).get("blocks")
    if isinstance(blocks, list):
        replaced = replace_action_row(blocks, block_id, notice, actor=actor)
        if replaced is not None:
            text = (original or {}).get("text") or notice.text
            return {"replace_original": True, "text": text, "blocks": replaced}
    return new_ephemeral(notice)


def confirm_ban(permissions: Permissions, request: BanUser, user: str | None) -> Message:
    """`/banned <guid> ban <uid>`: nothing changes here; the button it returns is guarded by
    `moderators_only` again when pressed."""
    if not permissions.can_act(user):
        return report_failure(NotAllowed("ban users"), event="refused")
    return ban_confirmation(BanConfirmRef(guid=request.guid, uid=request.uid))
