"""A virtual clock for retry back-off: `sleep` advances time at once and records the wait."""

from __future__ import annotations


class FakeClock:
    """Stands in for both `clock` and `sleep`: sleeping advances time instantly."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds
