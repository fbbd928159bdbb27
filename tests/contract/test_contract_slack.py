"""Contract with Slack: everything the bot can send is Block Kit Slack accepts, within its limits.

Each message and view is rebuilt through `slack_sdk.models` (which raises on the lengths it
knows) and checked for the limits it leaves to Slack's API (tests/support/slack_limits.py):
≤ 50 blocks, unique block_ids, action_ids unique per block, a top-level `text`,
section/header/button limits.
User-controlled strings (group and user names, ids, search text) must never inject markup.

Sources of messages: every error the bot can word (found by walking the error classes, so new ones
are covered), renderer output for hostile CometChat data (hypothesis), and a tour of every path
through the real app (tests/support/tour.py), which also proves each rendered button has a listener.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from slack_sdk.errors import SlackObjectFormationError

from bot.cometchat import errors as cc
from bot.domain.button_values import BanRef, PageCursor
from bot.domain.errors import BotError
from bot.domain.moderation import validate_reason
from bot.slack import messages
from bot.slack.payloads import ephemeral, new_ephemeral, replacing
from tests.support import hostile
from tests.support.cometchat_spec import REPO_ROOT
from tests.support.error_kinds import instantiate, subclasses
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import Received
from tests.support.harness import MODERATOR, Harness, click_body, harness
from tests.support.seeds import HYPOTHESIS_SEED
from tests.support.slack_limits import (
    assert_no_injected_markup,
    assert_valid_ack,
    assert_valid_message,
    assert_valid_slack_post,
    assert_valid_view,
)
from tests.support.slack_messages import buttons
from tests.support.tour import VIEWER, Step, run_tour, tour_settings

NASTY = ["<!channel> `x` *y* _z_ & <@U0123ABCD> <https://evil.example|hi>", "a" * 5000, "\n\t\x00"]


ERROR_KINDS = [BotError, *subclasses(BotError), *subclasses(cc.CometChatError), RuntimeError]


@pytest.mark.parametrize("kind", ERROR_KINDS, ids=lambda k: k.__name__)
@pytest.mark.parametrize("text", NASTY, ids=["markup", "huge", "control"])
def test_every_error_is_worded_as_a_valid_message(kind, text):
    error = instantiate(kind, text)
    message = messages.explain(error, ref="abc123")
    for payload in (ephemeral(message), replacing(message), new_ephemeral(message)):
        assert_valid_message(payload, where=kind.__name__)
        assert_no_injected_markup(payload)
    if hasattr(messages, "explain_moderation"):
        for action in ("ban", "unban"):
            worded = messages.explain_moderation(
                error, action=action, guid=text[:100], uid=text[:100], ref="abc123"
            )
            assert_valid_message(ephemeral(worded), where=f"{kind.__name__}/{action}")
            assert_no_injected_markup(worded.to_dict())


def test_usage_is_a_valid_message():
    assert_valid_message(ephemeral(messages.usage()))
    assert_valid_message(ephemeral(messages.usage(":x: " + NASTY[0])))


# -- hostile CometChat data through the real app ----------------------------------------------


def _users() -> st.SearchStrategy[list[dict[str, Any]]]:
    text = hostile.hostile_text
    number = st.one_of(
        st.integers(),
        st.text(max_size=12),
        st.none(),
        st.floats(allow_nan=False, allow_infinity=False),
    )
    user = st.fixed_dictionaries(
        {"uid": hostile.legal_id | text.filter(bool)},
        optional={
            "name": text,
            "avatar": st.one_of(text, st.just("https://x.example/" + "a" * 3100)),
            "status": text,
            "role": text,
            "scope": text,
            "createdAt": number,
            "updatedAt": number,
            "bannedAt": number,
            "metadata": hostile.json_values(finite=True),
        },
    )
    return st.lists(user, max_size=25, unique_by=lambda u: u["uid"])


@pytest.fixture(scope="module")
def app() -> Iterator[Harness]:
    with harness(FakeCometChat()) as built:
        yield built


_counter = iter(range(10**9))
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


@seed(HYPOTHESIS_SEED)
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    users=_users(),
    group_name=hostile.hostile_text,
    page=st.integers(1, 3),
    per_page=st.integers(1, 20),
    viewer=st.sampled_from([MODERATOR, "U0VIEWER"]),
)
def test_any_banned_users_render_within_slack_limits(
    app, users, group_name, page, per_page, viewer
):
    guid = f"hostile-{next(_counter)}"  # a fresh group each time: no cache hides the name
    app.cometchat.groups[guid] = {"guid": guid, "name": group_name}
    app.cometchat.banned[guid] = users
    value = PageCursor(guid=guid, page=page, per_page=per_page).encode()
    reply = app.click("banned_page_next", value, user_id=viewer)
    (message,) = reply.messages
    assert_valid_message(message, where="page")
    assert_no_injected_markup(message)
    # Each user of the page is there, by uid (in a code span, escaped, long ones cut with "…").
    sections = [b for b in message["blocks"] if b.get("block_id", "").startswith("banned_user_")]
    expected = users[(page - 1) * per_page : page * per_page]
    assert len(sections) == len(expected)
    for section, user in zip(sections, expected, strict=True):
        shown = section["text"]["text"]
        escaped = " ".join(user["uid"].translate(_ESCAPES).split()).replace("`", "'")
        assert escaped[:150] in shown, (user["uid"][:50], shown[:300])


# -- the tour: every path through the real app -------------------------------------------------


def _tour_fake() -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group("cometchat-guid-1", "Hiking Group", banned=57)
    fake.add_group("empty-group", "Quiet Corner", banned=0)
    return fake


@pytest.fixture(scope="module")
def tour() -> Iterator[tuple[Harness, list[Step]]]:
    """One walk of the tour, shared by the checks below (the app stays up for probing)."""
    with harness(_tour_fake(), **tour_settings(webhook_password="pw")) as h:
        yield h, run_tour(h, webhook_password="pw")


def test_everything_the_tour_sends_slack_is_valid_and_every_button_has_a_listener(tour):
    h, steps = tour
    action_ids: set[str] = set()
    checked = 0
    for step in steps:
        for ack in step.acked:
            assert_valid_ack(ack, where=step.name)
            assert_no_injected_markup(ack, mentions=[MODERATOR, VIEWER])
            action_ids.update(_clickable(ack))
            action_ids.update(_clickable(ack.get("view") or {}))
            checked += 1
        for item in step.sent:
            assert_valid_slack_post(item.path, item.body)
            payload = _as_message(item)
            if payload is not None:
                assert_no_injected_markup(payload, mentions=[MODERATOR, VIEWER])
                action_ids.update(_clickable(payload))
                checked += 1
    assert checked > 50, "the tour produced too little to check"
    url, _ = h.new_response_url()
    unhandled = [
        action_id
        for action_id in sorted(action_ids)
        if h.signed(click_body(action_id, "{}", url, user_id=MODERATOR, block_id="x")).status == 404
    ]
    assert not unhandled, f"buttons rendered with no listener: {unhandled}"


# Web API methods the bot may call: the bot scopes each needs (any one of them), and the
# arguments Slack requires. A method missing here fails the test below until it is described.
WEB_API: dict[str, tuple[set[str], tuple[str, ...]]] = {
    "chat.postMessage": ({"chat:write"}, ("channel",)),
    "chat.postEphemeral": ({"chat:write"}, ("channel", "user")),
    "chat.update": ({"chat:write"}, ("channel", "ts")),
    "views.open": (set(), ("trigger_id", "view")),
    "views.publish": (set(), ("user_id", "view")),
    "conversations.open": ({"im:write", "mpim:write", "channels:manage", "groups:write"}, ()),
    "files.getUploadURLExternal": ({"files:write"}, ("filename", "length")),
    "files.completeUploadExternal": ({"files:write"}, ("files",)),
    "auth.test": (set(), ()),
    # A workflow step's answer: the token the function_executed event carried, no scope.
    "functions.completeSuccess": (set(), ("function_execution_id", "outputs")),
    "functions.completeError": (set(), ("function_execution_id", "error")),
}


def test_every_web_api_call_on_the_tour_is_complete_and_granted_by_the_manifest(tour):
    import yaml

    manifest = yaml.safe_load((REPO_ROOT / "manifest.yml").read_text(encoding="utf-8"))
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    _h, steps = tour
    calls = [item for step in steps for item in step.sent if item.path.startswith("/api/")]
    assert calls, "the tour made no Web API call"
    for call in calls:
        method = call.path[len("/api/") :].split("?")[0]
        assert method in WEB_API, f"{method}: describe its scopes and arguments in WEB_API"
        scopes, required = WEB_API[method]
        assert not scopes or scopes & granted, (
            f"{method} needs one of {scopes}; manifest: {granted}"
        )
        missing = [arg for arg in required if not call.body.get(arg)]
        assert not missing, f"{method} sent without {missing}"
    if any("conversations.open" in c.path for c in calls):
        opened = next(c for c in calls if "conversations.open" in c.path)
        assert opened.body.get("users") or opened.body.get("channel")


def _clickable(payload: dict[str, Any]) -> set[str]:
    """action_ids that send a block_actions request when used (input fields do not)."""
    inputs = {
        b["element"].get("action_id")
        for b in payload.get("blocks", [])
        if b.get("type") == "input" and not b.get("dispatch_action")
    }
    return {b["action_id"] for b in buttons(payload)} - inputs


def _as_message(item: Received) -> dict[str, Any] | None:
    """The message or view inside something sent to Slack, blocks decoded."""
    body = dict(item.body)
    if item.path.startswith("/response/"):
        return body
    if any(m in item.path for m in ("chat.postMessage", "chat.postEphemeral", "chat.update")):
        if isinstance(body.get("blocks"), str):
            body["blocks"] = json.loads(body["blocks"])
        return body
    if "views." in item.path:
        view = body.get("view")
        return json.loads(view) if isinstance(view, str) else view
    return None


# -- views ------------------------------------------------------------------------------------


@seed(HYPOTHESIS_SEED)
@given(
    guid=hostile.legal_id,
    uid=st.none() | hostile.legal_id,
    page=st.integers(1, 100_000),
    minutes=st.none() | st.integers(1, 365 * 24 * 60),
    reason=hostile.hostile_text,
)
def test_ban_modals_and_confirmation_are_valid_for_any_ids(guid, uid, page, minutes, reason):
    moderation = pytest.importorskip("bot.slack.moderation_blocks")
    try:
        ref = BanRef(
            guid=guid,
            uid=uid,
            cursor=PageCursor(guid=guid, page=page, per_page=20),
            response_url="https://hooks.slack.com/actions/T0/1/" + "x" * 60,
            channel_id="C0CHAN",
            minutes=minutes,
            # As the command and the form both keep it.
            reason=validate_reason(reason) or None,
        )
    except (ValueError, BotError):
        return  # ids and reasons the bot refuses never reach a view
    assert_valid_view(moderation.ban_modal(ref), where="ban_modal")
    if uid is not None:
        assert_valid_view(moderation.ban_confirm_modal(ref), where="ban_confirm")
        confirmation = moderation.ban_confirmation(ref)
        assert_valid_message(ephemeral(confirmation), where="ban_confirmation")
        assert_no_injected_markup(confirmation.to_dict())


@seed(HYPOTHESIS_SEED)
@given(guid=hostile.legal_id, uid=hostile.legal_id, reason=hostile.hostile_text)
def test_other_actions_confirmations_are_valid_for_any_ids(guid, uid, reason):
    from bot.domain.actions import COMMAND_VERBS
    from bot.domain.button_values import ActionRef
    from bot.slack.moderation_blocks import action_confirmation, cancelled

    for spec in COMMAND_VERBS.values():
        if spec.temporary or not spec.confirm:
            continue  # a ban has its own confirmation, above; a note has none
        try:
            ref = ActionRef(
                action=spec.action, guid=guid, uid=uid, reason=validate_reason(reason) or None
            )
        except (ValueError, BotError):
            return  # ids and reasons the bot refuses never reach a message
        confirmation = action_confirmation(ref)
        assert_valid_message(ephemeral(confirmation), where=f"{spec.verb}_confirmation")
        assert_no_injected_markup(confirmation.to_dict())
        assert_valid_message(ephemeral(cancelled(spec.action)), where=f"{spec.verb}_cancelled")


@seed(HYPOTHESIS_SEED)
@given(
    uid=hostile.legal_id,
    name=hostile.hostile_text,
    texts=st.lists(hostile.hostile_text, max_size=5),
    created=st.none() | st.integers(-(10**12), 10**17),
    avatar=st.none() | hostile.hostile_text | st.just("https://example.com/a.png"),
    missing=st.lists(
        st.sampled_from(["their profile (x)", "their recent messages (y)"]), max_size=2, unique=True
    ),
)
def test_a_user_card_is_valid_and_inert_for_anything_cometchat_sends(
    uid, name, texts, created, avatar, missing
):
    from datetime import UTC, datetime

    from bot.cometchat.models import ChatUser, GroupMessage
    from bot.domain.evidence import UserCard
    from bot.slack.message import Message
    from bot.slack.user_card_blocks import card_blocks

    user = ChatUser.model_validate(
        {
            "uid": uid,
            "name": name,
            "avatar": avatar,
            "role": name,
            "status": name,
            "createdAt": created,
        }
    )
    messages = tuple(
        GroupMessage.model_validate({"id": str(i), "sender": uid, "text": t, "sentAt": created})
        for i, t in enumerate(texts)
    )
    card = UserCard("g-1", uid, datetime.now(UTC), user, messages, tuple(missing))
    message = Message(text="q", blocks=tuple(card_blocks(card)))
    assert_valid_message(ephemeral(message), where="user_card")
    assert_no_injected_markup(message.to_dict())
    # As it is kept with the action and shown again in the history, under a long reason too.
    from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
    from bot.slack import kit
    from bot.slack.history_blocks import event_text

    for reason in ("", "<" * 500):
        event = ModerationEvent(
            guid="g-1",
            uid=uid,
            action=ModerationAction.KICK,
            source=EventSource.COMMAND,
            at=datetime.now(UTC),
            actor="U0MOD",
            reason=reason,
        )
        text = event_text(event, card)
        assert len(text) <= kit.SECTION_TEXT
        line = Message(text="h", blocks=(kit.section("history_event_0", text),))
        assert_valid_message(ephemeral(line), where="history_with_card")
        assert_no_injected_markup(line.to_dict(), mentions=["U0MOD"])


@pytest.mark.parametrize("text", NASTY, ids=["markup", "huge", "control"])
def test_picker_and_notices_are_valid_for_hostile_text(text):
    from bot.cometchat.models import Group
    from bot.slack.message import Message
    from bot.slack.moderation_blocks import done_notice, with_notice
    from bot.slack.picker import group_options, with_group_picker
    from bot.slack.text import escape

    groups = [Group(guid="g-1", name=text), Group(guid="g-2", name=None), Group(guid=text)]
    assert_valid_ack({"options": group_options(groups)}, where="group options")
    picker = with_group_picker(messages.usage(), prompt="Pick a group")
    assert_valid_message(ephemeral(picker), where="picker")
    notice = done_notice("unban", "g-1", "u-1")
    assert_valid_message({"text": notice.text}, where="notice alone")
    page = Message(text="page", blocks=({"type": "divider", "block_id": "d"},))
    worded = Message(text=escape(text) + " (done)")  # a notice as the bot words it: escaped
    assert_valid_message(replacing(with_notice(worded, page)), where="notice")


# -- the oracle itself can fail ----------------------------------------------------------------


def _section(block_id: str, text: str = "hi") -> dict:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


def _button(action_id: str, value: str = "v", text: str = "Go") -> dict:
    return {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": text},
    }


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({"blocks": [_section("a")]}, "top-level `text`"),
        ({"text": " ", "blocks": []}, "top-level `text`"),
        ({"text": "t", "blocks": [_section(f"b{i}") for i in range(51)]}, "51 blocks"),
        ({"text": "t", "blocks": [_section("same"), _section("same")]}, "duplicate block_ids"),
        (
            {
                "text": "t",
                "blocks": [{"type": "actions", "elements": [_button("a"), _button("a")]}],
            },
            "duplicate action_ids",
        ),
        (
            {"text": "t", "blocks": [{"type": "actions", "elements": [_button("a", "v" * 2001)]}]},
            "value",
        ),
        (
            {
                "text": "t",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            },
            "header",
        ),
        ({"text": "t", "blocks": [_section("a", "s" * 3001)]}, "text"),
        ({"text": "t", "response_type": "everyone"}, "everyone"),
    ],
)
def test_the_limits_checker_rejects_what_slack_would(payload, complaint):
    with pytest.raises((AssertionError, SlackObjectFormationError)) as caught:
        assert_valid_message(payload)
    assert complaint in str(caught.value) or isinstance(caught.value, SlackObjectFormationError)


def test_the_markup_checker_spots_injection_and_allows_our_own_tokens():
    with pytest.raises(AssertionError):
        assert_no_injected_markup({"text": "hi <!channel>"})
    with pytest.raises(AssertionError):
        assert_no_injected_markup({"text": "t", "blocks": [_section("a", "<@U0EVIL>")]})
    ours = "Banned <!date^1700000000^{date_short_pretty}|2023-11-14> by <@U0MOD> &lt;x&gt;"
    assert_no_injected_markup({"text": ours, "blocks": [_section("a", ours)]}, mentions=["U0MOD"])


def test_slack_posts_are_checked_by_kind():
    assert_valid_slack_post("/response/1/", {"text": "hello"})
    assert_valid_slack_post(
        "/api/chat.postMessage", {"channel": "C1", "text": "hi", "blocks": "[]"}
    )
    with pytest.raises(AssertionError):
        assert_valid_slack_post("/api/chat.postMessage", {"channel": "C1", "blocks": "[]"})


@seed(HYPOTHESIS_SEED)
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(count=st.integers(0, 120), per_page=st.integers(1, 20), page=st.integers(1, 3))
def test_a_page_cometchat_over_fills_still_fits_in_one_slack_message(app, count, per_page, page):
    # CometChat misbehaving: every banned user in one answer, whatever perPage asked for.
    guid = f"overfilled-{next(_counter)}"
    users = [{"uid": f"u-{i}", "name": f"User {i}"} for i in range(count)]
    app.cometchat.groups[guid] = {"guid": guid, "name": "Over-filled"}
    app.cometchat.banned[guid] = users

    def everyone(rec):
        if rec.path.endswith(f"/{guid}/bannedusers"):
            return 200, {"data": users, "meta": {"pagination": {"total": count}}}, {}
        return None

    app.cometchat.interceptor = everyone
    try:
        value = PageCursor(guid=guid, page=page, per_page=per_page).encode()
        for viewer in (MODERATOR, "U0VIEWER"):
            (message,) = app.click("banned_page_next", value, user_id=viewer).messages
            assert_valid_message(message, where=f"{count} users for a page of {per_page}")
            shown = [
                b for b in message["blocks"] if b.get("block_id", "").startswith("banned_user_")
            ]
            assert len(shown) <= per_page
    finally:
        app.cometchat.interceptor = None
