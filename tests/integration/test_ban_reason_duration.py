"""Banning with a reason and a duration, through the real app: signed requests in, CometChat
faked, the history in the test's own database (SQLite always, PostgreSQL too when
TEST_DATABASE_URL is set), and a PostgreSQL that is not there for the outage cases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.domain.button_values import BanConfirmRef, BanRef
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.slack.moderation_blocks import (
    ACTION_BAN_CONFIRM,
    ACTION_BAN_OPEN,
    DURATION_ACTION_ID,
    DURATION_BLOCK_ID,
    REASON_ACTION_ID,
    REASON_BLOCK_ID,
    UID_ACTION_ID,
    UID_BLOCK_ID,
    VIEW_BAN,
    VIEW_BAN_CONFIRM,
)
from tests.conftest import GUID
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import Received
from tests.support.harness import MODERATOR, Harness, harness
from tests.support.slack_limits import (
    assert_no_injected_markup,
    assert_valid_message,
    assert_valid_slack_post,
)
from tests.support.slack_messages import buttons

# Nothing listens on port 1: every connection is refused at once, as in a database outage.
DATABASE_DOWN = "postgres://bot@127.0.0.1:1/banned"
ACCEPTED_FORMS = ("`30m`", "`2h`", "`7d`", "`2w`", "`permanent`")


def _cometchat() -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=3)
    return fake


def _checked(app: Harness) -> Iterator[Harness]:
    yield app
    # Whatever a test did, each message and view the bot sent is one Slack accepts.
    for item in list(app.slack.received):
        assert_valid_slack_post(item.path, item.body)


@pytest.fixture
def app() -> Iterator[Harness]:
    with harness(_cometchat()) as built:
        yield from _checked(built)


@pytest.fixture
def app_on(database, engines) -> Iterator[Harness]:
    """The app on the run's migrated database, SQLite or PostgreSQL (`engines` empties it)."""
    _backend, url = database
    with harness(_cometchat(), database_url=url) as built:
        yield from _checked(built)


@pytest.fixture
def app_without_database() -> Iterator[Harness]:
    with harness(_cometchat(), database_url=DATABASE_DOWN) as built:
        yield from _checked(built)


# -- helpers -----------------------------------------------------------------------------------


def _writes(app: Harness) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in app.cometchat.requests if r.method in ("POST", "DELETE")]


def _ask(app: Harness, text: str) -> dict[str, Any]:
    """`/banned <text>`: the answer travels in the acknowledgement."""
    reply = app.command(text)
    assert reply.status == 200 and reply.ack is not None
    assert_valid_message(reply.ack, where="ack")
    assert_no_injected_markup(reply.ack)
    return reply.ack


def _confirm(app: Harness, question: dict[str, Any]) -> dict[str, Any]:
    """Press the confirmation's Ban button; the outcome replaces the question."""
    (ban,) = buttons(question, ACTION_BAN_CONFIRM)
    (answer,) = app.click(ACTION_BAN_CONFIRM, ban["value"]).messages
    return answer


def _dialog(question: dict[str, Any]) -> str:
    (ban,) = buttons(question, ACTION_BAN_CONFIRM)
    assert ban["confirm"]["text"]["type"] == "plain_text"
    return ban["confirm"]["text"]["text"]


def _history(app: Harness, uid: str) -> list[ModerationEvent]:
    return app.services.store.history(GUID, uid).events


def _form_values(uid: str, duration: str | None, reason: str | None) -> dict[str, Any]:
    """A submitted ban form's state, as Slack sends it."""
    values: dict[str, Any] = {
        UID_BLOCK_ID: {UID_ACTION_ID: {"type": "plain_text_input", "value": uid}},
        REASON_BLOCK_ID: {REASON_ACTION_ID: {"type": "plain_text_input", "value": reason}},
    }
    if duration is not None:
        option = {"text": {"type": "plain_text", "text": duration}, "value": duration}
        values[DURATION_BLOCK_ID] = {
            DURATION_ACTION_ID: {"type": "static_select", "selected_option": option}
        }
    return values


