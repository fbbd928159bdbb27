"""A raid cleaned up: the mass ban and its undo against a CometChat 50 ms away. A measurement,
run alone (never beside other work).

    python bench/massban.py [--latency 0.05]

Three figures, each from the moderator's confirmation to CometChat's last answer:

1. A 40-user raid in a 300-member group: requests and seconds with the bulk ban (chunks of 100)
   against one `POST …/bannedusers/{uid}` per user; then the undo (one `DELETE` per user).
2. 1,000 pasted uids: requests and seconds. The fake sends no X-RateLimit-* headers, so the
   governor holds nothing back here; that it keeps the reserve is tested in
   tests/integration/test_massban.py.

CometChat is the project's fake served over loopback, each answer held `--latency` seconds
(the round trip of a distant region). The history is an SQLite file of its own.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr

from bot.cometchat import CometChatClient
from bot.domain.massban import Criteria
from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
from bot.store import ModerationStore, build_engine
from bot.store.migrate import upgrade
from bot.usecases.massban import preview_mass_ban, run_mass_ban, undo_mass_ban
from tests.support.fakes.cometchat import API_KEY, FakeCometChat

GUID = "raid-group"


class NoAudit:
    def record(self, entry: object) -> None:
        pass


def fake_with_raid(members: int, raiders: int, latency: float) -> FakeCometChat:
    fake = FakeCometChat()
    fake.add_group(GUID)
    now = datetime.now(UTC)
    old = int((now - timedelta(days=400)).timestamp())
    for n in range(members - raiders):
        fake.add_member(GUID, f"member-{n:04d}", joined_at=old, created_at=old)
    fresh = int((now - timedelta(minutes=3)).timestamp())
    for n in range(raiders):
        fake.add_member(GUID, f"raider-{n:04d}", joined_at=fresh, created_at=fresh)

    def slow(_rec: object) -> None:
        time.sleep(latency)  # a distant CometChat: every answer takes this long

    fake.interceptor = slow
    return fake


def store_in(directory: str) -> ModerationStore:
    engine = build_engine(f"sqlite:///{directory}/bench.sqlite3")
    upgrade(engine)
    return ModerationStore(engine)


def timed_mass_ban(latency: float, members: int, raiders: int, pasted: int = 0) -> None:
    fake = fake_with_raid(members, raiders, latency)
    with fake.serve() as server, tempfile.TemporaryDirectory() as directory:
        client = CometChatClient(server.url + "/v3", SecretStr(API_KEY))
        store = store_in(directory)
        criteria = (
            Criteria(pasted=tuple(f"pasted-{n:04d}" for n in range(pasted)))
            if pasted
            else Criteria(joined_within=timedelta(minutes=10))
        )
        preview = preview_mass_ban(
            client,
            store,
            guid=GUID,
            actor="UBENCH",
            criteria=criteria,
            duration=None,
            reason="raid",
            protected=frozenset(),
        )
        assert preview.plan is not None
        before = len(fake.requests)
        started = time.perf_counter()
        report = run_mass_ban(
            client,
            store,
            NoAudit(),
            plan_id=preview.plan,
            actor="UBENCH",
            source=EventSource.BUTTON,
        )
        seconds = time.perf_counter() - started
        assert report is not None
        sent = len(fake.requests) - before
        print(f"mass ban, bulk: {len(report.banned)} banned, {sent} requests, {seconds:.2f} s")
        started = time.perf_counter()
        undo = undo_mass_ban(client, store, NoAudit(), case_id=report.case_id or 0, actor="UBENCH")
        seconds = time.perf_counter() - started
        print(f"undo: {len(undo.unbanned)} unbanned, {seconds:.2f} s")
        client.close()


def timed_one_by_one(latency: float, members: int, raiders: int) -> None:
    fake = fake_with_raid(members, raiders, latency)
    with fake.serve() as server, tempfile.TemporaryDirectory() as directory:
        client = CometChatClient(server.url + "/v3", SecretStr(API_KEY))
        store = store_in(directory)
        uids = [f"raider-{n:04d}" for n in range(raiders)]
        started = time.perf_counter()
        for uid in uids:
            client.ban(GUID, uid)
            store.record(
                ModerationEvent(
                    guid=GUID,
                    uid=uid,
                    action=ModerationAction.BAN,
                    source=EventSource.BUTTON,
                    at=datetime.now(UTC),
                    actor="UBENCH",
                )
            )
        seconds = time.perf_counter() - started
        print(f"one ban per user: {len(uids)} requests, {seconds:.2f} s")
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.05)
    latency = parser.parse_args().latency
    print(f"CometChat {latency * 1000:.0f} ms away")
    print("-- a 40-user raid in a 300-member group")
    timed_mass_ban(latency, members=300, raiders=40)
    timed_one_by_one(latency, members=300, raiders=40)
    print("-- 1,000 pasted uids")
    timed_mass_ban(latency, members=300, raiders=0, pasted=1000)


if __name__ == "__main__":
    main()
