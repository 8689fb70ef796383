"""A clock a test sets by hand: code under test calls it for "now"."""

from __future__ import annotations


class Clock:
    """Callable like ``time.monotonic``; ``now`` is whatever the test says it is."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now
