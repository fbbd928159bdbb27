"""Property tests: whatever a Slack user types or forges, the bot answers and CometChat stays safe.

For every generated input, through the real app (`create_app`, signed, `app.dispatch`):
- the request is acknowledged (200);
- the user gets a message (in the ack, through response_url, or a Web API call), and everything
  sent to Slack is valid Block Kit within Slack's limits (tests/support/slack_limits.py);
- the only CometChat requests are documented operations (tests/support/cometchat_spec.py) whose
  ids are single, canonically encoded path segments that decode back to an id taken from the input;
- a slash command never writes (ban/unban only happen after a confirmation).

Transport: command text and button values go over loopback HTTP through the web process's WSGI
app (its body limit and timestamp check included); the rest use `app.dispatch`, which runs the
same signature check, middleware and listeners without a socket. Measured (200 requests each):
a page-rendering command costs ≈6.8 ms over HTTP and ≈3.4 ms through dispatch; a refused one
≈2.1 ms vs ≈0.4 ms — both keep a 150-example property in seconds.
The seed is printed at the end of the run (tests/support/seeds.py); set HYPOTHESIS_SEED to replay.
"""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, note, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import bot.listeners
import bot.slack
from bot.domain.button_values import BanRef, PageCursor, UnbanRef
from bot.domain.errors import BadCursor
from bot.slack.moderation_blocks import ACTION_PICK
from bot.web.wsgi import MAX_BODY
from tests.support import cometchat_spec as spec
from tests.support import hostile
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import action_body, sign
from tests.support.harness import MODERATOR, Harness, Reply, click_body, harness
from tests.support.seeds import HYPOTHESIS_SEED
from tests.support.slack_limits import assert_valid_slack_post

WRITES = {"POST", "PUT", "PATCH", "DELETE"}

property_settings = settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _fake() -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group("cometchat-guid-1", "Hiking Group", banned=57)
    fake.add_group("g1", "<!channel> *Group* `One`", banned=3)
    fake.add_group("empty-group", "Quiet Corner", banned=0)
    fake.add_group("a.b+c@d:e", "Odd but legal", banned=2)
    return fake


@pytest.fixture(scope="module")
def app() -> Iterator[Harness]:
    with harness(_fake()) as built:
        yield built


@pytest.fixture(scope="module")
def http_app() -> Iterator[Harness]:
    """The same app behind the web process's WSGI layer on loopback (body limits, timestamps)."""
    with harness(_fake()) as built, built.serve_http():
        yield built


def action_ids() -> list[str]:
    """Every `ACTION_*` constant the bot defines, so new buttons are fuzzed without edits here."""
    found: set[str] = set()
    for package in (bot.slack, bot.listeners):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if name.startswith("ACTION_") and isinstance(value, str):
                    found.add(value)
    return sorted(found)


def handled_action_ids() -> list[str]:
    """The ACTION_* ids the app has a listener for (Bolt answers 404 to the others).

    A constant may exist before its listener is registered (work in progress); a *rendered*
    button without a listener is caught by test_contract_slack instead.
    """
    with harness(_fake()) as h:
        url, _ = h.new_response_url()
        return [
            action_id
            for action_id in action_ids()
            if h.signed(action_body(action_id, "{}", url)).status != 404
        ]


# A list page's ticks: Slack sends each tick, which only needs acknowledging (what was ticked
# comes with the click on *Unban selected*); nothing is said, nothing is read or written.
TICKS = [ACTION_PICK]
HANDLED = [action_id for action_id in handled_action_ids() if action_id not in TICKS]


