"""Read who a moderation is about before it is confirmed: the profile and the latest messages,
both at once and within the command's acknowledgement budget. What is slow or fails is named
in the card instead; an unknown user or group is raised, so the usual words say so and nothing
is offered to confirm. The card is kept in the history's database as evidence (best effort)."""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.cometchat import CometChatClient
from bot.cometchat import errors as cc
from bot.domain.evidence import RECENT_MESSAGES, UserCard
from bot.logs import kv
from bot.store import ModerationStore

log = logging.getLogger("bot.user_card")

T = TypeVar("T")

# A typo in the uid or the guid is an answer, not a gap in the card.
_DECISIVE = (cc.UserNotFound, cc.GroupNotFound)


def card_reader(
    cometchat: CometChatClient, store: ModerationStore, *, budget: float
) -> Callable[[str, str], UserCard]:
    """`read_and_keep` for these services, to be called (guid, uid) once the request is allowed."""
    return lambda guid, uid: read_and_keep(cometchat, store, guid, uid, budget=budget)


def read_and_keep(
    cometchat: CometChatClient, store: ModerationStore, guid: str, uid: str, *, budget: float
) -> UserCard:
    """`read_card`, then keep it: shown again with the action it leads to, even once the
    messages are deleted in the chat app. A database failure costs the snapshot, not the card."""
    card = read_card(cometchat, guid, uid, budget=budget)
    try:
        store.keep_card(card)
    except Exception as exc:
        log.warning(kv(event="evidence_not_kept", guid=guid, uid=uid, error=type(exc).__name__))
    return card


def read_card(cometchat: CometChatClient, guid: str, uid: str, *, budget: float) -> UserCard:
    """Both reads in parallel; whatever has not answered after `budget` seconds is left out."""
    pool = ThreadPoolExecutor(2, thread_name_prefix="user-card")
    try:
        profile = _start(pool, lambda: cometchat.get_user(uid))
        recent = _start(pool, lambda: cometchat.recent_messages(guid, uid, limit=RECENT_MESSAGES))
        deadline = time.monotonic() + budget
        pending: set[Future[Any]] = {profile, recent}
        while pending:
            # A failure ends the wait early when it is an unknown user or group: that is the answer.
            done, pending = wait(pending, deadline - time.monotonic(), FIRST_EXCEPTION)
            if not done or any(isinstance(f.exception(), _DECISIVE) for f in done):
                break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for future in (profile, recent):
        if future.done() and isinstance(future.exception(), _DECISIVE):
            raise future.exception()  # type: ignore[misc]  # checked just above
    missing: list[str] = []
    user = _outcome(profile, "their profile", missing)
    messages = _outcome(recent, "their recent messages", missing)
    log.info(kv(event="user_card", guid=guid, uid=uid, missing=len(missing) or None))
    return UserCard(
        guid=guid,
        uid=uid,
        read_at=datetime.now(UTC),
        user=user,
        messages=tuple(messages) if messages is not None else None,
        missing=tuple(missing),
    )


def _start(pool: ThreadPoolExecutor, read: Callable[[], T]) -> Future[T]:
    # Each read keeps the caller's context (the request id in its log lines).
    return pool.submit(contextvars.copy_context().run, read)


def _outcome(future: Future[T], what: str, missing: list[str]) -> T | None:
    if not future.done():
        missing.append(f"{what} (CometChat did not answer in time)")
        return None
    error = future.exception()
    if error is None:
        return future.result()
    log.warning(kv(event="user_card_read_failed", what=what, error=type(error).__name__))
    missing.append(f"{what} (CometChat could not be read)")
    return None
