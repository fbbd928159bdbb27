"""CometChat webhook bodies for tests: the documented examples, and the same shape for the rest.

`fixtures/cometchat_webhooks.json` holds the two examples CometChat publishes (its Management API
webhooks overview), as the team's WEBHOOKS.md notes quote them; kicked and scope_changed have no
published example, so they are built from the banned one with the fields the docs describe
(`scope`, `oldScope` on each member).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from slack_sdk.models.blocks import Block

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cometchat_webhooks.json"

TRIGGERS = (
    "group_member_banned",
    "group_member_unbanned",
    "group_member_kicked",
    "group_member_scope_changed",
)


def documented() -> dict[str, dict[str, Any]]:
    return json.loads(FIXTURES.read_text())


def example(trigger: str) -> dict[str, Any]:
    """A body for `trigger`, as CometChat documents (or describes) it."""
    examples = documented()
    if trigger in examples:
        return copy.deepcopy(examples[trigger])
    body = copy.deepcopy(examples["group_member_banned"])
    body["trigger"] = trigger
    if trigger == "group_member_scope_changed":
        for member in body["data"]["members"].values():
            member.update(scope="moderator", oldScope="participant")
    return body


def user(uid: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "uid": uid,
        "name": name if name is not None else uid.replace("-", " ").title(),
        "avatar": f"https://example.com/avatars/{uid}.png",
        "status": "offline",
        "role": "default",
        "lastActiveAt": 1695751453,
        **extra,
    }


def event(
    trigger: str = "group_member_banned",
    *,
    guid: str = "cometchat-guid-1",
    group_name: str = "Hiking Group",
    members: list[dict[str, Any]] | None = None,
    by: dict[str, Any] | None = None,
    updated_at: int = 1696933533,
    webhook: str = "moderation-feed",
) -> dict[str, Any]:
    """A body with the documented envelope, for the cases the examples do not cover."""
    members = members if members is not None else [user("cometchat-uid-2", "George Alan")]
    return {
        "trigger": trigger,
        "data": {
            "group": {
                "guid": guid,
                "name": group_name,
                "type": "public",
                "membersCount": 3,
                "conversationId": f"group_{guid}",
                "createdAt": 1696932915,
                "owner": "cometchat-uid-1",
                "updatedAt": updated_at,
                "onlineMembersCount": 1,
            },
            "members": {m["uid"]: m for m in members},
            "by": by if by is not None else user("cometchat-uid-1", "Andrew Joseph"),
        },
        "appId": "testapp",
        "region": "us",
        "webhook": webhook,
    }


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def assert_valid(message: dict) -> None:
    """What Slack would refuse: no fallback text, blocks the SDK cannot rebuild, limits, ids."""
    assert message["text"].strip()
    assert 0 < len(message["blocks"]) <= 50
    block_ids = [b["block_id"] for b in message["blocks"]]
    assert len(block_ids) == len(set(block_ids))
    for block in message["blocks"]:
        assert Block.parse(block).to_dict() == block  # validates lengths and element shapes
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        ids = [e["action_id"] for e in block.get("elements", []) if "action_id" in e]
        assert len(ids) == len(set(ids))
    json.dumps(message)
