"""Export CSV figures of a large group (time, bytes, peak Python memory) and search.

    .venv/bin/python -m bench.find            # 5,000 banned users
    .venv/bin/python -m bench.find 20000

CometChat is tests.support.fakes.FakeCometChat over httpx.MockTransport (in process, no network, no
delay), so the times are the bot's own CPU cost per page, not CometChat's latency. Peak memory
is `tracemalloc`'s peak of Python allocations during the export, fake's own data excluded by
taking the baseline after the fake is built.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc

from pydantic import SecretStr

from bot.cometchat import CometChatClient
from bot.domain.search import search_banned
from bot.usecases.export import SPOOL_IN_MEMORY, write_banned_csv
from tests.support.fakes.cometchat import API_KEY, FakeCometChat


def main(argv: list[str]) -> int:
    total = int(argv[0]) if argv else 5000
    fake = FakeCometChat()
    fake.add_group("big", "Big", banned=total)
    fake.banned["big"][-1]["name"] = "Needle in the haystack"
    client = CometChatClient(
        "https://cometchat.test/v3",
        SecretStr(API_KEY),
        transport=fake.transport(),
    )

    started = time.perf_counter()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b") as spool:
        stats = write_banned_csv(client, "big", spool)
    export_s = time.perf_counter() - started

    # Again under tracemalloc (which slows it down), for the peak of Python allocations.
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b") as spool:
        write_banned_csv(client, "big", spool)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    started = time.perf_counter()
    found = search_banned(client, "big", "needle", page=1, per_page=10)
    search_s = time.perf_counter() - started

    print(f"banned users            {total:,}")
    print(f"export rows / pages     {stats.rows:,} / {stats.pages} (complete={stats.complete})")
    print(
        f"export time             {export_s * 1000:.0f} ms "
        f"({export_s / stats.pages * 1000:.1f} ms/page)"
    )
    print(f"CSV size                {stats.size / 1024:.0f} KiB")
    print(f"export peak Python mem  {(peak - baseline) / 1024:.0f} KiB above baseline")
    print(
        f"search 'needle'         {search_s * 1000:.0f} ms, scanned {found.scanned:,}, "
        f"found {len(found.page.users)}, limited={found.limited}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
