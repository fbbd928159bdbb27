"""Only the bot's own workspace is served: its team is learned from auth.test at start-up, and a
person of any other team (a Slack Connect guest from another company) is politely refused
before anything reaches CometChat or the audit trail."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode

import pytest

from bot.cli.serve import run_socket_mode
from bot.domain.button_values import BanRef, PageCursor, UnbanRef
from bot.domain.errors import StartupError
from bot.services import build_services, new_web_client
from bot.slack.feed_blocks import ACTION_OPEN_LIST
from bot.slack.moderation_blocks import (
    ACTION_UNBAN,
    UID_ACTION_ID,
    UID_BLOCK_ID,
    VIEW_BAN_CONFIRM,
)
from bot.slack.picker import ACTION_PICK_GROUP
from bot.slack.workspace import Actor, Workspace, actor_of, learn_workspace
from tests.conftest import GUID, make_settings
from tests.support.fakes.cometchat import LocalServer
from tests.support.fakes.slack import (
    BOT_TOKEN,
    TEAM_ID,
    action_body,
    block_actions_body,
    command_body,
    view_submission_body,
)
from tests.support.fakes.socket_mode import FakeSocketMode
from tests.support.web_process import free_port

GUEST_TEAM = "T0OTHER"  # the other company of a Slack Connect channel
GUEST = "U0GUEST"
MOD = "U0MOD"
AUDIT = "C0AUDIT"
POLITE = "only serves people of the Slack workspace it is installed in"


@pytest.fixture
def settings(slack):
    # Viewer lists unset (anyone may look), as in the issue; the guest's id is even a moderator's.
    return make_settings(
        slack_api_url=slack.url + "/api/",
        moderator_user_ids=f"{MOD},{GUEST}",
        audit_channel_id=AUDIT,
    )


def as_team(body: bytes, team: str, *, host: str | None = None, enterprise: str | None = None):
    """An interaction payload re-addressed: the person's team is `team`; the workspace it came
    from is `host` (default: the same team)."""
    payload = json.loads(parse_qs(body)[b"payload"][0])
    payload["user"]["team_id"] = team
    payload["team"] = {"id": host or team, "domain": "other"}
    if enterprise:
        payload["enterprise"] = {"id": enterprise, "name": "Org"}
    return urlencode({"payload": json.dumps(payload)}).encode()


def _audited(slack, caplog) -> list:
    lines = [r for r in caplog.records if "event=audit" in r.getMessage()]
    posts = [r for r in slack.since_startup() if r.path == "/api/chat.postMessage"]
    return lines + posts


def _assert_refused_and_untouched(reply_text: str, cometchat, slack, caplog) -> None:
    assert POLITE in reply_text and "Nothing was looked up or changed" in reply_text
    assert cometchat.requests == []  # nothing reached CometChat
    assert _audited(slack, caplog) == []  # nor the audit trail
    (refusal,) = [
        r.getMessage() for r in caplog.records if "outcome=ForeignWorkspace" in r.getMessage()
    ]
    assert "event=refused" in refusal and "team=" in refusal


# -- through the real app ----------------------------------------------------------------------


@pytest.mark.parametrize("host", [GUEST_TEAM, TEAM_ID], ids=["their-workspace", "our-channel-host"])
def test_slack_connect_guest_pressing_view_banned_list_is_refused(
    live_app, slack, cometchat, caplog, host
):
    """The issue's case: the feed channel is shared with another organisation. What counts is
    the person's team (`user.team_id`), whoever hosts the channel."""
    caplog.set_level(logging.INFO)
    value = PageCursor(guid=GUID, page=1, per_page=10).encode()
    url = slack.url + "/response/guest"
    body = as_team(action_body(ACTION_OPEN_LIST, value, url, user_id=GUEST), GUEST_TEAM, host=host)

    assert live_app.post(body).status_code == 200

    (reply,) = slack.wait_for(1, path_prefix="/response/guest")
    assert reply.body["response_type"] == "ephemeral" and reply.body["replace_original"] is False
    live_app.services.responder.drain(5)
    _assert_refused_and_untouched(reply.body["text"], cometchat, slack, caplog)


def test_command_from_another_team_gets_a_polite_ephemeral_answer(
    live_app, slack, cometchat, caplog
):
    caplog.set_level(logging.INFO)
    body = command_body(GUID, slack.url + "/response/cmd", user_id=GUEST, team_id=GUEST_TEAM)

    answer = live_app.post(body).json()

    assert answer["response_type"] == "ephemeral"
    live_app.services.responder.drain(5)
    _assert_refused_and_untouched(answer["text"], cometchat, slack, caplog)
    assert slack.responses() == []  # answered in the acknowledgement, nothing else sent


def test_unban_by_a_listed_moderator_id_from_another_team_changes_nothing(
    live_app, slack, cometchat, caplog
):
    caplog.set_level(logging.INFO)
    value = UnbanRef(guid=GUID, uid="user-001").encode()
    url = slack.url + "/response/unban"

    live_app.post(as_team(action_body(ACTION_UNBAN, value, url, user_id=GUEST), GUEST_TEAM))

    (reply,) = slack.wait_for(1, path_prefix="/response/unban")
    live_app.services.responder.drain(5)
    _assert_refused_and_untouched(reply.body["text"], cometchat, slack, caplog)
    assert len(cometchat.banned[GUID]) == 57


