"""Export CSV: the whole banned list, streamed page by page, uploaded to the requester's DM."""

from __future__ import annotations

import csv
import io
import json
import logging

import pytest
from pydantic import SecretStr

from bot.cometchat import CometChatClient
from bot.domain.button_values import PageCursor
from bot.domain.permissions import Permissions
from bot.slack.list_tools import ACTION_EXPORT
from bot.usecases.export import HEADER, cell, iso_utc, write_banned_csv
from tests.conftest import GUID, make_settings
from tests.support.fakes.cometchat import API_KEY, FakeCometChat, make_user
from tests.support.fakes.slack import action_body, command_body

USER = "U0MOD"


def _client(fake: FakeCometChat) -> CometChatClient:
    return CometChatClient(
        "https://cometchat.test/v3", SecretStr(API_KEY), transport=fake.transport()
    )


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _export(live_app, slack, guid: str, tag: str, *, user_id: str = USER) -> list:
    """Click Export for `guid`; return the two replies (started, done) to the response_url."""
    value = PageCursor(guid=guid, page=1, per_page=10).encode()
    url = f"{slack.url}/response/{tag}"
    assert live_app.post(action_body(ACTION_EXPORT, value, url, user_id=user_id)).status_code == 200
    return slack.wait_for(2, path_prefix=f"/response/{tag}")


def _api(slack, method: str) -> list:
    return [r for r in slack.received if r.path == f"/api/{method}"]


# -- the CSV -----------------------------------------------------------------------------------


def test_csv_of_a_multi_page_group_has_one_row_per_banned_user():
    fake = FakeCometChat()
    fake.add_group("g", banned=250)
    out = io.BytesIO()
    stats = write_banned_csv(_client(fake), "g", out)
    rows = _rows(out.getvalue())
    assert stats.rows == len(rows) == len(fake.banned["g"]) == 250
    assert stats.pages == 3 and stats.complete and stats.size == len(out.getvalue())
    assert [r["uid"] for r in rows] == [u["uid"] for u in fake.banned["g"]]
    assert tuple(rows[0]) == HEADER


def test_csv_has_every_documented_field_and_iso_times_but_not_metadata():
    fake = FakeCometChat()
    fake.add_group("g")
    fake.banned["g"] = [
        make_user(
            7,
            link="https://example.com/u7",
            scope="participant",
            joinedAt=1_700_000_000,
            bannedAt=1_700_000_123_000,  # milliseconds, as some payloads use
            conversationId="group_g",
        )
    ]
    out = io.BytesIO()
    write_banned_csv(_client(fake), "g", out)
    (row,) = _rows(out.getvalue())
    assert row["uid"] == "user-007" and row["name"] == "User 007"
    assert row["avatar"] == "https://example.com/avatars/7.png"
    assert row["link"] == "https://example.com/u7" and row["scope"] == "participant"
    assert row["status"] == "offline" and row["role"] == "default"
    assert row["createdAt"] == str(1_629_869_277) and row["createdAtUtc"] == "2021-08-25T05:27:57Z"
    assert row["joinedAtUtc"] == "2023-11-14T22:13:20Z"
    assert row["bannedAt"] == "1700000123000" and row["bannedAtUtc"] == "2023-11-14T22:15:23Z"
    assert row["conversationId"] == "group_g"
    assert "metadata" not in row and b"@example.com" not in out.getvalue()  # private: email


def test_cells_a_spreadsheet_would_run_as_formulas_are_defused():
    assert cell('=HYPERLINK("https://evil.example","x")').startswith("'=")
    assert cell("+1") == "'+1" and cell("-1") == "'-1" and cell("@SUM(A1)") == "'@SUM(A1)"
    assert cell('Ann, "the" mod\nline') == 'Ann, "the" mod\nline'  # csv quotes these
    assert cell(None) == "" and cell(12) == "12"


def test_iso_times_skip_garbage():
    assert iso_utc(None) == "" and iso_utc(-5) == "" and iso_utc(99) == ""
    assert iso_utc(1_629_869_270) == "2021-08-25T05:27:50Z"


def test_a_server_that_never_reports_the_end_is_cut_at_the_bound():
    fake = FakeCometChat()
    fake.add_group("g", banned=100)
    # Every page answered with the same full page and "more to come".
    fake.interceptor = lambda rec: (
        200,
        {"data": fake.banned["g"], "meta": {"pagination": {"total": 10**6, "total_pages": 10**4}}},
        {},
    )
    stats = write_banned_csv(_client(fake), "g", io.BytesIO(), max_pages=5)
    assert stats.pages == 5 and not stats.complete and stats.rows == 100  # each uid once


# -- through the real app: the upload flow -----------------------------------------------------


