"""HTTP client for the CometChat REST API v3.

Requests go through one `httpx.Client`: pooled keep-alive connections, short timeouts, proxies
from the environment (`HTTPS_PROXY`, `NO_PROXY`…), no redirects followed. Tests hand it an
`httpx.MockTransport`. Reads are retried on 5xx, transport errors, garbled 2xx answers and 429
(honouring `Retry-After`) within a time budget; writes are never retried, since a ban that timed
out may still have happened.

Whole lists (search walks, exports) are read by `banned_pages`: page 1 first, then, when its
`meta.pagination` is consistent, the rest with `max_parallel` in flight (a new read starting as
soon as any one is answered), handed back in CometChat's order. Those bulk reads go through a
`BulkGovernor` (bot.cometchat.governor), which keeps them inside CometChat's per-minute rate
limit with a reserve; a single page read for a person never waits for it.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import math
import random
import ssl
import time
from collections import deque
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from bot.cometchat import errors
from bot.cometchat.governor import BulkGovernor
from bot.cometchat.models import (
    BannedPage,
    BulkBanOutcome,
    ChatUser,
    Group,
    GroupMember,
    GroupMessage,
    JoinedGroup,
)

_Model = TypeVar("_Model", bound=BaseModel)
G = TypeVar("G", bound=Group)

log = logging.getLogger(__name__)

USER_AGENT = "banned-slack-bot/0.1"

# Pages a whole-list read may hold or have asked for, per read in flight: with twice as many as
# are in flight, a page answered late holds up a whole wave of others before any read waits.
AHEAD_PER_READ_IN_FLIGHT = 2


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # total tries of one read, the first included
    budget: float = 10.0  # seconds from the first try after which no new try starts
    backoff: float = 0.25  # first back-off; doubles each time, with jitter
    max_backoff: float = 4.0


def segment(value: str) -> str:
    """Percent-encode one path segment: `/`, `?`, `#`, `%`, `..` can never change the route."""
    encoded = quote(value, safe="")
    # "." and ".." are kept literally by quote() and would be resolved as dot-segments.
    return encoded.replace(".", "%2E") if encoded in {".", ".."} else encoded


class CometChatClient:
    def __init__(
        self,
        base_url: str,
        api_key: SecretStr,
        *,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | None = None,
        timeout: float = 5.0,
        max_connections: int = 100,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_parallel: int = 12,
        max_ahead: int | None = None,
        governor: BulkGovernor | None = None,
        keepalive: int | None = None,
    ):
        """`max_parallel`: requests one whole-list read keeps in flight (1: one after another).
        `max_ahead`: pages one whole-list read may hold or have asked for beyond what its caller
        has taken (default twice `max_parallel`), so one slow page does not stop the others.
        `governor`: the process's bulk-read budget, shared by every walk of this client.
        `keepalive`: idle connections kept for reuse (at least `max_parallel`; unset,
        KEEPALIVE_CONNECTIONS)."""
        if max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        self._base = base_url.rstrip("/")
        self.max_parallel = max_parallel
        self.max_ahead = max(max_parallel, max_ahead or AHEAD_PER_READ_IN_FLIGHT * max_parallel)
        self.governor = governor or BulkGovernor(clock=clock, sleep=sleep)
        self._http = new_http_client(
            timeout,
            max_connections,
            # Keep warm what one walk uses, so a walk does not open new connections each time.
            keepalive=max(keepalive or KEEPALIVE_CONNECTIONS, max_parallel),
            transport=transport,
            verify=verify,
            headers={
                "apikey": api_key.get_secret_value(),
                "accept": "application/json",
                "user-agent": USER_AGENT,
            },
        )
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock

    def close(self) -> None:
        self._http.close()

    # -- operations -------------------------------------------------------------------------

    def list_banned_users(
        self,
        guid: str,
        *,
        page: int = 1,
        per_page: int = 10,
        search: str | None = None,
        bulk: bool = False,
        spare: bool = False,
    ) -> BannedPage:
        """One page. `bulk`: part of a whole-list read, which the governor may hold back.
        `spare`: read before anyone asked (the next page, ahead): sent only if the governor has
        budget to spare right now (else BudgetReserved), tried once, never retried."""
        body = self._banned_body(guid, page, per_page, search, bulk=bulk, spare=spare)
        return _banned_page(guid, page, per_page, body)

    def _banned_body(
        self,
        guid: str,
        page: int,
        per_page: int,
        search: str | None,
        *,
        bulk: bool = False,
        spare: bool = False,
    ) -> dict:
        """One page's answer, as JSON, not yet read into a BannedPage."""
        params: dict[str, Any] = {"page": page, "perPage": per_page}
        if search:
            # Not declared for this endpoint in the spec: the server may ignore it, so callers
            # filter the page themselves too (bot.domain.search).
            params["searchKey"] = search
        return self._get(
            f"/groups/{segment(guid)}/bannedusers",
            params=params,
            guid=guid,
            bulk=bulk,
            spare=spare,
        )

    def banned_pages(
        self,
        guid: str,
        *,
        per_page: int = 100,
        search: str | None = None,
        max_pages: int = 100,
    ) -> Generator[BannedPage, None, None]:
        """Pages 1, 2, … of the banned list, in CometChat's order, up to `max_pages`.

        Page 1 is read alone; if its `meta.pagination` is consistent (`reported_pages`), the
        pages it announces are read with `max_parallel` in flight: a sliding window, where the
        next page is asked for as soon as any read is answered, not when the oldest one is, so a
        slow page holds up no other read. At most `max_ahead` pages beyond what the caller has
        taken are held or asked for (memory stays bounded when the caller is slow). Without
        consistent meta, or after the announced pages when the last is still full and says there
        is more, pages are read one after another. The walk ends at
        the first page that is the last (a short page, or meta says so), as a one-by-one walk
        would. Closing the iterator early (or a failed page, raised in order) leaves the
        requests in flight to finish unread and starts no more.
        """

        def read(number: int) -> dict:
            # The answer alone: the walk reads it into a BannedPage, so a read's thread is free
            # for the next page as soon as the answer is in. Under gevent all of it shares one
            # thread: the next request goes out before, not after, this page's parsing.
            return self._banned_body(guid, number, per_page, search, bulk=True)

        def parsed(number: int, body: dict) -> BannedPage:
            return _banned_page(guid, number, per_page, body)

        page = parsed(1, read(1))
        yield page
        number = 2
        planned = min(page.reported_pages or 1, max_pages)
        if page.has_next and self.max_parallel > 1 and planned >= 3:
            # The pool's `max_parallel` threads are the reads in flight; the reads queued beyond
            # them start, in page order, as soon as a thread is free.
            pool = ThreadPoolExecutor(self.max_parallel, thread_name_prefix="cometchat-walk")
            ahead: deque[tuple[int, Future[dict]]] = deque()
            try:
                while number <= planned or ahead:
                    while number <= planned and len(ahead) < self.max_ahead:
                        # Each read keeps the caller's context (the request id in log lines).
                        read_in_context = contextvars.copy_context().run
                        ahead.append((number, pool.submit(read_in_context, read, number)))
                        number += 1
                    taken, answer = ahead.popleft()
                    page = parsed(taken, answer.result())
                    yield page
                    if not page.has_next:
                        return
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
        while page.has_next and number <= max_pages:
            page = parsed(number, read(number))
            number += 1
            yield page

    def get_group(self, guid: str) -> Group:
        body = self._get(f"/groups/{segment(guid)}", guid=guid)
        return _one(Group, body, "guid", guid, what="group")

    def list_groups(
        self,
        *,
        page: int = 1,
        per_page: int = 100,
        search: str | None = None,
        bulk: bool = False,
    ) -> list[Group]:
        """One page of the app's groups; `per_page=1` makes a cheap credentials check.

        `search` is CometChat's `searchKey` (matches name or GUID), sent as a query parameter.
        `bulk`: part of a read of every group (a scan), which the governor may hold back.
        """
        params: dict[str, Any] = {"page": page, "perPage": per_page}
        if search:
            params["searchKey"] = search
        return _groups(self._get("/groups", params=params, bulk=bulk), Group)

    def joined_groups(
        self, uid: str, *, per_page: int = 100, max_pages: int = 100
    ) -> list[JoinedGroup]:
        """Every group `uid` is a member of: `GET /groups?hasJoined=true` on their behalf (the
        filter works only with `onBehalfOf`), page after page, as bulk reads inside the
        governor. Each group's `scope` is theirs in it."""
        found: list[JoinedGroup] = []
        # A header carries bytes: a uid beyond ASCII goes as its UTF-8.
        on_behalf = httpx.Headers({b"onBehalfOf": uid.encode()})
        for page in range(1, max_pages + 1):
            params: dict[str, Any] = {"hasJoined": "true", "page": page, "perPage": per_page}
            body = self._get("/groups", params=params, uid=uid, bulk=True, headers=on_behalf)
            groups = _groups(body, JoinedGroup)
            found.extend(groups)
            if len(groups) < per_page:
                break
        return found

    def get_user(self, uid: str, *, spare: bool = False) -> ChatUser:
        """One user: who a moderation is about (unknown or deactivated: UserNotFound).
        `spare`: nobody waits for it (a raid alert's age look-up): sent only if the governor has
        budget to spare right now (else BudgetReserved), tried once, never retried."""
        body = self._get(f"/users/{segment(uid)}", uid=uid, spare=spare)
        return _one(ChatUser, body, "uid", uid, what="user")

    def recent_messages(self, guid: str, sender: str, *, limit: int = 5) -> list[GroupMessage]:
        """The sender's latest text messages in the group, newest first.

        `affix=prepend` asks for the newest (the order CometChat answers in is not documented,
        so the list is sorted here too); `category`/`type` keep to text messages.
        """
        params = {
            "sender": sender,
            "category": "message",
            "type": "text",
            "affix": "prepend",
            "limit": limit,
        }
        body = self._get(f"/groups/{segment(guid)}/messages", params=params, guid=guid)
        data = body.get("data")
        if not isinstance(data, list):
            raise errors.UnexpectedResponse(f"messages of {guid!r}: no data list")
        try:
            found = [GroupMessage.from_item(item) for item in data if isinstance(item, dict)]
        except ValidationError as exc:
            raise errors.UnexpectedResponse(f"messages of {guid!r}: {exc}") from None
        mine = [m for m in found if m.sender in (None, sender)]
        return sorted(mine, key=lambda m: m.sent_at or 0, reverse=True)[:limit]

    def ban(
        self, guid: str, uid: str, *, on_behalf_of: str | None = None, bulk: bool = False
    ) -> None:
        """`bulk`: one of many (a ban in every group): it waits its turn in the governor."""
        self._write("POST", guid, uid, on_behalf_of, bulk=bulk)

    def unban(
        self, guid: str, uid: str, *, on_behalf_of: str | None = None, bulk: bool = False
    ) -> None:
        """`bulk`: one of many (a mass ban's undo): it waits its turn in the governor, so a run
        of unbans never spends the reserve."""
        self._write("DELETE", guid, uid, on_behalf_of, bulk=bulk)

    def kick(self, guid: str, uid: str, *, on_behalf_of: str | None = None) -> None:
        """Remove a member from the group; unlike a ban, they may join it again."""
        self._write("DELETE", guid, uid, on_behalf_of, collection="members")

    def list_members(
        self, guid: str, *, page: int = 1, per_page: int = 1000, bulk: bool = True
    ) -> tuple[list[GroupMember], bool]:
        """One page of the group's members, and whether another follows. `bulk`: part of a
        whole-list read (a mass ban's preview), which the governor may hold back."""
        body = self._get(
            f"/groups/{segment(guid)}/members",
            params={"page": page, "perPage": per_page},
            guid=guid,
            bulk=bulk,
        )
        data = body.get("data")
        if not isinstance(data, list):
            raise errors.UnexpectedResponse(f"members of {guid!r}: no data list")
        members = []
        for item in data:
            if isinstance(item, dict) and isinstance(item.get("uid"), str) and item["uid"]:
                try:
                    members.append(GroupMember.model_validate(item))
                except ValidationError:
                    continue  # one odd entry costs only itself
        pagination = (
            (body.get("meta") or {}).get("pagination")
            if isinstance(body.get("meta"), dict)
            else None
        )
        more = len(data) >= per_page
        if isinstance(pagination, dict):
            current, total = pagination.get("current_page"), pagination.get("total_pages")
            if isinstance(current, int) and isinstance(total, int):
                more = current < total
        return members, more

    def all_members(
        self, guid: str, *, per_page: int = 1000, max_pages: int = 100
    ) -> list[GroupMember]:
        """Every member of the group, page after page (bulk reads, inside the governor)."""
        found: list[GroupMember] = []
        for page in range(1, max_pages + 1):
            members, more = self.list_members(guid, page=page, per_page=per_page)
            found.extend(members)
            if not more or not members:
                break
        return found

    def ban_many(
        self, guid: str, uids: list[str], *, on_behalf_of: str | None = None
    ) -> dict[str, BulkBanOutcome]:
        """Ban several users with one request (`usersToBan`); CometChat answers per user. Never
        retried, like every write; it waits its turn in the governor like a bulk read, so a mass
        ban never spends the share of the minute's budget the reserve keeps for everyone else."""
        url = f"{self._base}/groups/{segment(guid)}/members"
        body = self._send(
            "POST", url, "members", guid, "", on_behalf_of, json={"usersToBan": uids}, bulk=True
        )
        data = body.get("data")
        answers = data.get("usersToBan") if isinstance(data, dict) else None
        answers = answers if isinstance(answers, dict) else {}
        return {uid: BulkBanOutcome.from_entry(uid, answers.get(uid)) for uid in uids}

    def scope_permissions(self, guid: str, scope: str) -> dict[str, Any]:
        """What members of `scope` may do in the group: permission id -> value. The document
        shows each permission's `defaultValue` only; an answer's `value` is read first."""
        body = self._get(f"/groups/{segment(guid)}/scopes/{segment(scope)}/permissions", guid=guid)
        data = body.get("data")
        if not isinstance(data, list):
            raise errors.UnexpectedResponse(f"permissions of {guid!r}: no data list")
        found: dict[str, Any] = {}
        for item in data:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                found[item["id"]] = item.get("value", item.get("defaultValue"))
        return found

    def set_scope_permissions(self, guid: str, scope: str, permissions: dict[str, Any]) -> None:
        """Set these permissions of `scope` in the group (the others are left as they are).
        Never retried, like every write."""
        url = f"{self._base}/groups/{segment(guid)}/scopes/{segment(scope)}/permissions"
        self._send("PUT", url, "permissions", guid, "", None, json={"permissions": permissions})

    # -- plumbing ---------------------------------------------------------------------------

    def _write(
        self,
        method: str,
        guid: str,
        uid: str,
        on_behalf_of: str | None,
        *,
        collection: str = "bannedusers",
        bulk: bool = False,
    ) -> None:
        url = f"{self._base}/groups/{segment(guid)}/{collection}/{segment(uid)}"
        self._send(method, url, collection, guid, uid, on_behalf_of, bulk=bulk)

    def _send(
        self,
        method: str,
        url: str,
        collection: str,
        guid: str,
        uid: str,
        on_behalf_of: str | None,
        *,
        json: dict[str, Any] | None = None,
        bulk: bool = False,
    ) -> dict:
        """One write, tried once; its answer's body. `bulk`: one of many, which waits its turn
        in the governor (its answer is then read like a bulk read's, the slot given back)."""
        headers = {"onBehalfOf": on_behalf_of} if on_behalf_of else None
        try:
            with self.governor.bulk_read() if bulk else nullcontext():
                response = self._http.request(method, url, headers=headers, json=json)
        except httpx.RequestError as exc:
            # Not retried: the write may have reached CometChat before the connection failed.
            raise errors.Unavailable(f"{method} {collection}: {type(exc).__name__}") from exc
        return self._tried_once(response, guid, uid)  # a write spends the same budget

    def _get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        guid: str = "",
        uid: str = "",
        bulk: bool = False,
        spare: bool = False,
        headers: httpx.Headers | None = None,
    ) -> dict:
        url = self._base + path + (f"?{urlencode(params, quote_via=quote)}" if params else "")
        if spare:
            with self.governor.spare_read() as admitted:
                if not admitted:
                    raise errors.BudgetReserved(f"GET {path}: no budget to spare")
                return self._get_once(url, path, guid, uid, headers)
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            cause: Exception | None = None  # kept on the error: what failed underneath
            try:
                # Each try waits its turn: a retry after a 429 waits for the pause it caused.
                with self.governor.bulk_read() if bulk else nullcontext():
                    response = self._http.get(url, headers=headers)
                self.governor.observe(response.headers)
            except httpx.RequestError as exc:
                failure: errors.CometChatError = errors.Unavailable(
                    f"GET {path}: {type(exc).__name__}"
                )
                wait, cause = self._backoff(attempt), exc
            else:
                if response.status_code < 400:
                    try:
                        return _json(response)
                    except errors.UnexpectedResponse as garbled:
                        # A garbled 2xx is usually a proxy hiccup; a read is safe to repeat.
                        failure, wait = garbled, self._backoff(attempt)
                else:
                    failure = _error_from(response, guid=guid, uid=uid)
                if isinstance(failure, errors.UnexpectedResponse):
                    pass
                elif isinstance(failure, errors.RateLimited):
                    wait = (
                        failure.retry_after
                        if failure.retry_after is not None
                        else self._backoff(attempt)
                    )
                    self.governor.pause(wait)  # every bulk read in the process, not only this
                elif isinstance(failure, errors.Unavailable):
                    wait = self._backoff(attempt)
                else:
                    raise failure
            elapsed = self._clock() - started
            if attempt >= self._retry.attempts or elapsed + wait > self._retry.budget:
                raise failure from cause
            log.info(
                "cometchat_retry path=%s attempt=%d wait=%.2f reason=%s",
                path,
                attempt,
                wait,
                failure.code or type(failure).__name__,
            )
            self._sleep(wait)

    def _get_once(
        self, url: str, path: str, guid: str, uid: str, headers: httpx.Headers | None
    ) -> dict:
        """One try, no retry: for a read nobody is waiting for."""
        try:
            response = self._http.get(url, headers=headers)
        except httpx.RequestError as exc:
            raise errors.Unavailable(f"GET {path}: {type(exc).__name__}") from exc
        return self._tried_once(response, guid, uid)

    def _tried_once(self, response: httpx.Response, guid: str, uid: str) -> dict:
        """The answer to a request that is not tried again (a write, a spare read): its body,
        or its error raised; the rate-limit headers noted, a 429 pausing every bulk read."""
        self.governor.observe(response.headers)
        if response.status_code >= 400:
            failure = _error_from(response, guid=guid, uid=uid)
            if isinstance(failure, errors.RateLimited):
                self.governor.pause(failure.retry_after or 0.0)
            raise failure
        return _json(response)

    def _backoff(self, attempt: int) -> float:
        base = min(self._retry.max_backoff, self._retry.backoff * 2 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)