def test_ban_form_submitted_from_another_team_bans_nobody(live_app, slack, cometchat, caplog):
    caplog.set_level(logging.INFO)
    meta = BanRef(guid=GUID, uid="user-999", response_url=slack.url + "/response/form").encode()
    values = {UID_BLOCK_ID: {UID_ACTION_ID: {"type": "plain_text_input", "value": "user-999"}}}
    body = view_submission_body(VIEW_BAN_CONFIRM, meta, values, user_id=GUEST)

    response = live_app.post(as_team(body, GUEST_TEAM))

    assert response.status_code == 200 and response.text == ""  # the form closes, quietly
    live_app.services.responder.drain(5)
    assert cometchat.requests == [] and _audited(slack, caplog) == []
    assert len(cometchat.banned[GUID]) == 57 and slack.responses() == []


def test_group_menu_type_ahead_from_another_team_offers_nothing(live_app, slack, cometchat):
    payload = json.loads(
        parse_qs(action_body(ACTION_PICK_GROUP, "", "", user_id=GUEST))[b"payload"][0]
    )
    payload.update(type="block_suggestion", action_id=ACTION_PICK_GROUP, value="hik")
    payload["user"]["team_id"] = GUEST_TEAM
    payload["team"] = {"id": GUEST_TEAM}
    del payload["response_url"]

    response = live_app.post(urlencode({"payload": json.dumps(payload)}).encode())

    assert response.status_code == 200 and response.json() == {"options": []}
    assert cometchat.requests == []


def test_events_from_another_team_are_acknowledged_quietly(live_app, slack, cometchat, caplog):
    caplog.set_level(logging.INFO)
    event = {
        "type": "event_callback",
        "team_id": GUEST_TEAM,
        "api_app_id": "A0APP",
        "event": {"type": "app_mention", "user": GUEST, "text": "hi", "channel": "C0CHAN"},
        "event_id": "Ev0",
        "event_time": 1,
    }

    response = live_app.post(json.dumps(event).encode(), content_type="application/json")

    assert response.status_code == 200 and response.text == ""
    assert cometchat.requests == [] and slack.since_startup() == []
    assert any("outcome=ForeignWorkspace" in r.getMessage() for r in caplog.records)


def test_a_click_naming_no_team_at_all_is_refused(live_app, slack, cometchat):
    payload = json.loads(
        parse_qs(
            action_body(ACTION_OPEN_LIST, PageCursor(guid=GUID, page=1, per_page=10).encode(), "")
        )[b"payload"][0]
    )
    payload["response_url"] = slack.url + "/response/noteam"
    del payload["team"], payload["user"]["team_id"]

    live_app.post(urlencode({"payload": json.dumps(payload)}).encode())

    (reply,) = slack.wait_for(1, path_prefix="/response/noteam")
    assert POLITE in reply.body["text"] and cometchat.requests == []


def test_own_team_is_still_served(live_app, slack, cometchat):
    body = command_body(GUID, slack.url + "/response/ours", team_id=TEAM_ID)
    assert "57 users banned" in live_app.post(body).json()["text"]


def test_enterprise_grid_person_named_by_the_org_id_is_served_from_our_workspace(slack, cometchat):
    """In a Grid org Slack may give the org id (E…) as the person's team."""
    slack.enterprise_id = "E0ORG"
    services = build_services(
        make_settings(slack_api_url=slack.url + "/api/"), cometchat_transport=cometchat.transport()
    )
    try:
        assert services.workspace == Workspace(
            TEAM_ID, "E0ORG", bot_user_id="U0BOT", bot_id="B0BOT"
        )
        assert services.workspace.admits(Actor("E0ORG", "E0ORG", TEAM_ID))
        assert not services.workspace.admits(Actor("E0ORG", "E0ORG", "T0SIBLING"))
    finally:
        services.close()


def test_slack_connect_guest_is_refused_over_socket_mode_too(services, slack, cometchat):
    settings = make_settings(slack_api_url=slack.url + "/api/", slack_app_token="xapp-1-A-1-x")
    stop = threading.Event()
    with FakeSocketMode() as socket_mode:
        slack.api_answers["apps.connections.open"] = lambda _r: {"ok": True, "url": socket_mode.url}
        runner = threading.Thread(
            target=run_socket_mode, args=(settings,), kwargs={"services": services, "stop": stop}
        )
        runner.start()
        try:
            socket_mode.wait_connected()
            value = PageCursor(guid=GUID, page=1, per_page=10).encode()
            body = as_team(
                block_actions_body(
                    {"type": "button", "action_id": ACTION_OPEN_LIST, "value": value},
                    slack.url + "/response/sock",
                    user_id=GUEST,
                ),
                GUEST_TEAM,
            )
            click = json.loads(parse_qs(body)[b"payload"][0])
            socket_mode.wait_for_ack(socket_mode.send_envelope("interactive", click))
            (reply,) = slack.wait_for(1, path_prefix="/response/sock")
        finally:
            stop.set()
            runner.join(30)
    assert POLITE in reply.body["text"] and cometchat.requests == []


