"""Cases through the real app: case numbers wherever an event is shown, `/banned case <n>` and
the Case button, the form correcting a case (its reason, a ban's length: longer, permanent, ended
now) and its audit line; refusals and a correction racing the expiry of the same ban, on SQLite
and PostgreSQL. Signed requests in, CometChat and Slack faked."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.button_values import ActionRef, CaseRef
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.slack.case_blocks import (
    ACTION_CASE_EDIT,
    EDIT_LENGTH_ACTION_ID,
    EDIT_LENGTH_BLOCK_ID,
    EDIT_REASON_ACTION_ID,
    EDIT_REASON_BLOCK_ID,
    SHORTCUT_OPEN_CASE,
    VIEW_CASE_EDIT,
)
from bot.slack.history_blocks import ACTION_CASE
from bot.slack.message import case_of
from bot.slack.moderation_blocks import ACTION_ACT_CONFIRM
from bot.store import ModerationStore
from bot.store.tables import case_edits
from bot.usecases.expiry import ExpiryStatus
from tests.conftest import GUID

# The moderation suite's settings (a moderator, an audit channel), its check that everything
# sent to Slack is valid, and its helpers; the one-truth suite's live process on each database.
from tests.integration.test_kick import MEMBER, _ask
from tests.integration.test_moderation_e2e import (  # noqa: F401 (fixtures)
    AUDIT,
    MOD,
    VIEWER,
    _click,
    everything_sent_to_slack_is_valid,
    settings,
)
from tests.integration.test_one_truth import (  # noqa: F401 (fixtures)
    actions,
    banned,
    ended_ban,
    live,
    on,
    when_logged,
)
from tests.integration.test_webhooks_http import feed, start  # noqa: F401 (fixtures)
from tests.support.fakes.slack import (
    action_body,
    message_shortcut_body,
    sign,
    view_submission_body,
)
from tests.support.harness import FORM, MODERATOR
from tests.support.slack_limits import assert_valid_message
from tests.support.slack_messages import buttons
from tests.support.webhook_payloads import event, user

BANNED = "user-001"  # banned in the fake's group
BAN, UNBAN, EXPIRE, KICK = (
    ModerationAction.BAN,
    ModerationAction.UNBAN,
    ModerationAction.EXPIRE,
    ModerationAction.KICK,
)


@pytest.fixture
def cometchat(cometchat):
    cometchat.add_member(GUID, MEMBER)  # as the kick suite's
    return cometchat


def _ban(store: ModerationStore, *, hours: int | None = 24, uid: str = BANNED) -> ModerationEvent:
    at = datetime.now(UTC) - timedelta(hours=1)
    return store.record(
        ModerationEvent(
            guid=GUID,
            uid=uid,
            action=BAN,
            source=EventSource.COMMAND,
            actor=MOD,
            reason="spam",
            at=at,
            ends_at=at + timedelta(hours=hours) if hours else None,
        )
    )


def _edits(store: ModerationStore) -> int:
    with store.engine.begin() as conn:
        return conn.execute(select(func.count()).select_from(case_edits)).scalar_one()


def _form(reason: str, length: str | None) -> dict:
    values = {
        EDIT_REASON_BLOCK_ID: {EDIT_REASON_ACTION_ID: {"type": "plain_text_input", "value": reason}}
    }
    if length is not None:
        values[EDIT_LENGTH_BLOCK_ID] = {
            EDIT_LENGTH_ACTION_ID: {"type": "static_select", "selected_option": {"value": length}}
        }
    return values


def _submit(live_app, slack, number: int, reason: str, length: str | None, user: str = MOD):
    """Submit the edit form of case `number`, as opened from a case view answering at
    `/response/edit`; the HTTP answer (errors in the form, or empty: closed)."""
    meta = CaseRef(number=number, response_url=slack.url + "/response/edit").encode()
    body = view_submission_body(VIEW_CASE_EDIT, meta, _form(reason, length), user_id=user)
    response = live_app.post(body)
    assert response.status_code == 200
    return response


def _edited(slack) -> dict:
    (answer,) = slack.wait_for(1, path_prefix="/response/edit")
    return answer.body


# -- case numbers wherever an event is shown ---------------------------------------------------


def test_a_kick_is_a_case_shown_in_history_audit_and_the_case_view(live_app, slack, cometchat):
    question = _ask(live_app, slack, f"{GUID} kick {MEMBER} flooding")
    (button,) = buttons(question, ACTION_ACT_CONFIRM)
    _click(live_app, slack, ACTION_ACT_CONFIRM, button["value"], "kick")
    (kept,) = live_app.services.store.history(GUID, MEMBER).events
    number = kept.id
    assert ActionRef.decode(button["value"]).uid == MEMBER

    (audit,) = slack.wait_for(1, path_prefix="/api/chat.postMessage")
    assert audit.body["channel"] == AUDIT
    assert f"case #{number}" in audit.body["text"]
    assert case_of(audit.body) == number  # the post says which case it is about

    history = _ask(live_app, slack, f"{GUID} history {MEMBER}")
    assert history["blocks"][2]["text"]["text"].startswith(f"#{number} :boot:")
    (case_button,) = buttons(history, ACTION_CASE)
    view = _click(live_app, slack, ACTION_CASE, case_button["value"], "case", user=VIEWER)
    assert_valid_message(view, where="case view")
    text = json.dumps(view)
    assert f"Case #{number}" in text and "flooding" in text
    assert "What the moderator was shown" in text  # the evidence kept at confirmation
    assert buttons(view, ACTION_CASE_EDIT) == []  # a viewer reads, does not edit

    typed = _ask(live_app, slack, f"case {number}")
    assert f"Case #{number}" in typed["text"]
    (edit,) = buttons(typed, ACTION_CASE_EDIT)
    assert CaseRef.decode(edit["value"]).number == number


def test_a_ban_on_the_list_names_its_case(live_app, slack):
    ban = _ban(live_app.services.store, uid="user-003")
    page = _ask(live_app, slack, GUID)
    assert f"Case #{ban.id} · Banned by" in json.dumps(page, ensure_ascii=False)
    (case,) = buttons(page, ACTION_CASE)  # only the user the history knows banned has one
    view = _click(live_app, slack, ACTION_CASE, case["value"], "case")
    assert f"Case #{ban.id}" in view["text"] and "user-003" in view["text"]


def test_a_feed_post_names_the_case_the_history_recorded(feed):  # noqa: F811
    mallory, andrew = user("cometchat-uid-7", "Mallory"), user("cometchat-uid-1", "Andrew")
    assert feed.deliver(event("group_member_kicked", members=[mallory], by=andrew)).is_success
    (post,) = feed.posts(1)
    (kept,) = feed.services.store.history(GUID, "cometchat-uid-7").events
    meta = [b for b in post.body["blocks"] if b["block_id"] == "feed_meta"]
    assert meta[0]["elements"][0]["text"].startswith(f"Case #{kept.id} · By")
    assert case_of(post.body) == kept.id


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("case 987654", "There is no case #987654"),
        ("case abc", "is not a case number"),
        ("case -3", "is not a case number"),
        ("case 0", "is not a case number"),
        ("case 1234567890123456789012", "is not a case number"),
    ],
)
def test_unknown_or_malformed_case_numbers_are_answered_in_words(live_app, slack, typed, says):
    answer = _ask(live_app, slack, typed)
    assert says in answer["text"]
    assert buttons(answer) == []


# -- edits ---------------------------------------------------------------------------------


def test_a_moderator_opens_the_form_corrects_the_reason_and_lengthens_the_ban(live_app, slack):
    store = live_app.services.store
    ban = _ban(store)
    view = _ask(live_app, slack, f"case {ban.id}")
    (edit,) = buttons(view, ACTION_CASE_EDIT)
    url = slack.url + "/response/view"
    assert live_app.post(action_body(ACTION_CASE_EDIT, edit["value"], url)).status_code == 200
    (opened,) = slack.wait_for(1, path_prefix="/api/views.open")
    modal = opened.body["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    assert modal["callback_id"] == VIEW_CASE_EDIT
    assert CaseRef.decode(modal["private_metadata"]).number == ban.id
    assert "spam" in json.dumps(modal)  # the reason as it stands

    response = _submit(live_app, slack, ban.id, "spamming links", "7d")
    assert response.text == ""  # closed
    answer = _edited(slack)
    assert answer["replace_original"] is True
    assert f"Case #{ban.id} edited" in answer["text"]

    now = store.event(ban.id)
    assert now.reason == "spamming links"
    assert now.ends_at == ban.at + timedelta(days=7)
    assert store.pending_expiry(GUID, BANNED) == ban.at + timedelta(days=7)
    case = store.case(ban.id)
    assert [(e.field.value, e.actor) for e in case.edits] == [("reason", MOD), ("ends_at", MOD)]
    assert case.edits[0].before == "spam" and case.edits[0].after == "spamming links"
    (line,) = slack.wait_for(1, path_prefix="/api/chat.postMessage")  # posted in the background
    assert ":pencil2:" in line.body["text"]
    assert line.body["channel"] == AUDIT and case_of(line.body) == ban.id
    assert "spamming links" in line.body["text"]


def test_make_permanent_drops_the_pending_expiry(live_app, slack, cometchat):
    store = live_app.services.store
    ban = _ban(store)
    _submit(live_app, slack, ban.id, "spam", "permanent")
    assert "edited" in _edited(slack)["text"]
    assert store.event(ban.id).ends_at is None
    assert store.pending_expiry(GUID, BANNED) is None
    assert live_app.services.expiries.run_once() == []  # nothing left to end


def test_end_now_is_an_unban_through_the_usual_path(live_app, slack, cometchat):
    store = live_app.services.store
    ban = _ban(store)
    _submit(live_app, slack, ban.id, "spam", "end_now")
    answer = _edited(slack)["text"]
    assert "Unbanned" in answer
    assert ("DELETE", f"/v3/groups/{GUID}/bannedusers/{BANNED}") in [
        (r.method, r.path) for r in cometchat.requests
    ]
    assert [e.action for e in store.history(GUID, BANNED).events] == [UNBAN, BAN]
    assert store.pending_expiry(GUID, BANNED) is None
    (ended,) = store.case(ban.id).edits
    assert ended.field.value == "ends_at" and ended.before == ban.ends_at.isoformat()
    posts = slack.wait_for(2, path_prefix="/api/chat.postMessage")
    texts = [p.body["text"] for p in posts]
    assert any("unbanned" in t for t in texts) and any(":pencil2:" in t for t in texts)


def test_a_closed_ban_keeps_its_length_and_says_why(live_app, slack, cometchat):
    store = live_app.services.store
    ban = _ban(store)
    _ask(live_app, slack, f"{GUID} history {BANNED}")  # nothing changes by reading
    store.record(
        ModerationEvent(
            guid=GUID,
            uid=BANNED,
            action=UNBAN,
            source=EventSource.BUTTON,
            actor=MOD,
            at=datetime.now(UTC),
        )
    )
    _submit(live_app, slack, ban.id, "spam", "30d")
    assert "already ended or was replaced" in _edited(slack)["text"]
    assert store.event(ban.id).ends_at == ban.ends_at
    assert _edits(store) == 0


def test_a_non_moderator_is_refused_in_the_form_and_nothing_changes(live_app, slack):
    store = live_app.services.store
    ban = _ban(store)
    response = _submit(live_app, slack, ban.id, "nothing", "permanent", user=VIEWER)
    errors = response.json()
    assert errors["response_action"] == "errors"
    assert "not allowed to edit cases" in errors["errors"][EDIT_REASON_BLOCK_ID]
    assert store.event(ban.id) == ban
    assert store.pending_expiry(GUID, BANNED) == ban.ends_at
    assert _edits(store) == 0


def test_the_edit_button_is_refused_to_a_non_moderator(live_app, slack):
    ban = _ban(live_app.services.store)
    value = CaseRef(number=ban.id).encode()
    answer = _click(live_app, slack, ACTION_CASE_EDIT, value, "refused", user=VIEWER)
    assert "not allowed to edit cases" in answer["text"]
    assert [p for p in slack.received if p.path.startswith("/api/views.open")] == []


def test_a_reason_too_long_is_said_beside_the_field(live_app, slack):
    store = live_app.services.store
    ban = _ban(store)
    errors = _submit(live_app, slack, ban.id, "x" * 501, None).json()
    assert "501 characters" in errors["errors"][EDIT_REASON_BLOCK_ID]
    assert store.event(ban.id) == ban


# -- the "Open case" message shortcut --------------------------------------------------------


def _open_case(live_app, slack, message: dict, name: str, user: str = MOD) -> dict:
    url = f"{slack.url}/response/{name}"
    body = message_shortcut_body(SHORTCUT_OPEN_CASE, message, url, user_id=user)
    assert live_app.post(body).status_code == 200
    (answer,) = slack.wait_for(1, path_prefix=f"/response/{name}")
    return answer.body


def test_open_case_on_an_audit_post_shows_the_case_it_is_about(live_app, slack, cometchat):
    (button,) = buttons(_ask(live_app, slack, f"{GUID} kick {MEMBER} flooding"), ACTION_ACT_CONFIRM)
    _click(live_app, slack, ACTION_ACT_CONFIRM, button["value"], "kick")
    (kept,) = live_app.services.store.history(GUID, MEMBER).events
    (audit,) = slack.wait_for(1, path_prefix="/api/chat.postMessage")
    # The post as Slack hands it back with the shortcut: its text and its metadata.
    posted = {"type": "message", "ts": "1.2", "bot_id": "B0BOT", **audit.body}

    view = _open_case(live_app, slack, posted, "open", user=VIEWER)

    assert view["response_type"] == "ephemeral"
    assert view["text"].startswith(f"Case #{kept.id}: kicked `{MEMBER}`")
    assert buttons(view, ACTION_CASE_EDIT) == []  # a viewer reads


def test_open_case_on_a_message_about_no_case_says_so(live_app, slack):
    plain = {"type": "message", "ts": "1.2", "user": VIEWER, "text": "case #12 is odd"}
    answer = _open_case(live_app, slack, plain, "plain")
    assert "not about a case" in answer["text"]
    forged = {**plain, "metadata": {"event_type": "banned_case", "event_payload": {"case": 99}}}
    assert "There is no case #99" in _open_case(live_app, slack, forged, "forged")["text"]


# -- notes ---------------------------------------------------------------------------------


def test_a_note_is_kept_in_the_history_as_a_case_without_asking_cometchat(
    live_app, slack, cometchat
):
    asked_before = len(cometchat.requests)
    answer = _ask(live_app, slack, f"{GUID} note {MEMBER} warned in DM <!channel> *twice*")

    (note,) = live_app.services.store.history(GUID, MEMBER).events
    assert (note.action, note.actor, note.reason) == (
        ModerationAction.NOTE,
        MOD,
        "warned in DM <!channel> *twice*",
    )
    assert answer["text"].startswith(
        f":memo: Noted on `{MEMBER}` in group `{GUID}` · case #{note.id}"
    )
    assert "&lt;!channel&gt;" in answer["text"] and "<!channel>" not in answer["text"]
    assert len(cometchat.requests) == asked_before  # no CometChat call at all

    history = _ask(live_app, slack, f"{GUID} history {MEMBER}")
    line = history["blocks"][2]["text"]["text"]
    assert line.startswith(f"#{note.id} :memo: *Noted* by <@{MOD}>")
    assert "Note: warned in DM" in line
    view = _ask(live_app, slack, f"case {note.id}", user=VIEWER)
    assert "*Note:* warned in DM" in json.dumps(view)


@pytest.mark.parametrize(
    ("typed", "user", "says"),
    [
        (f"{GUID} note {MEMBER}", MOD, "Nothing to note"),
        (f"{GUID} note {MEMBER} " + "x" * 501, MOD, "501 characters"),
        (f"{GUID} note {MEMBER} hello", VIEWER, "not allowed to note users"),
        (f"{GUID} note bad/uid hello", MOD, "not a valid CometChat user id"),
    ],
)
def test_a_note_refused_is_said_and_nothing_is_kept(live_app, slack, typed, user, says):
    answer = _ask(live_app, slack, typed, user=user)
    assert says in answer["text"]
    assert live_app.services.store.recent_events() == []


# -- an edit racing the expiry, on each database ----------------------------------------------


def _submit_live(process, number: int, length: str):
    meta = CaseRef(number=number, response_url=process.slack.url + "/response/edit").encode()
    raw = view_submission_body(VIEW_CASE_EDIT, meta, _form("spam", length), user_id=MODERATOR)
    return process.http.post(
        "/slack/events", content=raw, headers={"content-type": FORM, **sign(raw)}
    )


def test_an_edit_made_while_the_expiry_unbans_waits_and_finds_the_ban_over(live, cometchat):  # noqa: F811
    process, _url = live
    store = process.services.store
    ban = ended_ban(store)
    delete_arrived, release, edit_waits = (threading.Event() for _ in range(3))

    def hold_delete() -> None:
        delete_arrived.set()
        assert release.wait(10)

    cometchat.interceptor = on("DELETE", BANNED, hold_delete)
    outcomes: list = []
    expiry = threading.Thread(target=lambda: outcomes.extend(process.services.expiries.run_once()))
    with when_logged("event=member_busy", edit_waits):
        expiry.start()
        assert delete_arrived.wait(10)  # the expiry's unban is in flight, the member locked
        assert _submit_live(process, ban.id, "30d").status_code == 200
        assert edit_waits.wait(10)  # the edit queues behind it
        release.set()
        expiry.join(10)
    (answer,) = process.slack.wait_for(1, path_prefix="/response/edit")

    assert [o.status for o in outcomes] == [ExpiryStatus.UNBANNED]
    assert "already ended or was replaced" in answer.body["text"]
    assert actions(process, BANNED) == [EXPIRE, BAN]  # one end, and no second
    assert store.event(ban.id).ends_at == ban.ends_at
    assert store.pending_expiry(GUID, BANNED) is None
    assert not banned(cometchat, BANNED)
    assert _edits(store) == 0


def test_an_edit_before_the_expiry_runs_moves_it_exactly_once(live, cometchat):  # noqa: F811
    process, _url = live
    store = process.services.store
    ban = ended_ban(store)  # due already
    assert _submit_live(process, ban.id, "30d").status_code == 200
    (answer,) = process.slack.wait_for(1, path_prefix="/response/edit")
    assert "edited" in answer.body["text"]
    assert store.pending_expiry(GUID, BANNED) == ban.at + timedelta(days=30)

    assert process.services.expiries.run_once() == []  # no longer due
    assert banned(cometchat, BANNED)
    assert actions(process, BANNED) == [BAN]
    assert [e.field.value for e in store.case(ban.id).edits] == ["ends_at"]
