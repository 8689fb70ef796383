from __future__ import annotations

from klingel.rooms.ratelimit import KeyedRateLimiter, RateLimit, TokenBucket

CHAT = RateLimit(rate=3.0, burst=10.0)


def takes(bucket: TokenBucket, times: int, now: float) -> int:
    return sum(bucket.take(now) for _ in range(times))


def test_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(CHAT, now=0.0)
    assert takes(bucket, 20, now=0.0) == 10
    assert takes(bucket, 20, now=1.0) == 3
    assert takes(bucket, 20, now=1.5) == 1


def test_refills_to_the_burst_only() -> None:
    bucket = TokenBucket(CHAT, now=0.0)
    assert takes(bucket, 5, now=0.0) == 5
    assert takes(bucket, 50, now=1000.0) == 10


def test_time_going_backwards_gives_nothing() -> None:
    bucket = TokenBucket(CHAT, now=10.0)
    assert takes(bucket, 10, now=10.0) == 10
    assert takes(bucket, 5, now=5.0) == 0


def test_keys_have_their_own_buckets() -> None:
    limiter = KeyedRateLimiter(RateLimit(rate=1.0, burst=2.0))
    assert [limiter.take("a", 0.0) for _ in range(3)] == [True, True, False]
    assert limiter.take("b", 0.0)


def test_keys_are_bounded() -> None:
    limiter = KeyedRateLimiter(RateLimit(rate=1.0, burst=1.0), max_keys=3)
    for key in "abcdef":
        limiter.take(key, 0.0)
    assert len(limiter) == 3
    assert limiter.take("a", 0.0)  # forgotten, so full again
    assert not limiter.take("f", 0.0)


def test_allows_looks_without_spending() -> None:
    limiter = KeyedRateLimiter(RateLimit(rate=0.1, burst=2.0))
    assert all(limiter.allows("a", 0.0) for _ in range(5))
    assert len(limiter) == 0  # looking makes no bucket
    limiter.take("a", 0.0)
    limiter.take("a", 0.0)
    assert not limiter.allows("a", 0.0)
    assert limiter.allows("a", 10.0)
    assert limiter.allows("b", 0.0)
