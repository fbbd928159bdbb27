"""What each Workflow Builder step does. The same rules as Slack's own entry points: the person
the workflow ran for must be a moderator, inputs are checked as the command checks them, and a
ban or unban goes through the moderation use case (CometChat, then the history, then the audit).
Anything that stops a step is worded once (bot.slack.messages) and handed to `fail()`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Complete, Fail
from slack_sdk.errors import SlackApiError

from bot.domain.actions import ACTIONS
from bot.domain.duration import PERMANENT, parse_duration
from bot.domain.errors import NotAllowed
from bot.domain.ids import validate_guid, validate_uid
from bot.domain.moderation import EventSource, ModerationAction, validate_reason
from bot.logs import kv
from bot.services import Services
from bot.slack.messages import as_plain_text
from bot.slack.workflow_steps import (
    IN_DURATION,
    IN_GROUP,
    IN_REASON,
    IN_USER,
    lookup_outputs,
    moderation_outputs,
    moderator_of,
    text_input,
)
from bot.usecases.moderate import ModerationRequest, ban_or_unban
from bot.usecases.report import report_failure

log = logging.getLogger("bot.requests")

Step = Callable[[dict[str, Any], Services], dict[str, Any]]


class StepFailed(Exception):
    """A step that ended in words already logged (an action CometChat refused, say)."""

    def __init__(self, words: str):
        super().__init__(words)
        self.words = words


def run_step(
    name: str,
    step: Step,
    execution_id: str | None,
    inputs: dict[str, Any],
    complete: Complete,
    fail: Fail,
    services: Services,
) -> None:
    """Run `step` on the job pool (Slack wants the event acknowledged within 3 s; CometChat may
    take longer), then answer Slack with its outputs or its worded error."""

    def work() -> None:
        if execution_id and not _first_run(services, execution_id):
            log.info(kv(event=name, outcome="repeat", execution=execution_id))
            return
        try:
            outputs = step(inputs, services)
        except StepFailed as failed:
            words = failed.words
        except Exception as exc:
            words = as_plain_text(report_failure(exc, event=name))
        else:
            _answer(name, "done", lambda: complete(outputs))
            return
        _answer(name, "failed", lambda: fail(words))

    try:
        services.responder.submit(work)
    except Exception as exc:  # the job queue is full: say so now rather than never
        words = as_plain_text(report_failure(exc, event=name))
        _answer(name, "failed", lambda: fail(words))


def _first_run(services: Services, execution_id: str) -> bool:
    try:
        # Slack delivers an event again when its acknowledgement is late, at once and after a
        # minute: within the deliveries' window (two minutes, shared with the webhooks), an
        # execution already run by any process is not run again.
        return services.store.first_delivery(f"step:{execution_id}")
    except Exception as exc:  # a step run twice beats a step never answered
        log.warning(kv(event="step_dedupe_failed", error=type(exc).__name__))
        return True


def _answer(name: str, outcome: str, call: Callable[[], object]) -> None:
    try:
        call()
    except SlackApiError as exc:
        # The run is then left to Slack's own timeout; nothing more can be told.
        log.warning(kv(event=name, outcome="answer_refused", error=exc.response.get("error")))
        return
    log.info(kv(event=name, outcome=outcome))


def _moderator(inputs: dict[str, Any], services: Services, refused: str) -> str:
    """The workflow's person, if a moderator; else NotAllowed, worded with `refused`."""
    user = moderator_of(inputs)
    if user is None or not services.permissions.can_act(user):
        raise NotAllowed(refused)
    return user


def ban_step(inputs: dict[str, Any], services: Services) -> dict[str, Any]:
    """Ban a user from a group, for a duration or for good, with a reason: → its case number."""
    actor = _moderator(inputs, services, ACTIONS[ModerationAction.BAN].permission)
    guid = validate_guid(text_input(inputs, IN_GROUP).strip())
    uid = validate_uid(text_input(inputs, IN_USER).strip())
    typed = text_input(inputs, IN_DURATION).strip().lower()
    duration = parse_duration(typed) if typed and typed != PERMANENT else None
    reason = validate_reason(text_input(inputs, IN_REASON))
    request = ModerationRequest(
        ModerationAction.BAN,
        guid,
        uid,
        actor=actor,
        source=EventSource.WORKFLOW,
        duration=duration,
        reason=reason,
    )
    return _moderate(request, services)


def unban_step(inputs: dict[str, Any], services: Services) -> dict[str, Any]:
    """Unban a user from a group: → its case number."""
    actor = _moderator(inputs, services, ACTIONS[ModerationAction.UNBAN].permission)
    guid = validate_guid(text_input(inputs, IN_GROUP).strip())
    uid = validate_uid(text_input(inputs, IN_USER).strip())
    request = ModerationRequest(
        ModerationAction.UNBAN, guid, uid, actor=actor, source=EventSource.WORKFLOW
    )
    return _moderate(request, services)


def _moderate(request: ModerationRequest, services: Services) -> dict[str, Any]:
    result = ban_or_unban(services.cometchat, services.audit, services.store, request)
    if not result.ok:  # logged and audited by the use case already
        raise StepFailed(as_plain_text(result.notice()))
    return moderation_outputs(result.notice(), result.case)


def is_banned_step(inputs: dict[str, Any], services: Services) -> dict[str, Any]:
    """The groups the bot's history says the user is banned from: one query. A scan of every
    group (what `/banned user` adds) can take minutes, longer than a step should hold a
    workflow, so it is not run here."""
    _moderator(inputs, services, "view")  # a moderator's look-up, refused as one
    uid = validate_uid(text_input(inputs, IN_USER).strip())
    return lookup_outputs(uid, services.store.bans_of(uid))
