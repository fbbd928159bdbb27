"""The group picker: `/banned` alone (or an unknown group) offers a type-ahead menu of groups."""

from __future__ import annotations

import json
import threading
from urllib.parse import urlencode

from bot.cometchat.models import Group
from bot.domain.permissions import Permissions
from bot.slack.picker import ACTION_PICK_GROUP, MAX_LABEL, PICKER_BLOCK_ID, group_options
from tests.conftest import GUID, make_settings
from tests.support.fakes.slack import block_actions_body, command_body
from tests.support.slack_limits import assert_valid_message

HOSTILE = "../../users/x?perPage=1000&page=2#frag %2F%2e%2e <!channel> `;\x00\u202e"


def _suggestion(value: str, *, user_id: str = "U0MOD") -> bytes:
    """A `block_suggestion` payload, as Slack POSTs it to the options load URL."""
    payload = {
        "type": "block_suggestion",
        "user": {"id": user_id, "username": "mod", "team_id": "T0TEAM"},
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0CHAN"},
        "api_app_id": "A0APP",
        "token": "deprecated",
        "action_id": ACTION_PICK_GROUP,
        "block_id": PICKER_BLOCK_ID,
        "value": value,
        "team": {"id": "T0TEAM", "domain": "example"},
        "channel": {"id": "C0CHAN", "name": "moderation"},
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def _picked(value: str, response_url: str, *, user_id: str = "U0MOD") -> bytes:
    """A `block_actions` payload for a choice in the external select."""
    select = {
        "type": "external_select",
        "action_id": ACTION_PICK_GROUP,
        "block_id": PICKER_BLOCK_ID,
        "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value},
        "action_ts": "1.3",
    }
    return block_actions_body(select, response_url, user_id=user_id)


def _picker(message: dict) -> dict | None:
    for block in message.get("blocks", []):
        if block["type"] == "actions":
            for element in block["elements"]:
                if element.get("action_id") == ACTION_PICK_GROUP:
                    return element
    return None


def _group_requests(cometchat) -> list:
    return [r for r in cometchat.requests if r.path == "/v3/groups"]


# -- the menu ----------------------------------------------------------------------------------


def test_banned_alone_explains_the_direct_form_and_offers_the_picker(live_app, slack, cometchat):
    reply = live_app.post(command_body("", slack.url + "/response/p")).json()
    assert "`/banned &lt;group-guid&gt;`" in reply["text"]  # usage still explains the direct form
    picker = _picker(reply)
    assert picker is not None and picker["type"] == "external_select"
    assert_valid_message(reply)
    assert cometchat.requests == []  # options load only when the menu is opened


def test_unknown_group_offers_the_picker_under_the_explanation(live_app, slack):
    reply = live_app.post(command_body("no-such-group", slack.url + "/response/u")).json()
    assert reply["text"] == ":mag: There is no group `no-such-group` in this CometChat app."
    assert "Pick one of the app's groups" in reply["blocks"][0]["text"]["text"]
    assert _picker(reply) is not None


def test_typing_loads_matching_groups_from_cometchat(live_app, cometchat):
    response = live_app.post(_suggestion("hik"))
    assert response.status_code == 200
    options = response.json()["options"]
    assert [o["value"] for o in options] == [GUID]
    assert options[0]["text"] == {
        "type": "plain_text",
        "text": f"Hiking Group ({GUID})",
        "emoji": False,
    }
    (request,) = _group_requests(cometchat)
    assert request.query["searchKey"] == ["hik"] and request.query["perPage"] == ["20"]


def test_opening_the_menu_without_typing_lists_groups_without_a_search(live_app, cometchat):
    options = live_app.post(_suggestion("")).json()["options"]
    assert {o["value"] for o in options} == {GUID, "empty-group"}
    (request,) = _group_requests(cometchat)
    assert "searchKey" not in request.query


def test_hostile_typed_text_travels_only_as_a_query_parameter(live_app, cometchat):
    response = live_app.post(_suggestion(HOSTILE))
    assert response.status_code == 200 and response.json() == {"options": []}
    (request,) = _group_requests(cometchat)
    assert request.path == "/v3/groups"  # not /v3/users/x, not another group
    assert request.query["searchKey"] == [" ".join(HOSTILE.split())]
    assert request.query["perPage"] == ["20"] and request.query.get("page") == ["1"]


def test_option_labels_fit_slack_and_unusable_guids_are_left_out(live_app, cometchat):
    cometchat.add_group("long-name", "<!here> " + "Ω" * 200)
    cometchat.add_group("x" * 100, "Longest id")
    cometchat.groups["has space"] = {"guid": "has space", "name": "Spaced", "type": "public"}
    options = live_app.post(_suggestion("")).json()["options"]
    by_value = {o["value"]: o["text"]["text"] for o in options}
    assert "has space" not in by_value  # /banned could not open it: better absent than broken
    assert all(len(text) <= MAX_LABEL for text in by_value.values())
    assert all(len(value) <= 150 for value in by_value)
    assert by_value["long-name"].endswith("… (long-name)")  # the id stays readable
    assert by_value["x" * 100] == "Longest id"  # no room for a 100-character id beside it


def test_slow_cometchat_gets_an_empty_menu_within_the_ack_budget(live_app, cometchat):
    release = threading.Event()
    cometchat.interceptor = lambda rec: release.wait(10) and None  # hold until released
    live_app.services.settings.ack_budget = 0.05
    try:
        response = live_app.post(_suggestion("hik"))
        assert response.json() == {"options": []}
    finally:
        release.set()


def test_cometchat_failure_gets_an_empty_menu_not_an_error(live_app, cometchat):
    cometchat.interceptor = lambda rec: (401, {"error": {"code": "AUTH_ERR_APIKEY_NOT_FOUND"}}, {})
    response = live_app.post(_suggestion("hik"))
    assert response.status_code == 200 and response.json() == {"options": []}


def test_refused_viewer_gets_no_options_and_nothing_is_looked_up(live_app, cometchat):
    live_app.services.permissions = Permissions(make_settings(viewer_user_ids="U0OTHER"))
    response = live_app.post(_suggestion("hik"))
    assert response.status_code == 200 and response.json() == {"options": []}
    assert cometchat.requests == []


# -- choosing ----------------------------------------------------------------------------------


def test_picking_a_group_replaces_the_picker_with_its_banned_list(live_app, slack):
    url = slack.url + "/response/pick"
    assert live_app.post(_picked(GUID, url)).status_code == 200
    (delivered,) = slack.wait_for(1, path_prefix="/response/pick")
    assert delivered.body["replace_original"] is True
    assert delivered.body["blocks"][0]["text"]["text"] == "Banned from Hiking Group"
    assert "57 users banned" in delivered.body["text"]


def test_picking_a_value_that_is_no_guid_gets_a_clear_message_and_no_lookup(
    live_app, slack, cometchat
):
    url = slack.url + "/response/bad"
    assert live_app.post(_picked("../../users", url)).status_code == 200
    (delivered,) = slack.wait_for(1, path_prefix="/response/bad")
    assert delivered.body["replace_original"] is False
    assert "not a valid group id" in delivered.body["text"]
    assert cometchat.requests == []


def test_picking_a_group_that_vanished_keeps_the_picker_and_offers_it_again(
    live_app, slack, cometchat
):
    url = slack.url + "/response/gone"
    assert live_app.post(_picked("deleted-group", url)).status_code == 200
    (delivered,) = slack.wait_for(1, path_prefix="/response/gone")
    assert delivered.body["replace_original"] is False  # the original picker stays usable
    assert "There is no group `deleted-group`" in delivered.body["text"]
    assert _picker(delivered.body) is not None


def test_refused_viewer_cannot_pick(live_app, slack, cometchat):
    live_app.services.permissions = Permissions(make_settings(viewer_user_ids="U0OTHER"))
    url = slack.url + "/response/no"
    assert live_app.post(_picked(GUID, url)).status_code == 200
    (delivered,) = slack.wait_for(1, path_prefix="/response/no")
    assert "not allowed" in delivered.body["text"]
    assert cometchat.requests == []


def test_group_options_renderer_skips_duplicates_and_keeps_plain_text():
    groups = [Group(guid="g1", name="*bold* <@U1>"), Group(guid="g1", name="again")]
    (option,) = group_options(groups)
    assert option["text"] == {
        "type": "plain_text",
        "text": "*bold* <@U1> (g1)",  # plain_text: shown literally, never parsed
        "emoji": False,
    }
