"""The banned-users page renderer: pure, models in, Block Kit out, within Slack's limits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.cometchat import BannedPage, BannedUser, Group
from bot.domain.button_values import HistoryRef, PageCursor
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.settings import MAX_PAGE_SIZE
from bot.slack.banned_page import ACTION_NEXT, ACTION_PREVIOUS, NAV_BLOCK_ID, render_banned_page
from bot.slack.history_blocks import ACTION_HISTORY
from tests.support.slack_messages import buttons

GUID = "cometchat-guid-1"
GROUP = Group(guid=GUID, name="Hiking Group")
HOSTILE = ["<!channel>", "<@U123>", "<https://evil.example|click>", "&amp;", "<!here|x>"]


def user(i: int = 1, **extra: object) -> BannedUser:
    values: dict = {
        "uid": f"user-{i:03d}",
        "name": f"User {i:03d}",
        "avatar": f"https://example.com/avatars/{i}.png",
        "status": "offline",
        "role": "manager",
        "createdAt": 1_629_869_270,
        "updatedAt": 1_638_354_799,
        "metadata": {"email": "secret.person@example.com", "contactNumber": "0123456789"},
    }
    values.update(extra)
    return BannedUser.model_validate(values)


def page_of(
    users: list[BannedUser],
    *,
    page: int = 1,
    per_page: int = 10,
    has_next: bool = False,
    total: int | None = None,
    guid: str = GUID,
) -> BannedPage:
    return BannedPage(
        guid=guid,
        page=page,
        per_page=per_page,
        users=tuple(users),
        has_next=has_next,
        total=total,
    )


def render(page: BannedPage, group: Group | None = GROUP) -> dict:
    cursor = PageCursor(guid=page.guid, page=page.page, per_page=page.per_page)
    # to_dict() runs slack_sdk's own validation of every block (lengths, required fields).
    return render_banned_page(page, cursor, group).to_dict()


def blocks_of(message: dict, kind: str) -> list[dict]:
    return [block for block in message.get("blocks", []) if block["type"] == kind]


def user_sections(message: dict) -> list[dict]:
    return [b for b in blocks_of(message, "section") if b["block_id"].startswith("banned_user_")]


def buttons_by_action(message: dict) -> dict[str, dict]:
    return {element["action_id"]: element for element in buttons(message)}


def mrkdwn_texts(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node["text"]
        for value in node.values():
            yield from mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from mrkdwn_texts(item)


def all_mrkdwn(message: dict) -> list[str]:
    # The top-level `text` is mrkdwn too: it shows in notifications and clients without blocks.
    return [message["text"], *mrkdwn_texts(message.get("blocks", []))]


# -- content --------------------------------------------------------------------------------


def test_header_names_the_group_and_summary_gives_total_and_page_of_pages():
    message = render(page_of([user(i) for i in range(11, 21)], page=2, has_next=True, total=57))
    header = message["blocks"][0]
    assert header["type"] == "header" and header["text"]["text"] == "Banned from Hiking Group"
    summary = blocks_of(message, "context")[0]["elements"][0]["text"]
    assert "*57* banned" in summary and "page 2 of 6" in summary and "showing 11–20" in summary


def test_header_falls_back_to_the_guid_without_a_group():
    message = render(page_of([user()]), group=None)
    assert message["blocks"][0]["text"]["text"] == f"Banned from {GUID}"


def test_one_section_per_user_with_name_uid_role_status_and_date_tokens():
    message = render(page_of([user(1), user(2, role="default", status="online")], total=2))
    first, second = user_sections(message)
    text = first["text"]["text"]
    assert first["text"]["type"] == "mrkdwn"
    assert "*User 001*" in text and "`user-001`" in text
    assert "Role: manager" in text and "Status: offline" in text
    assert "<!date^1629869270^" in text and "<!date^1638354799^" in text
    assert "|2021-08-25 05:27 UTC>" in text  # a readable fallback for clients without tokens
    assert "Role: default" in second["text"]["text"] and "Status: online" in second["text"]["text"]
    assert len(user_sections(message)) == 2


def test_millisecond_dates_become_seconds_and_implausible_dates_are_dropped():
    message = render(page_of([user(createdAt=1_629_869_270_123, updatedAt=5)]))
    text = user_sections(message)[0]["text"]["text"]
    assert "<!date^1629869270^" in text and "Updated" not in text


def test_a_user_without_a_name_is_shown_by_uid():
    message = render(page_of([BannedUser(uid="bare-uid")]))
    assert "*bare-uid*" in user_sections(message)[0]["text"]["text"]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.com/a.png", True),
        ("HTTPS://example.com/a.png", True),
        ("https://example.com:8443/a.png?size=48", True),
        ("https://[2001:db8::1]/a.png", True),
        ("https://example.com/" + "a" * (3000 - 20), True),  # exactly 3,000 characters
        ("https://example.com/" + "a" * (3001 - 20), False),
        ("http://example.com/a.png", False),  # in clear: anyone on the path sees who looks
        ("javascript:alert(1)", False),
        ("ftp://example.com/a.png", False),
        ("data:image/png;base64,AAAA", False),
        ("//example.com/a.png", False),
        ("/avatars/a.png", False),
        ("https:///a.png", False),
        ("https://", False),
        ("https:example.com/a.png", False),
        ("https://user:pw@example.com/a.png", False),
        ("https://slack.com@tracker.example/a.png", False),
        ("https://example.com\\@tracker.example/a.png", False),
        ("https://example.com:99999/a.png", False),
        ("https://example.com:port/a.png", False),
        ("https://example.com/a b.png", False),
        ("https://example.com/a\tb.png", False),
        ("https://example.com/a.png\n", False),
        ("https://example.com/\x00.png", False),
        ("", False),
        (None, False),
    ],
)
def test_avatar_accessory_only_for_https_urls_with_a_host(url, shown):
    message = render(page_of([user(avatar=url)]))
    accessory = user_sections(message)[0].get("accessory")
    if shown:
        assert accessory == {"type": "image", "image_url": url, "alt_text": "User 001"}
    else:
        assert accessory is None


def test_private_metadata_is_never_rendered():
    message = render(page_of([user(i) for i in range(1, 4)], total=3))
    dumped = json.dumps(message)
    assert "secret.person@example.com" not in dumped and "0123456789" not in dumped
    assert "@example.com" not in dumped.replace("example.com/avatars", "")


# -- navigation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "has_next", "expected"),
    [
        (1, True, {ACTION_NEXT}),
        (3, True, {ACTION_PREVIOUS, ACTION_NEXT}),
        (6, False, {ACTION_PREVIOUS}),
        (1, False, set()),
    ],
    ids=["first", "middle", "last", "only"],
)
def test_previous_and_next_only_where_they_lead_somewhere(page, has_next, expected):
    message = render(page_of([user()], page=page, has_next=has_next))
    nav = {ACTION_PREVIOUS, ACTION_NEXT}
    found = {key: button for key, button in buttons_by_action(message).items() if key in nav}
    assert set(found) == expected
    assert bool(_block(message, NAV_BLOCK_ID)) == bool(expected)
    for action_id, step in ((ACTION_PREVIOUS, -1), (ACTION_NEXT, 1)):
        if action_id in found:
            cursor = PageCursor.decode(found[action_id]["value"])
            assert (cursor.guid, cursor.page, cursor.per_page) == (GUID, page + step, 10)


def _block(message: dict, block_id: str) -> list[dict]:
    return [b for b in message["blocks"] if b.get("block_id") == block_id]


def test_every_listed_user_offers_their_history():
    message = render(page_of([user(1), user(2)]))
    values = [HistoryRef.decode(b["value"]) for b in buttons(message, ACTION_HISTORY)]
    assert [(ref.guid, ref.uid, ref.before) for ref in values] == [
        (GUID, "user-001", None),
        (GUID, "user-002", None),
    ]


def test_empty_group_says_so_without_buttons():
    message = render(page_of([], total=0))
    assert "Nobody is banned from Hiking Group" in message["text"]
    assert any("Nobody is banned" in text for text in all_mrkdwn(message)[1:])
    assert blocks_of(message, "actions") == [] and user_sections(message) == []


def test_emptied_later_page_offers_the_way_back():
    message = render(page_of([], page=3))
    assert set(buttons_by_action(message)) == {ACTION_PREVIOUS}
    assert "No banned users on page 3" in json.dumps(message)


@pytest.mark.parametrize(
    "page",
    [
        page_of([user()], total=1),
        page_of([user()], page=2, has_next=True),
        page_of([], total=0),
        page_of([], page=4),
    ],
)
def test_every_message_has_a_top_level_text_fallback(page):
    message = render(page)
    assert message["text"].strip() and "blocks" in message


# -- Slack's limits -------------------------------------------------------------------------


def test_largest_page_with_huge_values_stays_within_slacks_limits():
    huge = "W" * 10_000
    users = [
        user(
            i,
            uid=f"{i}-" + "u" * 10_000,
            name=f"{i} {huge}",
            role=huge,
            status=huge,
            scope=huge,
            avatar="https://example.com/" + "a" * 10_000,
        )
        for i in range(MAX_PAGE_SIZE)
    ]
    page = page_of(users, page=2, per_page=MAX_PAGE_SIZE, has_next=True, total=10**9)
    message = render(page, group=Group(guid=GUID, name="G" * 10_000))

    blocks = message["blocks"]
    assert len(user_sections(message)) == MAX_PAGE_SIZE
    assert len(blocks) <= 50
    block_ids = [block["block_id"] for block in blocks]
    assert len(block_ids) == len(set(block_ids))
    assert len(blocks[0]["text"]["text"]) <= 150
    assert all(len(text) <= 3000 for text in all_mrkdwn(message))
    assert all(len(b["value"]) <= 2000 for b in buttons_by_action(message).values())
    assert set(buttons_by_action(message)) == {ACTION_PREVIOUS, ACTION_NEXT}


# -- escaping -------------------------------------------------------------------------------

# Anything Slack would parse in mrkdwn starts with `<`; the only ones we emit are date tokens.
_UNSAFE = re.compile(r"<(?!!date\^\d+\^)")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_strings_from_cometchat_cannot_ping_or_link(hostile):
    page = page_of(
        [user(1, name=hostile, role=hostile, status=hostile, scope=hostile, uid=hostile)],
        guid=GUID,
    )
    message = render(page, group=Group(guid=GUID, name=f"Group {hostile}"))

    for text in all_mrkdwn(message):
        assert not _UNSAFE.search(text), text
    section = user_sections(message)[0]["text"]["text"]
    escaped = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f"*{escaped}*" in section and f"`{escaped}`" in section
    assert f"Role: {escaped}" in section and f"Status: {escaped}" in section


def test_an_ampersand_entity_in_a_name_is_shown_literally():
    message = render(page_of([user(name="Tom &amp; Jerry")]))
    assert "*Tom &amp;amp; Jerry*" in user_sections(message)[0]["text"]["text"]


def test_line_breaks_in_a_name_cannot_fake_extra_lines():
    message = render(page_of([user(name="Evil\n\nRole: admin")]))
    first_line = user_sections(message)[0]["text"]["text"].split("\n")[0]
    assert first_line.startswith("*Evil Role: admin*")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_group_name_is_escaped_in_the_empty_groups_fallback(hostile):
    message = render(page_of([], total=0), group=Group(guid=GUID, name=hostile))
    assert message["text"].startswith("Nobody is banned from ")
    assert not any(_UNSAFE.search(text) for text in all_mrkdwn(message))


def test_a_page_with_more_users_than_asked_for_stays_within_slack_limits():
    from bot.cometchat.models import BannedPage, BannedUser
    from bot.domain.button_values import PageCursor
    from bot.slack.banned_page import render_banned_page

    users = tuple(BannedUser(uid=f"u{i}", name=f"N{i}") for i in range(100))
    page = BannedPage(guid="g", page=1, per_page=10, users=users, has_next=True, total=None)
    body = render_banned_page(page, PageCursor(guid="g", page=1, per_page=10)).to_dict()

    rows = [b for b in body["blocks"] if b.get("block_id", "").startswith("banned_user_")]
    assert len(rows) == 10
    assert len(body["blocks"]) <= 50
    overflow = [b for b in body["blocks"] if b.get("block_id") == "banned_overflow"]
    assert "90 more" in overflow[0]["elements"][0]["text"]


def test_fallback_text_says_user_for_one_and_users_for_more():
    from bot.cometchat.models import BannedPage, BannedUser
    from bot.domain.button_values import PageCursor
    from bot.slack.banned_page import render_banned_page

    cursor = PageCursor(guid="g", page=1, per_page=10)
    one = BannedPage(
        guid="g", page=1, per_page=10, users=(BannedUser(uid="u"),), has_next=False, total=1
    )
    two = BannedPage(
        guid="g",
        page=1,
        per_page=10,
        users=(BannedUser(uid="u"), BannedUser(uid="v")),
        has_next=False,
        total=2,
    )
    assert render_banned_page(one, cursor).text.startswith("1 user banned from g")
    assert render_banned_page(two, cursor).text.startswith("2 users banned from g")


# -- what the bot's history knows -------------------------------------------------------------

BANNED_AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def ban_event(uid: str, **fields: object) -> ModerationEvent:
    values: dict = {
        "guid": GUID,
        "uid": uid,
        "action": ModerationAction.BAN,
        "source": EventSource.BUTTON,
        "at": BANNED_AT,
        "actor": "U0ALICE",
        "reason": "spamming links",
        "ends_at": BANNED_AT + timedelta(days=4),
    }
    values.update(fields)
    return ModerationEvent(**values)


def section_text(message: dict, index: int) -> str:
    (section,) = [b for b in message["blocks"] if b.get("block_id") == f"banned_user_{index}"]
    return section["text"]["text"]


def test_a_known_ban_says_who_when_why_and_until_when_in_each_reader_s_time():
    cursor = PageCursor(guid=GUID, page=1, per_page=10)
    page = page_of([user(1), user(2)])
    message = render_banned_page(
        page, cursor, GROUP, known={"user-001": ban_event("user-001")}
    ).to_dict()
    line = section_text(message, 0).splitlines()[-1]
    at, ends = int(BANNED_AT.timestamp()), int((BANNED_AT + timedelta(days=4)).timestamp())
    assert line.startswith(f"Banned by <@U0ALICE> <!date^{at}^{{ago}}|")
    assert " · spamming links · " in line and f"ends <!date^{ends}^{{ago}}|" in line
    # Users the bot never saw banned get nothing extra (not "unknown").
    assert "Banned by" not in section_text(message, 1) and "unknown" not in section_text(message, 1)


def test_a_known_ban_s_reason_is_escaped_and_a_permanent_one_has_no_end():
    cursor = PageCursor(guid=GUID, page=1, per_page=10)
    hostile = ban_event(
        "user-001", reason="<!channel> *free* <https://evil.example|x>", ends_at=None
    )
    message = render_banned_page(
        page_of([user(1)]), cursor, GROUP, known={"user-001": hostile}
    ).to_dict()
    line = section_text(message, 0).splitlines()[-1]
    assert "<!channel>" not in line and "&lt;!channel&gt;" in line
    assert "<https://evil" not in line and "ends" not in line


def test_a_ban_heard_from_cometchat_names_its_actor_as_a_uid_not_a_mention():
    cursor = PageCursor(guid=GUID, page=1, per_page=10)
    heard = ban_event("user-001", actor="cometchat-uid-9", source=EventSource.WEBHOOK, reason="")
    message = render_banned_page(
        page_of([user(1)]), cursor, GROUP, known={"user-001": heard}
    ).to_dict()
    line = section_text(message, 0).splitlines()[-1]
    assert line.startswith("Banned by `cometchat-uid-9` <!date^")
    assert " · " not in line.split("|", 1)[0]  # no reason, no end


def test_a_cometchat_uid_shaped_like_a_slack_id_is_never_made_a_mention():
    cursor = PageCursor(guid=GUID, page=1, per_page=10)
    heard = ban_event("user-001", actor="U0ALICE", source=EventSource.WEBHOOK, reason="")
    message = render_banned_page(
        page_of([user(1)]), cursor, GROUP, known={"user-001": heard}
    ).to_dict()
    line = section_text(message, 0).splitlines()[-1]
    assert line.startswith("Banned by `U0ALICE` <!date^") and "<@U0ALICE>" not in line
