"""The feed renderer: one CometChat event in, one valid Slack message out."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.domain.button_values import PageCursor, UnbanRef
from bot.domain.member_events import parse_event
from bot.slack.feed_blocks import ACTION_OPEN_LIST, MAX_LISTED, render_feed_event
from bot.slack.moderation_blocks import ACTION_UNBAN
from tests.support.slack_messages import buttons
from tests.support.webhook_payloads import TRIGGERS, assert_valid, encode, event, example, user

AT = 1_764_140_000  # 2025-11-26 06:53:20 UTC


def render(body: dict, **kw: Any) -> dict:
    return render_feed_event(parse_event(encode(body)), at=kw.pop("at", AT), **kw).to_dict()


def mrkdwn(message: dict) -> list[str]:
    """Every string Slack parses as mrkdwn: the fallback and each text object."""
    texts = [message["text"]]
    for block in message["blocks"]:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        if block["type"] == "context":
            texts.extend(e["text"] for e in block["elements"] if e["type"] == "mrkdwn")
    return texts


def block(message: dict, block_id: str) -> dict:
    return next(b for b in message["blocks"] if b["block_id"] == block_id)


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_each_documented_example_renders_a_valid_message(trigger):
    message = render(example(trigger), can_unban=True)

    assert_valid(message)
    headline = block(message, "feed_event")["text"]["text"]
    assert "*George Alan* `cometchat-uid-2`" in headline  # to whom: name and uid
    assert "*Hiking Group* `cometchat-guid-1`" in headline  # in which group
    meta = block(message, "feed_meta")["elements"][0]["text"]
    assert "By *Andrew Joseph* `cometchat-uid-1`" in meta  # by whom
    assert f"<!date^{AT}^" in meta  # when, in each reader's time zone
    assert "George Alan (cometchat-uid-2)" in message["text"]
    (open_list,) = buttons(message, ACTION_OPEN_LIST)
    cursor = PageCursor.decode(open_list["value"])
    assert (cursor.guid, cursor.page) == ("cometchat-guid-1", 1)


@pytest.mark.parametrize(
    ("trigger", "words"),
    [
        ("group_member_banned", "was *banned* from"),
        ("group_member_unbanned", "was *unbanned* from"),
        ("group_member_kicked", "was *kicked* from"),
        ("group_member_scope_changed", "changed: *participant* → *moderator*"),
    ],
)
def test_says_what_happened(trigger, words):
    assert words in block(render(example(trigger)), "feed_event")["text"]["text"]


def test_ban_offers_unban_naming_the_user():
    message = render(example("group_member_banned"), can_unban=True)

    (unban,) = buttons(message, ACTION_UNBAN)
    ref = UnbanRef.decode(unban["value"])
    assert (ref.guid, ref.uid, ref.cursor) == ("cometchat-guid-1", "cometchat-uid-2", None)
    # No dialog: the click answers with a confirmation showing the user's card.
    assert "confirm" not in unban and unban["text"]["text"] == "Unban George Alan"
    # Its own row, so the handler can replace exactly that row with the outcome.
    row = next(b for b in message["blocks"] if unban in b.get("elements", []))
    assert row["type"] == "actions" and row["elements"] == [unban]


def test_no_unban_button_when_nobody_may_act():
    message = render(example("group_member_banned"), can_unban=False)
    assert buttons(message, ACTION_UNBAN) == []
    assert len(buttons(message, ACTION_OPEN_LIST)) == 1


@pytest.mark.parametrize("trigger", TRIGGERS[1:])
def test_only_bans_offer_unban(trigger):
    assert buttons(render(example(trigger), can_unban=True), ACTION_UNBAN) == []


def test_several_members_are_shown_together_each_with_its_unban():
    people = [user("u-ann", "Ann"), user("u-bob", "Bob"), user("u-cy", "Cy")]
    message = render(event(members=people), can_unban=True)

    assert_valid(message)
    assert "*3 users* were *banned* from" in block(message, "feed_event")["text"]["text"]
    lines = [
        b["text"]["text"] for b in message["blocks"] if b["block_id"].startswith("feed_member_")
    ]
    assert lines == ["*Ann* `u-ann`", "*Bob* `u-bob`", "*Cy* `u-cy`"]
    refs = [UnbanRef.decode(b["value"]).uid for b in buttons(message, ACTION_UNBAN)]
    assert refs == ["u-ann", "u-bob", "u-cy"]
    assert message["text"] == "3 users were banned from Hiking Group by Andrew Joseph"


def test_scope_change_of_several_members_shows_each_old_and_new_scope():
    people = [
        user("u-ann", "Ann", scope="moderator", oldScope="participant"),
        user("u-bob", "Bob", scope="participant", oldScope="admin"),
    ]
    message = render(event("group_member_scope_changed", members=people))
    lines = [
        b["text"]["text"] for b in message["blocks"] if b["block_id"].startswith("feed_member_")
    ]
    assert lines == [
        "*Ann* `u-ann`: *participant* → *moderator*",
        "*Bob* `u-bob`: *admin* → *participant*",
    ]


def test_a_huge_event_stays_within_slack_limits_and_counts_the_rest():
    people = [user(f"u-{i:03d}", f"User {i}") for i in range(300)]
    message = render(event(members=people), can_unban=True)

    assert_valid(message)
    assert len(buttons(message, ACTION_UNBAN)) == MAX_LISTED
    more = block(message, "feed_more")["elements"][0]["text"]
    assert more.startswith(f"…and {300 - MAX_LISTED} more: `u-010`")
    assert "*300 users* were" in block(message, "feed_event")["text"]["text"]


def test_user_controlled_strings_cannot_ping_link_or_break_the_layout():
    hostile = "<!channel> *boss* <https://evil.example|click> & `x`\nfake line"
    shown = "&lt;!channel&gt; *boss* &lt;https://evil.example|click&gt; &amp; `x` fake line"
    single = render(
        event(group_name=hostile, members=[user("u-1", hostile)], by=user("mod-1", hostile)),
        can_unban=True,
    )
    several = render(event(members=[user("u-1", hostile), user("u-2")]))

    for message in (single, several):
        assert_valid(message)
        for text in mrkdwn(message):
            assert "<!channel>" not in text and "<https://evil" not in text
            assert "fake line" not in text or " fake line" in text  # the newline was folded
    assert block(single, "feed_event")["text"]["text"].count(shown) == 2  # user and group
    assert shown in block(single, "feed_meta")["elements"][0]["text"]  # the actor
    assert shown in block(several, "feed_member_0")["text"]["text"]
    # plain_text (a button) is never parsed, so it only needs folding and cutting.
    (unban,) = buttons(single, ACTION_UNBAN)
    assert "\n" not in unban["text"]["text"] and "fake line" in unban["text"]["text"]


def test_backtick_in_a_uid_cannot_end_its_code_span():
    message = render(event(members=[user("a`b", "Ann")]))
    assert "`a'b`" in block(message, "feed_event")["text"]["text"]


def test_onbehalfof_quirk_names_nobody_and_offers_no_unban():
    actor = user("mod-1", "Mia Moderator")
    message = render(event(members=[dict(actor)], by=actor), can_unban=True)

    assert_valid(message)
    headline = block(message, "feed_event")["text"]["text"]
    assert "A user CometChat did not name was *banned* from" in headline
    assert "Mia" not in headline  # the moderator is not reported as the banned user
    meta = block(message, "feed_meta")["elements"][0]["text"]
    assert "By *Mia Moderator* `mod-1`" in meta and "onBehalfOf" in meta
    assert buttons(message, ACTION_UNBAN) == []
    assert len(buttons(message, ACTION_OPEN_LIST)) == 1  # where to see who it was
    assert message["text"] == "A user was banned from Hiking Group by Mia Moderator"


def test_quirk_beside_real_targets_lists_them_and_counts_the_unnamed():
    actor = user("mod-1", "Mia")
    message = render(event(members=[dict(actor), user("u-ann", "Ann")], by=actor), can_unban=True)

    headline = block(message, "feed_event")["text"]["text"]
    assert "*1 user* (and 1 CometChat did not name) were *banned*" in headline
    assert [UnbanRef.decode(b["value"]).uid for b in buttons(message, ACTION_UNBAN)] == ["u-ann"]


def test_the_actor_in_members_of_a_kick_is_reported_as_is():
    # The bug is reported for ban/unban only; a kick naming its actor is taken at its word.
    actor = user("mod-1", "Mia")
    message = render(event("group_member_kicked", members=[dict(actor)], by=actor))
    assert "*Mia* `mod-1` was *kicked* from" in block(message, "feed_event")["text"]["text"]


def test_event_without_actor_omits_by():
    body = event()
    del body["data"]["by"]
    message = render(body)
    assert_valid(message)
    meta = block(message, "feed_meta")["elements"][0]["text"]
    assert "By" not in meta and f"<!date^{AT}^" in meta
    assert message["text"] == "George Alan (cometchat-uid-2) was banned from Hiking Group"


def test_open_list_button_uses_the_configured_page_size():
    (open_list,) = buttons(render(event(), page_size=7), ACTION_OPEN_LIST)
    assert PageCursor.decode(open_list["value"]).per_page == 7


def test_date_token_has_a_readable_utc_fallback():
    meta = block(render(event()), "feed_meta")["elements"][0]["text"]
    assert re.search(rf"<!date\^{AT}\^[^|]+\|2025-11-26 06:53 UTC>", meta)
