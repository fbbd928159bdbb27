"""`python -m bot.charts.render`: JSON counts on stdin, a PNG on stdout.

Run as a child process by `bot.charts.cache.render_png`: matplotlib (tens of MB once imported)
lives and dies with this process, never in a worker.

Input: {"title": str, "days": ["YYYY-MM-DD", ...], "bans": [int, ...], "unbans": [int, ...]}
"""

from __future__ import annotations

import io
import json
import sys
from datetime import date
from typing import Any


def draw(data: dict[str, Any]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    from matplotlib import dates as mdates
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    days = [date.fromisoformat(d) for d in data["days"]]
    bans = [int(n) for n in data["bans"]]
    unbans = [int(n) for n in data["unbans"]]
    figure, axes = plt.subplots(figsize=(8, 3), dpi=100)
    offset = 0.2
    axes.bar(
        [mdates.date2num(d) - offset for d in days], bans, width=0.4, label="Bans", color="#c0392b"
    )
    axes.bar(
        [mdates.date2num(d) + offset for d in days],
        unbans,
        width=0.4,
        label="Unbans (incl. automatic)",
        color="#27ae60",
    )
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=10))
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(str(data.get("title", ""))[:120])
    axes.legend(loc="upper left", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()


def main() -> int:
    data = json.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(draw(data))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