# -- start-up ----------------------------------------------------------------------------------


def test_auth_test_failure_stops_start_up_with_one_line_for_the_operator(slack, cometchat):
    slack.api_answers["auth.test"] = lambda _r: {"ok": False, "error": "invalid_auth"}

    with pytest.raises(StartupError) as raised:
        build_services(
            make_settings(slack_api_url=slack.url + "/api/"),
            cometchat_transport=cometchat.transport(),
        )

    line = str(raised.value)
    assert "\n" not in line and "invalid_auth" in line and "SLACK_BOT_TOKEN" in line
    assert BOT_TOKEN not in line
    assert cometchat.requests == []


def test_socket_mode_does_not_connect_when_auth_test_fails(slack):
    slack.api_answers["auth.test"] = lambda _r: {"ok": False, "error": "token_revoked"}
    settings = make_settings(slack_api_url=slack.url + "/api/", slack_app_token="xapp-1-A-1-x")

    with pytest.raises(StartupError, match="token_revoked"):
        run_socket_mode(settings, stop=threading.Event())

    assert [r.path for r in slack.received] == ["/api/auth.test"]  # never apps.connections.open


def test_unreachable_slack_stops_start_up_naming_the_setting():
    client = new_web_client(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{free_port()}/api/")
    client.retry_handlers = []  # one attempt is enough to know

    with pytest.raises(StartupError) as raised:
        learn_workspace(client)

    assert "127.0.0.1" in str(raised.value) and "SLACK_API_URL" in str(raised.value)


class _ProxyPage(BaseHTTPRequestHandler):
    """What a captive proxy answers instead of Slack: a page of HTML."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = b"<html>proxy</html>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_an_answer_that_is_not_slack_stops_start_up():
    with LocalServer(_ProxyPage) as proxy:
        client = new_web_client(token=BOT_TOKEN, base_url=proxy.url + "/api/")

        with pytest.raises(StartupError, match=r"did not answer auth\.test like Slack"):
            learn_workspace(client)


# -- whose team a payload names ----------------------------------------------------------------


def _payload(body: bytes) -> dict:
    return json.loads(parse_qs(body)[b"payload"][0])


def test_the_persons_team_comes_from_user_team_id_not_the_host():
    body = as_team(action_body("a", "v", "u"), GUEST_TEAM, host=TEAM_ID, enterprise="E0THEIRS")
    assert actor_of(_payload(body)) == Actor(GUEST_TEAM, "E0THEIRS", TEAM_ID)


def test_a_command_names_the_team_it_was_typed_in():
    form = {k.decode(): v[0].decode() for k, v in parse_qs(command_body("x", "u")).items()}
    assert actor_of(form) == Actor(TEAM_ID, None, TEAM_ID)
    assert actor_of({**form, "enterprise_id": "E0ORG"}).enterprise_id == "E0ORG"


def test_events_use_bolts_actor_ids():
    body = {"type": "event_callback", "team_id": TEAM_ID, "event": {"user_team": GUEST_TEAM}}
    assert actor_of(body, event_team_id=GUEST_TEAM) == Actor(GUEST_TEAM, None)


OURS = Workspace(TEAM_ID)
GRID = Workspace(TEAM_ID, "E0ORG")
ORG_WIDE = Workspace("", "E0ORG", org_wide=True)


@pytest.mark.parametrize(
    ("workspace", "actor", "admitted"),
    [
        (OURS, Actor(TEAM_ID), True),
        (OURS, Actor(GUEST_TEAM), False),
        (OURS, Actor(GUEST_TEAM, None, TEAM_ID), False),  # a guest in a channel we host
        (OURS, Actor(TEAM_ID, "E0THEIRS"), False),  # an org we are not part of
        (OURS, Actor(None), False),  # no team named at all
        (GRID, Actor(TEAM_ID, "E0ORG"), True),
        (GRID, Actor("E0ORG", "E0ORG", TEAM_ID), True),  # Grid names the org as the team
        (GRID, Actor("E0ORG", "E0ORG", "T0SIBLING"), False),  # another workspace of the org
        (GRID, Actor("E0THEIRS", "E0THEIRS"), False),
        (ORG_WIDE, Actor("T0ANY", "E0ORG"), True),  # any workspace of our org
        (ORG_WIDE, Actor("E0ORG", "E0ORG"), True),
        (ORG_WIDE, Actor("T0ANY", "E0THEIRS"), False),
        (ORG_WIDE, Actor("E0THEIRS", None), False),
        (ORG_WIDE, Actor("T0ANY", None), False),  # no org named: cannot be ours
    ],
)
def test_who_is_admitted(workspace, actor, admitted):
    assert workspace.admits(actor) is admitted
