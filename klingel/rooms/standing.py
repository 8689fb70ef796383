"""Standing rooms: the rooms that outlive the server process, as the room domain sees them.

The registry in memory holds the live state of every room; a room created with
``POST /api/rooms`` also stands in the room store (``klingel.store``) until it has been unused
for a while. ``StandingRooms`` is the domain's one way to the store: it writes a created room,
brings a standing room back when someone joins it, writes through what hosts change (settings,
password, new secrets, bans), records each use, and deletes the rooms nobody used for
``unused_room_days``. It converts between the room's values and the store's records; no SQL
and no store record leaves it, but ``Room.record``, the base of the next compare-and-set.

The live state changes first and the store follows: a host's change always holds in the
meeting, also when the disk is full; the host then learns (``not_saved``) that it would not
survive a restart.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from klingel.ids import RoomId
from klingel.protocol.errors import ErrorCode, UserError
from klingel.rooms.council_bodies import CouncilBodies
from klingel.rooms.keys import HostKeys, new_host_keys
from klingel.rooms.room import Room
from klingel.rooms.room_password import RoomPassword
from klingel.rooms.seat_passes import SeatPasses
from klingel.rooms.settings import RoomSettings
from klingel.store import (
    PasswordDigest,
    RoomDates,
    RoomStore,
    SecretDigester,
    SqliteRoomStore,
    StandingRoom,
    StoredSettings,
    StoreError,
    hash_password,
)
from klingel.store.redis_store import RedisAddress, RedisRoomStore

__all__ = [
    "MAX_BANS_PER_ROOM",
    "SECONDS_PER_DAY",
    "USE_RECORDED_EVERY_SECONDS",
    "RestoredRoom",
    "StandingRooms",
    "StoredPart",
    "room_settings",
    "stored_settings",
]

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400
USE_RECORDED_EVERY_SECONDS = 3_600
"""A room's use is written at most this often: the retention counts in days, and a class of
thirty joining (or six pages coming back after a restart) need not write thirty times."""

MAX_BANS_PER_ROOM = 1000
"""Removals a standing room remembers: the oldest ban gives way to a new one beyond, so that
no host (nor anyone who took the host link) can fill the store through one room."""
_NOT_SAVED = (
    "The change holds for this meeting, but it could not be saved: after a restart of the"
    " server the room would be as before. Try again."
)


class StoredPart(enum.Flag):
    """What of a room's live state a write-through copies to the store."""

    SETTINGS = enum.auto()
    PASSWORD = enum.auto()
    HOST_SECRET = enum.auto()
    COHOST_SECRET = enum.auto()
    NOTHING = 0


@dataclass(frozen=True, slots=True)
class RestoredRoom:
    """A standing room as the store holds it, in the domain's values: what a room brought
    back into memory starts with."""

    keys: HostKeys
    settings: RoomSettings
    password: RoomPassword | None
    record: StandingRoom


def stored_settings(settings: RoomSettings) -> StoredSettings:
    return StoredSettings(**{switch.name: getattr(settings, switch.name) for switch in _SWITCHES})


def room_settings(stored: StoredSettings) -> RoomSettings:
    return RoomSettings(**{switch.name: getattr(stored, switch.name) for switch in _SWITCHES})


_SWITCHES = fields(StoredSettings)


