"""Share in channel: the page, visible to everyone, without buttons, saying who shared it."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    HeaderBlock,
    ImageElement,
    SectionBlock,
)

from bot.domain.button_values import PageCursor
from bot.domain.permissions import Permissions
from bot.slack.banned_page import ACTION_NEXT
from bot.slack.list_tools import ACTION_SHARE
from bot.slack.message import Message
from bot.slack.share import SHARED_BY_BLOCK_ID, shared_copy
from tests.conftest import GUID, make_settings
from tests.support.fakes.slack import action_body, command_body
from tests.support.slack_limits import assert_no_injected_markup, assert_valid_message
from tests.support.slack_messages import buttons, listed_uids

MOD = "U0MOD"


@pytest.fixture
def settings(slack):
    # U0MOD moderates: its pages carry Unban buttons, which a shared copy must not.
    return make_settings(slack_api_url=slack.url + "/api/", moderator_user_ids=MOD)


def _interactive(message: dict) -> list[dict]:
    found = [b for b in message["blocks"] if b["type"] in ("actions", "input")]
    found += [
        b["accessory"]
        for b in message["blocks"]
        if b.get("accessory") and b["accessory"]["type"] != "image"
    ]
    return found


def _share(live_app, slack, value: str, tag: str, *, user_id: str = MOD) -> dict:
    url = f"{slack.url}/response/{tag}"
    assert live_app.post(action_body(ACTION_SHARE, value, url, user_id=user_id)).status_code == 200
    (delivered,) = slack.wait_for(1, path_prefix=f"/response/{tag}")
    return delivered.body


def test_share_posts_the_page_in_channel_without_buttons_and_names_the_sharer(live_app, slack):
    page = live_app.post(command_body(GUID, slack.url + "/response/0", user_id=MOD)).json()
    assert _interactive(page)  # the moderator's own page has Next, Unban, Share, Export…

    (share,) = buttons(page, ACTION_SHARE)
    shared = _share(live_app, slack, share["value"], "s1")

    assert shared["response_type"] == "in_channel" and shared["replace_original"] is False
    assert _interactive(shared) == []
    assert listed_uids(shared) == listed_uids(page)
    assert shared["blocks"][0]["text"]["text"] == "Banned from Hiking Group"
    (by,) = [b for b in shared["blocks"] if b.get("block_id") == SHARED_BY_BLOCK_ID]
    assert f"<@{MOD}>" in by["elements"][0]["text"]
    assert shared["text"] == f"Banned from Hiking Group (shared by <@{MOD}>)"
    assert_valid_message(shared)
    assert_no_injected_markup(shared, mentions=[MOD])


def test_share_from_page_two_shares_page_two(live_app, slack):
    page = live_app.post(command_body(GUID, slack.url + "/response/0")).json()
    (next_button,) = buttons(page, ACTION_NEXT)
    live_app.post(action_body(ACTION_NEXT, next_button["value"], slack.url + "/response/n"))
    (second,) = slack.wait_for(1, path_prefix="/response/n")
    (share,) = buttons(second.body, ACTION_SHARE)
    shared = _share(live_app, slack, share["value"], "s2")
    assert listed_uids(shared) == [f"user-{i:03d}" for i in range(11, 21)]


def test_shared_search_page_keeps_the_search(live_app, slack):
    page = live_app.post(command_body(f"{GUID} user-05", slack.url + "/response/0")).json()
    (share,) = buttons(page, ACTION_SHARE)
    shared = _share(live_app, slack, share["value"], "s3")
    assert listed_uids(shared) == [f"user-{i:03d}" for i in range(50, 58)]
    assert "matching `user-05`" in shared["blocks"][1]["elements"][0]["text"]


def test_hostile_group_name_cannot_ping_the_channel_it_is_shared_in(live_app, slack, cometchat):
    cometchat.add_group("loud", "<!channel> <@U0BOSS> *now*", banned=3)
    value = PageCursor(guid="loud", page=1, per_page=10).encode()
    shared = _share(live_app, slack, value, "loud")
    assert_no_injected_markup(shared, mentions=[MOD])
    assert "&lt;!channel&gt;" in shared["text"]


def test_refused_viewer_cannot_share_and_nothing_is_posted_in_channel(live_app, slack, cometchat):
    live_app.services.permissions = Permissions(make_settings(viewer_user_ids="U0OTHER"))
    value = PageCursor(guid=GUID, page=1, per_page=10).encode()
    reply = _share(live_app, slack, value, "refused", user_id="U0NOPE")
    assert reply["response_type"] == "ephemeral" and "not allowed" in reply["text"]
    assert cometchat.requests == []


def test_tampered_share_value_gets_a_clear_message(live_app, slack, cometchat):
    value = json.dumps({"g": "../../users", "p": 1, "n": 10})
    reply = _share(live_app, slack, value, "bad")
    assert reply["response_type"] == "ephemeral" and "no longer works" in reply["text"]
    assert cometchat.requests == []


def test_share_of_a_group_that_vanished_explains_only_to_the_sharer(live_app, slack):
    value = PageCursor(guid="gone-group", page=1, per_page=10).encode()
    reply = _share(live_app, slack, value, "gone")
    assert reply["response_type"] == "ephemeral" and "There is no group" in reply["text"]


def test_shared_copy_drops_buttons_and_button_accessories_but_keeps_images():
    button = ButtonElement(text="Unban", action_id="x", value="v")
    image = ImageElement(image_url="https://example.com/a.png", alt_text="a")
    page = Message(
        text="fallback",
        blocks=(
            HeaderBlock(text="Banned from <G>").to_dict(),
            SectionBlock(block_id="u1", text="one", accessory=image).to_dict(),
            SectionBlock(block_id="u2", text="two", accessory=button).to_dict(),
            ActionsBlock(elements=[button]).to_dict(),
        ),
    )
    copy = shared_copy(page, "U123").to_dict()
    assert [b["type"] for b in copy["blocks"]] == ["header", "section", "section", "context"]
    assert copy["blocks"][1]["accessory"]["type"] == "image"
    assert "accessory" not in copy["blocks"][2]
    assert copy["text"] == "Banned from &lt;G&gt; (shared by <@U123>)"


def test_sharer_id_that_is_not_a_slack_id_is_not_interpolated():
    copy = shared_copy(Message(text="t", blocks=(HeaderBlock(text="H").to_dict(),)), "<!channel>")
    assert "<!channel>" not in json.dumps(copy.to_dict()) and "someone" in copy.text
