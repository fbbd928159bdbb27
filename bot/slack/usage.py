"""How `/banned` explains itself: the usage text, shown alone or under a complaint."""

from __future__ import annotations

from bot.slack.message import Message

USAGE = (
    # `<…>` is Slack's control syntax even inside code spans, hence &lt; &gt; for placeholders.
    "*Usage:* `/banned &lt;group-guid&gt;` lists who is banned from a CometChat group, "
    "a page at a time, with Previous/Next buttons.\n"
    "`/banned &lt;group-guid&gt; &lt;text&gt;` lists only those whose name or uid contains "
    "the text.\n"
    "`/banned` alone offers a menu of the app's groups: type to find one.\n"
    "`/banned &lt;group-guid&gt; ban &lt;uid&gt; [&lt;duration&gt;] [&lt;reason…&gt;]` bans a "
    "user from the group once you confirm (moderators only; they also get Unban buttons on the "
    "list). The duration is a number and a unit, `30m`, `2h`, `7d` or `2w`, from 1 minute to "
    "365 days, after which the bot unbans them; without one, or with `permanent`, the ban "
    "lasts until someone unbans them.\n"
    "`/banned &lt;group-guid&gt; history &lt;uid&gt;` shows what the bot knows of a user in the "
    "group (bans, unbans, kicks, newest first); so does each row's History button.\n"
    "`/banned user &lt;uid&gt;` shows every group a user is banned from: the bot's history at "
    "once, then a scan of every group, whose result follows.\n"
    "*Example:* `/banned cometchat-guid-1`, or "
    "`/banned cometchat-guid-1 ban cometchat-uid-7 24h spamming links`\n"
    "`/banned help` shows this message."
)


def usage(prefix: str = "") -> Message:
    text = f"{prefix}\n\n{USAGE}" if prefix else USAGE
    return Message(text=text)