@functools.cache
def tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~80 ms; one context serves every client (it is thread-safe).
    return httpx.create_ssl_context()


def _timeouts(timeout: float) -> httpx.Timeout:
    return httpx.Timeout(timeout, connect=min(timeout, 3.0))


# Idle connections kept for reuse, unless the caller asks for more. httpcore asks every idle
# connection "readable?" around each request (encode/httpcore#928), and under gevent each ask is
# a trip through the hub: 16 requests at once cost about 0.35 ms more CPU each with 16 kept than
# with 8. But with 8 kept, the bot's own load opened a new connection every 7 requests: over TLS
# to a distant CometChat, a handshake and two more round trips each. bench/keepalive.py and
# bench/load.py measure both. Bursts still open up to `max_connections`; the surplus closes after.
KEEPALIVE_CONNECTIONS = 4


def new_http_client(
    timeout: float = 5.0,
    max_connections: int = 100,
    *,
    keepalive: int = KEEPALIVE_CONNECTIONS,
    transport: httpx.BaseTransport | None = None,
    verify: ssl.SSLContext | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Client:
    """A pooled client with timeouts short enough to stay inside Slack's patience.

    Without a `transport`, httpx builds its own and routes through the environment's proxies
    (`HTTPS_PROXY`, `NO_PROXY`…); handed one, it ignores them: only tests pass a transport.
    """
    return httpx.Client(
        transport=transport,
        verify=verify or tls_context(),
        timeout=_timeouts(timeout),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=min(max_connections, keepalive),
        ),
        headers=headers,
        follow_redirects=False,
    )


