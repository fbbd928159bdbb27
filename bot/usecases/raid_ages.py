"""How old a raid's accounts are: CometChat's join webhook does not say, so the process that
draws the alert (posting it, or its throttled edit) asks `GET /users/{uid}` for the joiners whose
age is unknown. Never on the webhook's path, never more than LOOKUPS_PER_UPDATE per drawing (the
newest joiners first), a few at once; each a spare read, sent only when the rate limit has budget
to spare (never waiting, never spending the reserve kept for moderators' own reads). Each answer
is kept on the join, so nobody is asked twice; a look-up that did not get an answer (CometChat
down, rate limited, no budget to spare) is tried again at a later drawing, and the drawing's
look-ups not yet sent are dropped: the alert waits for one slow round at most, well inside its
poster's claim (bot.store.raids.POST_LEASE)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from bot.cometchat import CometChatClient, CometChatError, UserNotFound
from bot.cometchat.errors import BudgetReserved
from bot.domain.raids import RaidAlert, account_created
from bot.logs import kv
from bot.store.raids import Raids

log = logging.getLogger("bot.raid")

LOOKUPS_PER_UPDATE = 25
# Look-ups in flight at once: a drawing takes a few round trips, not 25.
IN_FLIGHT = 4

# One look-up's outcome: answered (found or not) and the account's creation time, if found.
_Answer = tuple[bool, datetime | None]


class AccountAges:
    def __init__(
        self,
        cometchat: CometChatClient,
        raids: Raids,
        *,
        per_update: int = LOOKUPS_PER_UPDATE,
        in_flight: int = IN_FLIGHT,
    ):
        self._cometchat = cometchat
        self._raids = raids
        self._per_update = per_update
        self._in_flight = in_flight

    def look_up(self, alert: RaidAlert) -> None:
        """Ask CometChat about the raid's newest joiners of unknown age; keep what it says.
        Never raises: an age not found stays unknown, and the alert is drawn all the same."""
        try:
            uids = self._raids.ages_unknown(alert, self._per_update)
        except Exception as exc:
            log.warning(kv(event="raid_ages", guid=alert.guid, error=type(exc).__name__))
            return
        if not uids:
            return
        unanswered = threading.Event()

        def one(uid: str) -> _Answer:
            if unanswered.is_set():
                return False, None
            answer = self._one(uid)
            if not answer[0]:
                unanswered.set()
            return answer

        with ThreadPoolExecutor(min(self._in_flight, len(uids)), "raid-ages") as pool:
            answers = list(pool.map(one, uids))
        found = {
            uid: created for uid, (answered, created) in zip(uids, answers, strict=True) if answered
        }
        try:
            self._raids.record_ages(alert.guid, found)
        except Exception as exc:
            log.warning(kv(event="raid_ages", guid=alert.guid, error=type(exc).__name__))
            return
        log.info(
            kv(
                event="raid_ages",
                guid=alert.guid,
                asked=len(uids),
                found=sum(1 for created in found.values() if created is not None),
                unanswered=len(uids) - len(found),
            )
        )

    def _one(self, uid: str) -> _Answer:
        try:
            user = self._cometchat.get_user(uid, spare=True)
        except UserNotFound:
            return True, None  # deactivated or deleted: asking again would say the same
        except (CometChatError, BudgetReserved):
            return False, None  # no answer now: a later drawing asks again
        return True, account_created(user.created_at, self._raids.now())
