"""The directory of nodes and placements on a real Redis: atomic placement on the
least-loaded live node, draining, a lost node's rooms placed anew, releases by the holder."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest_asyncio

from klingel.cluster.directory import (
    MISSED_BEAT_SECONDS,
    PLACEMENT_TTL_SECONDS,
    NodeDirectory,
)
from klingel.ids import RoomId
from klingel.store.redis_store import RedisRoomStore

ROOM = RoomId("musikschule-geige")


async def _nodes(directory: NodeDirectory, loads: dict[str, int]) -> None:
    for node_id, load in loads.items():
        await directory.beat(node_id, f"http://{node_id}:8080", load, [], fresh=True)


async def _set(store: RedisRoomStore, key: str, field: str, value: str) -> None:
    await store.call(lambda client: client.hset(store.key(key), field, value))  # type: ignore[misc]


@pytest_asyncio.fixture
async def a_holds_the_room(
    two_clients: tuple[RedisRoomStore, ...],
) -> tuple[RedisRoomStore, NodeDirectory]:
    """Nodes a (load 0) and b (load 5); ROOM placed, on a."""
    store = two_clients[0]
    directory = NodeDirectory(store)
    await _nodes(directory, {"a": 0, "b": 5})
    assert (await directory.place(ROOM)).node == "a"
    return store, directory


async def test_two_nodes_placing_one_room_at_once_get_the_same_node(
    two_clients: tuple[RedisRoomStore, ...],
) -> None:
    first, second = (NodeDirectory(store) for store in two_clients)
    await _nodes(first, {"a": 0, "b": 0, "c": 0})
    rooms = [RoomId(f"raum-{i}") for i in range(10)]
    answers = await asyncio.gather(
        *(directory.place(room) for room in rooms for directory in (first, second))
    )
    by_room: dict[RoomId, set[str | None]] = {}
    for index, placement in enumerate(answers):
        by_room.setdefault(rooms[index // 2], set()).add(placement.node)
    assert all(len(nodes) == 1 and None not in nodes for nodes in by_room.values())
    # each placement counts on its node at once, so the burst is spread before any beat
    spread = Counter(next(iter(nodes)) for nodes in by_room.values())
    assert max(spread.values()) - min(spread.values()) <= 1 and len(spread) == 3


async def test_a_room_goes_to_the_least_loaded_node_that_does_not_drain(
    two_clients: tuple[RedisRoomStore, ...],
) -> None:
    directory = NodeDirectory(two_clients[0])
    await _nodes(directory, {"a": 40, "b": 3, "c": 12})
    assert (await directory.place(ROOM)).node == "b"
    assert await directory.drain("b")
    assert not await directory.drain("nobody")
    placement = await directory.place(RoomId("zweiter-raum"))
    assert placement.node == "c" and placement.url == "http://c:8080"
    # a held room stays where it is, also on a node that drains
    assert (await directory.place(ROOM)).node == "b"
    drained = {node.node_id: node.draining for node in await directory.nodes()}
    assert drained == {"a": False, "b": True, "c": False}


async def test_the_first_beat_of_a_new_run_ends_a_drain_and_says_it_to_the_node(
    two_clients: tuple[RedisRoomStore, ...],
) -> None:
    directory = NodeDirectory(two_clients[0])
    await _nodes(directory, {"a": 0})
    assert await directory.drain("a", now=True)
    assert await directory.beat("a", "http://a:8080", 0, []) == (True, True)
    assert await directory.beat("a", "http://a:8080", 0, [], fresh=True) == (False, False)


async def test_a_lost_node_s_room_is_placed_anew_and_says_since_when(
    a_holds_the_room: tuple[RedisRoomStore, NodeDirectory],
) -> None:
    store, directory = a_holds_the_room
    # a's entry expired: it stopped beating
    await store.call(lambda client: client.delete(store.key("node:", "a")))  # type: ignore[misc]
    placement = await directory.place(ROOM)
    assert placement.node == "b" and placement.moved_at > 0
    assert {node.node_id for node in await directory.nodes()} == {"b"}


async def test_an_unreachable_node_is_given_up_only_once_it_missed_a_beat(
    a_holds_the_room: tuple[RedisRoomStore, NodeDirectory],
) -> None:
    store, directory = a_holds_the_room
    # a beats: a caller that could not reach it is told it holds the room all the same
    placement = await directory.place(ROOM, unreachable="a")
    assert placement.node == "a" and placement.moved_at == 0
    old_beat = await store.call(lambda client: client.hget(store.key("node:", "a"), "beat"))  # type: ignore[misc]
    stale = int(old_beat) - int(MISSED_BEAT_SECONDS * 1000) - 1000
    await _set(store, "node:a", "beat", str(stale))
    assert (await directory.place(ROOM)).node == "a"  # nobody said it was unreachable
    placement = await directory.place(ROOM, unreachable="a")
    assert placement.node == "b" and placement.moved_at > 0


async def test_only_the_holder_releases_a_room_and_a_move_is_remembered(
    a_holds_the_room: tuple[RedisRoomStore, NodeDirectory],
) -> None:
    _, directory = a_holds_the_room
    assert not await directory.release(ROOM, "b")
    assert await directory.release(ROOM, "a", moved=True)
    assert await directory.drain("a")
    placement = await directory.place(ROOM)
    assert placement.node == "b" and placement.moved_at > 0
    assert await directory.release(ROOM, "b")
    assert (await directory.place(ROOM)).moved_at == 0  # a fresh placement of an empty room


async def test_a_beat_renews_the_placements_of_its_own_rooms_only(
    a_holds_the_room: tuple[RedisRoomStore, NodeDirectory],
) -> None:
    store, directory = a_holds_the_room
    other = RoomId("anderer-raum")
    assert (await directory.place(other)).node == "a"
    for room in (ROOM, other):
        await store.call(lambda client, room=room: client.expire(store.key("place:", room), 3))  # type: ignore[misc]
    await directory.beat("b", "http://b:8080", 5, [ROOM, other])  # not b's rooms
    await directory.beat("a", "http://a:8080", 0, [ROOM])
    ttls = [
        await store.call(lambda client, room=room: client.ttl(store.key("place:", room)))  # type: ignore[misc]
        for room in (ROOM, other)
    ]
    assert ttls[0] > 3 and ttls[0] <= PLACEMENT_TTL_SECONDS
    assert 0 < ttls[1] <= 3


async def test_with_no_live_node_a_room_is_placed_nowhere(
    two_clients: tuple[RedisRoomStore, ...],
) -> None:
    directory = NodeDirectory(two_clients[0])
    assert (await directory.place(ROOM)).node is None
    await _nodes(directory, {"a": 0})
    assert await directory.drain("a")
    assert (await directory.place(ROOM)).node is None
