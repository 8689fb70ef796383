"""The nodes of a town's service and where each room is held, on the Redis they share.

A **node** is one ``klingel serve`` (its web process and its SFU workers). It beats every
second: ``node:<id>`` (a hash: its internal URL, its load, when it last beat, whether it
drains) lives ``NODE_TTL_SECONDS`` past each beat, so a node that dies is gone from the
directory within that time even if nobody notices it earlier. ``nodes`` is the set of ids
ever registered; the placement script removes the ids whose hash has expired.

A **placement** (``place:<room>``, a hash) names the node that holds a room's meeting, and
since when the room came there from a lost or drained node (``moved_at``, unix seconds), which
lets the pages of the meeting back in past the lobby (``klingel.rooms.seat_passes``). The node
that holds a room renews its placement with every beat (``PLACEMENT_TTL_SECONDS``) and gives it
up when the room leaves its memory.

Placing is one Lua script, so two nodes asked for one room at once get the same answer: the
holder if it is alive, else the live node with the least load that does not drain (its load
counted up by one at once, so a burst of new rooms is spread before the next beats report
it). A node that a caller could not reach and that has missed a beat is taken for dead at
once (``unreachable``), which brings its rooms back well before its hash expires.

A room open to the public is also found by the digest of its viewer key (``live:<digest>``,
renewed with every beat of its node), since a viewer's first frame names no room.

The directory is used only with ``--redis``; every key lies under the store's prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from klingel.ids import RoomId
from klingel.store.redis_store import RedisRoomStore, Script

__all__ = [
    "BEAT_SECONDS",
    "MISSED_BEAT_SECONDS",
    "NODE_TTL_SECONDS",
    "PLACEMENT_TTL_SECONDS",
    "NodeDirectory",
    "NodeState",
    "Placement",
]

BEAT_SECONDS = 1.0
NODE_TTL_SECONDS = 5.0
"""A node that has not beaten for this long is dead for everyone."""
MISSED_BEAT_SECONDS = 2.5
"""A node that a caller cannot reach and that has not beaten for this long is dead."""
PLACEMENT_TTL_SECONDS = 30
"""A placement its holder stops renewing (it died) is gone after this."""


@dataclass(frozen=True, slots=True)
class NodeState:
    """One live node as the directory shows it."""

    node_id: str
    url: str
    load: int
    draining: bool
    move_now: bool


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a room is held: ``node`` (None if no node is alive to take it), its internal URL,
    and when the room last came there from another node (0: never)."""

    node: str | None
    url: str
    moved_at: int


# ARGV[1] is the prefix. TIME gives Redis's clock, so nodes with clocks apart agree on ages.
_BEAT = Script("""
local p, id = ARGV[1], ARGV[2]
local key = p .. 'node:' .. id
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', key, 'url', ARGV[3], 'load', ARGV[4], 'beat', now_ms)
if ARGV[6] == '1' then redis.call('HDEL', key, 'draining', 'move_now') end
redis.call('PEXPIRE', key, ARGV[5])
redis.call('SADD', p .. 'nodes', id)
local flags = redis.call('HMGET', key, 'draining', 'move_now')
for i = 8, #ARGV do
  local place = p .. 'place:' .. ARGV[i]
  if redis.call('HGET', place, 'node') == id then redis.call('EXPIRE', place, ARGV[7]) end
end
return {flags[1] or '', flags[2] or ''}
""")

_PLACE = Script("""
local p, room, unreachable = ARGV[1], ARGV[2], ARGV[3]
local missed_ms, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local place = p .. 'place:' .. room
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held = redis.call('HMGET', place, 'node', 'moved_at')
local holder, moved_at = held[1], held[2] or '0'
if holder and holder ~= '' then
  local node = redis.call('HMGET', p .. 'node:' .. holder, 'url', 'beat')
  if node[1] then
    if holder ~= unreachable or now_ms - tonumber(node[2]) < missed_ms then
      return {holder, node[1], moved_at}
    end
    redis.call('DEL', p .. 'node:' .. holder)
  end
  moved_at = tostring(math.floor(now_ms / 1000))
end
local best, best_load, best_url = nil, nil, nil
for _, id in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do
  local node = redis.call('HMGET', p .. 'node:' .. id, 'url', 'load', 'draining')
  if not node[1] then
    redis.call('SREM', p .. 'nodes', id)
  elseif node[3] ~= '1' then
    local load = tonumber(node[2])
    if best == nil or load < best_load or (load == best_load and id < best) then
      best, best_load, best_url = id, load, node[1]
    end
  end
end
if best == nil then return {'', '', moved_at} end
redis.call('HSET', place, 'node', best, 'moved_at', moved_at)
redis.call('EXPIRE', place, ttl)
redis.call('HINCRBY', p .. 'node:' .. best, 'load', 1)
return {best, best_url, moved_at}
""")

_RELEASE = Script("""
local p, room, id = ARGV[1], ARGV[2], ARGV[3]
local place = p .. 'place:' .. room
if redis.call('HGET', place, 'node') ~= id then return 0 end
if ARGV[4] == '1' then
  local t = redis.call('TIME')
  redis.call('HSET', place, 'node', '', 'moved_at', t[1])
  redis.call('EXPIRE', place, ARGV[5])
  return 1
end
return redis.call('DEL', place)
""")

