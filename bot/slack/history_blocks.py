"""A user's moderation history in a group, as Block Kit. Pure: events in, message out."""

from __future__ import annotations

ACTION_HISTORY = "banned_history"  # a list row's "History": value is a HistoryRef
ACTION_HISTORY_OLDER = "banned_history_older"  # the next (older) 20 events
