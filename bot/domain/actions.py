"""Moderation actions as data: one row per `ModerationAction`, read by everything that words,
draws, permits or performs one. A renderer or use case looks its action up here; none branches
on the action's name. Adding an action CometChat supports is a row here, its client method and
its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.member_events import Trigger
from bot.domain.moderation import ModerationAction


class Role(StrEnum):
    """Who may ask the bot for an action."""

    MODERATOR = "moderator"  # a Slack user on MODERATOR_USER_IDS
    NOBODY = "nobody"  # the bot only hears of it (webhooks) or does it by itself (expiry)


@dataclass(frozen=True)
class ActionSpec:
    action: ModerationAction
    verb: str  # the imperative, lower case: "ban"; "tried to ban", "the ban of", the button
    past: str  # "banned": "Nobody was banned", "@alice banned `u` from group `g`"
    icon: str  # beside it in the history and the audit channel
    notice_icon: str  # beside "Banned `u` from `g`" when the bot has just done it
    feed_icon: str  # beside a webhook event in the live feed
    # The CometChatClient method that does it, called (guid, uid); never retried. None: not
    # something the bot does on request, or (asked for by command) only recorded.
    write: str | None = None
    confirm: bool = True  # asks "are you sure?" before CometChat is called
    who: Role = Role.NOBODY
    temporary: bool = False  # may carry a duration, after which the bot undoes it
    command: bool = False  # `/banned <guid> <verb> <uid> …` asks for it
    consequence: str = ""  # what the confirmation says happens to the user, in plain text
    # For an action on many users at once: the CometChatClient method that does it, called
    # (guid, uids) with one answer per user, and the action each user's own case records.
    bulk: str | None = None
    each: ModerationAction | None = None
    # For an action on a whole group: the CometChatClient method setting its participants'
    # permissions, called (guid, scope, {permission: value}), and the permissions it denies.
    scope_write: str | None = None
    denies: tuple[str, ...] = ()
    # A list page offers it for the users a moderator ticks ("Unban selected"), confirmed
    # first, then done to each through the one path as if asked for one by one.
    pick_many: bool = False
    argument: str = "[<reason…>]"  # what the command takes after the uid
    reason_label: str = "Reason"  # what the history calls the text kept with it
    # For an action a moderator may take in many groups at once from `/banned user <uid>`
    # (unban where banned, ban where a member): its button's words ("{count}": how many groups).
    everywhere: str = ""
    already: str = ""  # what CometChat said when it was so already: "already banned"

    def perform(self, client: object, guid: str, uid: str, *, bulk: bool = False) -> None:
        """Ask CometChat to do it: `client` is the CometChatClient (looked up on the instance, so
        a test double's method is used; the domain imports no HTTP client). `bulk`: one of many,
        which waits its turn in the rate-limit governor."""
        if self.write is None:
            raise ValueError(f"the bot does not {self.verb} on request")
        write = getattr(client, self.write)
        if bulk:
            write(guid, uid, bulk=True)
        else:
            write(guid, uid)

    @property
    def headline(self) -> str:
        """The past tense as a line starts it: "Banned", "Scope changed"."""
        return self.past[:1].upper() + self.past[1:]

    @property
    def button(self) -> str:
        """The imperative as a button says it: "Ban"."""
        return self.verb[:1].upper() + self.verb[1:]

    @property
    def permission(self) -> str:
        """What a refusal says the person may not do: "ban users", "lock down groups"."""
        return f"{self.verb} {'groups' if self.scope_write else 'users'}"

    @property
    def records_only(self) -> bool:
        """Asked for by command, and only recorded: nothing is asked of CometChat."""
        return self.command and self.write is None

    @property
    def picked_button(self) -> str:
        """The list's button for the users ticked: "Unban selected"."""
        return f"{self.button} selected"

    @property
    def confirmable(self) -> bool:
        """A moderator's action on one user that a confirmation (with the user's card) asks
        about before CometChat is called: a kick, an unban (a ban has its own, with a duration)."""
        return (
            self.write is not None
            and self.confirm
            and not self.temporary
            and self.who is Role.MODERATOR
        )

    @property
    def nobody(self) -> str:
        """The sentence closing an attempt that changed nothing: "Nobody was banned."."""
        return f"Nobody was {self.past}."


ACTIONS: dict[ModerationAction, ActionSpec] = {
    spec.action: spec
    for spec in (
        ActionSpec(
            ModerationAction.BAN,
            verb="ban",
            past="banned",
            icon=":no_entry_sign:",
            notice_icon=":no_entry_sign:",
            feed_icon=":no_entry:",
            write="ban",
            who=Role.MODERATOR,
            temporary=True,
            command=True,
            consequence="They will be removed from the group and cannot rejoin it.",
            everywhere="Ban in every group they are a member of",
            already="already banned",
        ),
        ActionSpec(
            ModerationAction.UNBAN,
            verb="unban",
            past="unbanned",
            icon=":unlock:",
            notice_icon=":white_check_mark:",
            feed_icon=":white_check_mark:",
            write="unban",
            who=Role.MODERATOR,
            command=True,
            pick_many=True,
            consequence="They will be able to rejoin the group at once.",
            everywhere="Unban in all {count} groups",
            already="already not banned",
        ),
        ActionSpec(
            ModerationAction.KICK,
            verb="kick",
            past="kicked",
            icon=":boot:",
            notice_icon=":boot:",
            feed_icon=":boot:",
            write="kick",
            who=Role.MODERATOR,
            command=True,
            consequence="They will be removed from the group, and may join it again.",
        ),
        ActionSpec(
            ModerationAction.SCOPE_CHANGE,
            verb="change the scope of",
            past="scope changed",
            icon=":busts_in_silhouette:",
            notice_icon=":busts_in_silhouette:",
            feed_icon=":arrows_counterclockwise:",
            confirm=False,
        ),
        ActionSpec(
            ModerationAction.NOTE,
            verb="note",
            past="noted",
            icon=":memo:",
            notice_icon=":memo:",
            feed_icon=":memo:",
            confirm=False,
            who=Role.MODERATOR,
            command=True,
            argument="<text…>",
            reason_label="Note",
        ),
        ActionSpec(
            ModerationAction.EXPIRE,
            verb="end the ban of",
            past="unbanned automatically",
            icon=":hourglass_flowing_sand:",
            notice_icon=":hourglass:",
            feed_icon=":hourglass:",
            confirm=False,
        ),
        ActionSpec(
            ModerationAction.MASS_BAN,
            verb="mass ban",
            past="mass banned",
            icon=":rotating_light:",
            notice_icon=":rotating_light:",
            feed_icon=":rotating_light:",
            who=Role.MODERATOR,
            temporary=True,
            bulk="ban_many",
            each=ModerationAction.BAN,
            consequence="They will be removed from the group and cannot rejoin it.",
        ),
        ActionSpec(
            ModerationAction.LOCKDOWN,
            verb="lock down",
            past="locked down",
            icon=":lock:",
            notice_icon=":lock:",
            feed_icon=":lock:",
            who=Role.MODERATOR,
            temporary=True,
            scope_write="set_scope_permissions",
            denies=("sendMessage",),
            consequence="Participants cannot send messages; moderators and admins still can.",
        ),
        ActionSpec(
            ModerationAction.LOCKDOWN_END,
            verb="lift the lockdown of",
            past="lockdown lifted",
            icon=":key:",
            notice_icon=":key:",
            feed_icon=":key:",
            who=Role.MODERATOR,
            confirm=False,
            scope_write="set_scope_permissions",
            consequence="Participants' permissions are put back as they were.",
        ),
    )
}

# The actions `/banned <guid> <verb> <uid> …` asks for, by verb.
COMMAND_VERBS: dict[str, ActionSpec] = {s.verb: s for s in ACTIONS.values() if s.command}


# What each of CometChat's group-member webhooks reports, as an action.
HEARD: dict[Trigger, ModerationAction] = {
    Trigger.BANNED: ModerationAction.BAN,
    Trigger.UNBANNED: ModerationAction.UNBAN,
    Trigger.KICKED: ModerationAction.KICK,
    Trigger.SCOPE_CHANGED: ModerationAction.SCOPE_CHANGE,
}
