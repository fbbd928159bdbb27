"""A mass ban through the real app: `/banned <guid> massban` or the list's *Mass ban…*, the
form, the preview (nothing written), the confirmation (CometChat's bulk ban, each user's case
through the member's one path, the whole action one case). Signed requests in, CometChat faked,
the history in the run's database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr
from sqlalchemy import update

from bot.cometchat import CometChatClient
from bot.cometchat.governor import BulkGovernor
from bot.domain.button_values import MassBanRef
from bot.domain.massban import Outcome
from bot.domain.moderation import EventSource, ModerationAction
from bot.slack.home_blocks import ACTION_HOME_MASSBAN_OPEN
from bot.slack.massban_blocks import (
    AGE_ACTION_ID,
    AGE_BLOCK_ID,
    MB_DURATION_ACTION_ID,
    MB_DURATION_BLOCK_ID,
    MB_GROUP_BLOCK_ID,
    MB_REASON_ACTION_ID,
    MB_REASON_BLOCK_ID,
    UIDS_ACTION_ID,
    UIDS_BLOCK_ID,
    VIEW_MASSBAN,
    VIEW_MASSBAN_ANYWHERE,
    VIEW_MASSBAN_CONFIRM,
    WINDOW_ACTION_ID,
    WINDOW_BLOCK_ID,
)
from bot.slack.moderation_blocks import ACTION_MASS_UNDO, ACTION_MASSBAN_OPEN
from bot.slack.picker import ACTION_PICK_GROUP
from bot.store.tables import moderation_events
from tests.conftest import GUID
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import home_click_body
from tests.support.harness import MODERATOR, Harness, harness
from tests.support.slack_limits import assert_valid_slack_post
from tests.support.slack_messages import buttons
from tests.support.tour import WEBHOOK_USER, deliver_webhook
from tests.support.webhook_payloads import encode, event, user

RAIDERS = [f"raider-{n:02d}" for n in range(1, 6)]


def _cometchat(now: datetime) -> FakeCometChat:
    """A group with staff, a protected bot, five fresh raiders, an old member who joined long
    ago and a veteran account that joined just now; user-001…003 already banned."""
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=3)
    recent = int((now - timedelta(minutes=5)).timestamp())
    young = int((now - timedelta(days=1)).timestamp())
    for n, uid in enumerate(RAIDERS):
        fake.add_member(GUID, uid, joined_at=recent + n, created_at=young)
    fake.add_member(GUID, "boss", scope="admin", joined_at=recent, created_at=young)
    fake.add_member(GUID, "mod-1", scope="moderator", joined_at=recent, created_at=young)
    fake.add_member(GUID, "support-bot", joined_at=recent, created_at=young)
    old = int((now - timedelta(days=500)).timestamp())
    fake.add_member(GUID, "veteran", joined_at=recent, created_at=old)
    fake.add_member(GUID, "old-timer", joined_at=int((now - timedelta(days=2)).timestamp()))
    return fake


AUDIT = "C0AUDIT"
HOOK_PASSWORD = "hook-password-1"


@pytest.fixture
def app(database, engines) -> Iterator[Harness]:
    _backend, url = database
    with harness(
        _cometchat(datetime.now(UTC)),
        database_url=url,
        protected_uids="support-bot",
        audit_channel_id=AUDIT,
        feed_channel_id="C0FEED",
        cometchat_webhook_user=WEBHOOK_USER,
        cometchat_webhook_password=HOOK_PASSWORD,
    ) as built:
        yield built
        for item in list(built.slack.received):
            assert_valid_slack_post(item.path, item.body)


def _values(
    uids: str = "", minutes: str = "", days: str = "", duration: str = "24h", reason: str = ""
) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": duration}, "value": duration}
    return {
        UIDS_BLOCK_ID: {UIDS_ACTION_ID: {"type": "plain_text_input", "value": uids or None}},
        WINDOW_BLOCK_ID: {WINDOW_ACTION_ID: {"type": "plain_text_input", "value": minutes}},
        AGE_BLOCK_ID: {AGE_ACTION_ID: {"type": "plain_text_input", "value": days}},
        MB_DURATION_BLOCK_ID: {
            MB_DURATION_ACTION_ID: {"type": "static_select", "selected_option": option}
        },
        MB_REASON_BLOCK_ID: {MB_REASON_ACTION_ID: {"type": "plain_text_input", "value": reason}},
    }


def _open_by_command(app: Harness) -> dict[str, Any]:
    reply = app.command(f"{GUID} massban")
    assert reply.status == 200
    (opened,) = [c for c in reply.api_calls if c.path == "/api/views.open"]
    return opened.body["view"]


def _submit(app: Harness, callback_id: str, metadata: str, values: dict) -> dict[str, Any] | None:
    return app.submit_view(callback_id, metadata, values)


def _preview(app: Harness, form: dict, values: dict) -> dict[str, Any]:
    """Submit the form; the preview arrives by views.update once CometChat has answered."""
    mark = len([r for r in app.slack.received if r.path == "/api/views.update"])
    ack = _submit(app, VIEW_MASSBAN, form["private_metadata"], values)
    assert ack is not None and ack["response_action"] == "update"
    updates = app.slack.wait_for(mark + 1, path_prefix="/api/views.update")
    view = updates[mark].body["view"]
    return json.loads(view) if isinstance(view, str) else view


def _text(view: dict) -> str:
    return "\n".join(
        (b.get("text") or {}).get("text", "")
        + "".join(e.get("text", "") for e in b.get("elements", []))
        for b in view["blocks"]
    )


def _writes(app: Harness) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in app.cometchat.requests if r.method in ("POST", "DELETE")]


def _confirm(app: Harness, preview: dict) -> dict[str, Any]:
    ref = MassBanRef.decode(preview["private_metadata"])
    assert ref.response_url
    path = urlsplit(ref.response_url).path
    mark = len([r for r in app.slack.received if r.path.startswith(path)])
    assert _submit(app, VIEW_MASSBAN_CONFIRM, preview["private_metadata"], {}) is None
    # The report; on a loaded machine progress notes may come first (after 3 s of sending).
    count = mark + 1
    while True:
        body = app.slack.wait_for(count, path_prefix=path)[-1].body
        if not body.get("text", "").startswith(":hourglass_flowing_sand:"):
            return body
        count += 1


def test_a_previewed_mass_ban_picks_raiders_only_and_bans_them_once_confirmed(app):
    app.cometchat.refuse_ban["raider-03"] = ("ERR_GROUP_NO_CLEARANCE", "not allowed")
    form = _open_by_command(app)
    assert form["callback_id"] == VIEW_MASSBAN

    preview = _preview(
        app,
        form,
        _values(uids="raider-02, ghost-x;user-001\nboss", minutes="30", days="7", reason="raid"),
    )

    shown = _text(preview)
    assert "Ban 5 users from group" in shown
    for uid in RAIDERS:
        assert f"`{uid}`" in shown
    # Staff, the protected bot, an old account, an old join: never picked.
    assert "*Admins and moderators, never picked:* `boss`, `mod-1`" in shown
    assert "*Protected, never picked:* `support-bot`" in shown
    assert "`veteran`" not in shown and "`old-timer`" not in shown
    assert "*No such user:* `ghost-x`" in shown
    assert "*Already banned:* `user-001`" in shown
    assert preview["submit"]["text"] == "Ban 5"
    # Nothing written before the confirmation: no CometChat write, no history.
    assert _writes(app) == []
    assert all(app.services.store.history(GUID, uid).events == [] for uid in RAIDERS)

    report = _confirm(app, preview)

    assert _writes(app) == [("POST", f"/v3/groups/{GUID}/members")]
    (bulk,) = [r for r in app.cometchat.requests if r.method == "POST"]
    sent = json.loads(bulk.body)["usersToBan"]
    assert sent[0] == "raider-02" and sorted(sent) == RAIDERS  # pasted first, then joiners
    text = report["text"]
    assert "4 users banned, 1 failed" in text
    assert "*Failed:* `raider-03`: CometChat refused: not allowed to ban this user" in text
    for uid in RAIDERS:
        events = app.services.store.history(GUID, uid).events
        if uid == "raider-03":
            assert events == []
            continue
        (event,) = events
        assert (event.action, event.source, event.actor) == (
            ModerationAction.BAN,
            EventSource.BUTTON,
            MODERATOR,
        )
        assert event.reason == "raid" and event.ends_at == event.at + timedelta(hours=24)
        assert app.services.store.pending_expiry(GUID, uid) == event.ends_at
    # The whole action is one case, listing each user and what became of them.
    plan = app.services.store.mass.load(MassBanRef.decode(preview["private_metadata"]).plan or 0)
    assert plan is not None and plan.case_id is not None
    case = app.services.store.event(plan.case_id)
    assert case is not None and case.action is ModerationAction.MASS_BAN
    assert f"(case #{plan.case_id})" in text
    outcomes = {user.uid: user.outcome for user in plan.users}
    assert outcomes == {
        **{uid: Outcome.BANNED for uid in RAIDERS},
        "raider-03": Outcome.FAILED,
    }
    banned = {user.uid: user.ban_id for user in plan.users if user.outcome == Outcome.BANNED}
    for uid, ban_id in banned.items():
        assert ban_id == app.services.store.history(GUID, uid).events[0].id

    # The same preview confirmed again bans nobody.
    again = _confirm(app, preview)
    assert "already confirmed once" in again["text"]
    assert _writes(app) == [("POST", f"/v3/groups/{GUID}/members")]


def test_the_list_button_opens_the_form_and_pasted_uids_alone_are_enough(app):
    page = app.command(GUID)
    (button,) = buttons(page.ack, ACTION_MASSBAN_OPEN)
    (opened,) = [c for c in app.click(ACTION_MASSBAN_OPEN, button["value"]).api_calls]
    assert opened.path == "/api/views.open"
    form = opened.body["view"]

    preview = _preview(app, form, _values(uids="raider-01 raider-04 mod-1 support-bot"))

    shown = _text(preview)
    assert "Ban 2 users" in shown
    assert "`raider-01`" in shown and "`raider-04`" in shown
    assert "never picked:* `mod-1`" in shown and "never picked:* `support-bot`" in shown
    assert _writes(app) == []


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        (_values(), UIDS_BLOCK_ID, "Paste some uids"),
        (_values(uids=" ".join(f"u-{n}" for n in range(1001))), UIDS_BLOCK_ID, "at most 1,000"),
        (_values(uids="a/b"), None, None),  # `/` separates: two uids, accepted
        (_values(minutes="0"), WINDOW_BLOCK_ID, "from 1 to 1,440"),
        (_values(minutes="1441"), WINDOW_BLOCK_ID, "from 1 to 1,440"),
        (_values(minutes="ten"), WINDOW_BLOCK_ID, "from 1 to 1,440"),
        (_values(uids="raider-01", days="3"), AGE_BLOCK_ID, "give the minutes too"),
        (_values(uids="x" * 101), UIDS_BLOCK_ID, "Not uids"),
        (_values(uids="raider-01", duration="3y"), MB_DURATION_BLOCK_ID, "durations in the list"),
    ],
)
def test_a_bad_form_is_refused_beside_its_field_and_asks_cometchat_nothing(
    app, values, field, words
):
    form = _open_by_command(app)
    before = len(app.cometchat.requests)
    ack = _submit(app, VIEW_MASSBAN, form["private_metadata"], values)
    assert ack is not None
    if field is None:
        assert ack["response_action"] == "update"
        return
    assert ack["response_action"] == "errors" and words in ack["errors"][field]
    assert len(app.cometchat.requests) == before


def test_a_viewer_who_is_not_a_moderator_gets_no_form(app):
    reply = app.command(f"{GUID} massban", user_id="U0VIEWER")
    assert reply.ack is not None and "mass ban users" in reply.ack["text"]
    assert not [r for r in app.slack.received if r.path == "/api/views.open"]


def test_a_chunk_cometchat_does_not_answer_is_reported_failed_and_the_others_banned(app):
    pasted = [f"bulk-{n:03d}" for n in range(1, 121)]
    posts = []

    def second_chunk_fails(rec):
        if rec.method == "POST" and rec.path.endswith("/members"):
            posts.append(rec)
            if len(posts) == 2:
                return 503, {"error": {"code": "ERR_MISSION_FAILED", "message": "down"}}, {}
        return None

    app.cometchat.interceptor = second_chunk_fails
    preview = _preview(app, _open_by_command(app), _values(uids=" ".join(pasted)))
    assert "Ban 120 users" in _text(preview)

    report = _confirm(app, preview)

    first, second = (json.loads(p.body)["usersToBan"] for p in posts)
    assert (first, second) == (pasted[:100], pasted[100:])  # in chunks of 100, in order
    assert "100 users banned, 20 failed" in report["text"]
    assert "*Failed:* `bulk-101`: CometChat did not answer" in report["text"]
    assert len(app.services.store.history(GUID, "bulk-100").events) == 1
    assert app.services.store.history(GUID, "bulk-101").events == []


def test_the_bulk_ban_waits_for_the_next_minute_rather_than_spend_the_reserve():
    clock = FakeClock()
    clock.now = 1_700_000_000.0
    fake = FakeCometChat()
    fake.add_group(GUID)
    left = iter([53, 52, 51, 50, 100])

    def budget(rec):
        headers = {
            "x-ratelimit-limit": "100",
            "x-ratelimit-remaining": str(next(left)),
            "x-ratelimit-reset": str(int(clock.now) + 40),
        }
        return 200, {"data": {"usersToBan": {}}}, headers

    fake.interceptor = budget
    governor = BulkGovernor(reserve=0.5, clock=clock, sleep=clock.sleep, wall=clock)
    client = CometChatClient(
        "https://app.example/v3",
        SecretStr("k"),
        transport=fake.transport(),
        governor=governor,
        clock=clock,
        sleep=clock.sleep,
    )
    for n in range(4):
        client.ban_many(GUID, [f"u-{n}"])
    assert clock.sleeps == []  # each sent while more than half of 100 was left
    client.ban_many(GUID, ["u-4"])  # 50 left is the reserve: wait for the next minute
    assert clock.sleeps == [pytest.approx(40)]


def _banned(app: Harness, uid: str) -> bool:
    return uid in {u["uid"] for u in app.cometchat.banned[GUID]}


def _mass_ban(app: Harness, uids: list[str]) -> dict[str, Any]:
    preview = _preview(app, _open_by_command(app), _values(uids=" ".join(uids), reason="raid"))
    report = _confirm(app, preview)
    app.settle()  # its audit line posted: a later click's answers are that click's alone
    return report


def test_undo_unbans_only_those_the_mass_ban_still_holds(app):
    raiders = RAIDERS[:3]
    report = _mass_ban(app, raiders)
    assert all(_banned(app, uid) for uid in raiders)
    # Meanwhile someone unbans raider-02 in CometChat and bans them again: their decision.
    app.cometchat.banned[GUID] = [u for u in app.cometchat.banned[GUID] if u["uid"] != "raider-02"]
    heard = int(time.time())
    for trigger in ("group_member_unbanned", "group_member_banned"):
        body = event(trigger, members=[user("raider-02")], by=user("other-mod"), updated_at=heard)
        assert deliver_webhook(app, encode(body), password=HOOK_PASSWORD).startswith("200")
        app.settle()
    app.cometchat.banned[GUID].append({"uid": "raider-02", "name": "raider-02"})
    history = app.services.store.history(GUID, "raider-02").events
    assert [(e.action, e.source) for e in history] == [
        (ModerationAction.BAN, EventSource.WEBHOOK),
        (ModerationAction.UNBAN, EventSource.WEBHOOK),
        (ModerationAction.BAN, EventSource.BUTTON),
    ]
    deletes_before = len([r for r in app.cometchat.requests if r.method == "DELETE"])
    app.settle()

    (undo,) = buttons(report, ACTION_MASS_UNDO)
    assert undo["confirm"]["confirm"]["text"] == "Unban them"  # asked first
    (answer,) = app.click(ACTION_MASS_UNDO, undo["value"], answered=True).messages

    assert "2 users unbanned, 1 left as they are" in answer["text"]
    assert "`raider-02`" in answer["text"].split("Left as they are")[1]
    deletes = [r.path for r in app.cometchat.requests if r.method == "DELETE"][deletes_before:]
    assert sorted(deletes) == [f"/v3/groups/{GUID}/bannedusers/raider-0{n}" for n in (1, 3)]
    assert _banned(app, "raider-02") and not _banned(app, "raider-01")
    for uid in ("raider-01", "raider-03"):
        latest = app.services.store.history(GUID, uid).events[0]
        assert latest.action is ModerationAction.UNBAN and latest.actor == MODERATOR
        assert latest.reason.startswith("undo of mass ban #")
        assert app.services.store.pending_expiry(GUID, uid) is None
    assert app.services.store.history(GUID, "raider-02").events[0].source is EventSource.WEBHOOK

    # Once only.
    app.settle()
    (again,) = app.click(ACTION_MASS_UNDO, undo["value"], answered=True).messages
    assert "already been undone" in again["text"] and "Nobody was unbanned" in again["text"]
    assert len([r for r in app.cometchat.requests if r.method == "DELETE"]) == deletes_before + 2


def test_undo_sends_its_unbans_side_by_side_and_reports_in_the_plan_order(app):
    raiders = RAIDERS[:4]
    report = _mass_ban(app, raiders)
    # Each DELETE is held until all four have arrived: one after another, the first would wait
    # alone, break the barrier and fail.
    together = threading.Barrier(len(raiders), timeout=4)

    def held(rec):
        if rec.method == "DELETE":
            try:
                together.wait()
            except threading.BrokenBarrierError:
                return 503, {"error": {"code": "ERR_MISSION_FAILED", "message": "alone"}}, {}
        return None

    app.cometchat.interceptor = held
    (undo,) = buttons(report, ACTION_MASS_UNDO)
    (answer,) = app.click(ACTION_MASS_UNDO, undo["value"], answered=True).messages

    assert f"{len(raiders)} users unbanned" in answer["text"], answer["text"]
    listed = answer["text"].split("Unbanned")[-1]
    assert [listed.index(f"`{uid}`") for uid in raiders] == sorted(
        listed.index(f"`{uid}`") for uid in raiders
    )
    assert not any(_banned(app, uid) for uid in raiders)


def test_the_audit_line_of_a_mass_ban_carries_its_undo(app):
    _mass_ban(app, RAIDERS[:2])
    app.settle()
    posts = [
        r.body
        for r in app.slack.received
        if r.path == "/api/chat.postMessage" and r.body.get("channel") == AUDIT
    ]
    (line,) = [p for p in posts if "mass banned 2 users" in p["text"]]
    blocks = json.loads(line["blocks"]) if isinstance(line["blocks"], str) else line["blocks"]
    (undo,) = buttons({"blocks": blocks}, ACTION_MASS_UNDO)
    assert json.loads(undo["value"])["k"] >= 1


def _case_view(app: Harness, case: int, user_id: str = MODERATOR) -> dict[str, Any]:
    (view,) = app.command(f"case {case}", user_id=user_id).messages
    return view


def test_a_mass_ban_s_case_carries_its_undo_while_it_can_be_undone(app):
    report = _mass_ban(app, RAIDERS[:2])
    case = json.loads(buttons(report, ACTION_MASS_UNDO)[0]["value"])["k"]

    seen = _case_view(app, case, user_id="U0VIEWER")
    assert f"mass banned group `{GUID}`" in seen["text"]
    assert "*Users (2):* `raider-01`, `raider-02`" in str(seen["blocks"])  # the case lists them
    assert buttons(seen, ACTION_MASS_UNDO) == []  # a viewer may read it, not undo it
    (undo,) = buttons(_case_view(app, case), ACTION_MASS_UNDO)
    assert "Unban the 2 users" in undo["confirm"]["text"]["text"]
    (answer,) = app.click(ACTION_MASS_UNDO, undo["value"], answered=True).messages

    assert "2 users unbanned" in answer["text"]
    assert not any(_banned(app, uid) for uid in RAIDERS[:2])
    assert buttons(_case_view(app, case), ACTION_MASS_UNDO) == []  # undone: nothing to offer
    # A single ban's case, one of those the mass ban made, has no Undo of its own.
    ban = app.services.store.history(GUID, RAIDERS[0]).events[-1]
    assert ban.action is ModerationAction.BAN
    assert buttons(_case_view(app, ban.id), ACTION_MASS_UNDO) == []


def test_undo_a_day_later_is_refused_and_unbans_nobody(app):
    report = _mass_ban(app, RAIDERS[:2])
    (undo,) = buttons(report, ACTION_MASS_UNDO)
    case = json.loads(undo["value"])["k"]
    with app.services.store.engine.begin() as conn:
        conn.execute(
            update(moderation_events)
            .where(moderation_events.c.id == case)
            .values(at=datetime.now(UTC) - timedelta(hours=25))
        )

    (answer,) = app.click(ACTION_MASS_UNDO, undo["value"], answered=True).messages

    assert "more than 24 hours old" in answer["text"]
    assert [r for r in app.cometchat.requests if r.method == "DELETE"] == []
    assert _banned(app, RAIDERS[0]) and _banned(app, RAIDERS[1])


# -- from the Home tab: the form with a group picker ------------------------------------------


def _home_click(app: Harness, element: dict[str, Any], block_id: str) -> None:
    """A click in the Home tab, as Slack sends it: no response_url, no channel."""
    body = home_click_body({**element, "block_id": block_id, "action_ts": "1"})
    assert app.signed(body).status == 200
    app.settle()


def _group_chosen(guid: str) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": guid}, "value": guid}
    return {
        MB_GROUP_BLOCK_ID: {
            ACTION_PICK_GROUP: {"type": "external_select", "selected_option": option}
        }
    }


def test_home_mass_ban_opens_the_form_with_a_group_picker_and_reports_in_the_dm(app):
    assert buttons(app.services.home.view_for("U0SOMEONE"), ACTION_HOME_MASSBAN_OPEN) == []
    home = app.services.home.view_for(MODERATOR)
    (open_button,) = buttons(home, ACTION_HOME_MASSBAN_OPEN)
    # Someone who may not moderate gets no form, even clicking a button they were never shown.
    body = home_click_body({**open_button, "block_id": "x", "action_ts": "1"}, user_id="U0SOMEONE")
    assert app.signed(body).status == 200
    app.settle()
    assert not any(r.path == "/api/views.open" for r in app.slack.received)

    _home_click(app, open_button, "home_moderation_tools")

    (opened,) = [r for r in app.slack.received if r.path == "/api/views.open"]
    form = opened.body["view"]
    form = json.loads(form) if isinstance(form, str) else form
    assert form["callback_id"] == VIEW_MASSBAN_ANYWHERE
    (picker,) = buttons(form, ACTION_PICK_GROUP)
    assert picker["type"] == "external_select"  # the group picker's type-ahead
    # No group chosen: said beside the picker, and nothing is read.
    reads = len(app.cometchat.requests)
    ack = app.submit_view(VIEW_MASSBAN_ANYWHERE, "", _values(uids="raider-01"))
    assert ack is not None and ack["response_action"] == "errors"
    assert MB_GROUP_BLOCK_ID in ack["errors"]
    assert len(app.cometchat.requests) == reads

    mark = len([r for r in app.slack.received if r.path == "/api/views.update"])
    values = {**_values(uids="raider-01 raider-02", reason="raid"), **_group_chosen(GUID)}
    ack = app.submit_view(VIEW_MASSBAN_ANYWHERE, "", values)
    assert ack is not None and ack["response_action"] == "update"
    preview = app.slack.wait_for(mark + 1, path_prefix="/api/views.update")[mark].body["view"]
    preview = json.loads(preview) if isinstance(preview, str) else preview
    assert "Ban 2 users from group" in _text(preview)

    assert app.submit_view(VIEW_MASSBAN_CONFIRM, preview["private_metadata"], {}) is None
    app.settle()

    assert _banned(app, "raider-01") and _banned(app, "raider-02")
    dms = [
        r.body
        for r in app.slack.received
        if r.path == "/api/chat.postMessage" and str(r.body.get("channel", "")).startswith("D0")
    ]
    assert any("Mass ban of group" in str(dm.get("text")) for dm in dms)


# -- progress notes, on the services' clock ---------------------------------------------------


@pytest.mark.parametrize(("seconds_per_chunk", "notes"), [(2.0, ["200 of 250"]), (0.5, [])])
def test_a_long_mass_ban_posts_progress_and_a_short_one_does_not(
    database, engines, seconds_per_chunk, notes
):
    """250 joiners go in three bulk requests; CometChat takes `seconds_per_chunk` of virtual
    time to answer each. Past 3 s, and before the end, the moderator is told how far it got."""
    _backend, url = database
    clock = FakeClock()
    now = datetime.now(UTC)
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group")
    recent = int((now - timedelta(minutes=5)).timestamp())
    for n in range(250):
        fake.add_member(GUID, f"joiner-{n:03d}", joined_at=recent + n)

    def slow_bulk_ban(rec):
        if rec.method == "POST" and rec.path == f"/v3/groups/{GUID}/members":
            clock.now += seconds_per_chunk  # the answer takes this long, in virtual time
        return None

    fake.interceptor = slow_bulk_ban
    with harness(fake, database_url=url, clock=clock, sleep=clock.sleep) as h:
        preview = _preview(h, _open_by_command(h), _values(minutes="30"))
        ref = MassBanRef.decode(preview["private_metadata"])
        path = urlsplit(ref.response_url or "").path
        assert h.submit_view(VIEW_MASSBAN_CONFIRM, preview["private_metadata"], {}) is None
        h.settle()
        posted = [r.body["text"] for r in h.slack.received if r.path.startswith(path)]

    assert "250 users banned" in posted[-1]
    progress = [t for t in posted if t.startswith(":hourglass_flowing_sand: Mass ban")]
    assert [t.split(": ", 2)[-1].split(" users")[0] for t in progress] == notes
    assert clock.sleeps == []  # nothing waited for real or virtual time: the clock was moved
