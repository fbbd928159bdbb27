"""Allowlists that name Slack user groups (`S…`): their members may look or act, as Slack's
`usergroups.users.list` tells them, read again on `subteam_members_changed` and after five
minutes. Signed requests into the real app; Slack's Web API is the loopback fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.domain.button_values import BanRef
from bot.domain.errors import StartupError
from bot.services import build_services
from bot.slack.moderation_blocks import ACTION_BAN_CONFIRM
from bot.slack.user_groups import MAX_AGE
from tests.conftest import GUID, make_settings
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.cometchat import FakeCometChat
from tests.support.fakes.slack import HANG_UP, FakeSlack
from tests.support.harness import Harness, click_body, harness, running_slack

MODS, VIEWERS = "S0MODS", "S0VIEWERS"
ALICE, BOB = "U0ALICE", "U0BOB"
LIST_MEMBERS = "/api/usergroups.users.list"


@contextmanager
def app_with_groups(groups: dict[str, list[str]], **overrides: str) -> Iterator[Harness]:
    cometchat = FakeCometChat()
    cometchat.add_group(GUID, "Hiking Group", banned=3)
    with running_slack() as slack:
        slack.user_groups = groups
        overrides.setdefault("moderator_user_ids", MODS)
        with harness(cometchat, slack=slack, clock=FakeClock(), **overrides) as h:
            yield h


def ban(h: Harness, user: str, uid: str = "newbie") -> str:
    """Click a ban's confirm button as `user`; what the answer through response_url says."""
    url, path = h.new_response_url()
    value = BanRef(guid=GUID, uid=uid).encode()
    response = h.signed(click_body(ACTION_BAN_CONFIRM, value, url, user_id=user, block_id="x"))
    assert response.status == 200
    (answer,) = h.slack.wait_for(1, path_prefix=path)
    return str(answer.body.get("text"))


def clock(h: Harness) -> FakeClock:
    assert isinstance(h.services.clock, FakeClock)
    return h.services.clock


def banned(h: Harness, uid: str) -> bool:
    return any(u["uid"] == uid for u in h.cometchat.banned[GUID])


def members_changed(group: str, *, added: list[str], removed: list[str]) -> bytes:
    """The Events API's `subteam_members_changed`, as Slack POSTs it (JSON)."""
    event = {
        "type": "subteam_members_changed",
        "subteam_id": group,
        "team_id": "T0TEAM",
        "date_previous_update": 1_700_000_000,
        "date_update": 1_700_000_100,
        "added_users": added,
        "added_users_count": str(len(added)),
        "removed_users": removed,
        "removed_users_count": str(len(removed)),
        "event_ts": "1700000100.000100",
    }
    payload = {
        "token": "deprecated",
        "team_id": "T0TEAM",
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": "Ev0GROUP",
        "event_time": 1_700_000_100,
        "event": event,
        "authorizations": [{"team_id": "T0TEAM", "user_id": "U0BOT", "is_bot": True}],
    }
    return json.dumps(payload).encode()


def reads(slack: FakeSlack) -> list[str]:
    return [r.body.get("usergroup", "") for r in slack.received if r.path == LIST_MEMBERS]


def test_a_member_of_the_moderators_user_group_can_ban():
    with app_with_groups({MODS: [ALICE]}) as h:
        answer = ban(h, ALICE)

        assert "Banned `newbie`" in answer
        assert banned(h, "newbie")


def test_someone_outside_the_moderators_user_group_cannot_ban():
    with app_with_groups({MODS: [ALICE]}) as h:
        answer = ban(h, BOB)

        assert "not allowed to ban" in answer
        assert not banned(h, "newbie")
        assert [r for r in h.cometchat.requests if r.method == "POST"] == []


def test_the_group_id_itself_is_no_key():
    """A request whose user id is the group's id (forged or not) is nobody's."""
    with app_with_groups({MODS: [ALICE]}) as h:
        assert "not allowed to ban" in ban(h, MODS)


