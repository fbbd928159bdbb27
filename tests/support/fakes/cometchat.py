"""A fake CometChat REST API v3: groups, their members (scope, join time) and banned users,
ban/unban/kick one at a time or many at once (`usersToBan`); records every request.

`handle(request)` serves `httpx.MockTransport`; `serve()` runs the same logic as a real HTTP
server on loopback for subprocess tests and benchmarks.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

API_KEY = "cc-test-key-0123456789"


def make_user(i: int, **extra) -> dict:
    user = {
        "uid": f"user-{i:03d}",
        "name": f"User {i:03d}",
        "avatar": f"https://example.com/avatars/{i}.png",
        "status": "offline",
        "role": "default",
        "createdAt": 1_629_869_270 + i,
        "updatedAt": 1_638_351_060 + i,
        "metadata": {"email": f"user{i}@example.com", "contactNumber": "0123456789"},
    }
    user.update(extra)
    return user


@dataclass
class Recorded:
    method: str
    path: str  # raw, still percent-encoded
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class FakeCometChat:
    api_key: str = API_KEY
    groups: dict[str, dict] = field(default_factory=dict)
    banned: dict[str, list[dict]] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)  # uids in each group
    users: dict[str, dict] = field(default_factory=dict)  # beyond those banned (GET /users/{uid})
    messages: dict[str, list[dict]] = field(default_factory=dict)  # each group's, oldest first
    requests: list[Recorded] = field(default_factory=list)
    # A hook run before answering: return (status, body, headers) to override the answer.
    interceptor: Callable[[Recorded], tuple[int, object, dict] | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Each member's scope and join time (unix seconds), by group then uid (`add_member`).
    joined: dict[str, dict[str, dict]] = field(default_factory=dict)
    # A bulk ban refuses these users with (code, message), as CometChat answers per user.
    refuse_ban: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Each group's scope permissions, by guid then scope (participant: everything allowed).
    permissions: dict[str, dict[str, dict]] = field(default_factory=dict)
    # The spec does not declare searchKey on GET bannedusers: by default the fake ignores it
    # (the cautious reading); set True to play a server that filters by name or uid.
    banned_search: bool = False

    def add_group(self, guid: str, name: str | None = None, banned: int = 0) -> None:
        self.groups[guid] = {"guid": guid, "name": name or f"Group {guid}", "type": "public"}
        self.banned[guid] = [make_user(i) for i in range(1, banned + 1)]
        self.members[guid] = set()

    def add_member(
        self,
        guid: str,
        uid: str,
        *,
        scope: str = "participant",
        joined_at: int = 1_700_000_000,
        created_at: int | None = None,
    ) -> None:
        self.members.setdefault(guid, set()).add(uid)
        self.joined.setdefault(guid, {})[uid] = {"scope": scope, "joinedAt": joined_at}
        if created_at is not None:
            self.users[uid] = make_user(0, uid=uid, name=f"Name of {uid}", createdAt=created_at)

    def _member(self, guid: str, uid: str) -> dict:
        user = dict(self._user(uid) or make_user(0, uid=uid))
        user.update(self.joined.get(guid, {}).get(uid, {"scope": "participant", "joinedAt": 0}))
        return user

    def _ban_one(self, guid: str, uid: str) -> tuple[str, str] | None:
        """Ban `uid` in `guid`; the (code, message) of a refusal, None when done."""
        if uid in self.refuse_ban:
            return self.refuse_ban[uid]
        banned = self.banned[guid]
        if any(u["uid"] == uid for u in banned):
            return "ERR_ALREADY_BANNED", f"{uid} is already banned"
        if uid.startswith("ghost"):
            return "ERR_UID_NOT_FOUND", f"{uid} not found"
        banned.append(make_user(len(banned) + 1000, uid=uid, name=uid))
        self.members.setdefault(guid, set()).discard(uid)  # a ban removes them from the group
        return None

    def add_message(self, guid: str, sender: str, text: str, *, kind: str = "text") -> dict:
        sent = self.messages.setdefault(guid, [])
        message = {
            "id": str(len(sent) + 1),
            "conversationId": f"group_{guid}",
            "sender": sender,
            "receiverType": "group",
            "receiver": guid,
            "category": "message",
            "type": kind,
            "data": {"text": text} if kind == "text" else {"url": "https://example.com/f"},
            "sentAt": 1_700_000_000 + len(sent),
            "updatedAt": 1_700_000_000 + len(sent),
        }
        sent.append(message)
        return message

    def _user(self, uid: str) -> dict | None:
        """Anyone the fake knows of: added, banned somewhere or a member; `ghost…` is nobody."""
        if uid.startswith("ghost"):
            return None
        if uid in self.users:
            return self.users[uid]
        for banned in self.banned.values():
            for user in banned:
                if user["uid"] == uid:
                    return user
        return make_user(0, uid=uid, name=f"Name of {uid}")

    # -- the API ---------------------------------------------------------------------------

    def answer(self, rec: Recorded) -> tuple[int, object, dict]:
        with self.lock:
            self.requests.append(rec)
        if self.interceptor:
            override = self.interceptor(rec)
            if override is not None:
                return override
        if rec.headers.get("apikey") != self.api_key:
            return 401, _error("AUTH_ERR_APIKEY_NOT_FOUND", "API key not found"), {}
        parts = rec.path.split("/")
        if rec.method == "GET" and parts == ["", "v3", "groups"]:
            page = int(rec.query.get("page", ["1"])[0])
            per_page = int(rec.query.get("perPage", ["100"])[0])
            groups = list(self.groups.values())
            if rec.query.get("hasJoined") == ["true"]:
                # Only with onBehalfOf, as the document says: that user's groups, with their
                # scope in each.
                uid = rec.headers.get("onbehalfof", "")
                groups = [
                    {**g, "hasJoined": True, **self.joined.get(g["guid"], {}).get(uid, {})}
                    for g in groups
                    if uid and uid in self.members.get(g["guid"], set())
                ]
            if search := rec.query.get("searchKey", [""])[0].casefold():
                # Like CometChat's searchKey: a match in the name or the GUID.
                groups = [g for g in groups if search in f"{g['guid']} {g['name']}".casefold()]
            chunk = groups[(page - 1) * per_page : page * per_page]
            return 200, {"data": chunk, "meta": {"pagination": {"total": len(groups)}}}, {}
        if rec.method == "GET" and len(parts) == 4 and parts[1:3] == ["v3", "users"]:
            found = self._user(unquote(parts[3]))
            if found is None:
                return 404, _error("ERR_UID_NOT_FOUND", f"{parts[3]} not found"), {}
            return 200, {"data": found}, {}
        # ['', 'v3', 'groups', guid, ...]
        if len(parts) < 4 or parts[1] != "v3" or parts[2] != "groups":
            return 404, _error("ERR_API_NOT_FOUND", "no such route"), {}
        guid = unquote(parts[3])
        rest = parts[4:]
        if guid not in self.groups:
            return 404, _error("ERR_GUID_NOT_FOUND", f"group {guid} not found"), {}
        if rec.method == "GET" and rest == []:
            return 200, {"data": self.groups[guid]}, {}
        if rec.method == "GET" and rest == ["bannedusers"]:
            page = int(rec.query.get("page", ["1"])[0])
            per_page = int(rec.query.get("perPage", ["100"])[0])
            users = self.banned[guid]
            if self.banned_search and (search := rec.query.get("searchKey", [""])[0].casefold()):
                users = [u for u in users if search in f"{u['uid']} {u['name']}".casefold()]
            chunk = users[(page - 1) * per_page : page * per_page]
            total_pages = max(1, -(-len(users) // per_page))
            meta = {
                "pagination": {
                    "total": len(users),
                    "count": len(chunk),
                    "per_page": per_page,
                    "current_page": page,
                    "total_pages": total_pages,
                }
            }
            return 200, {"data": chunk, "meta": meta}, {}
        if len(rest) == 3 and rest[0] == "scopes" and rest[2] == "permissions":
            scope = unquote(rest[1])
            held = self.permissions.setdefault(guid, {}).setdefault(
                scope, {"sendMessage": "allow", "addReaction": "allow"}
            )
            if rec.method == "GET":
                items = [
                    {"id": key, "type": "scope", "dataType": "string", "defaultValue": value}
                    for key, value in held.items()
                ]
                return 200, {"data": items, "meta": {"pagination": {"total": len(items)}}}, {}
            if rec.method == "PUT":
                asked = json.loads(rec.body or b"{}").get("permissions") or {}
                held.update(asked)
                answer = {key: {"success": True, "message": "mapped"} for key in asked}
                return 200, {"data": {**answer, "permissions": dict(held)}}, {}
        if rec.method == "GET" and rest == ["members"]:
            page = int(rec.query.get("page", ["1"])[0])
            per_page = int(rec.query.get("perPage", ["100"])[0])
            everyone = [self._member(guid, uid) for uid in sorted(self.members.get(guid, set()))]
            chunk = everyone[(page - 1) * per_page : page * per_page]
            meta = {
                "pagination": {
                    "total": len(everyone),
                    "count": len(chunk),
                    "per_page": per_page,
                    "current_page": page,
                    "total_pages": max(1, -(-len(everyone) // per_page)),
                }
            }
            return 200, {"data": chunk, "meta": meta}, {}
        if rec.method == "POST" and rest == ["members"]:
            asked = json.loads(rec.body or b"{}").get("usersToBan") or []
            answers: dict[str, dict] = {}
            with self.lock:
                for uid in asked:
                    refused = self._ban_one(guid, uid)
                    answers[uid] = (
                        {"success": True}
                        if refused is None
                        else {
                            "success": False,
                            "error": {"code": refused[0], "message": refused[1]},
                        }
                    )
            return 200, {"data": {"usersToBan": answers}}, {}
        if len(rest) == 2 and rest[0] == "bannedusers" and rec.method in ("POST", "DELETE"):
            uid = unquote(rest[1])
            banned = self.banned[guid]
            is_banned = any(u["uid"] == uid for u in banned)
            if rec.method == "POST":
                refused = self._ban_one(guid, uid)
                if refused is not None:
                    status = 404 if refused[0] == "ERR_UID_NOT_FOUND" else 400
                    return status, _error(*refused), {}
                return 200, {"data": {"success": True, "message": "banned"}}, {}
            if not is_banned:
                return 400, _error("ERR_NOT_A_BANNED_USER", f"{uid} is not banned"), {}
            self.banned[guid] = [u for u in banned if u["uid"] != uid]
            return 200, {"data": {"success": True, "message": "unbanned"}}, {}
        if rec.method == "GET" and rest == ["messages"]:
            sender = rec.query.get("sender", [""])[0]
            kind = rec.query.get("type", [""])[0]
            limit = int(rec.query.get("limit", ["10"])[0])
            chosen = [
                m
                for m in self.messages.get(guid, [])
                if (not sender or m["sender"] == sender) and (not kind or m["type"] == kind)
            ]
            # prepend: the newest `limit`, in the order they were sent.
            page = chosen[-limit:] if rec.query.get("affix") == ["prepend"] else chosen[:limit]
            meta = {"current": {"limit": limit, "count": len(page)}}
            return 200, {"data": page, "meta": meta}, {}
        if len(rest) == 2 and rest[0] == "members" and rec.method == "DELETE":
            uid = unquote(rest[1])
            if uid.startswith("ghost"):
                return 404, _error("ERR_UID_NOT_FOUND", f"{uid} not found"), {}
            if uid not in self.members.get(guid, set()):
                return 400, _error("ERR_NOT_A_MEMBER", f"{uid} is not a member of {guid}"), {}
            self.members[guid].discard(uid)
            return 200, {"data": {"success": True, "message": "kicked"}}, {}
        return 404, _error("ERR_API_NOT_FOUND", "no such route"), {}

    def handle(self, request: httpx.Request) -> httpx.Response:
        """For `httpx.MockTransport(fake.handle)`."""
        rec = Recorded(
            method=request.method,
            path=request.url.raw_path.split(b"?")[0].decode(),
            query=parse_qs(request.url.query.decode(), keep_blank_values=True),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=request.content,
        )
        status, body, headers = self.answer(rec)
        if isinstance(body, (bytes, str)):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def serve(self) -> LocalServer:
        """Serve this fake over real HTTP on 127.0.0.1 (base URL: `server.url + '/v3'`)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body waits for the
            # client's delayed ACK (40 ms) on every request over a kept-alive connection.
            disable_nagle_algorithm = True

            def _any(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                sent = self.rfile.read(length) if length else b""
                rec = Recorded(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=sent,
                )
                status, body, headers = fake.answer(rec)
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, *args) -> None:
                pass

        return LocalServer(Handler)


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


class LocalServer:
    """A threaded HTTP server on an ephemeral loopback port, for use as a context manager."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        # shutdown() waits for the next poll: the default 0.5 s would be paid by every test.
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
