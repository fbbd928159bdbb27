"""Export history: the moderation history as CSV in the requester's DM, by command and from the
Home tab, through the real app (the banned list's export path: slots, upload flow, formula
guard); the CSV written from the store on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.button_values import HistoryExportRef
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.slack.home_blocks import ACTION_HOME_EXPORT_HISTORY
from bot.usecases.export import HISTORY_HEADER, write_history_csv
from tests.conftest import GUID
from tests.integration.test_export import USER, _api, _rows
from tests.support.fakes.slack import action_body, command_body, home_opened_body
from tests.support.slack_limits import assert_valid_message, assert_valid_slack_post

NOW = datetime.now(UTC).replace(microsecond=0)


def _event(guid: str, uid: str, action: str, source: str, ago: timedelta, **kw) -> ModerationEvent:
    return ModerationEvent(
        guid=guid,
        uid=uid,
        action=ModerationAction(action),
        source=EventSource(source),
        at=NOW - ago,
        actor=kw.pop("actor", "U0MOD"),
        **kw,
    )


def _events(store) -> list[ModerationEvent]:
    """A ban for 7 days with a hostile reason, a permanent one, a note, an old unban, another
    group's kick."""
    made = [
        _event(
            GUID,
            "u-1",
            "ban",
            "command",
            timedelta(days=1),
            reason='=HYPERLINK("http://evil","x"), said "hi"',
            ends_at=NOW + timedelta(days=6),
        ),
        _event(
            GUID,
            "u-2",
            "ban",
            "webhook",
            timedelta(hours=2),
            actor="cometchat-admin",
            reason="+1 spam\nagain",
        ),
        _event(GUID, "u-2", "note", "command", timedelta(hours=1), reason="@everyone warned"),
        _event(GUID, "u-3", "unban", "button", timedelta(days=40)),
        _event("other-group", "u-4", "kick", "command", timedelta(minutes=5), reason="-flood"),
    ]
    return [store.record(e) for e in made]


def _csv(store, **kw) -> list[dict[str, str]]:
    out = io.BytesIO()
    stats = write_history_csv(store, out, batch=2, **kw)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"), newline="")))
    assert stats.rows == len(rows) and stats.complete and stats.size == len(out.getvalue())
    return rows


def test_one_row_per_case_oldest_first_with_every_column(store):
    kept = _events(store)
    rows = _csv(store)

    assert tuple(rows[0]) == HISTORY_HEADER == (
        "case", "time_utc", "group", "user", "action", "actor", "source", "reason",
        "duration", "end_utc",
    )  # fmt: skip
    assert [int(r["case"]) for r in rows] == sorted(e.id for e in kept)
    ban = next(r for r in rows if r["case"] == str(kept[0].id))
    assert ban["time_utc"] == (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (ban["group"], ban["user"], ban["action"], ban["actor"], ban["source"]) == (
        GUID, "u-1", "ban", "U0MOD", "command",
    )  # fmt: skip
    assert ban["duration"] == "7 days"
    assert ban["end_utc"] == (NOW + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    permanent = next(r for r in rows if r["case"] == str(kept[1].id))
    assert (permanent["duration"], permanent["end_utc"]) == ("permanent", "")
    note = next(r for r in rows if r["case"] == str(kept[2].id))
    assert (note["action"], note["duration"]) == ("note", "")


def test_cells_a_spreadsheet_would_run_are_defused(store):
    kept = _events(store)
    by_case = {r["case"]: r for r in _csv(store)}
    assert by_case[str(kept[0].id)]["reason"] == '\'=HYPERLINK("http://evil","x"), said "hi"'
    assert by_case[str(kept[1].id)]["reason"] == "'+1 spam\nagain"
    assert by_case[str(kept[2].id)]["reason"] == "'@everyone warned"
    assert by_case[str(kept[4].id)]["reason"] == "'-flood"


def test_a_group_and_a_number_of_days_narrow_it(store):
    kept = _events(store)
    rows = _csv(store, guid=GUID, since=NOW - timedelta(days=30))
    assert [int(r["case"]) for r in rows] == [kept[0].id, kept[1].id, kept[2].id]


# -- through the real app -----------------------------------------------------------------------


def _command(live_app, slack, text: str, tag: str, user: str = USER) -> dict:
    response = live_app.post(command_body(text, f"{slack.url}/response/{tag}", user_id=user))
    assert response.status_code == 200
    assert_valid_message(response.json(), where="ack")
    return response.json()


def test_the_command_uploads_the_history_to_the_requesters_dm(live_app, slack):
    kept = _events(live_app.services.store)
    started = _command(live_app, slack, f"history export {GUID} 30", "h1")
    assert "Exporting the moderation history" in started["text"]
    assert f"group `{GUID}`, the last 30 days" in started["text"]

    (done,) = slack.wait_for(1, path_prefix="/response/h1")
    assert "*3* cases" in done.body["text"] and "direct message" in done.body["text"]
    (opened,) = _api(slack, "conversations.open")
    assert opened.body["users"] == USER
    (ticket,) = _api(slack, "files.getUploadURLExternal")
    assert ticket.body["filename"].startswith(f"history-{GUID}-")
    (upload,) = slack.uploads()
    assert int(ticket.body["length"]) == len(upload.raw)
    assert [int(r["case"]) for r in _rows(upload.raw)] == [e.id for e in kept[:3]]
    (complete,) = _api(slack, "files.completeUploadExternal")
    assert complete.body["channel_id"] == "D0" + USER[1:]
    assert "oldest first" in complete.body["initial_comment"]


@pytest.mark.parametrize(
    ("typed", "says"),
    [("history export 0", "is not a number of days"), ("history export bad/guid", "valid group")],
)
def test_a_bad_export_command_is_worded_and_nothing_is_sent(live_app, slack, typed, says):
    assert says in _command(live_app, slack, typed, "bad")["text"]
    assert slack.uploads() == [] and _api(slack, "conversations.open") == []


def test_a_second_export_while_one_runs_is_refused(live_app, slack):
    live_app.services.exports.take(USER)  # one of this person's is running
    answer = _command(live_app, slack, "history export", "busy")
    assert "already have an export running" in answer["text"]
    assert slack.uploads() == []


def test_the_home_tabs_button_exports_everything_and_says_so_on_the_home_tab(live_app, slack):
    kept = _events(live_app.services.store)
    raw = home_opened_body(USER)
    live_app.post(raw, content_type="application/json")
    (home,) = slack.wait_for(1, path_prefix="/api/views.publish")
    view = home.body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    buttons = [
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == ACTION_HOME_EXPORT_HISTORY
    ]
    assert [HistoryExportRef.decode(b["value"]) for b in buttons] == [HistoryExportRef()]

    click = action_body(ACTION_HOME_EXPORT_HISTORY, buttons[0]["value"], "")
    assert live_app.post(click).status_code == 200
    published = slack.wait_for(3, path_prefix="/api/views.publish")
    notices = [json.dumps(p.body["view"]) for p in published[1:]]
    assert "Exporting the moderation history" in notices[0]
    assert "*5* cases" in notices[-1]
    (upload,) = slack.uploads()
    assert sorted(int(r["case"]) for r in _rows(upload.raw)) == sorted(e.id for e in kept)
    for item in slack.received:
        assert_valid_slack_post(item.path, item.body)