def check_reply(h: Harness, reply: Reply, mark: int, raw: str, *, writes_allowed: bool) -> None:
    note(f"HYPOTHESIS_SEED={HYPOTHESIS_SEED}")
    if reply.request_bytes > MAX_BODY and h.http is not None:
        # Far beyond anything Slack sends: refused by the web layer before it is read.
        assert reply.status == 413, reply.status
        assert h.cometchat.requests[mark:] == []
        return
    assert reply.status == 200, f"not acknowledged: {reply.status} {reply.ack}"
    assert reply.messages or reply.api_calls, "the user got no message"
    if reply.ack:
        assert_valid_slack_post("/response/ack/", reply.ack)
    for post in reply.posts:
        assert_valid_slack_post(post.path, post.body)
    h.settle()
    derived = hostile.strings_in(raw)
    for rec in h.cometchat.requests[mark:]:
        found = spec.check_request(rec.method, rec.path, rec.query, rec.headers)
        for name, value in found.path_values.items():
            assert value in derived or any(value in s for s in derived), (
                f"{rec.method} {rec.path}: {{{name}}}={value!r} did not come from the input"
            )
        if not writes_allowed:
            assert rec.method not in WRITES, f"{rec.method} {rec.path} without confirmation"


def _mark(h: Harness) -> int:
    h.settle()
    with h.cometchat.lock:
        return len(h.cometchat.requests)


@seed(HYPOTHESIS_SEED)
@property_settings
@given(text=hostile.hostile_text)
def test_any_command_text_is_answered_safely(http_app, text):
    mark = _mark(http_app)
    reply = http_app.command(text)
    check_reply(http_app, reply, mark, text, writes_allowed=False)


@seed(HYPOTHESIS_SEED)
@property_settings
@given(guid=hostile.legal_id, rest=st.sampled_from(["", " help", " ban ", " search "]))
def test_legal_looking_group_ids_reach_cometchat_as_one_encoded_segment(app, guid, rest):
    mark = _mark(app)
    text = guid + rest + ("user-001" if rest == " ban " else "")
    reply = app.command(text)
    # The ban's confirmation reads who it is about: the uid, too, comes from the input.
    check_reply(app, reply, mark, text, writes_allowed=False)
    if rest == "":
        paths = [r.path for r in app.cometchat.requests[mark:]]
        # Found in the cache or fetched: whichever, every route named exactly this group.
        for path in paths:
            assert spec.match_route("GET", path).path_values["guid"] == guid.strip()


@seed(HYPOTHESIS_SEED)
@property_settings
@given(action_id=st.sampled_from(HANDLED), value=hostile.button_value)
def test_any_button_value_is_answered_safely(http_app, action_id, value):
    mark = _mark(http_app)
    reply = http_app.click(action_id, value, user_id=MODERATOR)
    # A well-formed value of a confirmation's button (a ban's, a kick's, an unban's, the users
    # ticked) from a moderator may write: that click *is* the confirmation.
    check_reply(http_app, reply, mark, value, writes_allowed=True)


@seed(HYPOTHESIS_SEED)
@property_settings
@given(action_id=st.sampled_from(TICKS), value=hostile.button_value)
def test_any_tick_is_acknowledged_and_does_nothing(http_app, action_id, value):
    mark, sent = _mark(http_app), len(http_app.slack.received)
    url, _path = http_app.new_response_url()
    body = click_body(action_id, value, url, user_id=MODERATOR, block_id="x")
    # Far beyond anything Slack sends, a body is refused by the web layer before it is read.
    assert http_app.signed(body).status == (200 if len(body) <= MAX_BODY else 413)
    http_app.settle()
    assert http_app.cometchat.requests[mark:] == []
    assert http_app.slack.received[sent:] == []


@seed(HYPOTHESIS_SEED)
@property_settings
@given(
    action_id=st.sampled_from(HANDLED),
    value=hostile.button_value,
    user=st.sampled_from(["U0VIEWER", "W0OTHER", "", "<@U0MOD>"]),
)
def test_a_click_from_a_non_moderator_never_writes(app, action_id, value, user):
    mark = _mark(app)
    reply = app.click(action_id, value, user_id=user)
    check_reply(app, reply, mark, value, writes_allowed=False)


