"""`python -m bot where <uid>`: the history's answer, then the scan, as plain text; CometChat is
FakeCometChat over MockTransport, the store the per-test SQLite file of make_settings."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest

from bot.cli.where import main
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.services import build_store
from tests.conftest import make_settings
from tests.support.fakes.cometchat import FakeCometChat, make_user

UID = "troll-7"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def fake_with(count: int, banned_in: tuple[int, ...]) -> FakeCometChat:
    fake = FakeCometChat()
    for i in range(count):
        fake.add_group(f"g-{i:03d}", f"Group {i:03d}", banned=2)
        if i in banned_in:
            fake.banned[f"g-{i:03d}"].append(make_user(900, uid=UID, name="Troll\x1b[31m"))
    return fake


@pytest.fixture
def settings():
    return make_settings()


@pytest.fixture
def store(settings):
    built = build_store(settings)
    yield built
    built.engine.dispose()


def run(argv, settings, fake, store) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, settings, transport=fake.transport(), store=store, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_prints_the_history_then_the_scan_and_records_it(settings, store):
    fake = fake_with(5, banned_in=(1, 4))
    store.record(
        ModerationEvent(
            guid="g-001",
            uid=UID,
            action=ModerationAction.BAN,
            source=EventSource.COMMAND,
            at=T0,
            actor="UALICE",
            reason="spam\x1b[2J links",
        )
    )
    status, out, err = run([UID], settings, fake, store)

    assert status == 0
    history, scan = out.split("From a scan")
    assert "From the bot's history: banned in 1 group" in history
    assert "g-001: banned 2026-03-01 12:00 UTC by UALICE (Slack). Reason: spam?[2J links" in history
    assert " of all 5 groups: banned in 2 groups" in scan
    assert "Group 001 (g-001): banned 2026-03-01 12:00 UTC by UALICE" in scan
    assert "Group 004 (g-004): seen banned by a scan" in scan
    assert "Recorded 1 change(s)" in scan
    assert "\x1b" not in out
    assert "scanned 5 of 5 groups" in err
    assert {b.guid for b in store.bans_of(UID)} == {"g-001", "g-004"}


def test_a_user_banned_nowhere_is_said_so(settings, store):
    status, out, _ = run(["nobody"], settings, fake_with(3, ()), store)
    assert status == 0
    assert "it knows of no group where nobody is banned" in out
    assert "From a scan of all 3 groups: nobody is not banned in any group." in out


def test_a_malformed_uid_exits_2_and_looks_nothing_up(settings, store):
    fake = fake_with(2, ())
    status, out, err = run(["a/b"], settings, fake, store)
    assert status == 2 and out == ""
    assert "'a/b' is not a valid CometChat user id" in err and "Nothing was looked up" in err
    assert fake.requests == []
    assert run([], settings, fake, store)[0] == 2


def test_cometchat_refusing_exits_1_and_records_nothing(settings, store):
    fake = fake_with(3, banned_in=(0,))
    fake.api_key = "another-key"
    status, out, err = run([UID], settings, fake, store)
    assert status == 1
    assert "From the bot's history" in out and "From a scan" not in out
    assert err.startswith("error: the scan did not finish, so nothing was recorded")
    assert store.states_of(UID) == {}


def test_python_m_bot_where_is_wired(monkeypatch, tmp_path, capsys):
    from bot import __main__ as entry
    from tests.conftest import API_KEY, BOT_TOKEN, SIGNING_SECRET

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("COMETCHAT_APP_ID", "testapp")
    monkeypatch.setenv("COMETCHAT_API_KEY", API_KEY)

    # The entry point sets up the process's logging on this test's stdout: put pytest's back,
    # or a later test's background job writes to a closed stream.
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        status = entry.main(["where", "a/b"])
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)

    assert status == 2
    assert "'a/b' is not a valid CometChat user id" in capsys.readouterr().err
