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

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._limit.burst, self._tokens + elapsed * self._limit.rate)
        self._updated = now

    def has_token(self, now: float) -> bool:
        """Whether ``take`` would succeed now, without spending anything."""
        self._refill(now)
        return self._tokens >= 1.0

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        self._refill(now)
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

    def allows(self, key: str, now: float) -> bool:
        """Whether ``take(key)`` would succeed now, without spending anything (for limits
        that only failures spend, such as wrong passwords)."""
        bucket = self._buckets.get(key)
        return bucket is None or bucket.has_token(now)

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
