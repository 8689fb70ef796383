"""The room store on Redis: the same interface and answers as the embedded SQLite store, for
servers that share their standing rooms (``klingel serve --redis URL``).

Every method that writes is one Lua script (``EVALSHA``), which Redis runs without any other
command in between: each compare-and-set reads and writes in one atomic step, also against
other processes and machines on the same Redis. Reads of more than one key run in one
``MULTI``/``EXEC`` transaction, so they never see half of a write. Every key lies under
``klingel:`` (docs/store.md lists them). A Redis that cannot be reached, refuses the password
or answers with an error is a ``StoreError`` with a stable code, never a raw Redis exception;
the URL's password is never written anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import redis.asyncio as aioredis
import redis.exceptions as redis_errors
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from klingel.ids import RoomId
from klingel.store.api import StoreError, StoreErrorCode
from klingel.store.passwords import PasswordDigest
from klingel.store.records import RoomDates, StandingRoom, StoredSettings, check_ban

if TYPE_CHECKING:
    from klingel.store.redis_council import RedisCouncilStore

__all__ = ["KEY_PREFIX", "RedisAddress", "RedisRoomStore", "Script", "redis_store_error"]

KEY_PREFIX = "klingel:"
_SCHEMES = ("redis", "rediss", "unix")
_TLS_PARAMETERS = frozenset({"ssl_ca_certs", "ssl_ca_path", "ssl_certfile", "ssl_keyfile"})
"""What a ``rediss://`` URL's query may name: the files of TLS (redis-py reads the query)."""
_T = TypeVar("_T")
_SETTINGS = tuple(switch.name for switch in fields(StoredSettings))
_TIMEOUT_SECONDS = 5.0
Arg = bytes | str | int | float
"""What a script takes: Redis gets every argument as a string."""


@dataclass(frozen=True, slots=True)
class RedisAddress:
    """Where the Redis is (``redis://``, ``rediss://`` with TLS, or ``unix://``) and the file
    holding its password, if the URL does not hold it. Shown without the password.

    A ``rediss://`` URL may name the CA to trust and a client certificate in its query
    (``?ssl_ca_certs=/etc/klingel/redis-ca.pem``), which redis-py's ``from_url`` reads; any
    other query would reach redis-py as an argument it does not take, so it is refused here.
    """

    url: str
    password_file: Path | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in _SCHEMES:
            raise ValueError("a Redis URL starts with redis://, rediss:// or unix://")
        if parts.scheme != "unix" and not parts.hostname:
            raise ValueError("a Redis URL names its host")
        if parts.scheme == "unix" and not parts.path:
            raise ValueError("a unix:// Redis URL names its socket's path")
        if self.password_file is not None and parts.password:
            raise ValueError("the Redis password is in the URL or in the file, not in both")
        names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        if names and (parts.scheme != "rediss" or not names <= _TLS_PARAMETERS):
            # The message never repeats the URL nor its query, which may hold the password.
            raise ValueError(
                "a Redis URL's query names only TLS files (ssl_ca_certs, ssl_ca_path,"
                " ssl_certfile, ssl_keyfile), and only after rediss://"
            )

    def shown(self) -> str:
        """The URL with its password (and user) left out: what may be printed or logged."""
        parts = urlsplit(self.url)
        if parts.scheme == "unix":
            return f"unix://{parts.path}"
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def __repr__(self) -> str:
        return f"RedisAddress({self.shown()!r})"

    __str__ = shown

    def password(self) -> str | None:
        """The password from the file (its first line), or None; StoreError if unreadable."""
        if self.password_file is None:
            return None
        try:
            text = self.password_file.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as error:
            raise StoreError(
                StoreErrorCode.UNAVAILABLE, "The Redis password file cannot be read."
            ) from error
        lines = text.splitlines()
        return lines[0] if lines else ""


