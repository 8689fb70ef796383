"""Clocks a test sets by hand: code under test calls them for "now", and the timers it sets
fire when the test moves the time on."""

from __future__ import annotations

import heapq
from collections.abc import Callable


class Clock:
    """Callable like ``time.monotonic``; ``now`` is whatever the test says it is."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class ManualTimers:
    """A clock and a scheduler (``klingel.sfu.clock``) that stand still until ``advance``:
    then every timer that falls due fires, in order, with the clock at its due time."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self._timers: list[tuple[float, int, ManualTimer]] = []
        self._scheduled = 0

    def now(self) -> float:
        return self.time

    def call_later(self, delay: float, callback: Callable[[], None]) -> ManualTimer:
        timer = ManualTimer(callback)
        self._scheduled += 1
        heapq.heappush(self._timers, (self.time + max(delay, 0.0), self._scheduled, timer))
        return timer

    def advance(self, seconds: float) -> None:
        until = self.time + seconds
        while self._timers and self._timers[0][0] <= until:
            due, _, timer = heapq.heappop(self._timers)
            self.time = max(self.time, due)
            timer.fire()
        self.time = until

    @property
    def pending(self) -> int:
        """Timers set and neither fired nor cancelled."""
        return sum(not timer.cancelled for _, _, timer in self._timers)


class ManualTimer:
    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def fire(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self._callback()
