"""The measuring half of bench/upstream.py, importable against another tree's `bot`.

bench/upstream.py runs it in process for this tree and, with `--baseline REV`, in a subprocess
whose `bot` package is REV's (exported with `git archive`): only the API both share is used
(`CometChatClient(base, key, transport=…)`, `BannedLists(client).render(cursor)`,
`write_banned_csv(client, guid, out)`).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import httpx
from pydantic import SecretStr

from bench.fakes import BIG_GROUPS, GROUP
from bot.cometchat import CometChatClient
from bot.usecases.banned_list import BannedLists
from bot.usecases.export import SPOOL_IN_MEMORY, write_banned_csv
from tests.support.fakes.cometchat import API_KEY

try:
    from bot.domain.button_values import PageCursor
except ImportError:  # older trees
    from bot.domain.cursor import PageCursor  # type: ignore[no-redef]

SEARCH_GROUP, EXPORT_GROUP = sorted(BIG_GROUPS, key=BIG_GROUPS.__getitem__)


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


def new_client(base: str, max_parallel: int | None) -> tuple[CometChatClient, Counting]:
    """`max_parallel` None: the client's own default (and the only choice of older trees)."""
    transport = Counting()
    extra: dict[str, Any] = {} if max_parallel is None else {"max_parallel": max_parallel}
    client = CometChatClient(base, SecretStr(API_KEY), transport=transport, **extra)
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


def next_read_ahead(base: str, max_parallel: int | None, folder: str) -> Figure | None:
    """*Next* as a moderator clicks it, a moment after page 1 was answered: the page read
    ahead meanwhile (with a history, as deployed) answers it. None for trees without it."""
    try:
        from bot.store import ModerationStore, build_engine
        from bot.store.migrate import upgrade
        from bot.usecases.read_ahead import PagesAhead
    except ImportError:
        return None
    engine = build_engine(f"sqlite:///{folder}/history.sqlite3")
    upgrade(engine)
    store = ModerationStore(engine)
    client, transport = new_client(base, max_parallel)
    ahead = PagesAhead(client, store)
    lists = BannedLists(client, store, ahead=ahead)
    try:
        lists.render(PageCursor(guid=GROUP))
        assert ahead.settle(10)  # the moderator reads page 1; page 2 arrives meanwhile
        return timed(partial(lists.render, PageCursor(guid=GROUP, page=2)), transport)
    finally:
        lists.close()
        client.close()
        engine.dispose()


def measure(base: str, max_parallel: int | None, repeats: int) -> dict[str, list[Figure]]:
    figures: dict[str, list[Figure]] = {"cold": [], "next": [], "search": [], "export": []}
    with tempfile.TemporaryDirectory() as folder:
        ahead = [next_read_ahead(base, max_parallel, folder) for _ in range(repeats)]
    if all(figure is not None for figure in ahead):
        figures["next_ahead"] = [figure for figure in ahead if figure is not None]
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


def peak_memory(base: str, max_parallel: int | None) -> float:
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


def main_json(argv: list[str]) -> None:
    """Subprocess mode: `base repeats` in, this tree's figures as JSON out."""
    base, repeats = argv[0], int(argv[1])
    figures = measure(base, None, repeats)
    peak = peak_memory(base, None)
    import bot

    print(
        json.dumps(
            {
                "bot": bot.__file__,
                "figures": {k: [asdict(f) for f in v] for k, v in figures.items()},
                "peak": peak,
            }
        )
    )


if __name__ == "__main__":
    main_json(sys.argv[1:])
