"""Avatars are URLs a banned user chooses: only https ones are shown, and a page Slack refuses
for an image it could not download is posted again without images."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from bot.domain.button_values import PageCursor
from bot.slack.banned_page import ACTION_NEXT
from bot.slack.delivery import Responder
from bot.slack.list_tools import ACTION_SHARE
from bot.slack.payloads import without_images
from tests.conftest import GUID
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import image_urls
from tests.support.harness import Harness, harness

UNREACHABLE = "https://tracker.example/u12.png"  # Slack "cannot download" it (FakeSlack)
HOSTILE_AVATARS = {
    3: "http://tracker.example/in-clear.png",
    4: "data:image/png;base64,AAAA",
    5: "javascript:alert(1)",
    6: "//tracker.example/no-scheme.png",
    7: "https://slack.com@tracker.example/userinfo.png",
}
SECTION = {"type": "section", "block_id": "s", "text": {"type": "mrkdwn", "text": "*Ann*"}}
AVATAR = {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "Ann"}


def images_in(message: dict) -> list[str]:
    """Every image URL anywhere in a message."""
    return [url for _pointer, url in image_urls(message)]


def user_rows(message: dict) -> list[str]:
    return [
        block["text"]["text"]
        for block in message["blocks"]
        if block.get("block_id", "").startswith("banned_user_")
    ]


# -- without_images: pure ---------------------------------------------------------------------


def test_without_images_drops_accessories_image_blocks_and_image_only_contexts():
    payload = {
        "replace_original": True,
        "text": "fallback",
        "blocks": [
            {**SECTION, "accessory": AVATAR},
            {**AVATAR, "block_id": "picture"},
            {"type": "context", "elements": [AVATAR, {"type": "mrkdwn", "text": "Ann, banned"}]},
            {"type": "context", "block_id": "faces", "elements": [AVATAR, AVATAR]},
            {"type": "section", "text": SECTION["text"], "accessory": {"type": "button"}},
        ],
    }
    before = json.dumps(payload)

    stripped = without_images(payload)

    assert json.dumps(payload) == before  # the original is untouched
    assert images_in(stripped) == []
    assert stripped["replace_original"] is True and stripped["text"] == "fallback"
    assert stripped["blocks"] == [
        SECTION,
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Ann, banned"}]},
        {"type": "section", "text": SECTION["text"], "accessory": {"type": "button"}},
    ]


def test_without_images_leaves_a_message_without_images_as_it_was():
    payload = {"text": "t", "blocks": [SECTION, {"type": "divider"}]}
    assert without_images(payload) == payload
    assert without_images({"text": "only text"}) == {"text": "only text"}


def test_a_message_of_images_only_keeps_its_text():
    assert without_images({"text": "t", "blocks": [AVATAR]}) == {"text": "t"}


# -- Responder.post: one retry without images, never a loop -------------------------------------


class Slack:
    """A response_url that answers each POST from a script (the last answer repeats)."""

    def __init__(self, *answers: httpx.Response):
        self.answers = list(answers)
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


REFUSED_TEXT = httpx.Response(400, text="invalid_blocks")
REFUSED_JSON = httpx.Response(
    200,
    json={
        "ok": False,
        "error": "invalid_blocks",
        "errors": ["downloading image failed [json-pointer:/blocks/0/accessory/image_url]"],
    },
)
OK = httpx.Response(200, json={"ok": True})
PAGE = {"replace_original": True, "text": "t", "blocks": [{**SECTION, "accessory": AVATAR}]}


def post(slack: Slack, payload: dict) -> bool:
    responder = Responder(httpx.Client(transport=httpx.MockTransport(slack)), workers=1, backlog=4)
    try:
        return responder.post("https://hooks.slack.test/r/1", payload)
    finally:
        responder.drain(1)


def delivery_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.delivery"]


@pytest.mark.parametrize("refusal", [REFUSED_TEXT, REFUSED_JSON], ids=["webhook-text", "json"])
def test_a_page_refused_for_its_blocks_goes_again_without_images(refusal, caplog):
    caplog.set_level(logging.WARNING, logger="bot.delivery")
    slack = Slack(refusal, OK)

    assert post(slack, PAGE) is True

    first, second = slack.bodies
    assert first == PAGE and second == without_images(PAGE) and images_in(second) == []
    (line,) = delivery_lines(caplog)
    assert "event=response_url_images_dropped" in line and "refused=invalid_blocks" in line
    assert AVATAR["image_url"] not in line


def test_refused_again_without_images_stops_after_the_second_post(caplog):
    caplog.set_level(logging.WARNING, logger="bot.delivery")
    slack = Slack(REFUSED_TEXT)  # refuses everything, images or not

    assert post(slack, PAGE) is False

    assert len(slack.bodies) == 2
    dropped, failed = delivery_lines(caplog)
    assert "event=response_url_images_dropped" in dropped
    assert "event=response_url_failed" in failed and "outcome=invalid_blocks" in failed


def test_a_refused_message_without_images_is_not_posted_twice(caplog):
    caplog.set_level(logging.WARNING, logger="bot.delivery")
    slack = Slack(REFUSED_TEXT)

    assert post(slack, {"text": "t", "blocks": [SECTION]}) is False

    assert len(slack.bodies) == 1
    (line,) = delivery_lines(caplog)
    assert "event=response_url_failed" in line and "outcome=invalid_blocks" in line


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(404, text="expired_url"),
        httpx.Response(400, text="invalid_payload"),
        httpx.Response(500, text="invalid_blocks_or_something_else"),
    ],
)
def test_other_refusals_keep_the_images_and_are_not_retried(answer, caplog):
    caplog.set_level(logging.WARNING, logger="bot.delivery")
    slack = Slack(answer)

    assert post(slack, PAGE) is False

    assert slack.bodies == [PAGE]
    (line,) = delivery_lines(caplog)
    assert f"outcome=http_{answer.status_code}" in line


# -- through the real app ---------------------------------------------------------------------


@pytest.fixture
def fake() -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group(GUID, "Hiking Group", banned=57)
    for index, url in HOSTILE_AVATARS.items():
        fake.banned[GUID][index - 1]["avatar"] = url
    fake.banned[GUID][11]["avatar"] = UNREACHABLE  # user-012, on page 2
    return fake


@pytest.fixture
def app(fake: FakeCometChat):
    with harness(fake) as h, h.serve_http():
        yield h


def settle_and_collect(h: Harness, path: str) -> list[dict]:
    h.settle()
    return [r.body for r in h.slack.received if r.path == path]


def test_only_https_avatars_with_a_host_reach_slack(app):
    first_page = PageCursor(guid=GUID, page=1, per_page=10).encode()

    reply = app.click(ACTION_NEXT, first_page)  # a page delivered through response_url

    (page,) = settle_and_collect(app, reply.posts[0].path)
    shown = images_in(page)
    assert shown == [f"https://example.com/avatars/{i}.png" for i in (1, 2, 8, 9, 10)]
    assert not set(HOSTILE_AVATARS.values()) & set(shown)
    assert len(user_rows(page)) == 10  # the users stay; only their pictures go


def test_a_page_in_a_commands_acknowledgement_carries_no_images(app):
    """An ack cannot be sent again without images if Slack refuses one, so it has none."""
    app.slack.unreachable_images.add("https://example.com/avatars/1.png")

    reply = app.command(GUID)

    assert reply.status == 200 and reply.ack is not None
    assert images_in(reply.ack) == []
    rows = user_rows(reply.ack)
    assert len(rows) == 10
    assert all(f"`user-{i:03d}`" in row for i, row in enumerate(rows, start=1))


@pytest.mark.parametrize(
    ("as_json", "status"),
    [(False, 400), (True, 400), (True, 200)],
    ids=["webhook-text-400", "json-400", "json-200"],
)
def test_a_page_slack_refuses_for_an_image_is_posted_again_without_images(
    app, caplog, as_json, status
):
    app.slack.unreachable_images.add(UNREACHABLE)
    app.slack.refusal_json, app.slack.refusal_status = as_json, status
    caplog.set_level(logging.INFO)
    next_page = PageCursor(guid=GUID, page=2, per_page=10).encode()
    asked = len(app.cometchat.requests)

    reply = app.click(ACTION_NEXT, next_page)

    refused, delivered = settle_and_collect(app, reply.posts[0].path)
    assert UNREACHABLE in images_in(refused)  # what Slack refused: the page as rendered
    assert images_in(delivered) == []
    assert delivered["replace_original"] is True
    assert delivered["text"] == refused["text"]
    assert user_rows(delivered) == user_rows(refused) and len(user_rows(delivered)) == 10
    # The second post is the same page, not a second trip to CometChat.
    listings = [r for r in app.cometchat.requests[asked:] if r.path.endswith("/bannedusers")]
    assert len(listings) == 1
    lines = [r.getMessage() for r in caplog.records]
    assert len([line for line in lines if "event=response_url_images_dropped" in line]) == 1
    assert not [line for line in lines if "response_url_failed" in line]
    assert not [line for line in lines if "tracker.example" in line]


def test_a_shared_page_refused_for_an_image_reaches_the_channel_without_images(app, caplog):
    app.slack.unreachable_images.add(UNREACHABLE)
    caplog.set_level(logging.WARNING, logger="bot.delivery")
    page_two = PageCursor(guid=GUID, page=2, per_page=10).encode()

    reply = app.click(ACTION_SHARE, page_two)

    refused, delivered = settle_and_collect(app, reply.posts[0].path)
    assert refused["response_type"] == delivered["response_type"] == "in_channel"
    assert UNREACHABLE in images_in(refused) and images_in(delivered) == []
    (line,) = delivery_lines(caplog)
    assert "event=response_url_images_dropped" in line


def test_a_web_api_call_showing_an_unreachable_image_is_refused_like_slack_does(app):
    """The fake's Web API side, which the feed and audit trail use (they show no images)."""
    app.slack.unreachable_images.add(UNREACHABLE)
    blocks = [{**SECTION, "accessory": {**AVATAR, "image_url": UNREACHABLE}}]
    answer = httpx.post(
        app.slack.url + "/api/chat.postMessage", json={"channel": "C1", "blocks": blocks}
    ).json()
    assert answer["ok"] is False and answer["error"] == "invalid_blocks"
    assert answer["errors"] == [
        "downloading image failed [json-pointer:/blocks/0/accessory/image_url]"
    ]
