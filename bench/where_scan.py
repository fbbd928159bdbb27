"""What a scan of every group costs (`/banned user <uid>`, `python -m bot where <uid>`):
requests, round trips and time, one group after another (the baseline) against the scan as it
runs (COMETCHAT_MAX_PARALLEL groups at once), in the same run.

    .venv/bin/python -m bench.where_scan            # 300 groups, 20 ms per CometChat answer
    .venv/bin/python -m bench.where_scan 1000 50

CometChat is tests.support.fakes.FakeCometChat over httpx.MockTransport, each answer delayed by
the given milliseconds (a sleep in the transport, standing in for the network). Every group
bans 3 users, one in ten a list of 250 (three pages); the user is banned in two groups. Round
trips are the elapsed time divided by one answer's delay: what a scan waits on CometChat.
"""

from __future__ import annotations

import sys
import threading
import time

import httpx
from pydantic import SecretStr

from bot.cometchat import CometChatClient
from bot.domain.where import scan_all_groups
from tests.support.fakes.cometchat import API_KEY, FakeCometChat, make_user

UID = "troll-7"


def build(groups: int) -> FakeCometChat:
    fake = FakeCometChat()
    for i in range(groups):
        fake.add_group(f"g-{i:04d}", banned=250 if i % 10 == 9 else 3)
    for i in (groups // 3, groups - 1):
        fake.banned[f"g-{i:04d}"].append(make_user(900, uid=UID))
    return fake


def scan(fake: FakeCometChat, delay: float, max_parallel: int) -> tuple[int, int, float, int]:
    in_flight, most = 0, 0
    lock = threading.Lock()

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            time.sleep(delay)
            return fake.handle(request)
        finally:
            with lock:
                in_flight -= 1

    client = CometChatClient(
        "https://cometchat.test/v3",
        SecretStr(API_KEY),
        transport=httpx.MockTransport(slow),
        max_parallel=max_parallel,
    )
    fake.requests.clear()
    started = time.perf_counter()
    result = scan_all_groups(client, UID)
    elapsed = time.perf_counter() - started
    client.close()
    assert len(result.found) == 2, result
    return len(fake.requests), most, elapsed, result.groups


def main(argv: list[str]) -> int:
    groups = int(argv[0]) if argv else 300
    delay = (float(argv[1]) if len(argv) > 1 else 20.0) / 1000
    fake = build(groups)
    print(f"{groups} groups, {delay * 1000:.0f} ms per CometChat answer")
    print(f"{'':28}{'requests':>10}{'in flight':>11}{'round trips':>13}{'time':>10}")
    rows = (("one group after another", 1), ("scan (8 groups at once)", 8))
    for label, parallel in rows:
        requests, most, elapsed, _ = scan(fake, delay, parallel)
        trips = elapsed / delay
        print(f"{label:28}{requests:>10}{most:>11}{trips:>13.0f}{elapsed:>9.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
