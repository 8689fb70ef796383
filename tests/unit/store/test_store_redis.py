"""What only the Redis store has: several stores (processes, machines) on one Redis, a Redis
that goes away or refuses the password, its keys, and the URL that never shows a password.
The interface itself is tested on both stores (``store`` in conftest.py)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from support.redis_server import RedisServer, running_redis
from support.standing_rooms import NOW, secret_digest, standing_room

from klingel.cli import main
from klingel.ids import RoomId
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import StandingRooms
from klingel.store import MemberLink, StoredBody, StoreError, StoreErrorCode
from klingel.store.redis_store import KEY_PREFIX, RedisAddress, RedisRoomStore

ROOM = RoomId("musikschule-geige")


@pytest_asyncio.fixture
async def two_stores(empty_redis: RedisServer) -> AsyncIterator[tuple[RedisRoomStore, ...]]:
    """Two stores on one Redis, each with its own connections: two servers."""
    stores = (
        await RedisRoomStore.open(empty_redis.address()),
        await RedisRoomStore.open(empty_redis.address()),
    )
    try:
        yield stores
    finally:
        for store in stores:
            await store.close()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A server of the test's own, which the test may stop."""
    yield from running_redis()


async def test_of_creates_racing_on_two_stores_exactly_one_wins(
    two_stores: tuple[RedisRoomStore, ...],
) -> None:
    rivals = [standing_room(ROOM, host_digest=secret_digest(f"host {n}")) for n in range(16)]
    results = await asyncio.gather(
        *(two_stores[n % 2].create(room, max_rooms=5) for n, room in enumerate(rivals))
    )
    assert results.count(True) == 1
    assert await two_stores[1].get(ROOM) == rivals[results.index(True)]
    assert await two_stores[0].count() == 1


async def test_of_updates_racing_on_two_stores_exactly_one_wins(
    two_stores: tuple[RedisRoomStore, ...],
) -> None:
    room = standing_room(ROOM)
    assert await two_stores[0].create(room)
    versions = [replace(room, host_digest=secret_digest(f"host {n}")) for n in range(16)]
    results = await asyncio.gather(
        *(two_stores[n % 2].update(version, 0) for n, version in enumerate(versions))
    )
    assert results.count(True) == 1
    assert await two_stores[0].get(ROOM) == replace(versions[results.index(True)], revision=1)


async def test_two_stores_never_pass_the_cap_together(
    two_stores: tuple[RedisRoomStore, ...],
) -> None:
    results = await asyncio.gather(
        *(two_stores[n % 2].create(standing_room(f"raum-{n}"), max_rooms=3) for n in range(12)),
        return_exceptions=True,
    )
    assert results.count(True) == 3
    assert all(
        isinstance(result, StoreError) and result.code is StoreErrorCode.ROOMS_FULL
        for result in results
        if result is not True
    )


async def test_of_bodies_racing_on_two_stores_one_is_made_and_a_link_leads_to_one(
    two_stores: tuple[RedisRoomStore, ...],
) -> None:
    def body(n: int) -> StoredBody:
        return StoredBody(
            body_id="gemeinderat" if n % 2 else f"ausschuss-{n}",
            clerk_digest=secret_digest(f"clerk {n}"),
            document="{}",
            member_links=(MemberLink(f"m-{n}", secret_digest("one shared link")),),
            created_at=NOW,
            updated_at=NOW,
        )

    made = await asyncio.gather(
        *(two_stores[n % 2].council().create_body(body(n)) for n in range(12))
    )
    assert made.count(True) == 1
    winner = body(made.index(True))
    found = await two_stores[0].council().member_of_link(secret_digest("one shared link"))
    assert found == (winner.body_id, winner.member_links[0].member_id)