def _banned_page(guid: str, page: int, per_page: int, body: dict) -> BannedPage:
    try:
        return BannedPage.from_response(guid, page, per_page, body)
    except (KeyError, TypeError, ValidationError) as exc:
        raise errors.UnexpectedResponse(f"banned users of {guid!r}: {exc}") from None


def _one(model: type[_Model], body: dict, key: str, asked: str, *, what: str) -> _Model:
    """The single object of an answer (`data`), as `model`; its id is the one asked for when
    CometChat leaves it out."""
    data = body.get("data")
    if not isinstance(data, dict):
        raise errors.UnexpectedResponse(f"{what} {asked!r}: no data object")
    try:
        return model.model_validate({**data, key: data.get(key) or asked})
    except ValidationError as exc:
        raise errors.UnexpectedResponse(f"{what} {asked!r}: {exc}") from None


def _groups(body: dict, model: type[G]) -> list[G]:
    """The groups of a `GET /groups` answer."""
    data = body.get("data")
    # The spec's example shows `data` as an object keyed "0", "1"…; accept both shapes.
    items = list(data.values()) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise errors.UnexpectedResponse("groups: no data list")
    # That example also nests `meta` inside `data`: keep what is a group, skip the rest,
    # rather than failing the whole list over one odd entry.
    items = [item for item in items if isinstance(item, dict) and item.get("guid")]
    try:
        return [model.model_validate(item) for item in items]
    except ValidationError as exc:
        raise errors.UnexpectedResponse(f"groups: {exc}") from None


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: `[[[[…` nested past the stack
        raise errors.UnexpectedResponse(
            f"HTTP {response.status_code}: body is not JSON", status=response.status_code
        ) from None
    if not isinstance(body, dict):
        raise errors.UnexpectedResponse("body is not a JSON object", status=response.status_code)
    return body


