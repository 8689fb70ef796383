"""Councils and committees on the room store's Redis (``klingel.store.council``).

It shares the room store's connection (``RedisRoomStore.council``) and key prefix. As there,
every write is one Lua script and every read of several keys one MULTI/EXEC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from klingel.store.api import StoreError, StoreErrorCode
from klingel.store.council import (
    MAX_MINUTES_PER_BODY,
    MemberLink,
    MinutesEntry,
    StoredBody,
    StoredMinutes,
)
from klingel.store.redis_store import Arg, _int, _Script, _text

if TYPE_CHECKING:
    from klingel.store.redis_store import RedisRoomStore

__all__ = ["RedisCouncilStore"]

# Keys (after the prefix): body:<id> (hash), body-links:<id> (hash member -> digest),
# links and link-members (hashes digest -> body id, member id), bodies (set of ids);
# minutes:<id> (sorted set of minutes ids by closed_at), minutes-session:<id>,
# minutes-title:<id>, minutes-json:<id>, minutes-pdf:<id> (hashes by minutes id).
_FORGET_LINKS = """
local function forget_links(p, id)
  local old = redis.call('HVALS', p .. 'body-links:' .. id)
  for _, digest in ipairs(old) do
    redis.call('HDEL', p .. 'links', digest)
    redis.call('HDEL', p .. 'link-members', digest)
  end
  redis.call('DEL', p .. 'body-links:' .. id)
end
local function links_free(p, id, first)
  for i = first, #ARGV, 2 do
    local owner = redis.call('HGET', p .. 'links', ARGV[i + 1])
    if owner and owner ~= id then return false end
  end
  return true
end
local function write_links(p, id, first)
  for i = first, #ARGV, 2 do
    redis.call('HSET', p .. 'body-links:' .. id, ARGV[i], ARGV[i + 1])
    redis.call('HSET', p .. 'links', ARGV[i + 1], id)
    redis.call('HSET', p .. 'link-members', ARGV[i + 1], ARGV[i])
  end
end
local minutes_kinds = {'minutes-session:', 'minutes-title:', 'minutes-json:', 'minutes-pdf:'}
local function forget_minutes(p, id, ids)
  for _, minutes_id in ipairs(ids) do
    redis.call('ZREM', p .. 'minutes:' .. id, minutes_id)
    for _, kind in ipairs(minutes_kinds) do redis.call('HDEL', p .. kind .. id, minutes_id) end
  end
end
"""

_CREATE_BODY = _Script(
    _FORGET_LINKS
    + """
local p, id = ARGV[1], ARGV[2]
local key = p .. 'body:' .. id
if redis.call('EXISTS', key) == 1 then return 0 end
if not links_free(p, id, 8) then return 0 end
redis.call('HSET', key, 'clerk_digest', ARGV[3], 'document', ARGV[4], 'created_at', ARGV[5],
  'updated_at', ARGV[6], 'revision', ARGV[7])
write_links(p, id, 8)
redis.call('SADD', p .. 'bodies', id)
return 1
"""
)

_UPDATE_BODY = _Script(
    _FORGET_LINKS
    + """
local p, id = ARGV[1], ARGV[2]
local key = p .. 'body:' .. id
local stored = redis.call('HMGET', key, 'revision', 'created_at', 'updated_at')
if not stored[1] or stored[1] ~= ARGV[3] or stored[2] ~= ARGV[4] then return 0 end
if not links_free(p, id, 9) then return 0 end
local updated = ARGV[8]
if tonumber(stored[3]) > tonumber(updated) then updated = stored[3] end
redis.call('HSET', key, 'clerk_digest', ARGV[6], 'document', ARGV[7], 'updated_at', updated,
  'revision', ARGV[5])
forget_links(p, id)
write_links(p, id, 9)
return 1
"""
)

_DELETE_BODY = _Script(
    _FORGET_LINKS
    + """
local p, id = ARGV[1], ARGV[2]
if redis.call('DEL', p .. 'body:' .. id) == 0 then return 0 end
forget_links(p, id)
redis.call('SREM', p .. 'bodies', id)
redis.call('DEL', p .. 'minutes:' .. id)
for _, kind in ipairs(minutes_kinds) do redis.call('DEL', p .. kind .. id) end
return 1
"""
)

_ADD_MINUTES = _Script(
    _FORGET_LINKS
    + """
local p, id, minutes_id = ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', p .. 'body:' .. id) == 0 then return 0 end
local index = p .. 'minutes:' .. id
if redis.call('ZSCORE', index, minutes_id) then return 0 end
redis.call('ZADD', index, ARGV[4], minutes_id)
redis.call('HSET', p .. 'minutes-session:' .. id, minutes_id, ARGV[5])
redis.call('HSET', p .. 'minutes-title:' .. id, minutes_id, ARGV[6])
redis.call('HSET', p .. 'minutes-json:' .. id, minutes_id, ARGV[7])
redis.call('HSET', p .. 'minutes-pdf:' .. id, minutes_id, ARGV[8])
local over = redis.call('ZCARD', index) - tonumber(ARGV[9])
if over > 0 then forget_minutes(p, id, redis.call('ZRANGE', index, 0, over - 1)) end
return 1
"""
)

_LIST_MINUTES = _Script("""
local p, id = ARGV[1], ARGV[2]
local out = {}
local entries = redis.call('ZREVRANGE', p .. 'minutes:' .. id, 0, -1, 'WITHSCORES')
for i = 1, #entries, 2 do
  table.insert(out, entries[i])
  table.insert(out, entries[i + 1])
  table.insert(out, redis.call('HGET', p .. 'minutes-session:' .. id, entries[i]) or false)
  table.insert(out, redis.call('HGET', p .. 'minutes-title:' .. id, entries[i]) or false)
