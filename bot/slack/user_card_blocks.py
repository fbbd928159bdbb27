"""Who a moderation is about, as Block Kit: the user's profile and latest messages in the group,
shown in a confirmation before anything changes. Pure: a card in, blocks out. Everything the
user wrote (name, messages) is someone else's text: escaped, folded onto one line and cut."""

from __future__ import annotations

from bot.domain.evidence import UserCard
from bot.slack import kit
from bot.slack.kit import Json
from bot.slack.text import code, date_token, escape, truncate

CARD_BLOCK_ID = "card_profile"
MESSAGES_BLOCK_ID = "card_messages"
MISSING_BLOCK_ID = "card_missing"
NAME_LIMIT = 100
MESSAGE_LIMIT = 300  # five of them, their dates and a title stay far below a section's 3,000


def card_blocks(card: UserCard) -> list[Json]:
    """Three blocks at most: the profile, the recent messages, and what could not be read."""
    blocks: list[Json] = []
    user = card.user
    if user is not None:
        facts = [f"*{_one_line(user.display_name, NAME_LIMIT)}* {code(user.uid)}"]
        if user.role:
            facts.append(f"role {code(truncate(user.role, 50))}")
        if user.status:
            facts.append(escape(truncate(user.status, 30)))
        created = user.created_at
        if created is not None and _plausible(created):
            days = max(0, int(card.read_at.timestamp()) - created) // 86400
            age = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"
            facts.append(f"account created {date_token(created)} ({age})")
        accessory = None
        if user.avatar and kit.usable_image_url(user.avatar):
            accessory = kit.image(user.avatar, truncate(user.display_name, 100))
        blocks.append(kit.section(CARD_BLOCK_ID, " · ".join(facts), accessory))
    if card.messages is not None:
        if card.messages:
            lines = ["*Latest messages in this group:*"]
            for message in card.messages:
                sent = message.sent_at
                when = date_token(sent) if sent is not None and _plausible(sent) else "undated"
                lines.append(f"• {when}: {_one_line(message.text or '', MESSAGE_LIMIT)}")
            text = "\n".join(lines)
        else:
            text = f"No text messages from {code(card.uid)} in this group."
        blocks.append(kit.section(MESSAGES_BLOCK_ID, text))
    if card.missing:
        blocks.append(
            kit.context(MISSING_BLOCK_ID, f":grey_question: Not shown: {_and(card.missing)}.")
        )
    return blocks


SUMMARY_MESSAGE_LIMIT = 100  # a history line holds up to five of them


def card_summary(card: UserCard, *, messages: int = 5) -> str:
    """The card kept with an action, in a few lines under its history entry (at most
    `messages` of its messages)."""
    when = date_token(int(card.read_at.timestamp()))
    head = f"_Shown before confirming ({when}):_"
    if card.user is not None:
        head += f" *{_one_line(card.user.display_name, NAME_LIMIT)}*"
    lines = [head]
    for message in (card.messages or ())[:messages]:
        sent = message.sent_at
        at = date_token(sent) if sent is not None and _plausible(sent) else "undated"
        lines.append(f"   • {at}: {_one_line(message.text or '', SUMMARY_MESSAGE_LIMIT)}")
    if card.messages == ():
        lines.append("   • no text messages in this group")
    if card.missing:
        lines.append(f"   • not read: {escape(_and(card.missing))}")
    return "\n".join(lines)


def _plausible(epoch: int) -> bool:
    """A time worth showing: after 1970 and before the year 5000 (CometChat's are seconds)."""
    return 0 < epoch < 95_617_584_000


def _one_line(text: str, limit: int) -> str:
    return escape(truncate(" ".join(text.split()), limit)) or "(empty)"


def _and(parts: tuple[str, ...]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