async def test_every_key_lies_under_the_prefix(
    empty_redis: RedisServer, two_stores: tuple[RedisRoomStore, ...]
) -> None:
    store = two_stores[0]
    await store.create(standing_room(ROOM))
    await store.add_ban(ROOM, secret_digest("token"), banned_at=NOW, max_bans=10)
    await store.council().create_body(
        StoredBody(
            body_id="gemeinderat",
            clerk_digest=secret_digest("clerk"),
            document="{}",
            member_links=(MemberLink("m-anna", secret_digest("anna")),),
            created_at=NOW,
            updated_at=NOW,
        )
    )
    client = aioredis.Redis.from_url(empty_redis.url)
    try:
        keys = sorted(key.decode() for key in await client.keys("*"))
    finally:
        await client.aclose()
    assert keys and all(key.startswith(KEY_PREFIX) for key in keys)
    assert f"{KEY_PREFIX}room:{ROOM}" in keys and f"{KEY_PREFIX}bans:{ROOM}" in keys
    # Deleting what was made leaves nothing behind (the empty set of bodies included).
    await store.delete(ROOM)
    await store.council().delete_body("gemeinderat")
    client = aioredis.Redis.from_url(empty_redis.url)
    try:
        assert await client.keys("*") == []
    finally:
        await client.aclose()


async def test_a_redis_that_stops_is_store_unavailable_on_every_call(
    own_redis: RedisServer,
) -> None:
    store = await RedisRoomStore.open(own_redis.address())
    try:
        assert await store.create(standing_room(ROOM))
        own_redis.stop()
        calls = [
            store.get(ROOM),
            store.create(standing_room("gemeinderat")),
            store.update(standing_room(ROOM), 0),
            store.touch(ROOM, NOW),
            store.delete(ROOM),
            store.add_ban(ROOM, secret_digest("t"), banned_at=NOW, max_bans=5),
            store.is_banned(ROOM, secret_digest("t")),
            store.delete_unused(NOW),
            store.count(),
            store.dates(),
            store.council().get_body("gemeinderat"),
            store.council().member_of_link(secret_digest("a")),
            store.council().list_minutes("gemeinderat"),
        ]
        for call in calls:
            with pytest.raises(StoreError) as caught:
                await asyncio.wait_for(call, 15)
            assert caught.value.code is StoreErrorCode.UNAVAILABLE
            assert caught.value.__cause__ is None  # no Redis exception, nor its address
            assert own_redis.password not in str(caught.value)
        # Once Redis is back (empty: it keeps nothing on disk here), the store works again.
        own_redis.start()
        assert await store.create(standing_room(ROOM))
    finally:
        await store.close()


async def test_a_wrong_password_is_refused_at_open(own_redis: RedisServer) -> None:
    wrong = RedisAddress(f"unix://:not-the-password@{own_redis.socket_path}")
    with pytest.raises(StoreError) as caught:
        await RedisRoomStore.open(wrong)
    assert caught.value.code is StoreErrorCode.UNAVAILABLE
    assert "password" in caught.value.message
    none = RedisAddress(own_redis.bare_url)
    with pytest.raises(StoreError) as caught:
        await RedisRoomStore.open(none)
    assert caught.value.code is StoreErrorCode.UNAVAILABLE


async def test_the_password_may_come_from_a_file(own_redis: RedisServer, tmp_path: Path) -> None:
    secret = tmp_path / "redis-password"
    secret.write_text(own_redis.password + "\n")
    store = await RedisRoomStore.open(RedisAddress(own_redis.bare_url, secret))
    try:
        assert await store.create(standing_room(ROOM))
    finally:
        await store.close()
    with pytest.raises(StoreError) as caught:
        await RedisRoomStore.open(RedisAddress(own_redis.bare_url, tmp_path / "missing"))
    assert caught.value.code is StoreErrorCode.UNAVAILABLE


async def test_a_closed_store_refuses_every_call(empty_redis: RedisServer) -> None:
    store = await RedisRoomStore.open(empty_redis.address())
    await store.close()
    await store.close()
    with pytest.raises(StoreError) as caught:
        await store.get(ROOM)
    assert caught.value.code is StoreErrorCode.UNAVAILABLE


