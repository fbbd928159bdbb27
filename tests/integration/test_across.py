"""One user in many groups, through the real app as signed requests: `/banned user <uid>`'s
*Unban in all N groups* (preview, Confirm or Cancel) and *Ban in every group they are a member
of* (the ban form's terms, preview, confirm). Each group goes through the one path: a case of
its own, audited. CometChat is FakeCometChat; the history is the run's database (SQLite, and
PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.button_values import AcrossRef
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.slack.across_blocks import (
    ACTION_ACROSS_CANCEL,
    ACTION_ACROSS_CONFIRM,
    ACTION_BAN_EVERYWHERE,
    ACTION_UNBAN_ALL,
    VIEW_BAN_EVERYWHERE,
    VIEW_BAN_EVERYWHERE_CONFIRM,
)
from bot.slack.moderation_blocks import (
    DURATION_ACTION_ID,
    DURATION_BLOCK_ID,
    REASON_ACTION_ID,
    REASON_BLOCK_ID,
)
from tests.support.fakes.cometchat import FakeCometChat, Recorded, make_user
from tests.support.harness import MODERATOR, Harness, Reply, harness
from tests.support.slack_limits import assert_valid_slack_post
from tests.support.slack_messages import button, buttons

UID = "troll-7"
VIEWER = "U0VIEWER"
AUDIT = "C0AUDIT"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _groups(count: int) -> FakeCometChat:
    fake = FakeCometChat()
    for i in range(count):
        fake.add_group(f"g-{i}", f"Group {i}", banned=2)
    return fake


def _ban_in(h: Harness, guid: str) -> None:
    """Banned in `guid`, as CometChat and the history both know."""
    h.cometchat.banned[guid].append(make_user(900, uid=UID, name="Troll Seven"))
    h.services.store.record(
        ModerationEvent(
            guid=guid,
            uid=UID,
            action=ModerationAction.BAN,
            source=EventSource.COMMAND,
            at=T0,
            actor="UALICE",
            name="Troll Seven",
        )
    )


@pytest.fixture
def app(database, engines) -> Iterator[Harness]:
    _backend, url = database
    with harness(
        _groups(5),
        database_url=url,
        viewer_user_ids=f"{MODERATOR},{VIEWER}",
        protected_uids="support-bot",
        audit_channel_id=AUDIT,
    ) as built:
        yield built
        for item in list(built.slack.received):
            assert_valid_slack_post(item.path, item.body)


def _writes(h: Harness) -> list[Recorded]:
    return [r for r in h.cometchat.requests if r.method in ("POST", "DELETE")]


def _answer(h: Harness, uid: str = UID, *, user_id: str = MODERATOR) -> dict[str, Any]:
    """`/banned user <uid>`'s first answer (the history's), once the scan has finished too."""
    reply = h.command(f"user {uid}", user_id=user_id)
    h.settle()
    assert reply.ack is not None
    return reply.ack


def _click(h: Harness, element: dict, *, user_id: str = MODERATOR) -> Reply:
    reply = h.click(element["action_id"], element["value"], user_id=user_id, answered=True)
    h.settle()
    return reply


def _answered(reply: Reply) -> dict[str, Any]:
    (answer,) = [p.body for p in reply.posts if p.path.startswith("/response/")]
    return answer


def _audited(h: Harness) -> list[str]:
    return [
        str(r.body.get("text"))
        for r in h.slack.received
        if r.path == "/api/chat.postMessage" and r.body.get("channel") == AUDIT
    ]


# -- Unban in all N groups ------------------------------------------------------------------


def test_unban_all_reports_each_group_unbanned_already_not_banned_or_failed_in_words(app):
    for guid in ("g-0", "g-1", "g-2"):
        _ban_in(app, guid)
    answer = _answer(app)
    unban_all = button(answer, ACTION_UNBAN_ALL)
    assert unban_all is not None and unban_all["text"]["text"] == "Unban in all 3 groups"

    preview = _answered(_click(app, unban_all))

    assert preview["replace_original"] is False  # the answer stays; the preview is beside it
    assert "Unban `troll-7` in 3 groups?" in preview["text"]
    assert all(f"`{g}`" in preview["text"] for g in ("g-0", "g-1", "g-2"))
    assert _writes(app) == []  # a preview does nothing
    # Meanwhile someone unbans them in g-1 in CometChat itself, and g-2 refuses the bot.
    app.cometchat.banned["g-1"] = [u for u in app.cometchat.banned["g-1"] if u["uid"] != UID]

    def refuse(rec: Recorded):
        if rec.method == "DELETE" and "/groups/g-2/" in rec.path:
            error = {"code": "ERR_GROUP_NO_CLEARANCE", "message": "no clearance"}
            return 403, {"error": error}, {}
        return None

    app.cometchat.interceptor = refuse
    confirm = button(preview, ACTION_ACROSS_CONFIRM)
    assert confirm is not None and confirm["confirm"]  # Slack asks "are you sure?" first
    report = _answered(_click(app, confirm))

    assert report["replace_original"] is True
    text = report["text"]
    assert "1 unbanned, 1 already not banned, 1 failed" in text
    assert "• `g-0`: unbanned" in text
    assert "• `g-1`: already not banned, nothing changed" in text
    assert "• `g-2`: not done. " in text and "CometChat" in text and "Traceback" not in text
    assert sorted((r.method, r.path) for r in _writes(app)) == [
        ("DELETE", f"/v3/groups/{g}/bannedusers/{UID}") for g in ("g-0", "g-1", "g-2")
    ]
    # g-0's unban is a case of its own, by the moderator; the others keep the history's ban.
    store = app.services.store
    latest = {guid: store.history(guid, UID).events[0] for guid in ("g-0", "g-1", "g-2")}
    assert (latest["g-0"].action, latest["g-0"].actor) == (ModerationAction.UNBAN, MODERATOR)
    assert latest["g-0"].id is not None
    assert latest["g-1"].action is ModerationAction.BAN
    assert latest["g-2"].action is ModerationAction.BAN
    audited = _audited(app)
    assert any("unbanned `troll-7` from group `g-0`" in line for line in audited)
    assert any("tried to unban `troll-7` in group `g-2`" in line for line in audited)


def test_cancel_changes_nothing(app):
    _ban_in(app, "g-0")
    _ban_in(app, "g-3")
    preview = _answered(_click(app, button(_answer(app), ACTION_UNBAN_ALL) or {}))

    cancelled = _answered(_click(app, button(preview, ACTION_ACROSS_CANCEL) or {}))

    assert cancelled["replace_original"] is True
    assert cancelled["text"] == ":heavy_multiplication_x: Cancelled. Nobody was unbanned."
    assert _writes(app) == []
    assert [len(app.services.store.bans_of(UID))] == [2]


def test_a_non_moderator_sees_no_buttons_and_is_refused_if_they_click_anyway(app):
    _ban_in(app, "g-0")
    answer = _answer(app, user_id=VIEWER)
    assert buttons(answer, ACTION_UNBAN_ALL) == [] and buttons(answer, ACTION_BAN_EVERYWHERE) == []
    unban = AcrossRef(action=ModerationAction.UNBAN, uid=UID, guids=("g-0",)).encode()
    ban = AcrossRef(action=ModerationAction.BAN, uid=UID).encode()

    for action_id, value in [
        (ACTION_UNBAN_ALL, unban),
        (ACTION_ACROSS_CONFIRM, unban),
        (ACTION_BAN_EVERYWHERE, ban),
    ]:
        reply = app.click(action_id, value, user_id=VIEWER, answered=True)
        app.settle()
        assert "not allowed" in _answered(reply)["text"], action_id
    assert _writes(app) == []
    assert not any(r.path == "/api/views.open" for r in app.slack.received)
    assert len(app.services.store.bans_of(UID)) == 1


# -- Ban in every group they are a member of --------------------------------------------------


def _terms(duration: str = "24h", reason: str = "") -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": duration}, "value": duration}
    return {
        DURATION_BLOCK_ID: {
            DURATION_ACTION_ID: {"type": "static_select", "selected_option": option}
        },
        REASON_BLOCK_ID: {REASON_ACTION_ID: {"type": "plain_text_input", "value": reason}},
    }


def _open_form(h: Harness, answer: dict[str, Any]) -> dict[str, Any]:
    mark = len(h.slack.received)
    _click_quietly(h, button(answer, ACTION_BAN_EVERYWHERE) or {})
    (opened,) = [r for r in h.slack.received[mark:] if r.path == "/api/views.open"]
    return (
        opened.body["view"]
        if isinstance(opened.body["view"], dict)
        else json.loads(opened.body["view"])
    )


def _click_quietly(h: Harness, element: dict) -> None:
    """A click answered by a modal, not in the conversation."""
    url, _ = h.new_response_url()
    from tests.support.harness import click_body

    body = click_body(element["action_id"], element["value"], url, user_id=MODERATOR, block_id="x")
    assert h.signed(body).status == 200
    h.settle()


def _preview(h: Harness, form: dict, values: dict) -> dict[str, Any]:
    ack = h.submit_view(VIEW_BAN_EVERYWHERE, form["private_metadata"], values)
    assert ack is not None and ack["response_action"] == "update"
    h.settle()
    updates = [r for r in h.slack.received if r.path == "/api/views.update"]
    view = updates[-1].body["view"]
    return json.loads(view) if isinstance(view, str) else view


def _view_text(view: dict) -> str:
    return "\n".join(
        (b.get("text") or {}).get("text", "")
        + "".join(e.get("text", "") for e in b.get("elements", []))
        for b in view["blocks"]
    )


def test_ban_everywhere_previews_member_groups_skips_banned_ones_and_bans_with_the_terms(app):
    fake = app.cometchat
    fake.add_member("g-0", UID)
    fake.add_member("g-1", UID)
    fake.add_member("g-3", UID, scope="moderator")
    _ban_in(app, "g-2")  # banned there: CometChat no longer lists them as a member
    form = _open_form(app, _answer(app))
    assert form["callback_id"] == VIEW_BAN_EVERYWHERE
    # The single ban's own questions, reused.
    assert {b.get("block_id") for b in form["blocks"]} >= {DURATION_BLOCK_ID, REASON_BLOCK_ID}

    preview = _preview(app, form, _terms("24h", "raid <!here>"))

    shown = _view_text(preview)
    assert "Ban `troll-7` in 2 groups?" in shown
    assert "`g-0`" in shown and "`g-1`" in shown
    assert "*Already banned, skipped:* `g-2`" in shown
    assert "*Admin or moderator there, skipped:* `g-3`" in shown
    assert "raid &lt;!here&gt;" in shown and "24 h" in shown
    assert preview["submit"]["text"] == "Ban in 2 groups"
    assert _writes(app) == []
    joined = [r for r in fake.requests if r.query.get("hasJoined") == ["true"]]
    assert joined and all(r.headers.get("onbehalfof") == UID for r in joined)

    governor = app.services.cometchat.governor
    admitted: list[str] = []
    inner = governor.bulk_read

    @contextmanager
    def counted() -> Iterator[None]:
        admitted.append("write")
        with inner():
            yield

    governor.bulk_read = counted  # type: ignore[method-assign]
    assert app.submit_view(VIEW_BAN_EVERYWHERE_CONFIRM, preview["private_metadata"], {}) is None
    app.settle()
    # Each write waited its turn in the rate-limit governor, like a mass ban's.
    assert admitted == ["write", "write"]

    report = app.slack.responses()[-1]["text"]
    assert "2 banned." in report and "• `g-0`: banned" in report and "• `g-1`: banned" in report
    assert [(r.method, r.path) for r in _writes(app)] == [
        ("POST", f"/v3/groups/{g}/bannedusers/{UID}") for g in ("g-0", "g-1")
    ]
    for guid in ("g-0", "g-1"):
        (ban,) = app.services.store.history(guid, UID).events
        assert (ban.action, ban.actor, ban.reason) == (
            ModerationAction.BAN,
            MODERATOR,
            "raid <!here>",
        )
        assert ban.ends_at == ban.at + timedelta(hours=24)  # each ends by itself
    assert len(app.services.store.history("g-2", UID).events) == 1  # left as it was
    assert sum("banned `troll-7` from group" in line for line in _audited(app)) == 2


def test_a_group_banned_between_preview_and_confirm_is_reported_already_banned(app):
    app.cometchat.add_member("g-0", UID)
    app.cometchat.add_member("g-1", UID)
    preview = _preview(app, _open_form(app, _answer(app)), _terms("permanent"))
    app.cometchat.banned["g-1"].append(make_user(900, uid=UID))  # someone else, meanwhile

    app.submit_view(VIEW_BAN_EVERYWHERE_CONFIRM, preview["private_metadata"], {})
    app.settle()

    report = app.slack.responses()[-1]["text"]
    assert "1 banned, 1 already banned" in report
    assert "• `g-1`: already banned, nothing changed" in report
    assert app.services.store.history("g-1", UID).events == []


def test_a_protected_user_is_never_banned_everywhere(app):
    app.cometchat.add_member("g-0", "support-bot")
    answer = _answer(app, "support-bot")
    reply = app.click(
        ACTION_BAN_EVERYWHERE,
        (button(answer, ACTION_BAN_EVERYWHERE) or {})["value"],
        answered=True,
    )
    app.settle()
    assert "protected user" in _answered(reply)["text"]
    assert not any(r.path == "/api/views.open" for r in app.slack.received)
    # A form that got through anyway (protected since it was opened) is refused at its preview.
    form_ref = AcrossRef(action=ModerationAction.BAN, uid="support-bot").encode()
    preview = _preview(app, {"private_metadata": form_ref}, _terms())
    assert "protected user" in _view_text(preview) and preview.get("submit") is None
    stale = AcrossRef(action=ModerationAction.BAN, uid="support-bot", guids=("g-0",))
    stale = stale.model_copy(update={"response_url": app.new_response_url()[0]})
    app.submit_view(VIEW_BAN_EVERYWHERE_CONFIRM, stale.encode(), {})
    app.settle()
    assert "protected user" in app.slack.responses()[-1]["text"]
    assert _writes(app) == []