def redis_store_error(error: Exception) -> StoreError:
    """The ``StoreError`` of what Redis (or the way to it) answered."""
    if isinstance(error, StoreError):
        return error
    message = str(error)
    if isinstance(error, redis_errors.AuthenticationError) or message.startswith(
        ("NOAUTH", "WRONGPASS", "invalid password", "invalid username-password")
    ):
        return StoreError(
            StoreErrorCode.UNAVAILABLE, "Redis refused the password of the room store."
        )
    if isinstance(error, redis_errors.ReadOnlyError) or message.startswith("READONLY"):
        return StoreError(StoreErrorCode.READ_ONLY, "The Redis of the room store is read-only.")
    if message.startswith("OOM") or "maxmemory" in message:
        return StoreError(StoreErrorCode.FULL)
    if _refused_certificate(error):
        return StoreError(
            StoreErrorCode.UNAVAILABLE,
            "The TLS certificate of the room store's Redis was not accepted (not signed by a"
            " trusted CA, not for the URL's host, or expired).",
        )
    if isinstance(error, redis_errors.ConnectionError | redis_errors.TimeoutError | OSError):
        return StoreError(
            StoreErrorCode.UNAVAILABLE, "The Redis of the room store cannot be reached."
        )
    return StoreError(StoreErrorCode.UNAVAILABLE)


def _refused_certificate(error: BaseException) -> bool:
    """Whether the TLS handshake failed on Redis's certificate (redis-py wraps the error)."""
    seen: BaseException | None = error
    for _ in range(4):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _Script:
    """A Lua script, run with ``EVALSHA`` (and loaded with ``EVAL`` the first time)."""

    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, client: aioredis.Redis, *args: Arg) -> Any:
        try:
            return await client.evalsha(self.sha, 0, *args)
        except redis_errors.NoScriptError:
            return await client.eval(self.source, 0, *args)


Script = _Script
"""A Lua script for the modules that share the store's Redis (``klingel.cluster``)."""


# Every script takes the key prefix as ARGV[1]; keys are made from it and the ids, so one
# Redis (not a Cluster) holds them all.
_CREATE = _Script("""
local p, id = ARGV[1], ARGV[2]
local key = p .. 'room:' .. id
if redis.call('EXISTS', key) == 1 then return 0 end
local max = tonumber(ARGV[3])
if max >= 0 and redis.call('ZCARD', p .. 'rooms') >= max then return -1 end
redis.call('HSET', key, unpack(ARGV, 5))
redis.call('ZADD', p .. 'rooms', ARGV[4], id)
return 1
""")

_UPDATE = _Script("""
local p, id = ARGV[1], ARGV[2]
local key = p .. 'room:' .. id
local stored = redis.call('HMGET', key, 'revision', 'created_at', 'last_used_at')
if not stored[1] or stored[1] ~= ARGV[3] or stored[2] ~= ARGV[4] then return 0 end
local last = ARGV[6]
if tonumber(stored[3]) > tonumber(last) then last = stored[3] end
redis.call('HSET', key, 'revision', ARGV[5], 'last_used_at', last, unpack(ARGV, 7))
redis.call('ZADD', p .. 'rooms', last, id)
return 1
""")

_TOUCH = _Script("""
local p, id = ARGV[1], ARGV[2]
local key = p .. 'room:' .. id
local last = redis.call('HGET', key, 'last_used_at')
if not last then return 0 end
if tonumber(ARGV[3]) > tonumber(last) then
  redis.call('HSET', key, 'last_used_at', ARGV[3])
  redis.call('ZADD', p .. 'rooms', ARGV[3], id)
end
return 1
""")

_DELETE = _Script("""
local p, id = ARGV[1], ARGV[2]
redis.call('DEL', p .. 'bans:' .. id)
redis.call('ZREM', p .. 'rooms', id)
return redis.call('DEL', p .. 'room:' .. id)
""")

_ADD_BAN = _Script("""
local p, id = ARGV[1], ARGV[2]
if redis.call('EXISTS', p .. 'room:' .. id) == 0 then return 0 end
local bans = p .. 'bans:' .. id
redis.call('ZADD', bans, 'NX', ARGV[4], ARGV[3])
redis.call('ZREMRANGEBYRANK', bans, 0, -(tonumber(ARGV[5]) + 1))
return 1
""")

