"""How much SDP the media server is asked to parse, per client address, and how many media
sections an offer may have for what it asks.

Parsing and answering an offer costs the room's SFU worker time in proportion to its size
(about 20 ms for 250 KB), and the worker forwards media on the same core. So:

- an offer may have only as many media sections as its request can use: a ``publish`` a few
  (camera, microphone, screen and its sound, with room for stopped ones), a ``subscribe`` two
  for each stream it names plus some, never the 128 the SDP parser takes at most;
- the offers of one client address share a budget of bytes per second. An offer that does not
  fit waits until it does, at most ``MAX_WAIT_SECONDS``, then it is refused as
  ``rate_limited``: a school class behind one NAT renegotiating as pupils arrive only waits a
  little, while many sockets of one address sending the largest offers hold up only
  themselves.
"""

from __future__ import annotations

from collections import OrderedDict

from klingel.rooms.ratelimit import RateLimit

__all__ = [
    "ADDRESS_SDP_LIMIT",
    "MAX_PUBLISH_SECTIONS",
    "MAX_WAIT_SECONDS",
    "SdpBudget",
    "media_sections",
    "subscribe_sections_allowed",
]

ADDRESS_SDP_LIMIT = RateLimit(rate=2.0 * 1024 * 1024, burst=16.0 * 1024 * 1024)
"""Offer bytes per client address: a class of 30 joining one room within ten seconds sends
about 20 MB of subscribe offers in all (each pupil's grows by 2 KB per participant and is sent
again as each one arrives)."""
MAX_WAIT_SECONDS = 5.0
MAX_PUBLISH_SECTIONS = 16
_SUBSCRIBE_SLACK_SECTIONS = 16
_MAX_KEYS = 10_000


def media_sections(sdp: str) -> int:
    """How many ``m=`` lines the SDP has, counted without parsing it."""
    return sdp.count("\nm=") + sdp.startswith("m=")


def subscribe_sections_allowed(streams: int) -> int:
    """Sections of a subscribe offer for ``streams`` streams: one each, the same again for
    stopped transceivers the browser has not reused yet, and a few more."""
    return 2 * streams + _SUBSCRIBE_SLACK_SECTIONS


class SdpBudget:
    """A token bucket of offer bytes per key (a client address), that says how long to wait
    rather than only yes or no."""

    __slots__ = ("_buckets", "_limit")

    def __init__(self, limit: RateLimit = ADDRESS_SDP_LIMIT) -> None:
        self._limit = limit
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def reserve(self, key: str, size: int, now: float) -> float | None:
        """Spend ``size`` bytes for ``key``; returns how many seconds to wait before using them
        (0.0: at once), or None when that would be longer than ``MAX_WAIT_SECONDS`` (nothing is
        spent then)."""
        tokens, updated = self._buckets.get(key, (self._limit.burst, now))
        tokens = min(self._limit.burst, tokens + max(0.0, now - updated) * self._limit.rate)
        after = tokens - size
        wait = 0.0 if after >= 0 else -after / self._limit.rate
        if wait > MAX_WAIT_SECONDS:
            return None
        # Spent now, even if used later: waiting offers queue behind each other.
        self._buckets[key] = (after, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > _MAX_KEYS:
            self._buckets.popitem(last=False)
        return wait