end
return out
""")

_DELETE_MINUTES = _Script(
    _FORGET_LINKS
    + """
local p, id = ARGV[1], ARGV[2]
if not redis.call('ZSCORE', p .. 'minutes:' .. id, ARGV[3]) then return 0 end
forget_minutes(p, id, {ARGV[3]})
return 1
"""
)

_DELETE_MINUTES_BEFORE = _Script(
    _FORGET_LINKS
    + """
local p = ARGV[1]
local gone = 0
for _, id in ipairs(redis.call('SMEMBERS', p .. 'bodies')) do
  local old = redis.call('ZRANGEBYSCORE', p .. 'minutes:' .. id, '-inf', '(' .. ARGV[2])
  forget_minutes(p, id, old)
  gone = gone + #old
end
return gone
"""
)


class RedisCouncilStore:
    """A ``CouncilStore`` on the room store's Redis."""

    __slots__ = ("_store",)

    def __init__(self, store: RedisRoomStore) -> None:
        self._store = store

    async def create_body(self, body: StoredBody) -> bool:
        result = await self._store.run(
            _CREATE_BODY,
            body.body_id,
            body.clerk_digest,
            body.document.encode("utf-8", "surrogatepass"),
            body.created_at,
            body.updated_at,
            body.revision,
            *_link_args(body),
        )
        return bool(result == 1)

    async def get_body(self, body_id: str) -> StoredBody | None:
        store = self._store

        def queue(pipe: Any) -> None:
            pipe.hgetall(store.key("body:", body_id))
            pipe.hgetall(store.key("body-links:", body_id))

        values, links = await store.transaction(queue)
        if not values:
            return None
        try:
            return StoredBody(
                body_id=body_id,
                clerk_digest=values[b"clerk_digest"],
                document=values[b"document"].decode("utf-8", "surrogatepass"),
                member_links=tuple(
                    MemberLink(_text(member), digest) for member, digest in sorted(links.items())
                ),
                created_at=_int(values[b"created_at"]),
                updated_at=_int(values[b"updated_at"]),
                revision=_int(values[b"revision"]),
            )
        except (KeyError, ValueError, TypeError) as error:
            raise StoreError(StoreErrorCode.CORRUPT) from error

    async def update_body(self, body: StoredBody, expected_revision: int) -> bool:
        result = await self._store.run(
            _UPDATE_BODY,
            body.body_id,
            expected_revision,
            body.created_at,
            expected_revision + 1,
            body.clerk_digest,
            body.document.encode("utf-8", "surrogatepass"),
            body.updated_at,
            *_link_args(body),
        )
        return bool(result == 1)

    async def delete_body(self, body_id: str) -> bool:
        return bool(await self._store.run(_DELETE_BODY, body_id) == 1)

    async def member_of_link(self, digest: bytes) -> tuple[str, str] | None:
        store = self._store

        def queue(pipe: Any) -> None:
            pipe.hget(store.key("links"), digest)
            pipe.hget(store.key("link-members"), digest)

        body_id, member_id = await store.transaction(queue)
        if body_id is None:
            return None
        try:
            return _text(body_id), _text(member_id)
        except (ValueError, TypeError) as error:
            raise StoreError(StoreErrorCode.CORRUPT) from error

    async def add_minutes(self, minutes: StoredMinutes) -> bool:
        entry = minutes.entry
        result = await self._store.run(
            _ADD_MINUTES,
            entry.body_id,
            entry.minutes_id,
            entry.closed_at,
            entry.session_id,
            entry.title,
            minutes.json,
            minutes.pdf,
            MAX_MINUTES_PER_BODY,
        )
        return bool(result == 1)

    async def list_minutes(self, body_id: str) -> list[MinutesEntry]:
        flat: list[Any] = await self._store.run(_LIST_MINUTES, body_id)
        entries = []
        try:
            for index in range(0, len(flat), 4):
                minutes_id, closed_at, session_id, title = flat[index : index + 4]
                entries.append(
                    MinutesEntry(
                        body_id,
                        _text(minutes_id),
                        _text(session_id),
                        _text(title),
                        int(float(_text(closed_at))),
                    )
                )
        except (ValueError, TypeError) as error:
            raise StoreError(StoreErrorCode.CORRUPT) from error
        return entries

    async def get_minutes(self, body_id: str, minutes_id: str) -> StoredMinutes | None:
        store = self._store

        def queue(pipe: Any) -> None:
            pipe.zscore(store.key("minutes:", body_id), minutes_id)
            for kind in ("minutes-session:", "minutes-title:", "minutes-json:", "minutes-pdf:"):
                pipe.hget(store.key(kind, body_id), minutes_id)

        closed_at, session_id, title, json, pdf = await store.transaction(queue)
        if closed_at is None:
            return None
        try:
            entry = MinutesEntry(
                body_id, minutes_id, _text(session_id), _text(title), int(closed_at)
            )
            if not isinstance(json, bytes) or not isinstance(pdf, bytes):
                raise TypeError("minutes without their files")
            return StoredMinutes(entry, json, pdf)
        except (ValueError, TypeError) as error:
            raise StoreError(StoreErrorCode.CORRUPT) from error

    async def delete_minutes(self, body_id: str, minutes_id: str) -> bool:
        return bool(await self._store.run(_DELETE_MINUTES, body_id, minutes_id) == 1)

    async def delete_minutes_before(self, closed_before: int) -> int:
        return int(await self._store.run(_DELETE_MINUTES_BEFORE, closed_before))


def _link_args(body: StoredBody) -> list[Arg]:
    args: list[Arg] = []
    for link in body.member_links:
        args += [link.member_id, link.digest]
    return args
