"""The members of the Slack user groups that the allowlists name, kept in memory.

Workspaces name a team by a user group (`S…`, an @handle): MODERATOR_USER_IDS=S0MODS makes its
members moderators. Slack's `usergroups.users.list` (scope `usergroups:read`) tells who they are.
Every group is read once at start-up; afterwards a group is read again when Slack says its
members changed (the `subteam_members_changed` event, which reaches one worker) and, on any
worker, when its membership is older than MAX_AGE and someone's permission depends on it. So a
change needs no restart. A read that fails keeps the last membership known.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import StartupError
from bot.logs import kv

log = logging.getLogger("bot.user_groups")

MAX_AGE = 300.0  # seconds a membership is trusted without news from Slack
RETRY_AFTER = 30.0  # seconds before a failed read is tried again

# What to do about Slack's answer, by its error code.
_FIXES = {
    "missing_scope": "add the usergroups:read scope to the Slack app (manifest.yml) and reinstall",
    "no_such_subteam": "no such user group in this workspace: copy its id (S…) again",
    "subteam_not_found": "no such user group in this workspace: copy its id (S…) again",
}


class UserGroupError(Exception):
    """Slack did not tell a group's members; `reason` is its error code or the failure's kind."""

    def __init__(self, group_id: str, reason: str):
        super().__init__(f"{group_id}: {reason}")
        self.group_id, self.reason = group_id, reason

    @property
    def fix(self) -> str:
        return _FIXES.get(self.reason, "check SLACK_API_URL, the bot token and the network")


def fetch_members(client: WebClient, group_id: str) -> frozenset[str]:
    """Ask Slack who is in `group_id` now. Raises UserGroupError."""
    try:
        answer = client.usergroups_users_list(usergroup=group_id)
    except SlackApiError as exc:
        code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        raise UserGroupError(group_id, code if isinstance(code, str) else "not_slack") from None
    except (URLError, OSError) as exc:
        raise UserGroupError(group_id, type(exc).__name__) from None
    except Exception as exc:  # a proxy's page, a body that is not JSON…
        raise UserGroupError(group_id, type(exc).__name__) from None
    users = answer.get("users")
    if not isinstance(users, list):
        raise UserGroupError(group_id, "no_users_list")
    return frozenset(user for user in users if isinstance(user, str))


class UserGroups:
    """`members(group)` for the allowlists' groups (bot.domain.permissions.GroupMembers)."""

    def __init__(
        self,
        client: WebClient,
        group_ids: Iterable[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = MAX_AGE,
    ):
        self._client = client
        self.ids = frozenset(group_ids)
        self._clock = clock
        self._max_age = max_age
        self._members: dict[str, frozenset[str]] = {}
        self._due: dict[str, float] = {}  # when each group is read again, at the latest
        self._reading: set[str] = set()
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read every group now (start-up). Raises StartupError naming the first one refused."""
        for group_id in sorted(self.ids):
            try:
                self._store(group_id, fetch_members(self._client, group_id))
            except UserGroupError as exc:
                raise StartupError(
                    f"Slack did not list the members of user group {group_id} "
                    f"(usergroups.users.list: {exc.reason}): {exc.fix}, or take it out of "
                    "MODERATOR_USER_IDS / VIEWER_USER_IDS"
                ) from None

    def members(self, group_id: str) -> frozenset[str]:
        """The group's members as last read; read again first if that is older than MAX_AGE
        (one reader at a time: the others meanwhile get the last membership known)."""
        if group_id not in self.ids:
            return frozenset()
        with self._lock:
            stale = self._clock() >= self._due.get(group_id, 0.0)
            if stale and group_id not in self._reading:
                self._reading.add(group_id)
            else:
                stale = False
        if stale:
            self._read(group_id)
        return self._members.get(group_id, frozenset())

    def refresh(self, group_id: str) -> None:
        """Slack says the group's members changed: read them again now (unknown groups: no)."""
        if group_id in self.ids:
            with self._lock:
                self._reading.add(group_id)
            self._read(group_id)

    def _read(self, group_id: str) -> None:
        try:
            members = fetch_members(self._client, group_id)
        except UserGroupError as exc:
            log.warning(
                kv(event="user_group", group=group_id, outcome="unchanged", reason=exc.reason)
            )
            with self._lock:
                self._due[group_id] = self._clock() + RETRY_AFTER
                self._reading.discard(group_id)
            return
        before = self._members.get(group_id)
        self._store(group_id, members)
        if before != members:
            log.info(kv(event="user_group", group=group_id, outcome="read", members=len(members)))

    def _store(self, group_id: str, members: frozenset[str]) -> None:
        with self._lock:
            self._members[group_id] = members
            self._due[group_id] = self._clock() + self._max_age
            self._reading.discard(group_id)
