"""Moderation renderers, button values, wording and the audited write: no app, no network."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.cometchat import errors as cc
from bot.cometchat.models import BannedPage, BannedUser, Group
from bot.domain.audit import AuditEntry
from bot.domain.button_values import (
    MAX_VALUE_LENGTH,
    ActionRef,
    BanConfirmRef,
    BanRef,
    PageCursor,
    UnbanRef,
)
from bot.domain.command import BanUser, ListBanned, parse_command
from bot.domain.duration import parse_duration
from bot.domain.errors import BadCursor, BadDuration, InvalidUid, ReasonTooLong
from bot.domain.moderation import EventSource, ModerationAction, validate_reason
from bot.settings import MAX_PAGE_SIZE
from bot.slack.banned_page import render_banned_page
from bot.slack.message import Message
from bot.slack.messages import explain_moderation
from bot.slack.moderation_blocks import (
    ACTION_ACT_CONFIRM,
    ACTION_BAN_CONFIRM,
    ACTION_PICK,
    ACTION_UNBAN,
    DURATION_ACTION_ID,
    DURATION_BLOCK_ID,
    REASON_ACTION_ID,
    REASON_BLOCK_ID,
    UID_BLOCK_ID,
    action_confirmation,
    ban_confirm_modal,
    ban_confirmation,
    ban_modal,
    ban_row,
    done_notice,
    render_audit,
    unban_extras,
    with_notice,
)
from tests.support.fakes.cometchat import make_user
from tests.support.slack_limits import assert_no_injected_markup, assert_valid_view
from tests.support.slack_messages import buttons

GUID = "cometchat-guid-1"
LONGEST = "x" * 100  # the longest id validate_guid / validate_uid accept


def _page(users: list[dict], page: int = 1, per_page: int = MAX_PAGE_SIZE) -> BannedPage:
    return BannedPage(
        guid=GUID,
        page=page,
        per_page=per_page,
        users=tuple(BannedUser.model_validate(u) for u in users),
        has_next=True,
        total=1000,
    )


def _moderated(page: BannedPage, group: Group) -> Message:
    cursor = PageCursor(guid=page.guid, page=page.page, per_page=page.per_page)
    return render_banned_page(
        page, cursor, group, user_extras=unban_extras(cursor), footer=[ban_row(cursor)]
    )


# -- button values -----------------------------------------------------------------------------


def test_unban_ref_round_trips_with_and_without_cursor():
    cursor = PageCursor(guid=GUID, page=3, per_page=10, query="bob")
    for ref in (UnbanRef(guid=GUID, uid="user-1", cursor=cursor), UnbanRef(guid=GUID, uid="u")):
        assert UnbanRef.decode(ref.encode()) == ref


def test_refs_at_their_largest_fit_a_button_value():
    cursor = PageCursor(guid=LONGEST, page=100_000, per_page=MAX_PAGE_SIZE, query="\u2028" * 100)
    unban = UnbanRef(guid=LONGEST, uid=LONGEST, cursor=cursor).encode()
    ban = BanRef(
        guid=LONGEST,
        uid=LONGEST,
        cursor=cursor,
        response_url="https://h/" + "r" * 990,
        channel_id="C" * 30,
    ).encode()
    assert len(unban) <= MAX_VALUE_LENGTH and len(ban) <= MAX_VALUE_LENGTH


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "not json",
        json.dumps({"g": GUID}),  # no uid
        json.dumps({"g": GUID, "u": "a b"}),  # a uid CometChat never issues
        json.dumps({"g": GUID, "u": "../x"}),
        json.dumps({"g": GUID, "u": "ok", "c": {"g": "other-group"}}),  # cursor elsewhere
        json.dumps({"g": GUID, "u": "ok", "extra": 1}),
        json.dumps({"g": GUID, "u": "x" * 101}),
        "x" * (MAX_VALUE_LENGTH + 1),
    ],
)
def test_unban_ref_refuses_what_it_did_not_write(value):
    with pytest.raises(BadCursor):
        UnbanRef.decode(value)


# -- the list for moderators -------------------------------------------------------------------


def test_a_full_page_with_unban_buttons_and_a_notice_stays_within_50_blocks():
    users = [make_user(i) for i in range(1, MAX_PAGE_SIZE + 1)]
    message = _moderated(_page(users, page=2), Group(guid=GUID, name="G"))
    shown = with_notice(done_notice("unban", GUID, "user-000"), message)
    assert len(shown.to_dict()["blocks"]) <= 50
    buttons = [
        e
        for b in shown.to_dict()["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ACTION_UNBAN
    ]
    assert len(buttons) == MAX_PAGE_SIZE
    assert all(len(b["value"]) <= MAX_VALUE_LENGTH for b in buttons)


def test_unban_asks_no_dialog_its_label_is_plain_text_whatever_the_name_holds():
    hostile = make_user(1, name="<!channel> *Bob*\n\nfake line", uid="bob")
    group = Group(guid=GUID, name="<@U123> `Hikers`")
    message = _moderated(_page([hostile]), group).to_dict()
    row = next(b for b in message["blocks"] if b["type"] == "actions")  # under the user
    (unban,) = [e for e in row["elements"] if e["action_id"] == ACTION_UNBAN]
    # The click asks with the user's card instead (bot.usecases.moderate.ask_to_confirm).
    assert "confirm" not in unban
    # Plain text is never parsed by Slack, so the name is shown as typed, only folded to a line.
    assert unban["text"] == {"type": "plain_text", "text": "Unban <!channel> *Bob* fake line"}


def test_the_unban_confirmation_names_user_and_group_and_its_dialog_fits():
    ref = ActionRef(
        action=ModerationAction.UNBAN, guid="g" * 100, uid="u" * 100, source=EventSource.BUTTON
    )
    message = action_confirmation(ref).to_dict()
    question = message["blocks"][0]["text"]["text"]
    assert question == f":warning: Unban `{'u' * 100}` from group `{'g' * 100}`?"
    (confirm,) = [
        b for b in message["blocks"][-1]["elements"] if b["action_id"] == ACTION_ACT_CONFIRM
    ]
    dialog = confirm["confirm"]["text"]["text"]
    assert len(dialog) <= 300 and "u" * 100 in dialog  # the uid, which says who for sure
    assert "Reason" not in question + dialog  # a button carries none: nothing to say of it
    # By command it could have had one, so its absence is said.
    asked = action_confirmation(ref.model_copy(update={"source": None})).to_dict()
    assert "*Reason:* none given" in asked["blocks"][0]["text"]["text"]


def test_a_user_whose_uid_cannot_be_addressed_gets_no_button():
    odd = make_user(1, uid="has space")
    extras = unban_extras(PageCursor(guid=GUID))
    assert extras(BannedUser.model_validate(odd)) == []
    box, button = extras(BannedUser.model_validate(make_user(2)))
    assert (box["type"], box["action_id"]) == ("checkboxes", ACTION_PICK)
    assert box["options"] == [
        {
            "text": {"type": "plain_text", "text": "Select User 002", "emoji": False},
            "value": "user-002",
        }
    ]
    assert button["action_id"] == ACTION_UNBAN


# -- results -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (cc.AlreadyBanned(code="ERR_ALREADY_BANNED"), "`u<1>` is already banned from `g`"),
        (cc.NotBanned(code="ERR_NOT_A_BANNED_USER"), "is not banned from `g` (any more)"),
        (cc.UserNotFound("u<1>", code="ERR_UID_NOT_FOUND"), "There is no user `u&lt;1&gt;`"),
        (cc.GroupNotFound("g", code="ERR_GUID_NOT_FOUND"), "There is no group `g`"),
        (cc.Unavailable("timeout"), "may or may not have happened"),
    ],
)
def test_each_failure_is_worded_with_user_and_group(error, words):
    text = explain_moderation(error, action="ban", guid="g", uid="u<1>").text
    assert words.replace("`u<1>`", "`u&lt;1&gt;`") in text


def test_ban_confirmation_is_protected_by_a_confirm_dialog():
    message = ban_confirmation(BanRef(guid=GUID, uid="newbie")).to_dict()
    button = message["blocks"][1]["elements"][0]
    assert button["action_id"] == ACTION_BAN_CONFIRM and button["style"] == "danger"
    assert (
        "newbie" in button["confirm"]["text"]["text"] and GUID in button["confirm"]["text"]["text"]
    )
    assert BanRef.decode(button["value"]).uid == "newbie"


def test_ban_modals_keep_their_context_in_private_metadata():
    ref = BanRef(guid=GUID, cursor=PageCursor(guid=GUID, page=2), response_url="https://r/1")
    first = ban_modal(ref)
    assert BanRef.decode(first["private_metadata"]) == ref
    assert len(first["title"]["text"]) <= 24
    second = ban_confirm_modal(ref.model_copy(update={"uid": "newbie"}))
    assert BanRef.decode(second["private_metadata"]).uid == "newbie"


# -- the audit line ----------------------------------------------------------------------------


def test_audit_line_says_who_what_whom_where_when_and_outcome():
    entry = AuditEntry("U0MOD", "unban", GUID, "user-001", 1_700_000_000, "done")
    text = render_audit(entry).text
    assert text.startswith(":unlock: <@U0MOD> unbanned `user-001` from group `cometchat-guid-1`")
    assert "<!date^1700000000^" in text and "2023-11-14 22:13 UTC" in text

    failed = AuditEntry("U0MOD", "ban", GUID, "ghost", 1_700_000_000, "user_not_found")
    assert "tried to ban `ghost`" in render_audit(failed).text
    assert "not done: no such user" in render_audit(failed).text


def test_audit_line_never_turns_an_odd_actor_into_a_mention():
    entry = AuditEntry("<!channel>", "ban", GUID, "u", 1_700_000_000, "done")
    assert "<!channel>" not in render_audit(entry).text


# -- the command -------------------------------------------------------------------------------


def test_ban_command_parses_group_and_user():
    assert parse_command(f"{GUID} ban  newbie ") == BanUser(guid=GUID, uid="newbie")
    assert parse_command(f"{GUID} BAN newbie") == BanUser(guid=GUID, uid="newbie")
    assert isinstance(parse_command(GUID), ListBanned)


def test_ban_command_refuses_a_malformed_uid():
    with pytest.raises(InvalidUid):
        parse_command(f"{GUID} ban a/b")


def test_ban_command_takes_a_duration_then_a_reason():
    assert parse_command(f"{GUID} ban u 24h spamming   links") == BanUser(
        guid=GUID, uid="u", duration=timedelta(hours=24), reason="spamming links"
    )
    assert parse_command(f"{GUID} ban u permanent 3 spam links") == BanUser(
        guid=GUID, uid="u", reason="3 spam links"
    )
    assert parse_command(f"{GUID} ban u spamming") == BanUser(guid=GUID, uid="u", reason="spamming")
    assert parse_command(f"{GUID} ban u 2W") == BanUser(guid=GUID, uid="u", duration=timedelta(14))


@pytest.mark.parametrize("duration", ["0m", "400d", "2x", "24", "1.5h"])
def test_ban_command_refuses_a_bad_duration_even_with_a_reason(duration):
    with pytest.raises(BadDuration):
        parse_command(f"{GUID} ban u {duration} spamming links")


def test_ban_command_refuses_a_reason_over_500_characters():
    assert parse_command(f"{GUID} ban u 1h " + "x" * 500).reason == "x" * 500
    with pytest.raises(ReasonTooLong):
        parse_command(f"{GUID} ban u 1h " + "x" * 501)


def test_a_reason_is_kept_on_one_line_without_control_characters():
    assert validate_reason("  spam\n\nand\tscam\u00a0links ") == "spam and scam links"
    assert validate_reason("bell\x07\x00 ü ☃") == "bell ü ☃"
    assert validate_reason("\x01" * 600) == ""
    with pytest.raises(ReasonTooLong) as caught:
        validate_reason("y" * 501)
    assert (caught.value.length, caught.value.limit) == (501, 500)


# -- the confirmations name user, group, duration and reason ---------------------------------


def _confirm_dialog(message: Message) -> str:
    (button,) = [
        e for b in message.to_dict()["blocks"] for e in b.get("elements", []) if e.get("confirm")
    ]
    assert button["confirm"]["text"]["type"] == "plain_text"
    return button["confirm"]["text"]["text"]


def test_the_command_s_confirmation_names_duration_and_reason():
    ref = BanConfirmRef(guid=GUID, uid="newbie", minutes=24 * 60, reason="spamming <!here> links")
    message = ban_confirmation(ref)

    assert message.text == (
        ":warning: Ban `newbie` from group `cometchat-guid-1`?\n"
        "*Duration:* 24 h, then they are unbanned automatically\n"
        "*Reason:* spamming &lt;!here&gt; links"
    )
    assert message.to_dict()["blocks"][0]["text"]["text"] == message.text
    dialog = _confirm_dialog(message)
    assert dialog.startswith("Ban newbie from cometchat-guid-1 for 24 h?")
    assert "until the ban ends" in dialog
    assert dialog.endswith("Reason: spamming <!here> links")  # plain text: shown as typed
    assert BanConfirmRef.decode(buttons(message.to_dict(), ACTION_BAN_CONFIRM)[0]["value"]) == ref


def test_a_plain_ban_command_is_confirmed_as_permanent_without_a_reason():
    message = ban_confirmation(BanConfirmRef(guid=GUID, uid="newbie"))
    assert "*Duration:* permanent, until someone unbans them" in message.text
    assert "*Reason:* none given" in message.text
    dialog = _confirm_dialog(message)
    assert dialog.startswith("Ban newbie from cometchat-guid-1 permanently?")
    assert "until unbanned" in dialog and dialog.endswith("No reason given.")


def test_a_long_reason_is_what_the_dialog_cuts_not_the_user_or_duration():
    ref = BanConfirmRef(guid=GUID, uid="newbie", minutes=7 * 24 * 60, reason="why " * 125)
    dialog = _confirm_dialog(ban_confirmation(ref))
    assert len(dialog) == 300 and dialog.endswith("…")
    assert dialog.startswith("Ban newbie from cometchat-guid-1 for 7 days?")
    assert ("why " * 124).strip() in ban_confirmation(ref).text  # the message keeps it whole


def test_the_ban_form_offers_durations_permanent_first_chosen_and_an_optional_reason():
    form = ban_modal(BanRef(guid=GUID))
    inputs = {b["block_id"]: b for b in form["blocks"] if b["type"] == "input"}
    assert list(inputs) == [UID_BLOCK_ID, DURATION_BLOCK_ID, REASON_BLOCK_ID]

    select = inputs[DURATION_BLOCK_ID]["element"]
    assert select["type"] == "static_select" and select["action_id"] == DURATION_ACTION_ID
    labels = [o["text"]["text"] for o in select["options"]]
    assert labels == ["1 hour", "24 hours", "7 days", "30 days", "Permanent"]
    assert select["initial_option"]["value"] == "permanent"
    assert [parse_duration(o["value"]) for o in select["options"]] == [
        timedelta(hours=1),
        timedelta(hours=24),
        timedelta(days=7),
        timedelta(days=30),
        None,
    ]
    assert not inputs[DURATION_BLOCK_ID].get("optional")

    reason = inputs[REASON_BLOCK_ID]
    assert reason["optional"] is True
    assert reason["element"] == {
        "type": "plain_text_input",
        "action_id": REASON_ACTION_ID,
        "multiline": True,
        "max_length": 500,
        "placeholder": {"type": "plain_text", "text": "e.g. spamming links"},
    }
    assert_valid_view(form)


def test_the_form_s_second_step_names_user_group_duration_and_escaped_reason():
    ref = BanConfirmRef(guid=GUID, uid="newbie", minutes=7 * 24 * 60, reason="<@U0123ABCD> *spam*")
    view = ban_confirm_modal(ref)
    (section,) = view["blocks"]
    text = section["text"]["text"]
    assert "Ban `newbie` from group `cometchat-guid-1`?" in text
    assert "*Duration:* 7 days" in text and "*Reason:* &lt;@U0123ABCD&gt; *spam*" in text
    assert BanConfirmRef.decode(view["private_metadata"]) == ref
    assert_valid_view(view)
    assert_no_injected_markup({"text": text, "blocks": view["blocks"]})


# -- act: the one write, audited ---------------------------------------------------------------


class _Audit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)


def test_an_unexpected_failure_is_audited_logged_with_its_trace_and_worded(services, caplog):
    from bot.logs import bound
    from bot.usecases.moderate import ModerationRequest, ban_or_unban

    def broken(guid: str, uid: str, **kw: object) -> None:
        raise RuntimeError("boom")

    services.audit = _Audit()  # type: ignore[assignment]
    services.cometchat.unban = broken  # type: ignore[method-assign]
    with bound(rid="r1"):  # the request's id, as the request middleware binds it
        request = ModerationRequest("unban", GUID, "user-001", actor="U0MOD")
        result = ban_or_unban(services.cometchat, services.audit, services.store, request)
        notice = result.notice()

    assert result.outcome == "failed"
    assert "Something went wrong on our side (reference `r1`)" in notice.text
    (entry,) = services.audit.entries
    assert (entry.outcome, entry.error, entry.actor) == ("failed", "RuntimeError", "U0MOD")
    (record,) = [r for r in caplog.records if r.name == "bot.moderation"]
    assert record.exc_info and record.exc_info[0] is RuntimeError


def test_the_audit_line_of_a_ban_says_how_long_and_why_escaped():
    from bot.domain.audit import AuditEntry
    from bot.slack.moderation_blocks import render_audit

    temporary = AuditEntry(
        actor="U0MOD",
        action="ban",
        guid=GUID,
        uid="u1",
        at=0,
        outcome="done",
        minutes=24 * 60,
        reason="spam <!channel> links",
    )
    permanent = AuditEntry(actor="U0MOD", action="ban", guid=GUID, uid="u1", at=0, outcome="done")
    line = render_audit(temporary).text
    assert (
        f"banned `u1` from group `{GUID}` for 24 h · spam &lt;!channel&gt; links · <!date^0^"
        in line
    )
    assert "(permanent) · <!date^0^" in render_audit(permanent).text
