"""`python -m bot list <guid> [--page N]`: the banned list as a terminal table."""

from __future__ import annotations

import io

import pytest

from bot import __main__ as entry
from bot.cli.list_banned import clean, main, render_table, width
from bot.cometchat import BannedPage, Group
from tests.conftest import GUID
from tests.support.fakes.cometchat import API_KEY, FakeCometChat, make_user
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET


def run(argv, settings, cometchat: FakeCometChat) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, settings, transport=cometchat.transport(), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def page_of(users: list[dict], *, page: int = 1, per_page: int = 10, total: int | None = None):
    body = {"data": users, "meta": {"pagination": {"total": total or len(users)}}}
    return BannedPage.from_response("g-1", page, per_page, body)


def test_first_page_is_a_table_with_a_header_row_and_the_next_command(settings, cometchat):
    status, out, err = run([GUID], settings, cometchat)

    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"Banned from Hiking Group ({GUID})"
    assert lines[1] == "57 banned · showing 1–10 · page 1 of 6"
    header = lines[3].split()
    assert header[:3] == ["#", "Name", "UID"] and "Role" in header and "Status" in header
    rows = lines[5:15]
    assert [row.split()[0] for row in rows] == [str(i) for i in range(1, 11)]
    assert rows[0].split()[1:4] == ["User", "001", "user-001"]
    assert "2021-08-25 05:27" in rows[0]  # createdAt 1629869271, shown in UTC
    assert lines[-1] == f"Next:     python -m bot list {GUID} --page 2"
    assert not any(line.startswith("Previous") for line in lines)
    # The columns line up: every UID starts at the same offset as its header.
    column = lines[3].index("UID")
    assert all(row[column:].startswith("user-") for row in rows)


def test_a_middle_page_numbers_rows_from_where_it_starts_and_links_both_ways(settings, cometchat):
    status, out, _ = run([GUID, "--page", "3"], settings, cometchat)

    assert status == 0
    assert "showing 21–30 · page 3 of 6" in out
    assert "\n21  User 021" in out
    assert f"Previous: python -m bot list {GUID} --page 2" in out
    assert f"Next:     python -m bot list {GUID} --page 4" in out


def test_last_page_has_no_next(settings, cometchat):
    status, out, _ = run([GUID, "--page", "6"], settings, cometchat)

    assert status == 0
    assert "showing 51–57 · page 6 of 6" in out
    assert "user-057" in out and "Next:" not in out


def test_per_page_is_honoured_and_kept_in_the_next_command(settings, cometchat):
    status, out, _ = run([GUID, "--per-page", "25"], settings, cometchat)

    assert status == 0
    assert "showing 1–25 · page 1 of 3" in out
    assert "--per-page 25 --page 2" in out
    (request,) = [r for r in cometchat.requests if r.path.endswith("/bannedusers")]
    assert request.query["perPage"] == ["25"]


def test_empty_group_says_nobody_is_banned(settings, cometchat):
    status, out, _ = run(["empty-group"], settings, cometchat)

    assert status == 0
    assert out == "Banned from Quiet Corner (empty-group)\nNobody is banned from this group.\n"


def test_unknown_group_is_a_clear_error_on_stderr_with_status_1(settings, cometchat):
    status, out, err = run(["no-such-group"], settings, cometchat)

    assert status == 1 and out == ""
    assert err == "error: There is no group `no-such-group` in this CometChat app.\n"


def test_rejected_key_tells_the_operator_what_to_check_and_points_at_check(settings, cometchat):
    cometchat.api_key = "another-key"

    status, _, err = run([GUID], settings, cometchat)

    assert status == 1
    assert "COMETCHAT_API_KEY" in err and "python -m bot check" in err
    assert API_KEY not in err


def test_cometchat_down_says_try_again_without_emoji(settings, cometchat):
    cometchat.interceptor = lambda _r: (503, {"error": {"code": "ERR_EXCEPTION"}}, {})

    status, _, err = run([GUID], settings, cometchat)

    assert status == 1
    assert err.startswith("error: CometChat is not answering right now")
    assert ":hourglass:" not in err and "*" not in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["bad guid/with slash"], "is not a valid group id"),
        (["x" * 101], "is too long for a group id"),
        ([GUID, "--page", "0"], "argument --page: must be between 1 and 100000"),
        ([GUID, "--page", "two"], "argument --page: 'two' is not a whole number"),
        ([GUID, "--per-page", "500"], "argument --per-page: must be between 1 and 100"),
        ([], "the following arguments are required: guid"),
    ],
)
def test_bad_arguments_exit_2_and_look_nothing_up(settings, cometchat, argv, expected):
    status, out, err = run(argv, settings, cometchat)

    assert status == 2 and out == ""
    assert expected in err
    assert cometchat.requests == []


def test_names_cannot_inject_terminal_escapes_or_break_the_layout():
    evil = "\x1b[2J\x1b[31mMallory\r\nAdmin\u202eevil"
    table = render_table(page_of([make_user(1, name=evil, uid="u-1")]), Group(guid="g-1"))

    assert "\x1b" not in table and "\r" not in table and "\u202e" not in table
    row = table.splitlines()[5]
    assert row.startswith("1  ?[2J?[31mMallory? Admin?evil  u-1")


def test_long_and_wide_values_are_cut_to_their_column():
    long_name = "W" * 80
    table = render_table(page_of([make_user(1, name=long_name)]), Group(guid="g-1", name="G"))

    assert "W" * 31 + "…" in table and "W" * 32 not in table
    assert width("日本語") == 6
    assert width(clean("日本語の名前です" * 5, 11)) <= 11


def test_optional_columns_appear_only_when_someone_has_a_value():
    bare = {"uid": "u-1"}
    table = render_table(page_of([bare]), Group(guid="g-1"))

    header = table.splitlines()[3].split()
    assert header == ["#", "Name", "UID"]
    assert table.splitlines()[5].split() == ["1", "u-1", "u-1"]  # the name falls back to the uid


def test_python_m_bot_list_with_bad_settings_points_at_check(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "COMETCHAT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("COMETCHAT_APP_ID", "testapp")

    status = entry.main(["list", GUID])

    err = capsys.readouterr().err
    assert status == 2
    assert "  - COMETCHAT_API_KEY: missing" in err
    assert "python -m bot check" in err
    assert BOT_TOKEN not in err and SIGNING_SECRET not in err


def test_unknown_command_is_refused_before_reading_settings(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)

    status = entry.main(["lsit"])

    assert status == 2
    assert (
        "Unknown command 'lsit'. Try: python -m bot serve | check | list" in capsys.readouterr().err
    )
