"""Memory of a worker that renders the Home tab's chart, two ways, side by side.

    python bench/chart.py [--renders N]

Each way runs in a fresh Python process that first imports what a web worker imports (the
Bolt app, services, the WSGI app) and renders N charts of different data (so the cache never
answers), reading its own resident set (VmRSS in /proc/self/status) before and after:

- child process (what the bot does): `bot.charts.render_png`, a short-lived
  `python -m bot.charts.render` per chart; the worker never imports matplotlib;
- in process (the baseline): matplotlib imported into the worker and the same `draw()` called.

Figures are MB of the worker's own RSS (the child's memory is returned when it exits) and
milliseconds per chart (the child's start-up and matplotlib import included: a chart is
rendered once per data change and cached, not per view).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(mode: str, renders: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import bot.app
    import bot.services
    import bot.web.wsgi  # noqa: F401
    from bot.charts import DailyCounts, render_png
    from bot.charts.render import draw

    before = rss_mb()
    started = time.perf_counter()
    for i in range(renders):
        counts = DailyCounts.of(
            date(2026, 3, 1),
            30,
            {date(2026, 3, 1) - timedelta(days=d): (d + i, d % 3) for d in range(30)},
        )
        if mode == "child":
            png = render_png(counts)
        else:
            png = draw(
                {
                    "title": "bench",
                    "days": [d.isoformat() for d in counts.dates],
                    "bans": [b for b, _ in counts.counts],
                    "unbans": [u for _, u in counts.counts],
                }
            )
        assert png.startswith(b"\x89PNG")
    elapsed = (time.perf_counter() - started) * 1000 / renders
    return {
        "before": before,
        "after": rss_mb(),
        "ms": elapsed,
        "matplotlib_loaded": "matplotlib" in sys.modules,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=5)
    parser.add_argument("--mode", choices=["child", "inprocess"])
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(measure(args.mode, args.renders)))
        return
    results = {}
    for mode in ("child", "inprocess"):
        done = subprocess.run(
            [sys.executable, __file__, "--mode", mode, "--renders", str(args.renders)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    child, inproc = results["child"], results["inprocess"]
    print(f"worker RSS rendering {args.renders} charts  (MB, VmRSS of the worker itself)")
    print(f"{'':28}{'child process':>16}{'in process':>14}")
    for label, key in (("before", "before"), ("after", "after")):
        print(f"{label:28}{child[key]:16.1f}{inproc[key]:14.1f}")
    grew_c, grew_i = child["after"] - child["before"], inproc["after"] - inproc["before"]
    print(f"{'grew by':28}{grew_c:16.1f}{grew_i:14.1f}")
    print(f"{'ms per chart':28}{child['ms']:16.0f}{inproc['ms']:14.0f}")
    print(
        f"{'matplotlib in the worker':28}{child['matplotlib_loaded']!s:>16}"
        f"{inproc['matplotlib_loaded']!s:>14}"
    )


if __name__ == "__main__":
    main()
