"""Typed errors raised by the bot itself (not CometChat); worded for users in bot.slack.messages."""

from __future__ import annotations


class BotError(Exception):
    """Base of errors the user caused or can act on."""


class InvalidGuid(BotError):
    def __init__(self, guid: str, *, too_long: bool = False):
        super().__init__(guid)
        self.guid = guid
        self.too_long = too_long


class InvalidUid(BotError):
    """A CometChat user id typed (or sent) in a shape CometChat could never have issued."""

    def __init__(self, uid: str, *, too_long: bool = False):
        super().__init__(uid)
        self.uid = uid
        self.too_long = too_long


class BadCursor(BotError):
    """A button value that does not decode: tampered with, or from an incompatible version."""


class NotAllowed(BotError):
    """The Slack user (or channel) is not on the allowlist for this action."""

    def __init__(self, action: str = "view"):
        super().__init__(action)
        self.action = action


class QueryTooLong(BotError):
    """`/banned <guid> <text>` with a search text longer than a button value can carry."""

    def __init__(self, query: str, limit: int):
        super().__init__(query)
        self.query = query
        self.limit = limit


class ExportFailed(BotError):
    """Slack refused a step of the CSV upload. `reason` is Slack's error code (or ours)."""

    def __init__(self, reason: str, *, step: str, needed: str | None = None):
        super().__init__(f"{step}: {reason}")
        self.reason = reason
        self.step = step
        self.needed = needed  # the missing scope, when Slack says which


class ForeignWorkspace(BotError):
    """A request from a person of another Slack team or organisation (a Slack Connect channel
    shared with another company, say). The bot serves only the workspace it is installed in."""

    def __init__(self, team_id: str | None, enterprise_id: str | None = None):
        super().__init__(team_id or enterprise_id or "no team")
        self.team_id = team_id
        self.enterprise_id = enterprise_id


class JobQueueFull(BotError):
    """The background job queue is at its bound: new work is refused rather than queued."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


class ExportRunning(BotError):
    """This user already has an export in flight; a second one would only double the load."""


class ExportsBusy(BotError):
    """As many exports as this process allows are already running."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


class ScanRunning(BotError):
    """This user already has a scan of every group in flight."""


class ScansBusy(BotError):
    """As many scans as this process allows are already running (someone else's)."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


class ExportTimedOut(BotError):
    """The export spent its time budget before the list ended; nothing was sent."""

    def __init__(self, budget: float, *, pages: int, rows: int):
        super().__init__(f"{budget:g} s")
        self.budget = budget
        self.pages = pages
        self.rows = rows


class StartupError(Exception):
    """The bot cannot start. `str(error)` is one line for the operator, naming what to fix
    (never a secret's value). Not a BotError: no Slack user ever sees it."""


class BadDuration(BotError):
    """A ban duration that does not parse (`2x`) or lies outside what the bot accepts (`0m`,
    `400d`). `text` is what was typed."""

    def __init__(self, text: str, *, out_of_range: bool = False):
        super().__init__(text)
        self.text = text
        self.out_of_range = out_of_range


class ReasonTooLong(BotError):
    """A ban reason longer than the bot keeps."""

    def __init__(self, length: int, limit: int):
        super().__init__(f"{length} characters (at most {limit})")
        self.length = length
        self.limit = limit


class HistoryUnavailable(BotError):
    """The bot's database could not be reached (or refused a query)."""


class HistoryUnreadable(BotError):
    """A user's moderation history could not be read: the bot's database failed the query."""


class MassActionNeedsHistory(HistoryUnavailable):
    """A mass ban, or its undo, asked for while the bot's database cannot be reached: its users
    are listed there, and nothing could end or undo it."""


class UndoRefused(BotError):
    """A mass action that cannot be undone (any more): `why` is "too_late", "done" or
    "unknown"."""

    def __init__(self, why: str, *, hours: int = 24):
        super().__init__(why)
        self.why = why
        self.hours = hours


class LockdownNeedsHistory(HistoryUnavailable):
    """A lockdown, or its lifting, asked for while the bot's database cannot be reached: what
    the participants were allowed is kept there, and nothing could lift it on time."""


class BadLockdownDuration(BotError):
    """`/banned <guid> lockdown <duration>` with no usable duration (a lockdown always ends)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class BadCaseNumber(BotError):
    """`/banned case <n>` with something that is not a case number."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class UnknownCase(BotError):
    """No recorded event has this number (never, or let go of by the retention period)."""

    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


class CaseClosed(BotError):
    """A ban's length cannot change any more: it has ended, or a later decision replaced it."""

    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


class EndPassed(BotError):
    """A new length that would have ended the ban already: "End now" says that plainly."""


class NothingToRecord(BotError):
    """`/banned <guid> note <uid>` without the text to keep."""

    def __init__(self, verb: str):
        super().__init__(verb)
        self.verb = verb


class NotACasePost(BotError):
    """ "Open case" used on a message that is not one of the bot's posts about a case."""


class BadExportDays(BotError):
    """`/banned history export [<guid>] [<days>]` with days that are not a whole number from 1."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class ProtectedUser(BotError):
    """A uid on PROTECTED_UIDS (the app's own bots, staff accounts): the bot never bans them in
    many groups at once."""

    def __init__(self, uid: str):
        super().__init__(uid)
        self.uid = uid
