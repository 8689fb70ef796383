"""A log line that a flood cannot multiply: at most one per interval, with how many it stands
for. Hostile requests that are refused cheaply must not cost the log more than they cost us."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["ThrottledLog"]


class ThrottledLog:
    __slots__ = ("_clock", "_interval", "_logger", "_message", "_next", "_pending")

    def __init__(
        self,
        logger: logging.Logger,
        message: str,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``message`` has one ``%d``: how many events the line stands for."""
        self._logger = logger
        self._message = message
        self._interval = interval
        self._clock = clock
        self._next = float("-inf")
        self._pending = 0

    def event(self) -> None:
        """Count one event; write a line if the last one is ``interval`` ago."""
        self._pending += 1
        now = self._clock()
        if now >= self._next:
            self._logger.warning(self._message, self._pending)
            self._pending = 0
            self._next = now + self._interval