class StandingRooms:
    """The room store and the digester of its secrets, for the room domain."""

    __slots__ = ("_digester", "_store", "_unfinished", "_wall_clock", "councils", "passes")

    def __init__(
        self,
        store: RoomStore,
        digester: SecretDigester,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._digester = digester
        self._wall_clock = wall_clock
        self.passes = SeatPasses(digester, wall_clock)
        """The resume tokens of standing rooms, which let their holders back in after a
        restart of the server."""
        self.councils = CouncilBodies(store.council(), digester, wall_clock)
        """Councils and committees, whose sessions run in standing rooms of their ids."""
        # Writes nobody waits for (a use, a lobby the server switched on): finished at close.
        self._unfinished: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(
        cls,
        data_dir: Path,
        wall_clock: Callable[[], float] = time.time,
        *,
        redis: RedisAddress | None = None,
    ) -> StandingRooms:
        """The embedded store in ``data_dir`` (made if missing), or the store on ``redis``
        with the key of the digests in ``data_dir``; raises ``StoreError``.

        Neither store binds to an event loop (SQLite's calls run on a thread of its own, the
        Redis store makes its client in the loop that uses it), so it may be opened before
        the server's loop runs.
        """
        digester = SecretDigester.open(data_dir)
        store: RoomStore
        if redis is None:
            store = await SqliteRoomStore.open(data_dir)
        else:
            store = await RedisRoomStore.open(redis)
        return cls(store, digester, wall_clock)

    @property
    def digester(self) -> SecretDigester:
        """The keyed digest every node of a town shares (it also seals what nodes pass on)."""
        return self._digester

    @property
    def redis_store(self) -> RedisRoomStore | None:
        """The store on Redis, which the nodes of a town share; None for the embedded one."""
        return self._store if isinstance(self._store, RedisRoomStore) else None

    def now(self) -> int:
        """The wall-clock time the store keeps, in unix seconds."""
        return int(self._wall_clock())

    def new_keys(self) -> HostKeys:
        return new_host_keys(self._digester)

    # --- creating and bringing back ---------------------------------------------------------

    async def create(
        self,
        room_id: RoomId,
        keys: HostKeys,
        settings: RoomSettings,
        max_rooms: int | None = None,
    ) -> StandingRoom | None:
        """Make the room stand; None if a room of this id stands already. Raises
        ``StoreError`` (standing_rooms_full when ``max_rooms`` rooms stand already)."""
        now = self.now()
        record = StandingRoom(
            room_id=room_id,
            host_digest=keys.host_digest,
            cohost_digest=keys.cohost_digest,
            settings=stored_settings(settings),
            password=None,
            created_at=now,
            last_used_at=now,
        )
        return record if await self._store.create(record, max_rooms) else None

    async def stands(self, room_id: RoomId) -> bool:
        """Whether the room stands. Raises ``StoreError``."""
        return await self._store.get(room_id) is not None

    async def withdraw(self, room_id: RoomId) -> None:
        """Undo a ``create`` whose room could not be held in memory after all (nobody has its
        secrets yet). Raises ``StoreError``."""
        await self._store.delete(room_id)

    async def find(self, room_id: RoomId) -> RestoredRoom | None:
        """The room as it stands, to bring back into memory; None if it does not stand.
        ``UserError`` store_unavailable if the store cannot tell: a room that may stand is
        never opened without its keys."""
        try:
            record = await self._store.get(room_id)
        except StoreError as error:
            raise _unavailable(error) from None
        if record is None:
            return None
        return RestoredRoom(
            keys=HostKeys.of_digests(self._digester, record.host_digest, record.cohost_digest),
            settings=room_settings(record.settings),
            password=None if record.password is None else RoomPassword.from_store(record.password),
            record=record,
        )

    async def is_banned(self, room_id: RoomId, token: str) -> bool:
        """Whether a host removed the holder of this resume token from the standing room
        (``UserError`` store_unavailable if the store cannot tell)."""
        try:
            return await self._store.is_banned(room_id, self._digester.digest(token))
        except StoreError as error:
            raise _unavailable(error) from None

    def note_use(self, room: Room) -> None:
        """Someone got in (or to the lobby): the room's last use is now, unless the store has a
        use of the last hour already (``USE_RECORDED_EVERY_SECONDS``). Nobody waits for it."""
        record, now = room.record, self.now()
        if record is None or now - record.last_used_at < USE_RECORDED_EVERY_SECONDS:
            return
        # The base of the next compare-and-set learns the use too; an update never moves the
        # stored last use backwards, so carrying it along is harmless.
        room.record = replace(record, last_used_at=now)
        self._in_background(self._touch(room, now), "Recording a room's use")

    async def _touch(self, room: Room, now: int) -> None:
        if not await self._store.touch(room.id, now):
            _no_longer_stands(room)

    # --- passwords --------------------------------------------------------------------------

    async def password_matches(self, stored: PasswordDigest, password: str) -> bool:
        """The slow check, off the event loop."""
        return await asyncio.to_thread(stored.matches, password)

    async def save_password(self, room: Room, password: str | None) -> None:
        """Write the password a host just set on the room (``password``, or None: taken away)
        through to the store; its digest is made off the event loop. ``UserError`` not_saved
        if that failed."""
        if not room.stands:
            return
        current = room.password
        if password is not None and current is not None:
            stored = await asyncio.to_thread(hash_password, password)
            if room.password is not current:
                return  # changed again meanwhile: that change writes itself
            room.password = current.with_stored(stored)
        await self.save(room, StoredPart.PASSWORD)

    # --- writing changes through ------------------------------------------------------------

    async def save(self, room: Room, parts: StoredPart) -> None:
        """Copy ``parts`` of the room's live state to the store, compare-and-set on the
        revision last seen. A lost race (another write came first) reads the room again and
        tries once more; ``UserError`` not_saved if that fails too, or the store fails."""
        base = room.record
        if base is None or not parts:
            return
        for _ in range(2):
            changed = _copied(room, base, parts)
            try:
                if await self._store.update(changed, base.revision):
                    written = replace(changed, revision=base.revision + 1)
                    if room.record is None or room.record.revision < written.revision:
                        room.record = written
                    return
                fresh = await self._store.get(room.id)
            except StoreError as error:
                logger.warning("A room's change could not be saved: %s", error.code)
                raise UserError(ErrorCode.NOT_SAVED, _NOT_SAVED) from None
            if fresh is None or fresh.created_at != base.created_at:
                # Deleted (by a host, or ``klingel rooms delete``), maybe made anew since: this
                # room's state is no longer what stands.
                logger.warning("A room's change could not be saved: the room no longer stands")
                _no_longer_stands(room)
                raise UserError(ErrorCode.NOT_SAVED, _NOT_SAVED)
            base = fresh
        logger.warning("A room's change could not be saved: other changes kept coming first")
        raise UserError(ErrorCode.NOT_SAVED, _NOT_SAVED)

    def save_later(self, room: Room, parts: StoredPart) -> None:
        """``save`` without waiting, for a change nobody asked for (failures are logged)."""
        if room.stands:
            self._in_background(self.save(room, parts), "Saving a room's change")

    async def ban(self, room: Room, token: str) -> None:
        """The holder of this resume token was removed: never back in while the room stands.
        ``UserError`` not_saved if that could not be written."""
        if not room.stands:
            return
        try:
            banned = await self._store.add_ban(
                room.id,
                self._digester.digest(token),
                banned_at=self.now(),
                max_bans=MAX_BANS_PER_ROOM,
            )
        except StoreError as error:
            logger.warning("A removal could not be saved: %s", error.code)
            raise UserError(ErrorCode.NOT_SAVED, _NOT_SAVED) from None
        if not banned:
            logger.warning("A removal could not be saved: the room no longer stands")
            raise UserError(ErrorCode.NOT_SAVED, _NOT_SAVED)

    # --- retention and the end --------------------------------------------------------------

    async def delete(self, room_id: RoomId) -> bool:
        """Delete the room and its bans; False if it did not stand. Raises ``StoreError``."""
        return await self._store.delete(room_id)

    async def delete_room(self, room: Room) -> None:
        """A host deletes the room in use: from the store first, so that nothing ends when
        it cannot be deleted (``UserError`` not_saved). A room that stood no longer (deleted
        meanwhile) is fine: it is gone either way."""
        if not room.stands:
            return
        try:
            await self._store.delete(room.id)
        except StoreError as error:
            logger.warning("A room could not be deleted: %s", error.code)
            raise UserError(
                ErrorCode.NOT_SAVED, "The room could not be deleted; it stays as it is. Try again."
            ) from None
        room.record = None

    async def dates(self) -> list[RoomDates]:
        """Every standing room's id and times, by id. Raises ``StoreError``."""
        return await self._store.dates()

    async def delete_unused(self, unused_days: int) -> int:
        """Delete every room unused for ``unused_days``, with its bans; how many were."""
        deleted = await self._store.delete_unused(self.now() - unused_days * SECONDS_PER_DAY)
        if deleted:
            logger.info("Deleted %d standing rooms unused for %d days", deleted, unused_days)
        return deleted

    async def close(self) -> None:
        """Finish the writes under way and release the store; closing twice is harmless."""
        while self._unfinished:
            await asyncio.gather(*self._unfinished, return_exceptions=True)
        await self._store.close()

    def _in_background(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.create_task(_logged(work, what))
        self._unfinished.add(task)
        task.add_done_callback(self._unfinished.discard)


async def _logged(work: Coroutine[Any, Any, None], what: str) -> None:
    try:
        await work
    except StoreError as error:
        logger.warning("%s failed: %s", what, error.code)
    except UserError:
        pass  # save logged why
    except Exception as error:
        logger.error("%s failed: %s", what, type(error).__name__)
        logger.debug("Fault details", exc_info=True)


def _no_longer_stands(room: Room) -> None:
    """The room was deleted from the store while it was in use here (``klingel rooms delete``,
    or another server): its meeting goes on in memory as it is, nothing more is written, and
    once it is empty it is forgotten like a room that never stood."""
    if room.record is not None:
        logger.info("A room in use no longer stands; its meeting goes on until it ends")
        room.record = None


def _unavailable(error: StoreError) -> UserError:
    logger.warning("The room store could not be read: %s", error.code)
    return UserError(ErrorCode.STORE_UNAVAILABLE, "Rooms cannot be opened right now; try again.")


def _copied(room: Room, base: StandingRoom, parts: StoredPart) -> StandingRoom:
    """``base`` with ``parts`` taken from the room's live state."""
    changed = base
    if StoredPart.SETTINGS in parts:
        changed = replace(changed, settings=stored_settings(room.settings))
    if StoredPart.PASSWORD in parts:
        password = room.password
        if password is None:
            changed = replace(changed, password=None)
        elif password.stored is not None:
            changed = replace(changed, password=password.stored)
        # else: its digest is still being made, and its own save follows.
    if room.keys is not None and StoredPart.HOST_SECRET in parts:
        changed = replace(changed, host_digest=room.keys.host_digest)
    if room.keys is not None and StoredPart.COHOST_SECRET in parts:
        changed = replace(changed, cohost_digest=room.keys.cohost_digest)
    return changed