def test_a_member_added_to_the_group_may_ban_once_slack_says_so():
    with app_with_groups({MODS: [ALICE]}) as h:
        assert "not allowed to ban" in ban(h, BOB)
        h.slack.user_groups[MODS] = [ALICE, BOB]
        # Known until Slack says otherwise: no read per request.
        assert "not allowed to ban" in ban(h, BOB)
        assert reads(h.slack) == [MODS]  # the one at start-up

        response = h.signed_json(members_changed(MODS, added=[BOB], removed=[]))
        h.settle()

        assert response.status == 200
        assert reads(h.slack) == [MODS, MODS]
        assert "Banned `newbie`" in ban(h, BOB)


def test_a_member_taken_out_of_the_group_may_no_longer_ban_once_slack_says_so():
    with app_with_groups({MODS: [ALICE, BOB]}) as h:
        h.slack.user_groups[MODS] = [ALICE]
        assert h.signed_json(members_changed(MODS, added=[], removed=[BOB])).status == 200
        h.settle()

        assert "not allowed to ban" in ban(h, BOB)
        assert not banned(h, "newbie")


def test_news_of_a_group_no_allowlist_names_reads_nothing():
    with app_with_groups({MODS: [ALICE], "S0OTHER": [BOB]}) as h:
        assert h.signed_json(members_changed("S0OTHER", added=[BOB], removed=[])).status == 200
        h.settle()

        assert reads(h.slack) == [MODS]


def test_without_news_a_membership_is_read_again_after_five_minutes():
    with app_with_groups({MODS: [ALICE]}) as h:
        h.slack.user_groups[MODS] = [BOB]
        clock(h).now += MAX_AGE - 1
        assert "Banned `newbie`" in ban(h, ALICE)  # still the membership read at start-up
        assert reads(h.slack) == [MODS]

        clock(h).now += 1

        assert "not allowed to ban" in ban(h, ALICE, uid="other")
        assert reads(h.slack) == [MODS, MODS]
        assert "Banned `other`" in ban(h, BOB, uid="other")


def test_a_failed_read_keeps_the_last_membership_known():
    with app_with_groups({MODS: [ALICE]}) as h:
        h.slack.api_answers["usergroups.users.list"] = lambda _r: HANG_UP
        clock(h).now += MAX_AGE

        assert "Banned `newbie`" in ban(h, ALICE)
        assert len(reads(h.slack)) > 1  # it did ask


def test_a_viewers_user_group_lets_its_members_look():
    with app_with_groups(
        {VIEWERS: [ALICE]}, viewer_user_ids=VIEWERS, moderator_user_ids="U0MOD"
    ) as h:
        allowed = h.command(GUID, user_id=ALICE)
        refused = h.command(GUID, user_id=BOB)

        assert "3 users banned from Hiking Group" in allowed.texts()
        assert "not allowed to" in refused.texts()
        assert "banned from Hiking Group" not in refused.texts()


def test_a_user_group_slack_does_not_know_stops_the_start_with_one_line():
    with running_slack() as slack:
        slack.user_groups = {MODS: [ALICE]}
        settings = make_settings(slack_api_url=slack.url + "/api/", moderator_user_ids="S0TYPO")
        with pytest.raises(StartupError) as refused:
            build_services(settings, cometchat_transport=FakeCometChat().transport())

    message = str(refused.value)
    assert "\n" not in message
    assert "S0TYPO" in message and "no_such_subteam" in message
    assert "MODERATOR_USER_IDS" in message


def test_a_missing_scope_is_named_at_start():
    with running_slack() as slack:
        slack.api_answers["usergroups.users.list"] = lambda _r: {
            "ok": False,
            "error": "missing_scope",
            "needed": "usergroups:read",
        }
        settings = make_settings(slack_api_url=slack.url + "/api/", viewer_user_ids=VIEWERS)
        with pytest.raises(StartupError, match="usergroups:read"):
            build_services(settings, cometchat_transport=FakeCometChat().transport())