@seed(HYPOTHESIS_SEED)
@property_settings
@given(
    guid=st.sampled_from(["cometchat-guid-1", "g1", "empty-group", "a.b+c@d:e"]),
    page=st.integers(1, 8),
    per_page=st.integers(1, 20),
)
def test_paging_values_the_bot_made_turn_into_the_right_page(app, guid, page, per_page):
    value = PageCursor(guid=guid, page=page, per_page=per_page).encode()
    mark = _mark(app)
    reply = app.click("banned_page_next", value)
    check_reply(app, reply, mark, value, writes_allowed=False)
    (message,) = reply.messages
    users = app.cometchat.banned[guid]
    expected = [u["uid"] for u in users[(page - 1) * per_page : page * per_page]]
    shown = json.dumps(message)
    for uid in expected:
        assert f"`{uid}`" in shown
    if not expected:
        assert "No banned users on page" in shown or "Nobody is banned" in shown


def test_action_discovery_finds_the_paging_buttons():
    ids = action_ids()
    assert {"banned_page_next", "banned_page_previous"} <= set(ids)


# -- search text --------------------------------------------------------------------------------


@seed(HYPOTHESIS_SEED)
@property_settings
@given(
    query=st.one_of(
        st.sampled_from(["User 0", "user-01", "USER", "5", "zzz", "User  00  1", "-"]),
        hostile.hostile_text,
    )
)
def test_a_search_shows_only_matching_users_and_keeps_the_text_out_of_paths(app, query):
    from bot.cometchat.models import BannedUser
    from bot.domain.search import fold, matches, normalise_query

    guid = "cometchat-guid-1"
    mark = _mark(app)
    reply = app.command(f"{guid} {query}")
    check_reply(app, reply, mark, f"{guid} {query}", writes_allowed=False)
    normalised = normalise_query(query)
    for rec in app.cometchat.requests[mark:]:
        sent = rec.query.get("searchKey")
        # Search text only ever travels as the (allowlisted) searchKey parameter, verbatim.
        assert sent in (None, [normalised]), (sent, normalised)
    (message,) = reply.messages
    shown = [
        b["text"]["text"].split("`")[1]
        for b in message.get("blocks", [])
        if b.get("block_id", "").startswith("banned_user_")
    ]
    users = {u["uid"]: BannedUser.model_validate(u) for u in app.cometchat.banned[guid]}
    words = normalised.split()
    is_ban = len(words) == 2 and words[0].lower() == "ban"
    if normalised and not is_ban and len(normalised) <= 100:
        expected = [uid for uid, user in users.items() if matches(user, fold(normalised))]
        assert shown == expected[: app.settings.page_size], (normalised, shown)


# -- the group picker's type-ahead -------------------------------------------------------------


@seed(HYPOTHESIS_SEED)
@property_settings
@given(typed=hostile.hostile_text)
def test_picker_type_ahead_answers_with_valid_options_for_any_text(app, typed):
    from bot.slack.picker import ACTION_PICK_GROUP
    from tests.support.slack_limits import assert_valid_ack
    from tests.support.tour import options_body

    mark = _mark(app)
    response = app.signed(options_body(ACTION_PICK_GROUP, typed))
    assert response.status == 200
    ack = json.loads(response.body) if response.body else {}
    assert_valid_ack(ack, where="options")
    app.settle()
    for rec in app.cometchat.requests[mark:]:
        found = spec.check_request(rec.method, rec.path, rec.query, rec.headers)
        assert found.operation.operation_id == "list-groups"
        assert all(len(v) <= 100 for v in rec.query.get("searchKey", []))


# -- modal input -----------------------------------------------------------------------------


