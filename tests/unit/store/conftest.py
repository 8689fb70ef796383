"""The store of each kind the contract tests run against: a real SQLite file in the test's
temporary directory, and a real ``redis-server`` (one per test session, emptied for each
test) on a Unix socket with a password."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from support.redis_server import RedisServer, running_redis

from klingel.store import RoomStore, SqliteRoomStore
from klingel.store.redis_store import RedisRoomStore


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis()


@pytest.fixture
def empty_redis(redis_server: RedisServer) -> RedisServer:
    redis_server.flush()
    return redis_server


@pytest_asyncio.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RoomStore]:
    opened: RoomStore
    if request.param == "sqlite":
        opened = await SqliteRoomStore.open(tmp_path / "data")
    else:
        server: RedisServer = request.getfixturevalue("empty_redis")
        opened = await RedisRoomStore.open(server.address())
    try:
        yield opened
    finally:
        await opened.close()