def test_a_store_opened_in_one_event_loop_serves_in_the_next(empty_redis: RedisServer) -> None:
    """``klingel serve`` opens the store, then runs the server in a loop of its own."""
    store = asyncio.run(RedisRoomStore.open(empty_redis.address()))
    assert asyncio.run(store.create(standing_room(ROOM)))
    assert asyncio.run(store.get(ROOM)) == standing_room(ROOM)
    asyncio.run(store.close())


def test_the_url_is_shown_without_its_password() -> None:
    address = RedisAddress("rediss://klingel:geheim-123@redis.example.de:6380/2?ssl_ca_certs=x")
    assert address.shown() == "rediss://redis.example.de:6380/2"
    assert "geheim" not in repr(address) and "geheim" not in str(address)
    assert RedisAddress("unix://:geheim@/run/redis/redis.sock").shown() == (
        "unix:///run/redis/redis.sock"
    )
    for bad in ("http://redis.example.de", "redis://", "unix://", "localhost:6379"):
        with pytest.raises(ValueError):
            RedisAddress(bad)
    with pytest.raises(ValueError):
        RedisAddress("redis://:geheim@redis.example.de", Path("/etc/klingel/redis-password"))


def test_a_url_s_query_names_only_tls_files_and_only_for_rediss() -> None:
    """redis-py's ``from_url`` hands every query parameter to the connection: one it does not
    take would end ``klingel serve`` with a traceback, so the address refuses it first."""
    RedisAddress("rediss://redis.example.de:6380/0?ssl_ca_certs=/etc/klingel/redis-ca.pem")
    RedisAddress("rediss://redis.example.de/0?ssl_certfile=/k/c.pem&ssl_keyfile=/k/c.key")
    for bad in (
        "redis://:geheim@redis.example.de/0?ssl_ca_certs=/etc/klingel/redis-ca.pem",
        "unix:///run/redis/redis.sock?ssl_ca_certs=/etc/klingel/redis-ca.pem",
        "rediss://:geheim@redis.example.de/0?ssl_ca_cert=/etc/klingel/redis-ca.pem",
        "rediss://redis.example.de/0?password=geheim",
        "rediss://redis.example.de/0?ssl_cert_reqs=none",
        "rediss://redis.example.de/0?retry_on_timeout=yes",
    ):
        with pytest.raises(ValueError) as refused:
            RedisAddress(bad)
        assert "geheim" not in str(refused.value)


async def test_standing_rooms_open_on_redis_keep_the_key_in_the_data_dir(
    empty_redis: RedisServer, tmp_path: Path
) -> None:
    standing = await StandingRooms.open(tmp_path / "data", redis=empty_redis.address())
    try:
        keys = standing.new_keys()
        assert await standing.create(ROOM, keys, RoomSettings(lobby=True)) is not None
        assert [room.room_id for room in await standing.dates()] == [ROOM]
    finally:
        await standing.close()
    assert (tmp_path / "data" / "store.key").exists()
    assert not (tmp_path / "data" / "rooms.sqlite3").exists()


def test_the_admin_commands_take_redis_and_never_print_its_password(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    data_dir = str(tmp_path / "data")
    secret = tmp_path / "redis-password"
    secret.write_text(own_redis.password)
    redis_args = ["--data-dir", data_dir, "--redis", own_redis.bare_url]
    redis_args += ["--redis-password-file", str(secret)]
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["rooms", "create", "Gemeinderat", *redis_args]) == 0
        assert main(["rooms", "list", *redis_args]) == 0
    assert "gemeinderat" in out.getvalue().split("\n", 4)[-1]
    wrong = f"unix://:wrong-{own_redis.password}@{own_redis.socket_path}"
    err = io.StringIO()
    with redirect_stderr(err):
        assert main(["rooms", "list", "--data-dir", data_dir, "--redis", wrong]) == 74
    assert "store_unavailable" in err.getvalue() and f"unix://{own_redis.socket_path}" in (
        err.getvalue()
    )
    assert own_redis.password not in err.getvalue()
