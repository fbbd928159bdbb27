"""What a moderator waits for when CometChat is a network away: before and after, in one run.

    .venv/bin/python -m bench.upstream                  # CometChat answering after 50 and 150 ms
    .venv/bin/python -m bench.upstream --latency 200    # any round trips, in milliseconds
    .venv/bin/python -m bench.upstream --baseline 7d1cc1f   # and a git revision's bot beside

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
the default, COMETCHAT_MAX_PARALLEL=12. Both sides run in the same process, one after the other,
against the same fake. `--baseline REV` adds REV's own `bot/` (exported with `git archive`, run
in a fresh interpreter with its defaults) as a third column: the code as it was, e.g. 7d1cc1f,
the last revision before parallel reads. Figures: wall milliseconds (median of the repeats),
round trips (those ms divided by the round-trip time) and HTTP requests made. Then the peak of
Python memory (tracemalloc) during one 20,000-user export each way, and the process's peak
resident set.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.client_cost import export_baseline  # noqa: E402
from bench.fakes import BIG_GROUPS  # noqa: E402
from bench.load import start_fake  # noqa: E402
from bench.upstream_measure import (  # noqa: E402
    EXPORT_GROUP,
    SEARCH_GROUP,
    Figure,
    measure,
    peak_memory,
)
from bot.settings import Settings  # noqa: E402

# COMETCHAT_MAX_PARALLEL: one page after another, against the default.
STRATEGIES = {"before": 1, "after": Settings.model_fields["cometchat_max_parallel"].default}
ROWS = [
    ("cold", "first /banned <guid> on a fresh process"),
    ("next", "Next / Previous"),
    ("next_ahead", "Next, a moment after the page (read ahead)"),
    ("search", f"search, {BIG_GROUPS[SEARCH_GROUP]:,} banned, no match"),
    ("export", f"Export CSV of {BIG_GROUPS[EXPORT_GROUP]:,} banned users"),
]


def measure_tree(tree: Path, base: str, repeats: int) -> tuple[dict[str, list[Figure]], float]:
    """The figures of another tree's `bot` (exported by `git archive`), in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
        "from bench.upstream_measure import main_json; main_json(sys.argv[3:])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tree), str(ROOT), base, str(repeats)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    # The editable install must not shadow the exported tree.
    if not Path(result["bot"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"measured {result['bot']}, not {tree}")
    figures = {k: [Figure(**f) for f in v] for k, v in result["figures"].items()}
    return figures, result["peak"]


def set_delay(base: str, seconds: float) -> None:
    httpx.post(base.removesuffix("/v3") + f"/_bench/delay?s={seconds}").raise_for_status()


def print_table(latency: float, results: dict[str, dict[str, list[Figure]]], repeats: int):
    names = list(results)
    print(
        f"\nCometChat round trip {latency:.0f} ms (before: COMETCHAT_MAX_PARALLEL=1, after: "
        f"{STRATEGIES['after']}; "
        f"ms median of {repeats}, export once)"
    )
    head = " | ".join(f"{n} ms | round trips | requests" for n in names)
    print(f"| {'what the moderator does':42} | {head} | before / after |")
    print(f"|{'-' * 44}|" + "---:|" * (3 * len(names) + 1))
    for key, label in ROWS:
        if any(key not in results[name] for name in names):
            continue  # a tree from before the figure existed
        cells, medians = [], {}
        for name in names:
            figs = results[name][key]
            medians[name] = ms = statistics.median(f.ms for f in figs)
            cells += [f"{ms:,.0f}", f"{ms / latency:.1f}", f"{figs[0].requests}"]
        ratio = medians["before"] / medians["after"]
        print(f"| {label:42} | " + " | ".join(cells) + f" | {ratio:.1f}× |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, nargs="+", default=[50.0, 150.0], help="ms")
    parser.add_argument("--repeats", type=int, default=5, help="of each interactive figure")
    parser.add_argument(
        "--baseline", metavar="REV", help="also measure this git revision's bot (its defaults)"
    )
    args = parser.parse_args()

    fake, port = start_fake("cometchat")
    base = f"http://127.0.0.1:{port}/v3"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tree = export_baseline(args.baseline, Path(tmp)) if args.baseline else None
            set_delay(base, 0)
            measure(base, 8, 1)  # warm up the fake's answer cache and this process
            peaks: dict[str, float] = {}
            for latency in args.latency:
                set_delay(base, latency / 1000)
                results: dict[str, dict[str, list[Figure]]] = {}
                if tree is not None:
                    results[args.baseline], peaks[args.baseline] = measure_tree(
                        tree, base, args.repeats
                    )
                for name, parallel in STRATEGIES.items():
                    results[name] = measure(base, parallel, args.repeats)
                print_table(latency, results, args.repeats)
            set_delay(base, args.latency[0] / 1000)
            for name, parallel in STRATEGIES.items():
                peaks[name] = peak_memory(base, parallel)
        print(
            f"\nPeak Python memory during one {BIG_GROUPS[EXPORT_GROUP]:,}-user export "
            "(tracemalloc, above the baseline): "
            + ", ".join(f"{name} {mib:.1f} MiB" for name, mib in peaks.items())
        )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"Peak resident set of this process over the whole run: {rss:.0f} MiB")
    finally:
        fake.terminate()
        fake.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