def _submit(
    app: Harness, callback_id: str, metadata: str, values: dict, *, user_id: str = MODERATOR
) -> dict[str, Any] | None:
    return app.submit_view(callback_id, metadata, values, user_id=user_id)


def _answer_at(app: Harness, response_url: str) -> Received:
    (answer,) = app.slack.wait_for(1, path_prefix=urlsplit(response_url).path)
    return answer


# -- the command -------------------------------------------------------------------------------


def test_a_ban_with_duration_and_reason_is_confirmed_then_done_and_kept(app_on):
    app = app_on
    question = _ask(app, f"{GUID} ban newbie 24h spamming links")

    assert "Ban `newbie` from group `cometchat-guid-1`?" in question["text"]
    assert "*Duration:* 24 h, then they are unbanned automatically" in question["text"]
    assert "*Reason:* spamming links" in question["text"]
    dialog = _dialog(question)
    assert dialog.startswith("Ban newbie from cometchat-guid-1 for 24 h?")
    assert dialog.endswith("Reason: spamming links")
    assert _writes(app) == [] and _history(app, "newbie") == []  # nothing changed yet

    before = datetime.now(UTC)
    answer = _confirm(app, question)
    after = datetime.now(UTC)

    assert answer["replace_original"] is True
    assert answer["text"] == (
        ":no_entry_sign: Banned `newbie` from `cometchat-guid-1` for 24 h. Reason: spamming links"
    )
    assert _writes(app) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")]
    (event,) = _history(app, "newbie")
    assert (event.action, event.source) == (ModerationAction.BAN, EventSource.COMMAND)
    assert (event.actor, event.reason) == (MODERATOR, "spamming links")
    assert before <= event.at <= after
    assert event.ends_at == event.at + timedelta(hours=24)
    assert app.services.store.pending_expiry(GUID, "newbie") == event.ends_at


def test_a_second_press_of_the_same_confirmation_is_refused_and_not_kept(app):
    question = _ask(app, f"{GUID} ban newbie 2h flooding")
    _confirm(app, question)
    again = _confirm(app, question)  # a second click on the same (stale) button

    assert "already banned" in again["text"]
    assert _writes(app) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")] * 2
    (event,) = _history(app, "newbie")  # only the ban CometChat accepted is kept
    assert event.reason == "flooding"


def test_a_plain_ban_command_stays_permanent_without_a_reason(app):
    question = _ask(app, f"{GUID} ban newbie")

    assert question["text"] == (
        ":warning: Ban `newbie` from group `cometchat-guid-1`?\n"
        "*Duration:* permanent, until someone unbans them\n"
        "*Reason:* none given"
    )
    assert _dialog(question).startswith("Ban newbie from cometchat-guid-1 permanently?")
    answer = _confirm(app, question)

    assert answer["text"] == ":no_entry_sign: Banned `newbie` from `cometchat-guid-1` (permanent)."
    (event,) = _history(app, "newbie")
    assert (event.reason, event.ends_at, event.source) == ("", None, EventSource.COMMAND)
    assert app.services.store.pending_expiry(GUID, "newbie") is None


@pytest.mark.parametrize(
    ("duration", "problem"),
    [
        ("0m", "is too short or too long a ban"),
        ("400d", "is too short or too long a ban"),
        ("2x", "is not a duration"),
    ],
)
def test_a_bad_duration_lists_the_accepted_forms_and_bans_nobody(app, duration, problem):
    answer = _ask(app, f"{GUID} ban newbie {duration} spamming links")

    assert answer["text"].startswith(f":x: `{duration}` {problem}.")
    for form in ACCEPTED_FORMS:
        assert form in answer["text"]
    assert "from 1 minute to 365 days" in answer["text"] and "Nobody was banned" in answer["text"]
    assert buttons(answer, ACTION_BAN_CONFIRM) == []
    assert app.cometchat.requests == [] and _history(app, "newbie") == []