@seed(HYPOTHESIS_SEED)
@property_settings
@given(
    uid=hostile.hostile_text,
    duration=st.sampled_from(["1h", "7d", "permanent"]) | hostile.hostile_text,
    reason=st.none() | hostile.hostile_text,
    metadata=st.one_of(st.none(), hostile.button_value),
    user=st.sampled_from([MODERATOR, "U0VIEWER"]),
)
def test_the_ban_modal_takes_any_input_without_writing(app, uid, duration, reason, metadata, user):
    from bot.slack import moderation_blocks as mod
    from tests.support.slack_limits import assert_valid_ack
    from tests.support.tour import view_submission_body

    if metadata is None:  # a well-formed form, as the bot itself opens it
        url, _ = app.new_response_url()
        metadata = BanRef(guid="g1", response_url=url, channel_id="C0CHAN").encode()
    values = {
        mod.UID_BLOCK_ID: {mod.UID_ACTION_ID: {"type": "plain_text_input", "value": uid}},
        mod.DURATION_BLOCK_ID: {
            mod.DURATION_ACTION_ID: {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": duration},
            }
        },
        mod.REASON_BLOCK_ID: {mod.REASON_ACTION_ID: {"type": "plain_text_input", "value": reason}},
    }
    mark = _mark(app)
    response = app.signed(view_submission_body(mod.VIEW_BAN, metadata, values, user_id=user))
    assert response.status == 200
    if response.body:
        assert_valid_ack(json.loads(response.body), where="ban modal step 1")
    app.settle()
    # Step 1 validates, then reads who the ban is about for step 2: whatever was typed, nothing
    # is written upstream, and what is read names only the typed user and the form's group.
    named = {(uid or "").strip(), _form_guid(metadata)}
    for rec in app.cometchat.requests[mark:]:
        assert rec.method == "GET", f"{rec.method} {rec.path} from step 1"
        found = spec.check_request(rec.method, rec.path, rec.query, rec.headers)
        assert set(found.path_values.values()) <= named, rec.path


def _form_guid(metadata: str) -> str:
    try:
        return BanRef.decode(metadata).guid
    except BadCursor:
        return ""


@seed(HYPOTHESIS_SEED)
@property_settings
@given(metadata=hostile.button_value, user=st.sampled_from([MODERATOR, "U0VIEWER", ""]))
def test_a_forged_ban_confirmation_never_writes_what_it_does_not_name(app, metadata, user):
    from bot.slack import moderation_blocks as mod
    from tests.support.tour import view_submission_body

    mark = _mark(app)
    response = app.signed(view_submission_body(mod.VIEW_BAN_CONFIRM, metadata, {}, user_id=user))
    assert response.status == 200
    app.settle()
    try:
        ref = BanRef.decode(metadata)
    except Exception:
        ref = None
    for rec in app.cometchat.requests[mark:]:
        found = spec.check_request(rec.method, rec.path, rec.query, rec.headers)
        if rec.method in WRITES:
            # Only a moderator's confirmation of a well-formed pending ban may write, and only it.
            assert user == MODERATOR and ref is not None and ref.uid is not None
            assert found.path_values == {"guid": ref.guid, "uid": ref.uid}


# -- CometChat webhooks (the live feed) -------------------------------------------------------

WEBHOOK_PASSWORD = "property-webhook-password"


@pytest.fixture(scope="module")
def feed_app() -> Iterator[Harness]:
    from tests.support.tour import tour_settings

    with harness(_fake(), **tour_settings(webhook_password=WEBHOOK_PASSWORD)) as built:
        yield built


def _webhook_bodies() -> st.SearchStrategy[bytes]:
    from tests.support.webhook_payloads import TRIGGERS, example

    person = st.fixed_dictionaries(
        {"uid": hostile.legal_id},
        optional={"name": hostile.hostile_text, "avatar": hostile.hostile_text},
    )

    def build(trigger, guid, name, members, by, junk):
        body = example(trigger if trigger in TRIGGERS else TRIGGERS[0])
        body["trigger"] = trigger
        body["data"]["group"].update(guid=guid, name=name)
        template = next(iter(body["data"]["members"].values()))
        body["data"]["members"] = {m["uid"]: {**template, **m} for m in members}
        if by is not None:
            body["data"]["by"] = {**body["data"].get("by", {}), **by}
        if junk is not None:
            body["data"]["extra"] = junk
        return json.dumps(body).encode()

    # Well-formed events with hostile contents (they reach the renderer), and broken ones.
    well_formed = st.builds(
        build,
        st.sampled_from(TRIGGERS),
        hostile.legal_id.filter(lambda g: g.strip(".")),
        hostile.hostile_text,
        st.lists(person, min_size=1, max_size=40),
        st.none() | person,
        st.none() | hostile.json_values(finite=True),
    )
    broken = st.builds(
        build,
        hostile.hostile_text,
        hostile.hostile_text,
        hostile.hostile_text,
        st.lists(person, max_size=3),
        st.none() | person,
        st.none(),
    )
    raw = st.one_of(
        hostile.json_values().map(lambda v: json.dumps(v, allow_nan=True).encode()),
        st.binary(max_size=300),
    )
    return st.one_of(well_formed, well_formed, well_formed, broken, raw)