_LIVE = Script("""
local p, ttl = ARGV[1], ARGV[2]
for i = 3, #ARGV, 3 do
  redis.call('SET', p .. 'live:' .. ARGV[i], ARGV[i + 1], 'EX', ttl)
  redis.call('SET', p .. 'air:' .. ARGV[i + 1], ARGV[i + 2], 'EX', ttl)
end
return 1
""")

_DRAIN = Script("""
local p, id = ARGV[1], ARGV[2]
local key = p .. 'node:' .. id
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'draining', '1')
if ARGV[3] == '1' then redis.call('HSET', key, 'move_now', '1') end
return 1
""")


class NodeDirectory:
    """The directory's scripts, run on the store's Redis client."""

    __slots__ = ("_store",)

    def __init__(self, store: RedisRoomStore) -> None:
        self._store = store

    async def beat(
        self, node_id: str, url: str, load: int, held: list[RoomId], *, fresh: bool = False
    ) -> tuple[bool, bool]:
        """This node is alive with ``load``; renews the placements of the rooms it ``held``.
        ``fresh``: the first beat of a run (a drain of an earlier run of the id is over).
        Returns whether the node is to drain, and whether to move its rooms now."""
        flags: list[bytes] = await self._store.run(
            _BEAT,
            node_id,
            url,
            load,
            int(NODE_TTL_SECONDS * 1000),
            "1" if fresh else "0",
            PLACEMENT_TTL_SECONDS,
            *held,
        )
        return flags[0] == b"1", flags[1] == b"1"

    async def place(self, room: RoomId, *, unreachable: str = "") -> Placement:
        """The node that holds ``room``, placing it on the least-loaded live node first if no
        live node holds it. ``unreachable``: a node the caller could not reach."""
        answer: list[Any] = await self._store.run(
            _PLACE,
            room,
            unreachable,
            int(MISSED_BEAT_SECONDS * 1000),
            PLACEMENT_TTL_SECONDS,
        )
        node, url, moved_at = (_text(value) for value in answer)
        return Placement(node or None, url, int(moved_at or 0))

    async def release(self, room: RoomId, node_id: str, *, moved: bool = False) -> bool:
        """``node_id`` gives ``room`` up (if it holds it): it left the node's memory, or
        (``moved``) the node sent its pages to be placed anew."""
        result = await self._store.run(
            _RELEASE, room, node_id, "1" if moved else "0", PLACEMENT_TTL_SECONDS
        )
        return bool(result == 1)

    async def announce_live(self, broadcasts: list[tuple[str, RoomId, str]]) -> None:
        """The rooms open to the public on this node, by the digest of their viewer key
        (``live:<digest>``), so that a viewer's socket on any node finds the room's node, and
        each room's sealed viewer key (``air:<room>``, ``klingel.cluster.at_rest``), so that
        the broadcast comes back with its room if this node is lost. An entry lives
        ``PLACEMENT_TTL_SECONDS`` past the last announcement; a stale one leads to the node
        that held the room, which refuses the key as it refuses any unknown one."""
        if not broadcasts:
            return
        parts = [part for broadcast in broadcasts for part in broadcast]
        await self._store.run(_LIVE, PLACEMENT_TTL_SECONDS, *parts)

    async def sealed_viewer_key(self, room: RoomId) -> str | None:
        """What ``announce_live`` keeps of ``room``'s broadcast, if it is on (or its node was
        lost less than ``PLACEMENT_TTL_SECONDS`` ago)."""
        key = self._store.key("air:", room)
        value = await self._store.call(lambda client: client.get(key))
        return _text(value) if value else None

    async def off_air(self, room: RoomId, key_digest: str) -> None:
        """``room``'s broadcast ended: neither its link nor its key lead anywhere any more."""
        keys = [self._store.key("air:", room), self._store.key("live:", key_digest)]
        await self._store.call(lambda client: client.delete(*keys))

    async def live_room(self, key_digest: str) -> RoomId | None:
        """The room whose viewer key has ``key_digest``, if a node announced one."""
        key = self._store.key("live:", key_digest)
        value = await self._store.call(lambda client: client.get(key))
        return RoomId(_text(value)) if value else None

    async def drain(self, node_id: str, *, now: bool = False) -> bool:
        """Mark a live node as draining: it takes no new rooms (and moves its rooms at once
        with ``now``). False if no such node is alive."""
        return bool(await self._store.run(_DRAIN, node_id, "1" if now else "0") == 1)

    async def nodes(self) -> list[NodeState]:
        """The live nodes, by id."""
        members = await self._store.call(lambda client: client.smembers(self._store.key("nodes")))
        ids = sorted(_text(value) for value in members)
        states = []
        for node_id in ids:
            key = self._store.key("node:", node_id)
            fields: list[Any] = await self._store.call(
                lambda client, key=key: client.hmget(key, ["url", "load", "draining", "move_now"])  # type: ignore[misc]
            )
            url, load, draining, move_now = fields
            if url is None:
                continue
            states.append(
                NodeState(node_id, _text(url), int(load or 0), draining == b"1", move_now == b"1")
            )
        return states


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
