"""A real ``redis-server`` for the directory's tests: one per test session, emptied for each
test, on a Unix socket with a password."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from support.redis_server import RedisServer, running_redis

from klingel.store.redis_store import RedisRoomStore


@pytest.fixture(scope="session")
def cluster_redis() -> Iterator[RedisServer]:
    yield from running_redis()


@pytest_asyncio.fixture
async def two_clients(cluster_redis: RedisServer) -> AsyncIterator[tuple[RedisRoomStore, ...]]:
    """Two clients on one emptied Redis, each with its own connections: two nodes."""
    cluster_redis.flush()
    stores = (
        await RedisRoomStore.open(cluster_redis.address()),
        await RedisRoomStore.open(cluster_redis.address()),
    )
    try:
        yield stores
    finally:
        for store in stores:
            await store.close()