@seed(HYPOTHESIS_SEED)
@property_settings
@given(body=_webhook_bodies())
def test_any_webhook_body_is_answered_and_posts_only_valid_messages(feed_app, body):
    from tests.support.slack_limits import assert_no_injected_markup
    from tests.support.tour import deliver_webhook

    slack_mark, cc_mark = len(feed_app.slack.received), _mark(feed_app)
    status = deliver_webhook(feed_app, body, password=WEBHOOK_PASSWORD)
    # Malformed or unknown: 200 all the same, so CometChat does not retry it forever.
    assert status.startswith(("200", "413")), status
    feed_app.settle()
    posts = feed_app.slack.received[slack_mark:]
    assert len(posts) <= 1, "one event, one message"
    for post in posts:
        assert_valid_slack_post(post.path, post.body)
        blocks = post.body.get("blocks")
        message = {**post.body, "blocks": json.loads(blocks) if isinstance(blocks, str) else []}
        assert_no_injected_markup(message)
    for rec in feed_app.cometchat.requests[cc_mark:]:
        spec.check_request(rec.method, rec.path, rec.query, rec.headers)


# -- CSV export of hostile data ---------------------------------------------------------------

_export_groups = iter(range(10**9))


@seed(HYPOTHESIS_SEED)
@settings(max_examples=60)  # each example is a full export (DM, upload, completion)
@given(
    users=st.lists(
        st.fixed_dictionaries(
            {"uid": hostile.legal_id},
            optional={
                "name": hostile.hostile_text,
                "role": hostile.hostile_text,
                "status": hostile.hostile_text,
            },
        ),
        max_size=30,
        unique_by=lambda u: u["uid"],
    )
)
def test_an_export_of_hostile_names_is_one_row_per_user_and_never_a_formula(app, users):
    import csv
    import io

    from bot.slack.list_tools import ACTION_EXPORT

    guid = f"export-{next(_export_groups)}"
    app.cometchat.groups[guid] = {"guid": guid, "name": '=HYPERLINK("http://x")'}
    app.cometchat.banned[guid] = users
    mark = len(app.slack.received)
    value = PageCursor(guid=guid, page=1, per_page=10).encode()
    reply = app.click(ACTION_EXPORT, value)
    assert reply.status == 200
    app.settle()
    uploads = [r for r in app.slack.received[mark:] if r.path.startswith("/upload/")]
    assert len(uploads) == 1, [r.path for r in app.slack.received[mark:]]
    limit = csv.field_size_limit(10**7)  # a 40 kB name is one (long) cell, still valid CSV
    try:
        rows = list(csv.reader(io.StringIO(uploads[0].raw.decode("utf-8-sig"), newline="")))
    finally:
        csv.field_size_limit(limit)
    header, body = rows[0], rows[1:]
    assert len(body) == len(users), "one row per banned user, whatever their names hold"
    uids = [row[header.index("uid")] for row in body]
    assert [u.removeprefix("'") for u in uids] == [u["uid"] for u in users]
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value[:80]


# -- raw bodies at the Slack endpoint -------------------------------------------------------------


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_raw_bodies = st.one_of(
    st.binary(max_size=2000),
    hostile.hostile_text.map(lambda t: t.encode("utf-8")),
    hostile.json_values().map(lambda v: json.dumps(v, allow_nan=True).encode()),
    hostile.json_values().map(
        lambda v: b"payload=" + quote(json.dumps(v, allow_nan=True)).encode()
    ),
    st.integers(1, 200_000).map(lambda n: b"payload=" + b"%5B" * n),
    hostile.hostile_text.map(lambda t: b"payload=" + quote(t).encode()),
)


