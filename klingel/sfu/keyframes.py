"""Keyframe requests to one video publisher: Picture Loss Indications (RFC 4585 section 6.3.1),
paced and repeated while a subscriber waits.

Encoders ignore a request that comes too soon after the last one they honoured (Chromium's
about 300 ms), so a request sent early is not merely wasted: it pushes the useful one back by a
whole interval. Requests therefore go out at most once per ``interval``; while some subscriber
still waits for a keyframe, the next one is scheduled for the moment the pacing allows it.
"""

from __future__ import annotations

from collections.abc import Callable

from klingel.sfu.clock import EVENT_LOOP, Clock, Scheduler, Timer

__all__ = ["KEYFRAME_REQUEST_INTERVAL", "KeyframeRequests"]

KEYFRAME_REQUEST_INTERVAL = 0.32
"""Seconds between two requests for one stream: just over the time in which Chromium's encoder
ignores a second request."""


class KeyframeRequests:
    """The pacing of one stream's keyframe requests; times are ``clock.now()`` seconds, and
    repeats are set on ``scheduler``.

    ``send`` emits one request and returns False if it could not (the stream's SSRC is not
    known yet); ``waiting`` tells whether any subscriber still waits for a keyframe.
    """

    __slots__ = ("_clock", "_interval", "_last", "_retry", "_scheduler", "_send", "_waiting")

    def __init__(
        self,
        send: Callable[[], bool],
        waiting: Callable[[], bool],
        *,
        clock: Clock = EVENT_LOOP,
        scheduler: Scheduler = EVENT_LOOP,
        interval: float = KEYFRAME_REQUEST_INTERVAL,
    ) -> None:
        self._send = send
        self._waiting = waiting
        self._clock = clock
        self._scheduler = scheduler
        self._interval = interval
        self._last = -interval
        self._retry: Timer | None = None

    @property
    def retrying(self) -> bool:
        """A repeat is scheduled (so a waiting subscriber will be served without more calls)."""
        return self._retry is not None

    def request(self, now: float) -> None:
        """One request, unless the last one was less than an interval ago (a subscriber's own
        PLI: it repeats it if it still needs one)."""
        if now >= self._last + self._interval and self._send():
            self._last = now

    def until_keyframe(self, now: float) -> None:
        """Request now if the pacing allows, and keep requesting every interval for as long
        as ``waiting()`` holds."""
        self.request(now)
        if self._retry is None:
            delay = self._last + self._interval - now
            if delay <= 0:  # nothing could be sent yet: try again after a full interval
                delay = self._interval
            self._retry = self._scheduler.call_later(delay, self._repeat)

    def cancel(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None

    def _repeat(self) -> None:
        self._retry = None
        if self._waiting():
            # Set for the moment the pacing allows; a timer that fires a rounding error early
            # must not miss it and wait a whole interval more.
            self.until_keyframe(max(self._clock.now(), self._last + self._interval))
