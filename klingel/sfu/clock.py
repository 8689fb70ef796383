"""Time for the room router and its timers: a clock to read and a scheduler to set timers on.

Inside a worker both are the event loop's (``EVENT_LOOP``): ``time.monotonic()``, the clock
the transports stamp arrivals with, and ``loop.call_later``. Tests pass one object that is
both and moves only when told to, so no test waits for a real timer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["EVENT_LOOP", "Clock", "EventLoopTime", "Scheduler", "Timer"]


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic clock, the same one packet arrivals are stamped with."""
        ...


class Timer(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Call ``callback`` once, ``delay`` seconds from now, unless cancelled before."""
        ...


class EventLoopTime:
    """The running event loop's scheduler and the monotonic clock it runs on."""

    __slots__ = ()

    def now(self) -> float:
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(delay, callback)


EVENT_LOOP = EventLoopTime()
"""Holds no state: the loop is looked up at each call, as the one running then."""