@seed(HYPOTHESIS_SEED)
@property_settings
@given(
    body=_raw_bodies,
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "text/plain", ""]
    ),
    signed=st.booleans(),
)
def test_no_body_makes_the_slack_endpoint_fail(http_app, body, content_type, signed):
    # Signed or not, a body that is not a Slack payload is refused, never a 500 with a traceback.
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    mark = _mark(http_app)
    try:
        headers = {"content-type": content_type} if content_type else {}
        if signed:
            headers.update(
                sign(body, secret=http_app.settings.slack_signing_secret.get_secret_value())
            )
        answer = http_app.http.post("/slack/events", content=body, headers=headers)
        http_app.settle()
    finally:
        logging.getLogger().removeHandler(errors)
    assert answer.status_code in {200, 400, 401, 404, 413}, answer.status_code
    assert [r.getMessage()[:200] for r in errors.records] == []
    for rec in http_app.cometchat.requests[mark:]:
        spec.check_request(rec.method, rec.path, rec.query, rec.headers)


# -- a model of moderation: any sequence of list, page, ban and unban ---------------------------


class ModerationModel(RuleBasedStateMachine):
    """Drive the real app with random sequences; after each step the list shown must equal a
    plain Python model of who is banned: right users on the right page, right count, buttons
    only where they lead somewhere, and exactly one CometChat write per ban/unban click."""

    GUID = "model-group"
    PER_PAGE = 3

    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeCometChat()
        self.fake.add_group(self.GUID, "Model Group", banned=7)
        self._running = harness(self.fake, page_size=self.PER_PAGE)
        self.h = self._running.__enter__()
        self.model = [u["uid"] for u in self.fake.banned[self.GUID]]
        self.writes = 0
        self.gone: list[str] = []  # Unban values of users no longer banned (stale buttons)
        self.message = self._shown(self.h.command(self.GUID))

    def teardown(self) -> None:
        self._running.__exit__(None, None, None)

    # -- reading what the user sees ------------------------------------------------------

    def _shown(self, reply: Reply) -> dict:
        self.h.settle()
        pages = [m for m in reply.messages if _header(m)]
        assert len(pages) == 1, [m.get("text") for m in reply.messages]
        return pages[0]

    def _page(self) -> int:
        from bot.slack.moderation_blocks import ACTION_BAN_OPEN

        (opener,) = _elements(self.message, ACTION_BAN_OPEN)
        return json.loads(opener["value"])["c"]["p"]

    def _cursor(self) -> PageCursor:
        return PageCursor(guid=self.GUID, page=self._page(), per_page=self.PER_PAGE)

    # -- rules ---------------------------------------------------------------------------

    @rule()
    def list_again(self) -> None:
        self.message = self._shown(self.h.command(self.GUID))

    @precondition(lambda self: _elements(self.message, "banned_page_next"))
    @rule()
    def next_page(self) -> None:
        (button,) = _elements(self.message, "banned_page_next")
        self.message = self._shown(self.h.click("banned_page_next", button["value"]))

    @precondition(lambda self: _elements(self.message, "banned_page_previous"))
    @rule()
    def previous_page(self) -> None:
        (button,) = _elements(self.message, "banned_page_previous")
        self.message = self._shown(self.h.click("banned_page_previous", button["value"]))

    @precondition(lambda self: _elements(self.message, "banned_unban"))
    @rule(pick=st.integers(0, 10))
    def unban(self, pick: int) -> None:
        buttons = _elements(self.message, "banned_unban")
        button = buttons[pick % len(buttons)]
        uid = json.loads(button["value"])["u"]
        self.message = self._shown(self.h.unban(button["value"]))  # asked, then confirmed
        self.model.remove(uid)
        self.gone.append(button["value"])
        self.writes += 1

    @precondition(lambda self: self.gone)
    @rule(pick=st.integers(0, 10))
    def unban_again(self, pick: int) -> None:
        value = self.gone[pick % len(self.gone)]
        uid = json.loads(value)["u"]
        self.message = self._shown(self.h.unban(value))
        notice = self.message["blocks"][0]["text"]["text"]
        if uid in self.model:  # banned again since: the old button unbans again
            assert "Unbanned" in notice, notice
            self.model.remove(uid)
        else:  # sent once, refused by CometChat ("not banned"): nothing changes
            assert "not banned" in notice, notice
        self.writes += 1

    @precondition(lambda self: _elements(self.message, "banned_pick"))
    @rule(picks=st.sets(st.integers(0, 10), min_size=1, max_size=3))
    def unban_selected(self, picks: set[int]) -> None:
        from bot.slack.moderation_blocks import ACTION_PICKED, ACTION_PICKED_CONFIRM, PICK_LABEL
        from tests.support.fakes.slack import ticks

        boxes = [box["options"][0] for box in _elements(self.message, "banned_pick")]
        chosen = {boxes[p % len(boxes)]["value"]: boxes[p % len(boxes)] for p in picks}
        state = ticks(
            *((uid, o["text"]["text"].removeprefix(PICK_LABEL)) for uid, o in chosen.items())
        )
        (button,) = _elements(self.message, ACTION_PICKED)
        asked = self.h.click(ACTION_PICKED, button["value"], state=state, answered=True)
        (confirm,) = [b for m in asked.messages for b in _elements(m, ACTION_PICKED_CONFIRM)]
        self.message = self._shown(
            self.h.click(ACTION_PICKED_CONFIRM, confirm["value"], answered=True)
        )
        notice = self.message["blocks"][0]["text"]["text"]
        assert f"Unbanned {len(chosen)}: " in notice, notice
        for uid in chosen:
            self.model.remove(uid)
            self.gone.append(UnbanRef(guid=self.GUID, uid=uid, cursor=self._cursor()).encode())
        self.writes += len(chosen)

    @rule(k=st.integers(0, 4))
    def ban(self, k: int) -> None:
        from bot.slack.moderation_blocks import ACTION_BAN_CONFIRM

        uid = f"new-{k}"
        value = BanRef(guid=self.GUID, uid=uid, cursor=self._cursor()).encode()
        self.message = self._shown(self.h.click(ACTION_BAN_CONFIRM, value))
        if uid not in self.model:
            self.model.append(uid)
        self.writes += 1

    # -- what must always hold -----------------------------------------------------------

    @invariant()
    def the_list_matches_the_model(self) -> None:
        page, n, total = self._page(), self.PER_PAGE, len(self.model)
        expected = self.model[(page - 1) * n : page * n]
        assert _uids_in(self.message) == expected, (page, self.model)
        if total:
            assert expected, f"page {page} shown empty although {total} are banned"
            assert f"*{total}* banned" in json.dumps(self.message), total
        has_next = bool(_elements(self.message, "banned_page_next"))
        has_previous = bool(_elements(self.message, "banned_page_previous"))
        assert has_next == (page * n < total), (page, total)
        assert has_previous == (page > 1), page

    @invariant()
    def one_write_per_click(self) -> None:
        writes = [r for r in self.fake.requests if r.method in WRITES]
        assert len(writes) == self.writes, [f"{r.method} {r.path}" for r in writes]


def _header(message: dict) -> bool:
    return any(b.get("block_id") == "banned_header" for b in message.get("blocks", []))


def _elements(message: dict, action_id: str) -> list[dict]:
    return [
        element
        for block in message.get("blocks", [])
        for element in block.get("elements", [])
        if isinstance(element, dict) and element.get("action_id") == action_id
    ]


def _uids_in(message: dict) -> list[str]:
    return [
        b["text"]["text"].split("`")[1]
        for b in message.get("blocks", [])
        if b.get("block_id", "").startswith("banned_user_")
    ]


TestModerationModel = seed(HYPOTHESIS_SEED)(ModerationModel).TestCase
TestModerationModel.settings = settings(
    max_examples=25, stateful_step_count=15, deadline=None, database=None
)