_AUTH_PREFIX = "AUTH_ERR_"
_PERMISSION_CODES = {
    "ERR_GROUP_NO_CLEARANCE",
    "ERR_GROUP_NO_ADMIN_SCOPE",
    "ERR_GROUP_NO_MODERATOR_SCOPE",
    "ERR_GROUP_NO_SELF_ACTION",
    "ERR_PLAN_RESTRICTION",
    "ERR_SUBSCRIPTION_EXPIRED",
    "ERR_PLAN_QUOTA_RESTRICTION",
}
_SERVER_CODES = {"ERR_MISSION_FAILED", "ERR_OPERATION_FAILED", "ERR_EXCEPTION"}


def _error_from(
    response: httpx.Response, *, guid: str = "", uid: str = ""
) -> errors.CometChatError:
    """Map an error answer to a typed error, by CometChat's `error.code` first, status second."""
    status = response.status_code
    code, message = _error_code(response)
    kw: dict[str, Any] = {"code": code, "status": status}
    if status == 429 or code == "ERR_TOO_MANY_REQUESTS":
        return errors.RateLimited(_retry_after(response.headers), **kw)
    if code == "ERR_GUID_NOT_FOUND":
        return errors.GroupNotFound(guid, **kw)
    if code == "ERR_UID_NOT_FOUND":
        return errors.UserNotFound(uid, **kw)
    if code == "ERR_ALREADY_BANNED":
        return errors.AlreadyBanned(message, **kw)
    if code == "ERR_NOT_A_BANNED_USER":
        return errors.NotBanned(message, **kw)
    if code == "ERR_NOT_A_MEMBER":
        return errors.NotAMember(message, **kw)
    if (code or "").startswith(_AUTH_PREFIX) or status == 401:
        return errors.AuthRejected(message, **kw)
    if code in _PERMISSION_CODES or status == 403:
        return errors.PermissionDenied(message, **kw)
    if status >= 500 or code in _SERVER_CODES:
        return errors.Unavailable(message or f"HTTP {status}", **kw)
    return errors.Rejected(message or f"HTTP {status}", **kw)


def _error_code(response: httpx.Response) -> tuple[str | None, str]:
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return None, ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, ""
    code = error.get("code")
    message = error.get("message")
    return (code if isinstance(code, str) else None), (
        message[:300] if isinstance(message, str) else ""
    )


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is not None:
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        # "inf" and "nan" parse as floats but name no usable wait; treat them as absent.
        if math.isfinite(seconds):
            return max(0.0, seconds)
    # Docs disagree on the spelling of the reset header; accept both (a unix time).
    for name in ("x-ratelimit-reset", "x-rate-limit-reset"):
        reset = headers.get(name)
        if reset and reset.strip().isdigit():
            return max(0.0, int(reset) - time.time())
    return None
