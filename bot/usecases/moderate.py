"""Ban and unban: call CometChat, audit the attempt, and word what happened.

Listeners stay thin: they check nothing here (permissions are listener middleware, declared at
registration) and only decide where the answer goes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.audit import Action, AuditEntry
from bot.domain.button_values import PageCursor
from bot.logs import kv
from bot.slack.message import Message
from bot.slack.messages import explain_moderation, log_level_for, operator_hint, outcome_of
from bot.slack.moderation_blocks import ban_row, done_notice, unban_extras, with_notice
from bot.usecases.banned_list import RenderedPage

if TYPE_CHECKING:  # the container is built above this layer and handed in
    from bot.services import Services

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

    def notice(self, *, ref: str = "") -> Message:
        if self.error is None:
            return done_notice(self.action, self.guid, self.uid)
        return explain_moderation(
            self.error, action=self.action, guid=self.guid, uid=self.uid, ref=ref
        )


def act(
    services: Services, action: Action, guid: str, uid: str, *, actor: str, rid: str
) -> ActResult:
    """Ban or unban once (writes are never retried), then audit the attempt. Never raises."""
    at = int(time.time())
    started = time.perf_counter()
    write = services.cometchat.ban if action == "ban" else services.cometchat.unban
    error: Exception | None = None
    try:
        write(guid, uid)
    except Exception as exc:
        error = exc
    result = ActResult(action, guid, uid, error)
    services.audit.record(
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
    level = logging.INFO if error is None else log_level_for(error)
    log.log(
        level,
        kv(
            event=action,
            rid=rid,
            user=actor,
            guid=guid,
            uid=uid,
            outcome=result.outcome,
            code=getattr(error, "code", None),
            hint=operator_hint(error) if error else None,
            ms=(time.perf_counter() - started) * 1000,
        ),
        # Outside the except block by now: hand the exception over, or the trace is lost.
        exc_info=error if level >= logging.ERROR else None,
    )
    return result


def render_page(services: Services, cursor: PageCursor, *, moderate: bool) -> RenderedPage:
    """A page of the list; with Unban and "Ban a user" buttons only for those who may act."""
    if not moderate:
        return services.lists.render(cursor)
    group = services.lists.group(cursor.guid)
    return services.lists.render(
        cursor, user_extras=unban_extras(cursor, group), footer=[ban_row(cursor)]
    )


def refreshed_page(services: Services, cursor: PageCursor, notice: Message) -> Message:
    """The list after an action, with its outcome on top.

    When the page emptied (its last user was unbanned) step back a page; if that is empty too
    (others were busy), start again from page 1. Raises CometChat errors like `render_page`.
    """
    rendered = render_page(services, cursor, moderate=True)
    for fallback in (cursor.page - 1, 1):
        if cursor.page <= 1 or rendered.page is None or rendered.page.users:
            break
        cursor = cursor.at(max(1, fallback))
        rendered = render_page(services, cursor, moderate=True)
    return with_notice(notice, rendered.message)
