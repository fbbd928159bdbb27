"""One user in many groups at once, from `/banned user <uid>`: unban them in every group the
history says they are banned in, or ban them in every group CometChat says they are a member of.

Nothing is written by a preview. Once confirmed, each group goes through the one path
(`ban_or_unban`: the member's lock, the history, the audit), so each group's decision is a case
of its own, and each write waits its turn in the rate-limit governor (`bulk`), like a mass
ban's: a run of them never spends the share of the minute kept for everyone else. One group's
failure never stops the others.
"""

from __future__ import annotations

import logging

from bot.cometchat import AlreadyBanned, CometChatClient, NotBanned
from bot.domain.across import AcrossReport, BanEverywherePreview, GroupOutcome, InGroup
from bot.domain.audit import AuditSink
from bot.domain.button_values import AcrossRef
from bot.domain.errors import ProtectedUser
from bot.domain.massban import PRIVILEGED_SCOPES
from bot.domain.moderation import EventSource
from bot.logs import kv
from bot.store import ModerationStore
from bot.usecases.moderate import ActResult, ModerationRequest, ban_or_unban

log = logging.getLogger("bot.moderation")


def _outcome(result: ActResult) -> InGroup:
    if result.ok:
        return InGroup(result.guid, GroupOutcome.DONE, recorded=result.recorded)
    if isinstance(result.error, AlreadyBanned | NotBanned):
        return InGroup(result.guid, GroupOutcome.ALREADY)
    return InGroup(result.guid, GroupOutcome.FAILED, words=result.notice().text)


def banned_groups(store: ModerationStore, uid: str) -> list[str]:
    """Where the history's latest word on `uid` is a ban, newest first. Raises SQLAlchemy
    errors."""
    return [ban.guid for ban in store.bans_of(uid)]


def preview_ban_everywhere(
    cometchat: CometChatClient, store: ModerationStore, uid: str, *, protected: frozenset[str]
) -> BanEverywherePreview:
    """Read where `uid` is a member (CometChat) and banned (the history). Raises ProtectedUser
    for a protected uid (PROTECTED_UIDS), before CometChat is asked; CometChat's and the database's
    errors otherwise. Nothing is written."""
    if uid in protected:
        raise ProtectedUser(uid)
    groups = cometchat.joined_groups(uid)
    banned = set(banned_groups(store, uid))
    targets, already, privileged = [], [], []
    for group in groups:
        if group.guid in banned:
            already.append(group.guid)
        elif (group.scope or "").casefold() in PRIVILEGED_SCOPES:  # as a mass ban never picks
            privileged.append(group.guid)
        else:
            targets.append(group.guid)
    # Banned elsewhere too: a ban removes them from the group, so CometChat no longer lists it.
    already += sorted(banned - {group.guid for group in groups})
    log.info(
        kv(
            event="ban_everywhere_preview",
            uid=uid,
            targets=len(targets),
            already=len(already),
            privileged=len(privileged),
        )
    )
    return BanEverywherePreview(uid=uid, targets=targets, already=already, privileged=privileged)


def run_across(
    cometchat: CometChatClient,
    audit: AuditSink,
    store: ModerationStore,
    ref: AcrossRef,
    *,
    actor: str,
) -> AcrossReport:
    """Do the confirmed `ref` (its action, to its user, in each group it names, with its
    duration and reason), one group after another, each through the one path. Never raises:
    each group's result says what happened there."""
    action, uid, duration, reason = ref.action, ref.uid, ref.duration, ref.reason or ""
    guids = ref.guids or ()
    report = AcrossReport(action=action, uid=uid)
    for guid in dict.fromkeys(guids):  # each group once, in the preview's order
        request = ModerationRequest(
            action,
            guid,
            uid,
            actor=actor,
            source=EventSource.BUTTON,
            duration=duration,
            reason=reason,
            bulk=True,
        )
        report.groups.append(_outcome(ban_or_unban(cometchat, audit, store, request)))
    log.info(
        kv(
            event=f"{action}_everywhere",
            uid=uid,
            done=report.count(GroupOutcome.DONE),
            already=report.count(GroupOutcome.ALREADY),
            failed=report.count(GroupOutcome.FAILED),
        )
    )
    return report