_DELETE_UNUSED = _Script("""
local p = ARGV[1]
local ids = redis.call('ZRANGEBYSCORE', p .. 'rooms', '-inf', '(' .. ARGV[2])
for _, id in ipairs(ids) do
  redis.call('DEL', p .. 'room:' .. id, p .. 'bans:' .. id)
  redis.call('ZREM', p .. 'rooms', id)
end
return #ids
""")

_DATES = _Script("""
local p = ARGV[1]
local out = {}
for _, id in ipairs(redis.call('ZRANGE', p .. 'rooms', 0, -1)) do
  local times = redis.call('HMGET', p .. 'room:' .. id, 'created_at', 'last_used_at')
  table.insert(out, id)
  table.insert(out, times[1] or false)
  table.insert(out, times[2] or false)
end
return out
""")


class RedisRoomStore:
    """A ``RoomStore`` on one Redis. Make it with ``await RedisRoomStore.open(address)``.

    A client binds to the event loop it was made in: the store makes one per loop, when
    first used there, so it may be opened before the server's loop runs (as the SQLite store).
    """

    __slots__ = ("_address", "_client", "_closed", "_loop", "_password", "_prefix")

    def __init__(self, address: RedisAddress, password: str | None, prefix: str) -> None:
        """Use ``open``, which checks that Redis answers and takes the password."""
        self._address = address
        self._password = password
        self._prefix = prefix
        self._client: aioredis.Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @classmethod
    async def open(cls, address: RedisAddress, *, prefix: str = KEY_PREFIX) -> RedisRoomStore:
        """Connect and check that Redis answers (PING) with the password; raises
        ``StoreError`` (store_unavailable) if it is not reached or refuses."""
        store = cls(address, address.password(), prefix)
        try:
            await store._call(lambda client: client.ping())
        finally:
            await store._release()
        return store

    @property
    def address(self) -> RedisAddress:
        return self._address

    def council(self) -> RedisCouncilStore:
        """Councils and committees, on the same Redis (``klingel.store.redis_council``)."""
        from klingel.store.redis_council import RedisCouncilStore

        return RedisCouncilStore(self)

    async def create(self, room: StandingRoom, max_rooms: int | None = None) -> bool:
        result = await self.run(
            _CREATE,
            room.room_id,
            -1 if max_rooms is None else max_rooms,
            room.last_used_at,
            *_room_fields(room),
        )
        if result == -1:
            raise StoreError(StoreErrorCode.ROOMS_FULL)
        return bool(result == 1)

    async def get(self, room_id: RoomId) -> StandingRoom | None:
        values: dict[bytes, bytes] = await self._call(
            lambda client: client.hgetall(self.key("room:", room_id))  # type: ignore[arg-type,return-value]
        )
        return _room_from_hash(room_id, values) if values else None

    async def update(self, room: StandingRoom, expected_revision: int) -> bool:
        written = _room_fields(room)[: 2 * (3 + len(_SETTINGS))]
        result = await self.run(
            _UPDATE,
            room.room_id,
            expected_revision,
            room.created_at,
            expected_revision + 1,
            room.last_used_at,
            *written,
        )
        return bool(result == 1)

    async def touch(self, room_id: RoomId, now: int) -> bool:
        return bool(await self.run(_TOUCH, room_id, now) == 1)

    async def delete(self, room_id: RoomId) -> bool:
        return bool(await self.run(_DELETE, room_id) == 1)

    async def add_ban(
        self, room_id: RoomId, token_digest: bytes, *, banned_at: int, max_bans: int
    ) -> bool:
        check_ban(token_digest, max_bans)
        return bool(await self.run(_ADD_BAN, room_id, token_digest, banned_at, max_bans) == 1)

    async def is_banned(self, room_id: RoomId, token_digest: bytes) -> bool:
        key = self.key("bans:", room_id)
        score = await self._call(lambda client: client.zscore(key, token_digest))
        return score is not None

    async def delete_unused(self, before: int) -> int:
        return int(await self.run(_DELETE_UNUSED, before))

    async def count(self) -> int:
        return int(await self._call(lambda client: client.zcard(self.key("rooms"))))

    async def dates(self) -> list[RoomDates]:
        flat: list[Any] = await self.run(_DATES)
        rooms = []
        try:
            for index in range(0, len(flat), 3):
                room_id, created_at, last_used_at = flat[index : index + 3]
                rooms.append(
                    RoomDates(RoomId(_text(room_id)), _int(created_at), _int(last_used_at))
                )
        except (ValueError, TypeError) as error:
            raise StoreError(StoreErrorCode.CORRUPT) from error
        return rooms

    async def close(self) -> None:
        self._closed = True
        await self._release()

    # What the council store shares.

    def key(self, kind: str, name: str = "") -> str:
        return f"{self._prefix}{kind}{name}"

    async def run(self, script: _Script, *args: Arg) -> Any:
        """``script`` with the prefix and ``args``; StoreError on any failure."""
        return await self._call(lambda client: script(client, self._prefix, *args))

    async def transaction(self, queue: Callable[[Any], None]) -> list[Any]:
        """The reads ``queue`` puts on a pipeline, in one MULTI/EXEC."""

        async def work(client: aioredis.Redis) -> list[Any]:
            async with client.pipeline(transaction=True) as pipe:
                queue(pipe)
                result: list[Any] = await pipe.execute()
                return result

        return await self._call(work)

    async def call(self, work: Callable[[aioredis.Redis], Awaitable[_T]]) -> _T:
        """``work`` on the client; StoreError on any failure."""
        return await self._call(work)

    async def _call(self, work: Callable[[aioredis.Redis], Awaitable[_T]]) -> _T:
        if self._closed:
            raise StoreError(StoreErrorCode.UNAVAILABLE, "The room store is closed.")
        try:
            return await work(self._client_of_this_loop())
        except redis_errors.RedisError as error:
            raise redis_store_error(error) from None
        except OSError as error:
            raise redis_store_error(error) from None

    def _client_of_this_loop(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # A client of another (ended) loop is dropped: its connections belong there.
            self._client = aioredis.Redis.from_url(
                self._address.url,
                password=self._password,
                socket_timeout=_TIMEOUT_SECONDS,
                socket_connect_timeout=_TIMEOUT_SECONDS,
                # A script that ran but whose answer was lost must not run twice.
                retry=Retry(NoBackoff(), 0),
                decode_responses=False,
            )
            self._loop = loop
        return self._client

    async def _release(self) -> None:
        client, self._client = self._client, None
        loop, self._loop = self._loop, None
        if client is None or loop is not asyncio.get_running_loop():
            return
        with contextlib.suppress(redis_errors.RedisError, OSError):
            await client.aclose()


def _room_fields(room: StandingRoom) -> list[Arg]:
    """Field, value pairs of the room's hash: the written ones first (``update`` takes those)."""
    pairs: list[Arg] = [
        "host_digest",
        room.host_digest,
        "cohost_digest",
        room.cohost_digest,
        "password",
        "" if room.password is None else room.password.encode(),
    ]
    for switch in _SETTINGS:
        pairs += [switch, int(getattr(room.settings, switch))]
    pairs += [
        "created_at",
        room.created_at,
        "last_used_at",
        room.last_used_at,
        "revision",
        room.revision,
    ]
    return pairs


def _room_from_hash(room_id: RoomId, values: dict[bytes, bytes]) -> StandingRoom:
    """The room a hash holds; store_corrupt if it holds no valid room."""
    try:
        password = values[b"password"]
        return StandingRoom(
            room_id=room_id,
            host_digest=values[b"host_digest"],
            cohost_digest=values[b"cohost_digest"],
            settings=StoredSettings(
                **{switch: _int(values[switch.encode()]) == 1 for switch in _SETTINGS}
            ),
            password=PasswordDigest.decode(_text(password)) if password else None,
            created_at=_int(values[b"created_at"]),
            last_used_at=_int(values[b"last_used_at"]),
            revision=_int(values[b"revision"]),
        )
    except (KeyError, ValueError, TypeError) as error:
        raise StoreError(StoreErrorCode.CORRUPT) from error


def _text(value: object) -> str:
    if not isinstance(value, bytes):
        raise TypeError("not a stored text")
    return value.decode("utf-8")


def _int(value: object) -> int:
    if isinstance(value, int):
        return value
    return int(_text(value))