@pytest.mark.parametrize("banned", [57, 250])
def test_export_uploads_the_whole_list_to_the_requesters_dm(live_app, slack, cometchat, banned):
    cometchat.add_group("many", "Many <b>", banned=banned)
    started, done = _export(live_app, slack, "many", f"e{banned}")

    assert "Exporting" in started.body["text"] and started.body["replace_original"] is False
    assert (
        f"*{banned:,}* banned users" in done.body["text"] and "direct message" in done.body["text"]
    )
    assert "Many &lt;b&gt;" in done.body["text"]

    (opened,) = _api(slack, "conversations.open")
    assert opened.body["users"] == USER
    (ticket,) = _api(slack, "files.getUploadURLExternal")
    (upload,) = slack.uploads()
    assert int(ticket.body["length"]) == len(upload.raw)  # Slack is told the exact size
    assert ticket.body["filename"].startswith("banned-many-") and ticket.body["filename"].endswith(
        ".csv"
    )
    assert "authorization" not in upload.headers  # the upload URL needs no token
    rows = _rows(upload.raw)
    assert len(rows) == banned == len(cometchat.banned["many"])  # CSV rows == group total
    (complete,) = _api(slack, "files.completeUploadExternal")
    assert complete.body["channel_id"] == "D0" + USER[1:]  # the DM, not the channel
    assert json.loads(complete.body["files"])[0]["title"] == "Banned from Many <b>"
    assert "Many &lt;b&gt;" in complete.body["initial_comment"]


def test_export_from_the_list_page_button(live_app, slack):
    page = live_app.post(command_body(GUID, slack.url + "/response/0")).json()
    (button,) = [
        e
        for b in page["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == ACTION_EXPORT
    ]
    url = slack.url + "/response/btn"
    assert live_app.post(action_body(ACTION_EXPORT, button["value"], url)).status_code == 200
    slack.wait_for(2, path_prefix="/response/btn")
    (upload,) = slack.uploads()
    assert len(_rows(upload.raw)) == 57


def test_missing_scope_is_explained_and_nothing_is_read_or_uploaded(
    live_app, slack, cometchat, caplog
):
    caplog.set_level(logging.WARNING)
    slack.api_answers["conversations.open"] = lambda r: {
        "ok": False,
        "error": "missing_scope",
        "needed": "im:write",
    }
    _, failed = _export(live_app, slack, GUID, "scope")
    assert "`missing_scope`" in failed.body["text"] and "nothing was sent" in failed.body["text"]
    assert slack.uploads() == [] and _api(slack, "files.getUploadURLExternal") == []
    assert not [r for r in cometchat.requests if r.path.endswith("/bannedusers")]
    # The operator's log line names the missing scope and the fix.
    assert any(
        "needs im:write" in r.getMessage() and "manifest.yml" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )


def test_rejected_upload_is_explained_and_the_file_is_not_shared(live_app, slack):
    slack.api_answers["files.getUploadURLExternal"] = lambda r: {
        "ok": True,
        "upload_url": slack.url + "/response/upload-rejects",  # FakeSlack answers 500 here
        "file_id": "F0NOPE",
    }
    slack.response_status = 500
    url = slack.url + "/response/rej"
    value = PageCursor(guid=GUID, page=1, per_page=10).encode()
    live_app.post(action_body(ACTION_EXPORT, value, url))
    slack.wait_for(1, path_prefix="/response/upload-rejects")
    _, failed = slack.wait_for(2, path_prefix="/response/rej")
    assert "`http_500`" in failed.body["text"] and "nothing was sent" in failed.body["text"]
    assert _api(slack, "files.completeUploadExternal") == []


def test_refused_viewer_cannot_export(live_app, slack, cometchat):
    live_app.services.permissions = Permissions(make_settings(viewer_user_ids="U0OTHER"))
    value = PageCursor(guid=GUID, page=1, per_page=10).encode()
    url = slack.url + "/response/no"
    assert (
        live_app.post(action_body(ACTION_EXPORT, value, url, user_id="U0NOPE")).status_code == 200
    )
    (reply,) = slack.wait_for(1, path_prefix="/response/no")
    assert "not allowed" in reply.body["text"]
    assert (
        cometchat.requests == []
        and slack.uploads() == []
        and _api(slack, "conversations.open") == []
    )


def test_export_of_an_unknown_group_says_so(live_app, slack):
    _, failed = _export(live_app, slack, "gone-group", "gone")
    assert "There is no group `gone-group`" in failed.body["text"]
    assert slack.uploads() == []


def test_cometchat_failing_mid_export_is_explained_and_nothing_is_uploaded(
    live_app, slack, cometchat
):
    cometchat.add_group("many", "Many", banned=250)
    cometchat.interceptor = lambda rec: (
        (503, {"error": {"code": "ERR_EXCEPTION"}}, {}) if rec.query.get("page") == ["2"] else None
    )
    _, failed = _export(live_app, slack, "many", "mid")
    assert "CometChat is not answering" in failed.body["text"]
    assert slack.uploads() == [] and _api(slack, "files.completeUploadExternal") == []