def test_a_reason_over_500_characters_is_refused_and_bans_nobody(app):
    answer = _ask(app, f"{GUID} ban newbie 1h " + "x" * 501)

    assert "That reason is 501 characters long; at most 500 are kept" in answer["text"]
    assert "Nobody was banned" in answer["text"]
    assert buttons(answer, ACTION_BAN_CONFIRM) == []
    assert app.cometchat.requests == [] and _history(app, "newbie") == []


def test_a_hostile_reason_stays_text_everywhere_it_is_shown(app):
    question = _ask(app, f"{GUID} ban newbie 1h <!channel> <https://evil.example|click> *me*")
    assert "&lt;!channel&gt;" in question["text"]  # assert_no_injected_markup ran in _ask

    answer = _confirm(app, question)

    assert_no_injected_markup(answer)
    assert _history(app, "newbie")[0].reason == "<!channel> <https://evil.example|click> *me*"


# -- the form ----------------------------------------------------------------------------------


def _open_form(app: Harness) -> dict[str, Any]:
    """The list's "Ban a user…" button, pressed: the form Slack is asked to open."""
    (open_button,) = buttons(_ask(app, GUID), ACTION_BAN_OPEN)
    (opened,) = app.click(ACTION_BAN_OPEN, open_button["value"]).api_calls
    assert opened.path == "/api/views.open"
    return opened.body["view"]


def test_the_form_bans_for_7_days_with_a_reason_and_keeps_it_as_a_button_ban(app):
    form = _open_form(app)
    (select,) = [b["element"] for b in form["blocks"] if b.get("block_id") == DURATION_BLOCK_ID]
    assert select["initial_option"]["value"] == "permanent"

    step1 = _submit(
        app, VIEW_BAN, form["private_metadata"], _form_values(" newbie ", "7d", "spam\nand scams")
    )
    assert step1 is not None and step1["response_action"] == "update"
    confirm = step1["view"]
    assert confirm["callback_id"] == VIEW_BAN_CONFIRM
    question = confirm["blocks"][0]["text"]["text"]
    assert "Ban `newbie` from group `cometchat-guid-1`?" in question
    assert "*Duration:* 7 days" in question and "*Reason:* spam and scams" in question
    assert _writes(app) == []  # nothing changed yet

    before = datetime.now(UTC)
    assert _submit(app, VIEW_BAN_CONFIRM, confirm["private_metadata"], {}) is None  # closes
    response_url = BanRef.decode(form["private_metadata"]).response_url
    assert response_url is not None
    after = _answer_at(app, response_url).body

    assert after["replace_original"] is True  # the list, refreshed with the outcome on top
    notice = after["blocks"][0]["text"]["text"]
    assert notice == (
        ":no_entry_sign: Banned `newbie` from `cometchat-guid-1` for 7 days. Reason: spam and scams"
    )
    assert _writes(app) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")]
    (event,) = _history(app, "newbie")
    assert (event.source, event.actor, event.reason) == (
        EventSource.BUTTON,
        MODERATOR,
        "spam and scams",
    )
    assert before <= event.at and event.ends_at == event.at + timedelta(days=7)
    assert app.services.store.pending_expiry(GUID, "newbie") == event.ends_at


def test_the_form_left_as_it_opened_bans_permanently_without_a_reason(app):
    form = _open_form(app)
    step1 = _submit(
        app, VIEW_BAN, form["private_metadata"], _form_values("newbie", "permanent", None)
    )
    assert step1 is not None
    ref = BanConfirmRef.decode(step1["view"]["private_metadata"])
    assert (ref.duration, ref.reason) == (None, None)


def _form_metadata(app: Harness) -> str:
    url, _path = app.new_response_url()
    return BanRef(guid=GUID, response_url=url, channel_id="C0CHAN").encode()


