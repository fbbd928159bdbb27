"""The App Home tab through the real app: a signed `app_home_opened` event, the view published
with `views.publish` (FakeSlack records it), the chart served by the real WSGI app, *Unban now*,
and the refresh when events are recorded. Time is a fake clock; waits are on conditions."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.charts.cache import PNG_MAGIC, ChartCache, DailyCounts
from bot.domain.button_values import ActionRef, UnbanRef
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.slack.home_blocks import ACTION_FIND_USER, ACTION_HOME_UNBAN
from bot.slack.moderation_blocks import ACTION_ACT_CANCEL, ACTION_ACT_CONFIRM
from bot.slack.picker import ACTION_PICK_GROUP
from bot.web.wsgi import create_wsgi_app
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import SIGNING_SECRET, home_click_body, home_opened_body
from tests.support.harness import MODERATOR, Harness, harness
from tests.support.slack_limits import assert_no_injected_markup, assert_valid_slack_post
from tests.support.slack_messages import buttons

GUID = "cometchat-guid-1"
PUBLIC_URL = "https://bot.example.com"
VIEWER, OUTSIDER = "U0VIEWER", "U0OUTSIDER"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PUBLISH = "/api/views.publish"


class Clock:
    """Unix seconds, moved by the test."""

    def __init__(self, start: datetime = T0):
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _fake() -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=3)  # user-001 … user-003
    return fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def h(clock: Clock) -> Iterator[Harness]:
    with harness(
        _fake(),
        home_clock=clock,
        public_url=PUBLIC_URL,
        viewer_user_ids=f"{MODERATOR},{VIEWER}",
    ) as built:
        yield built
        for item in list(built.slack.received):
            assert_valid_slack_post(item.path, item.body)


def record(h: Harness, at: datetime, action=ModerationAction.BAN, **extra: Any) -> ModerationEvent:
    values: dict[str, Any] = {
        "guid": GUID,
        "uid": "user-001",
        "action": action,
        "source": EventSource.COMMAND,
        "at": at,
        "actor": "UALICE",
    }
    values.update(extra)
    return h.services.store.record(ModerationEvent(**values))


def publishes(h: Harness) -> list[dict[str, Any]]:
    return [r.body for r in h.slack.received if r.path == PUBLISH]


def open_home(h: Harness, user: str = MODERATOR, *, expect: int = 1) -> dict[str, Any]:
    """Open the tab as `user`; wait for the `expect`-th publish overall; return its view."""
    response = h.signed_json(home_opened_body(user))
    assert response.status == 200
    h.slack.wait_for(expect, path_prefix=PUBLISH)
    h.settle()
    body = publishes(h)[-1]
    assert body["user_id"] == user
    return view_of(body)


def view_of(body: dict[str, Any]) -> dict[str, Any]:
    return json.loads(body["view"]) if isinstance(body["view"], str) else body["view"]


def block(view: dict[str, Any], block_id: str) -> dict[str, Any] | None:
    return next((b for b in view["blocks"] if b.get("block_id") == block_id), None)


def texts(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"])


def chart_client(h: Harness) -> httpx.Client:
    wsgi = create_wsgi_app(h.app, signing_secret=SIGNING_SECRET, charts=h.services.home.chart_png)
    return httpx.Client(transport=httpx.WSGITransport(app=wsgi), base_url=PUBLIC_URL)


def test_opening_home_publishes_one_view_with_events_ending_bans_and_a_chart_that_serves(
    h: Harness, clock: Clock
):
    record(h, T0 - timedelta(days=2), uid="user-002", reason="<!channel> spam & worse")
    record(h, T0 - timedelta(days=1), action=ModerationAction.UNBAN, uid="user-002")
    record(h, T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=2), name="Pat <b>")
    record(h, T0 - timedelta(hours=1), uid="user-003", ends_at=T0 + timedelta(days=3))

    view = open_home(h)

    assert len(publishes(h)) == 1
    assert view["type"] == "home"
    assert_no_injected_markup(view, mentions=["UALICE"])
    recent = [b for b in view["blocks"] if b.get("block_id", "").startswith("home_recent_")]
    assert len(recent) == 1 + 4  # the title, then the four events, newest first
    assert "user-003" in recent[1]["text"]["text"] and "user-002" in recent[-1]["text"]["text"]
    assert "&lt;!channel&gt; spam &amp; worse" in texts(view)
    # Only the ban ending within 24 hours, with Unban now behind a confirm dialog.
    ending = block(view, "home_ending_0")
    assert ending is not None and "user-001" in ending["text"]["text"]
    assert block(view, "home_ending_1") is None
    (unban,) = buttons(view, ACTION_HOME_UNBAN)
    assert "confirm" not in unban  # the click asks, with the user's card
    assert UnbanRef.decode(unban["value"]) == UnbanRef(guid=GUID, uid="user-001")
    assert buttons(view, ACTION_PICK_GROUP) and buttons(view, ACTION_FIND_USER)

    image = block(view, "home_chart")
    assert image is not None and image["type"] == "image"
    url = image["image_url"]
    assert url.startswith(f"{PUBLIC_URL}/charts/") and url.endswith(".png")
    with chart_client(h) as web:
        served = web.get(url)
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/png"
        assert served.content.startswith(PNG_MAGIC)
        assert web.get(url).content == served.content
        assert h.services.home.charts.renders == 1  # cached until the numbers change

        token = url.rsplit("/", 1)[1][: -len(".png")]
        window, mac = token.split(".")
        altered_window = window.replace("-30-", "-31-")
        flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
        for bad in (f"{altered_window}.{mac}", f"{window}.{flipped}", "nonsense"):
            refused = web.get(f"/charts/{bad}.png")
            assert refused.status_code == 404 and PNG_MAGIC not in refused.content

        clock.advance(5 * 3600)  # past the token's expiry
        expired = web.get(url)
        assert expired.status_code == 404 and PNG_MAGIC not in expired.content


def test_a_viewer_the_lists_refuse_gets_the_short_view_and_nothing_else(h: Harness):
    record(h, T0 - timedelta(hours=1), reason="secret reason")

    view = open_home(h, OUTSIDER)

    assert block(view, "home_refused") is not None
    assert len(view["blocks"]) == 2
    assert "user-001" not in texts(view) and "secret reason" not in texts(view)


def test_a_viewer_sees_the_list_without_unban_buttons(h: Harness):
    record(h, T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=2))

    view = open_home(h, VIEWER)

    assert block(view, "home_ending_0") is not None
    assert buttons(view, ACTION_HOME_UNBAN) == []


def test_other_tabs_publish_nothing(h: Harness):
    response = h.signed_json(home_opened_body(MODERATOR, tab="messages"))
    assert response.status == 200
    h.settle()
    assert publishes(h) == []


def test_unban_now_asks_with_the_card_then_unbans_and_publishes_the_view_again(
    h: Harness, clock: Clock
):
    record(h, T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=2))
    view = open_home(h)
    (unban,) = buttons(view, ACTION_HOME_UNBAN)
    clock.advance(120)  # a refresh would be due: the click's own publish takes its place

    response = h.signed(home_click_body({**unban, "block_id": "home_ending_0", "action_ts": "1"}))

    assert response.status == 200
    h.slack.wait_for(2, path_prefix=PUBLISH)
    h.settle()
    asked = view_of(publishes(h)[-1])
    assert block(asked, "act_question")["text"]["text"] == (
        f":warning: Unban `user-001` from group `{GUID}`?"
    )
    assert block(asked, "card_profile")["text"]["text"].startswith("*User 001* `user-001`")
    assert not [r for r in h.cometchat.requests if r.method == "DELETE"]  # nothing changed yet
    cancel, confirm = buttons(asked, ACTION_ACT_CANCEL)[0], buttons(asked, ACTION_ACT_CONFIRM)[0]

    h.signed(home_click_body({**cancel, "block_id": "act_buttons", "action_ts": "2"}))
    h.slack.wait_for(3, path_prefix=PUBLISH)
    h.settle()
    cancelled = view_of(publishes(h)[-1])
    assert "Cancelled. Nobody was unbanned." in block(cancelled, "home_notice")["text"]["text"]
    assert block(cancelled, "act_question") is None
    assert any(u["uid"] == "user-001" for u in h.cometchat.banned[GUID])

    h.signed(home_click_body({**confirm, "block_id": "act_buttons", "action_ts": "3"}))
    h.slack.wait_for(4, path_prefix=PUBLISH)
    h.settle()
    assert len(publishes(h)) == 4
    assert all(u["uid"] != "user-001" for u in h.cometchat.banned[GUID])
    (latest, *_) = h.services.store.recent_events(1)
    assert (latest.action, latest.uid, latest.source, latest.actor) == (
        ModerationAction.UNBAN,
        "user-001",
        EventSource.BUTTON,
        MODERATOR,
    )
    after = view_of(publishes(h)[-1])
    assert block(after, "home_notice") is not None
    assert block(after, "home_ending_0") is None  # no longer ending: it has ended


def test_unban_now_from_a_viewer_is_refused_and_changes_nothing(h: Harness):
    record(h, T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=2))
    value = UnbanRef(guid=GUID, uid="user-001").encode()
    action = {"type": "button", "action_id": ACTION_HOME_UNBAN, "value": value, "block_id": "b"}
    confirm = ActionRef(action=ModerationAction.UNBAN, guid=GUID, uid="user-001").encode()
    forged = {"type": "button", "action_id": ACTION_ACT_CONFIRM, "value": confirm, "block_id": "b"}

    response = h.signed(home_click_body(action, user_id=VIEWER))
    assert h.signed(home_click_body(forged, user_id=VIEWER)).status == 200

    assert response.status == 200
    h.settle()
    assert any(u["uid"] == "user-001" for u in h.cometchat.banned[GUID])
    assert not [r for r in h.cometchat.requests if r.method == "DELETE"]
    assert h.services.store.recent_events(1)[0].action is ModerationAction.BAN


def test_without_a_public_url_the_counts_are_text(clock: Clock):
    with harness(_fake(), home_clock=clock) as h:
        record(h, T0 - timedelta(days=3))
        record(h, T0 - timedelta(days=3), uid="user-002")
        record(h, T0 - timedelta(days=1), action=ModerationAction.UNBAN)

        view = open_home(h)

        assert not [b for b in view["blocks"] if b["type"] == "image"]
        counts = block(view, "home_chart_text")
        assert counts is not None
        text = counts["text"]["text"]
        assert "2 bans, 1 unban" in text
        assert "`Feb 26` 2 bans, 0 unbans" in text and "`Feb 28` 0 bans, 1 unban" in text


def test_events_refresh_open_views_at_most_once_a_minute_each(h: Harness, clock: Clock):
    open_home(h)  # publish 1
    open_home(h, VIEWER, expect=2)  # publish 2

    clock.advance(10)
    record(h, T0)  # both were published 10 s ago: no refresh yet, one deferred each
    h.settle()
    assert len(publishes(h)) == 2
    assert [delay for delay, _ in h.deferred] == [50, 50]
    h.deferred.clear()

    clock.advance(55)
    for uid in ("user-002", "user-003"):  # a burst: one refresh each
        record(h, T0, uid=uid)
    h.slack.wait_for(4, path_prefix=PUBLISH)
    h.settle()
    assert sorted(p["user_id"] for p in publishes(h)[2:]) == sorted([MODERATOR, VIEWER])

    clock.advance(2 * 3600)  # opened more than an hour ago: no longer refreshed
    record(h, T0, action=ModerationAction.UNBAN)
    h.settle()
    assert len(publishes(h)) == 4


def test_a_slack_error_publishing_is_logged_with_a_hint_and_never_raised(h: Harness, caplog):
    h.slack.api_answers["views.publish"] = lambda _r: {
        "ok": False,
        "error": "missing_scope",
        "needed": "views:write",
    }
    assert h.signed_json(home_opened_body(MODERATOR)).status == 200
    h.slack.wait_for(1, path_prefix=PUBLISH)
    h.settle()
    assert h.services.home.publish(MODERATOR) is False
    line = next(r.getMessage() for r in caplog.records if "home_publish" in r.getMessage())
    assert "missing_scope" in line and "reinstall" in line


class _Unreadable(io.RawIOBase):
    def read(self, *_args: Any) -> bytes:
        raise AssertionError("the chart endpoint read a body")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_the_chart_endpoint_refuses_other_methods_without_reading_a_body(h: Harness, method):
    wsgi = create_wsgi_app(h.app, signing_secret=SIGNING_SECRET, charts=h.services.home.chart_png)
    seen: list[tuple[str, list]] = []
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/charts/whatever.png",
        "CONTENT_LENGTH": "100",
        "wsgi.input": _Unreadable(),
    }
    body = b"".join(wsgi(environ, lambda status, headers: seen.append((status, headers))))
    ((status, headers),) = seen
    assert status.startswith("405") and ("Allow", "GET, HEAD") in headers
    assert PNG_MAGIC not in body


def test_the_chart_endpoint_never_reads_a_get_body_and_answers_head_empty(h: Harness):
    record(h, T0 - timedelta(hours=1))
    url = h.services.home.chart_url(h.services.home.snapshot(MODERATOR).counts)
    wsgi = create_wsgi_app(h.app, signing_secret=SIGNING_SECRET, charts=h.services.home.chart_png)
    h.services.home.charts = ChartCache(lambda _counts: PNG_MAGIC + b"fake")  # no child here
    for method in ("GET", "HEAD"):
        seen: list[str] = []

        def start(status: str, _headers: list, seen: list[str] = seen) -> None:
            seen.append(status)

        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": url[len(PUBLIC_URL) :],
            "CONTENT_LENGTH": "5",
            "wsgi.input": _Unreadable(),
        }
        body = b"".join(wsgi(environ, start))
        assert seen == ["200 OK"]
        assert body == (PNG_MAGIC + b"fake" if method == "GET" else b"")


def test_picking_a_group_in_home_sends_its_list_to_the_users_dm(h: Harness):
    action = {
        "type": "external_select",
        "action_id": ACTION_PICK_GROUP,
        "block_id": "banned_picker",
        "selected_option": {"text": {"type": "plain_text", "text": "Hiking"}, "value": GUID},
        "action_ts": "1",
    }

    assert h.signed(home_click_body(action, user_id=VIEWER)).status == 200

    h.slack.wait_for(1, path_prefix="/api/chat.postMessage")
    h.settle()
    (opened,) = [r for r in h.slack.received if r.path == "/api/conversations.open"]
    assert opened.body["users"] == VIEWER
    (posted,) = [r for r in h.slack.received if r.path == "/api/chat.postMessage"]
    assert posted.body["channel"] == "D0" + VIEWER[1:]
    assert "user-001" in json.dumps(posted.body)


def test_a_chart_slack_cannot_fetch_is_dropped_and_the_view_still_published(h: Harness):
    record(h, T0 - timedelta(hours=1))
    url = h.services.home.chart_url(h.services.home.snapshot(MODERATOR).counts)
    h.slack.unreachable_images.add(url)

    assert h.signed_json(home_opened_body(MODERATOR)).status == 200

    h.slack.wait_for(2, path_prefix=PUBLISH)
    h.settle()
    first, second = (view_of(p) for p in publishes(h))
    assert block(first, "home_chart") is not None
    assert block(second, "home_chart") is None and block(second, "home_recent_0") is not None


def test_bolt_answers_slacks_url_verification_at_the_events_path(h: Harness):
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"}).encode()
    response = h.signed_json(body)
    assert response.status == 200
    assert json.loads(response.body) == {"challenge": "c-123"}


def test_an_event_inside_the_minute_is_shown_when_the_minute_is_up(h: Harness, clock: Clock):
    """The throttle defers, it does not drop: one refresh per user once the minute is up."""
    open_home(h)
    clock.advance(20)
    for uid in ("user-001", "user-002", "user-003"):  # a burst inside the minute
        record(h, T0, uid=uid)
    h.settle()
    assert len(publishes(h)) == 1
    ((delay, refresh),) = h.deferred  # one deferred refresh, when the minute is up
    assert delay == pytest.approx(40)

    clock.advance(40)
    refresh()
    h.slack.wait_for(2, path_prefix=PUBLISH)
    h.settle()
    assert "user-003" in texts(view_of(publishes(h)[-1]))

    clock.advance(1)
    record(h, T0, action=ModerationAction.UNBAN)
    (_, again) = h.deferred[1]
    clock.advance(1)
    open_home(h, expect=3)  # opened again after that event: the deferred refresh adds nothing
    again()
    h.settle()
    assert len(publishes(h)) == 3


# -- the chart is drawn again only for new numbers, once a minute at most ------------------------


def _draw(counts: DailyCounts) -> bytes:
    return PNG_MAGIC + repr(counts.totals).encode()


def test_the_chart_is_drawn_again_only_for_new_numbers_and_once_a_minute_at_most(
    h: Harness, clock: Clock
):
    home = h.services.home
    home.charts = ChartCache(_draw, clock=clock)
    record(h, T0 - timedelta(hours=1))
    url = home.chart_url(home.snapshot(MODERATOR).counts)
    with chart_client(h) as web:
        assert web.get(url).content == _draw_totals(1, 0)
        assert home.charts.renders == 1

        # A kick changes no charted number: the same picture, however late.
        record(h, T0, ModerationAction.KICK)
        clock.advance(120)
        assert web.get(url).content == _draw_totals(1, 0)
        assert home.charts.renders == 1

        record(h, T0, ModerationAction.UNBAN)  # a new number, long after the last drawing
        assert web.get(url).content == _draw_totals(1, 1)
        assert home.charts.renders == 2

        record(h, T0)  # another, 30 s after that drawing: the previous picture stands
        clock.advance(30)
        assert web.get(url).content == _draw_totals(1, 1)
        assert home.charts.renders == 2

        clock.advance(30)  # the minute is up
        assert web.get(url).content == _draw_totals(2, 1)
        assert home.charts.renders == 3


def _draw_totals(bans: int, unbans: int) -> bytes:
    return PNG_MAGIC + repr((bans, unbans)).encode()
