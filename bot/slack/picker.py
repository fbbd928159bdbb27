"""The group picker: a type-ahead menu of the app's groups, and the options it loads. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from bot.cometchat.models import Group
from bot.domain.errors import InvalidGuid
from bot.domain.ids import validate_guid
from bot.slack import kit
from bot.slack.kit import Json
from bot.slack.message import Message
from bot.slack.text import truncate

ACTION_PICK_GROUP = "banned_pick_group"
PICKER_BLOCK_ID = "banned_picker"
PICKER_TEXT_BLOCK_ID = "banned_picker_text"
MAX_LABEL = 75  # Slack's limit for an option's text
MAX_VALUE = 150  # and for its value
MAX_OPTIONS = 100  # Slack shows at most 100 options


def with_group_picker(message: Message, prompt: str = "") -> Message:
    """`message` (already-safe mrkdwn, e.g. the usage text) followed by the group picker.

    `prompt` is shown above the menu only; the notification text stays `message.text`.
    """
    shown = f"{message.text}\n{prompt}" if prompt else message.text
    menu = kit.external_select(
        ACTION_PICK_GROUP,
        "Pick a group: type its name or id",
        min_query_length=0,  # open the menu on the first groups without typing
    )
    blocks = (
        kit.section(PICKER_TEXT_BLOCK_ID, truncate(shown, 3000)),
        kit.actions(PICKER_BLOCK_ID, [menu]),
    )
    return Message(text=message.text, blocks=blocks)


def group_options(groups: Iterable[Group]) -> list[Json]:
    """Options for the groups the bot can list (their GUID passes our validation).

    Labels are `plain_text` (nothing in them is parsed, so no escaping), folded to one line and
    cut to Slack's 75 characters; values are the GUID, which is at most 100 characters.
    """
    options: list[Json] = []
    seen: set[str] = set()
    for group in groups:
        try:
            guid = validate_guid(group.guid)
        except InvalidGuid:
            continue  # `/banned` could not open it either; better absent than broken
        if guid in seen or len(guid) > MAX_VALUE:
            continue
        seen.add(guid)
        name = " ".join((group.name or "").split())
        room = MAX_LABEL - len(guid) - 3  # keep the GUID readable when a name is long
        if name and name != guid and room >= 10:
            label = f"{truncate(name, room)} ({guid})"
        else:
            label = name if name and name != guid else guid
        options.append(kit.option(guid, truncate(label, MAX_LABEL)))
        if len(options) == MAX_OPTIONS:
            break
    return options
