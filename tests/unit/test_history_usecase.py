"""The history use case never raises: a database failure and a bug each end in words."""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from bot.domain.button_values import HistoryRef
from bot.domain.errors import HistoryUnreadable
from bot.usecases.history import show_history

REF = HistoryRef(guid="cometchat-guid-1", uid="cometchat-uid-7")


class FailingStore:
    def __init__(self, error: Exception):
        self.error = error

    def history(self, *_args: object, **_kwargs: object) -> None:
        raise self.error


def test_a_database_error_becomes_history_unreadable_at_warning(caplog):
    caplog.set_level(logging.INFO, logger="bot.requests")
    error = OperationalError("SELECT …", {}, Exception("password=hunter2 refused"))
    outcome = show_history(FailingStore(error), REF, event="command")  # type: ignore[arg-type]
    assert not outcome.ok and isinstance(outcome.error, HistoryUnreadable)
    assert "cannot be read right now" in outcome.message.text
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and "cause=OperationalError" in record.getMessage()
    assert "hunter2" not in caplog.text  # the driver's message is not logged


def test_a_bug_is_logged_with_its_trace_and_still_answered(caplog):
    caplog.set_level(logging.INFO, logger="bot.requests")
    outcome = show_history(FailingStore(KeyError("oops")), REF, event="command")  # type: ignore[arg-type]
    assert not outcome.ok
    assert "Something went wrong" in outcome.message.text
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None
