"""Token buckets, kept in memory only.

Time is passed in (``time.monotonic()`` in the server) so the buckets stay pure and testable.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["KeyedRateLimiter", "RateLimit", "TokenBucket"]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``rate`` tokens per second refill a bucket of ``burst`` tokens."""

    rate: float
    burst: float


class TokenBucket:
    __slots__ = ("_limit", "_tokens", "_updated")

    def __init__(self, limit: RateLimit, now: float) -> None:
        self._limit = limit
        self._tokens = limit.burst
        self._updated = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._limit.burst, self._tokens + elapsed * self._limit.rate)
        self._updated = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


class KeyedRateLimiter:
    """One bucket per key (e.g. a client address), at most ``max_keys`` of them.

    When full, the least recently used key is forgotten: that key gets a fresh, full bucket
    next time, which errs on the side of letting people in.
    """

    __slots__ = ("_buckets", "_limit", "_max_keys")

    def __init__(self, limit: RateLimit, max_keys: int = 10_000) -> None:
        self._limit = limit
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str, now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self._limit, now)
            self._buckets[key] = bucket
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(now)

    def __len__(self) -> int:
        return len(self._buckets)
