"""Render a chart when its numbers change, at most once a minute, and keep a few in memory."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, timedelta

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RENDER_TIMEOUT = 30.0  # seconds: a cold matplotlib import and one small figure take ~1-2 s
# A window's chart is drawn at most this often (seconds), however often its numbers change.
RENDER_EVERY = 60.0


@dataclass(frozen=True)
class DailyCounts:
    """Bans and unbans per day over `days` days ending with `last` (days with none are 0)."""

    last: date
    days: int
    counts: tuple[tuple[int, int], ...]  # one (bans, unbans) per day, oldest first

    @classmethod
    def of(cls, last: date, days: int, by_day: dict[date, tuple[int, int]]) -> DailyCounts:
        first = last - timedelta(days=days - 1)
        return cls(
            last,
            days,
            tuple(by_day.get(first + timedelta(days=i), (0, 0)) for i in range(days)),
        )

    @property
    def dates(self) -> list[date]:
        first = self.last - timedelta(days=self.days - 1)
        return [first + timedelta(days=i) for i in range(self.days)]

    @property
    def totals(self) -> tuple[int, int]:
        return sum(b for b, _ in self.counts), sum(u for _, u in self.counts)


def render_png(counts: DailyCounts, *, timeout: float = RENDER_TIMEOUT) -> bytes:
    """Draw `counts` in a child process (`python -m bot.charts.render`). Raises on failure."""
    data = {
        "title": f"Bans and unbans per day, last {counts.days} days (UTC)",
        "days": [d.isoformat() for d in counts.dates],
        "bans": [b for b, _ in counts.counts],
        "unbans": [u for _, u in counts.counts],
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.charts.render"],
        input=json.dumps(data).encode(),
        capture_output=True,
        timeout=timeout,
        check=True,
    )
    if not done.stdout.startswith(PNG_MAGIC):
        raise RuntimeError("the chart renderer did not produce a PNG")
    return done.stdout


class ChartCache:
    """The PNG of each window (last day, number of days), at most `size` windows (least recently
    used goes first). A window is drawn again only when its numbers changed, and not within
    `every` seconds of its last drawing: meanwhile the previous picture is served, a minute
    behind at most. One render at a time: Slack fetches the same image for every viewer at once,
    and each would start a child."""

    def __init__(
        self,
        render: Callable[[DailyCounts], bytes] = render_png,
        *,
        size: int = 8,
        every: float = RENDER_EVERY,
        clock: Callable[[], float] = time.time,
    ):
        self._render = render
        self._size = size
        self._every = every
        self._clock = clock
        self._pngs: OrderedDict[Hashable, _Drawn] = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0

    def get(self, window: Hashable, counts: Callable[[], DailyCounts]) -> bytes:
        with self._lock:
            numbers = counts()
            drawn = self._pngs.get(window)
            now = self._clock()
            if drawn is not None and (drawn.counts == numbers or now - drawn.at < self._every):
                self._pngs.move_to_end(window)
                return drawn.png
            png = self._render(numbers)
            self.renders += 1
            self._pngs[window] = _Drawn(numbers, png, now)
            self._pngs.move_to_end(window)
            while len(self._pngs) > self._size:
                self._pngs.popitem(last=False)
            return png


@dataclass(frozen=True)
class _Drawn:
    counts: DailyCounts
    png: bytes
    at: float
