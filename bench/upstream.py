"""What a moderator waits for when CometChat is a network away: before and after, in one run.

    .venv/bin/python -m bench.upstream                  # CometChat answering after 50 and 150 ms
    .venv/bin/python -m bench.upstream --latency 200    # any round trips, in milliseconds

CometChat is bench/fakes.py's fake in its own process on loopback, answering every request after
the round-trip time set (it serves any number at once, as CometChat does); it ignores `searchKey`
on banned users, as the spec allows. The bot's real use cases run against it through the real
client (`BannedLists.render`, `write_banned_csv` to a spooled file), in this process:

- first `/banned <guid>` on a fresh process (57 banned users; the group name not cached yet);
- Next (page 2, the group name cached);
- `/banned <guid> <text>` in a group of 2,500 banned users, no match (the whole list is read);
- Export CSV of 20,000 banned users.

"before" is the one-request-after-another strategy, selected by setting COMETCHAT_MAX_PARALLEL=1
(no concurrent group-name read either; the search bound is the current 10,000, so the 2,500-user
search reads 25 pages where the bound of 2,000 before this change stopped at 20); "after" is
the default, COMETCHAT_MAX_PARALLEL=8. Both sides run in the same process, alternating, against
the same fake. Figures: wall milliseconds (median of the repeats), round trips (those ms divided
by the round-trip time) and HTTP requests made. Then the peak of Python memory (tracemalloc)
during one 20,000-user export each way, and the process's peak resident set.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fakes import BIG_GROUPS, GROUP  # noqa: E402
from bench.load import start_fake  # noqa: E402
from bot.cometchat import CometChatClient  # noqa: E402
from bot.domain.button_values import PageCursor  # noqa: E402
from bot.usecases.banned_list import BannedLists  # noqa: E402
from bot.usecases.export import SPOOL_IN_MEMORY, write_banned_csv  # noqa: E402
from tests.support.fakes.cometchat import API_KEY  # noqa: E402

SEARCH_GROUP, EXPORT_GROUP = sorted(BIG_GROUPS, key=BIG_GROUPS.__getitem__)
STRATEGIES = {"before": 1, "after": 8}  # COMETCHAT_MAX_PARALLEL


class Counting(httpx.BaseTransport):
    """httpx's own transport, counting the requests that go through it."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@dataclass
class Figure:
    ms: float
    requests: int


def new_client(base: str, max_parallel: int) -> tuple[CometChatClient, Counting]:
    transport = Counting()
    client = CometChatClient(
        base, SecretStr(API_KEY), transport=transport, max_parallel=max_parallel
    )
    return client, transport


def timed(run: Callable[[], object], transport: Counting) -> Figure:
    before = transport.requests
    started = time.perf_counter()
    run()
    return Figure((time.perf_counter() - started) * 1000, transport.requests - before)


def export(client: CometChatClient) -> None:
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b") as spool:
        stats = write_banned_csv(client, EXPORT_GROUP, spool)
    assert stats.rows == BIG_GROUPS[EXPORT_GROUP] and stats.complete, stats


def measure(base: str, max_parallel: int, repeats: int) -> dict[str, list[Figure]]:
    figures: dict[str, list[Figure]] = {"cold": [], "next": [], "search": [], "export": []}
    for _ in range(repeats):
        # A fresh client and cache each time: the first command of a fresh process, connections
        # included (a real one would open TLS on top; see README).
        client, transport = new_client(base, max_parallel)
        lists = BannedLists(client)
        first, page2 = PageCursor(guid=GROUP), PageCursor(guid=GROUP, page=2)
        figures["cold"].append(timed(partial(lists.render, first), transport))
        figures["next"].append(timed(partial(lists.render, page2), transport))
        lists.group(SEARCH_GROUP)  # the search's group name is cached: the walk alone
        nothing = PageCursor(guid=SEARCH_GROUP, query="no such moderator")
        figures["search"].append(timed(partial(lists.render, nothing), transport))
        client.close()
    client, transport = new_client(base, max_parallel)
    figures["export"].append(timed(partial(export, client), transport))
    client.close()
    return figures


def peak_memory(base: str, max_parallel: int) -> float:
    """Peak Python allocations (MiB) during one export, above what was held before it."""
    client, _ = new_client(base, max_parallel)
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    export(client)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    client.close()
    return (peak - baseline) / 2**20


def set_delay(base: str, seconds: float) -> None:
    httpx.post(base.removesuffix("/v3") + f"/_bench/delay?s={seconds}").raise_for_status()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, nargs="+", default=[50.0, 150.0], help="ms")
    parser.add_argument("--repeats", type=int, default=5, help="of each interactive figure")
    args = parser.parse_args()

    fake, port = start_fake("cometchat")
    base = f"http://127.0.0.1:{port}/v3"
    rows = [
        ("cold", "first /banned <guid> on a fresh process"),
        ("next", "Next / Previous"),
        ("search", f"search, {BIG_GROUPS[SEARCH_GROUP]:,} banned, no match"),
        ("export", f"Export CSV of {BIG_GROUPS[EXPORT_GROUP]:,} banned users"),
    ]
    try:
        set_delay(base, 0)
        measure(base, 8, 1)  # warm up the fake's answer cache and this process
        for latency in args.latency:
            set_delay(base, latency / 1000)
            results = {
                name: measure(base, parallel, args.repeats) for name, parallel in STRATEGIES.items()
            }
            print(
                f"\nCometChat round trip {latency:.0f} ms "
                f"(before: COMETCHAT_MAX_PARALLEL=1, after: 8; ms median of {args.repeats}, "
                "export once)"
            )
            print(
                f"| {'what the moderator does':42} | before ms | round trips | requests "
                "| after ms | round trips | requests | speed-up |"
            )
            print(f"|{'-' * 44}|---:|---:|---:|---:|---:|---:|---:|")
            for key, label in rows:
                cells = []
                medians = {}
                for name in STRATEGIES:
                    figs = results[name][key]
                    ms = statistics.median(f.ms for f in figs)
                    medians[name] = ms
                    cells += [f"{ms:,.0f}", f"{ms / latency:.1f}", f"{figs[0].requests}"]
                ratio = medians["before"] / medians["after"]
                print(f"| {label:42} | " + " | ".join(cells) + f" | {ratio:.1f}× |")
        set_delay(base, args.latency[0] / 1000)
        peaks = {name: peak_memory(base, parallel) for name, parallel in STRATEGIES.items()}
        print(
            f"\nPeak Python memory during one {BIG_GROUPS[EXPORT_GROUP]:,}-user export "
            f"(tracemalloc, above the baseline): before {peaks['before']:.1f} MiB, "
            f"after {peaks['after']:.1f} MiB"
        )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"Peak resident set of this process over the whole run: {rss:.0f} MiB")
    finally:
        fake.terminate()
        fake.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