def test_an_over_long_reason_is_shown_in_the_form_and_bans_nobody(app):
    # Slack stops typing at 500; a client that does not is answered beside the field.
    values = _form_values("newbie", "24h", "x" * 501)
    step1 = _submit(app, VIEW_BAN, _form_metadata(app), values)

    assert step1 is not None and step1["response_action"] == "errors"
    assert step1["errors"] == {
        REASON_BLOCK_ID: "This reason is 501 characters long; at most 500 are kept. Shorten it."
    }
    assert app.cometchat.requests == [] and _history(app, "newbie") == []


@pytest.mark.parametrize("duration", ["400d", "2w", "forever", ""])
def test_a_duration_the_form_does_not_offer_is_refused_beside_its_field(app, duration):
    step1 = _submit(app, VIEW_BAN, _form_metadata(app), _form_values("newbie", duration, "spam"))

    assert step1 is not None and step1["response_action"] == "errors"
    assert step1["errors"] == {DURATION_BLOCK_ID: "Choose one of the durations in the list."}
    assert app.cometchat.requests == []


def test_every_wrong_field_is_shown_at_once(app):
    values = _form_values("two words", "forever", "y" * 600)
    step1 = _submit(app, VIEW_BAN, _form_metadata(app), values)

    assert step1 is not None
    assert set(step1["errors"]) == {UID_BLOCK_ID, DURATION_BLOCK_ID, REASON_BLOCK_ID}


def test_a_form_opened_before_it_had_a_duration_bans_permanently(app):
    values = {UID_BLOCK_ID: {UID_ACTION_ID: {"type": "plain_text_input", "value": "newbie"}}}
    step1 = _submit(app, VIEW_BAN, _form_metadata(app), values)

    assert step1 is not None and step1["response_action"] == "update"
    assert BanConfirmRef.decode(step1["view"]["private_metadata"]).duration is None


# -- when the database is down -----------------------------------------------------------------


def test_a_temporary_ban_without_the_database_is_refused_before_cometchat_is_asked(
    app_without_database,
):
    app = app_without_database
    question = _ask(app, f"{GUID} ban newbie 24h spamming links")
    asked = len(app.cometchat.requests)  # the confirmation read who it is about
    answer = _confirm(app, question)

    assert answer["text"] == (
        ":warning: A temporary ban needs the bot's database (to end the ban on time), and it "
        "cannot be reached right now. Nobody was banned. A permanent ban still works."
    )
    assert app.cometchat.requests[asked:] == []


def test_a_temporary_ban_from_the_form_without_the_database_is_refused_too(app_without_database):
    app = app_without_database
    ref = BanConfirmRef(
        guid=GUID,
        uid="newbie",
        minutes=7 * 24 * 60,
        reason="spam",
        response_url=app.new_response_url()[0],
        channel_id="C0CHAN",
    )
    assert ref.response_url is not None
    _submit(app, VIEW_BAN_CONFIRM, ref.encode(), {})

    answer = _answer_at(app, ref.response_url).body
    assert "A temporary ban needs the bot's database" in answer["text"]
    assert "Nobody was banned" in answer["text"]
    assert app.cometchat.requests == []


def test_a_permanent_ban_without_the_database_is_done_and_says_its_history_is_not_kept(
    app_without_database,
):
    app = app_without_database
    answer = _confirm(app, _ask(app, f"{GUID} ban newbie spamming links"))

    assert answer["text"] == (
        ":no_entry_sign: Banned `newbie` from `cometchat-guid-1` (permanent). "
        "Reason: spamming links\n"
        ":warning: Its history could not be recorded (the bot's database is unavailable)."
    )
    assert _writes(app) == [("POST", f"/v3/groups/{GUID}/bannedusers/newbie")]
    assert any(u["uid"] == "newbie" for u in app.cometchat.banned[GUID])
