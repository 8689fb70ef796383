"""``POST /api/rooms``: a fresh one-click room, or a room with a typed name, and its secrets.

A created room stands in the room store (until it is unused for a long while) and is held in
memory for its creator. Creating a room that stands is refused (``room_taken``), also when
nobody is in it: a typed name stays its host's. Creating a room that is in use without
standing (people joined a name nobody created) is refused too (``room_exists``): creating a
room is the only way to be its host. A name the town reserved is never created here
(``room_reserved``; the town makes it stand with ``klingel rooms create``). Named rooms start
with the lobby on (a typed name is guessable); one-click rooms with it off. Beyond
``max_standing_rooms`` no room is created (``standing_rooms_full``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from klingel.ids import RoomId
from klingel.rooms.naming import is_room_id, new_room_id, slugify
from klingel.rooms.registry import Registry, RoomExists, TooManyReservations, TooManyRooms
from klingel.rooms.reserved import ReservedNames
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import StandingRooms
from klingel.store import StoreError

__all__ = ["CreatedRoom", "RoomCreation", "RoomCreationRefused"]

MAX_TYPED_NAME_LENGTH = 200


class RoomCreationRefused(Exception):
    """``code`` is the stable error of the HTTP answer, ``status`` its status."""

    def __init__(self, code: str, status: int) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


@dataclass(frozen=True, slots=True)
class CreatedRoom:
    room: RoomId
    host_secret: str = field(repr=False)
    cohost_secret: str = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "room": self.room,
            "hostSecret": self.host_secret,
            "cohostSecret": self.cohost_secret,
        }


def _typed_name(body: bytes) -> str | None:
    """The ``name`` of an optional JSON body ``{"name": "..."}``; None without one."""
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except ValueError:
        raise RoomCreationRefused("bad_json", 400) from None
    if not isinstance(data, dict) or not set(data) <= {"name"}:
        raise RoomCreationRefused("bad_json", 400)
    name = data.get("name")
    if name is None:
        return None
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_TYPED_NAME_LENGTH:
        raise RoomCreationRefused("bad_room", 400)
    return name


class RoomCreation:
    __slots__ = ("_max_standing_rooms", "_registry", "_reserved", "_standing")

    def __init__(
        self,
        registry: Registry,
        standing: StandingRooms,
        reserved: ReservedNames | None = None,
        max_standing_rooms: int | None = None,
    ) -> None:
        self._registry = registry
        self._standing = standing
        self._reserved = reserved or ReservedNames()
        self._max_standing_rooms = max_standing_rooms

    async def create(self, body: bytes, now: float, address: str = "") -> CreatedRoom:
        name = _typed_name(body)
        if name is None:
            room_id, lobby = new_room_id(), False
        else:
            slug = slugify(name)
            if not is_room_id(slug):
                raise RoomCreationRefused("bad_room", 400)
            room_id, lobby = RoomId(slug), True
            if room_id in self._reserved:
                await self._refuse_reserved(room_id)
        # What memory refuses is refused before anything is written.
        self._refuse_as_memory_does(lambda: self._registry.check_creatable(room_id, now, address))
        keys, settings = self._standing.new_keys(), RoomSettings(lobby=lobby)
        try:
            record = await self._standing.create(room_id, keys, settings, self._max_standing_rooms)
        except StoreError as error:
            raise RoomCreationRefused(error.code, 503) from None
        if record is None:
            raise RoomCreationRefused("room_taken", 409)
        # While the store wrote, a join may have brought this very room back (it read what
        # was just written: the store let no one else make it stand), or opened a room of the
        # name without keys (it read before).
        existing = self._registry.get(room_id)
        if existing is not None and existing.stands:
            existing.keys = keys
            return CreatedRoom(room_id, _known(keys.host), _known(keys.cohost))
        try:
            self._refuse_as_memory_does(
                lambda: self._registry.create(room_id, keys, settings, now, address, record)
            )
        except RoomCreationRefused:
            await self._withdraw(room_id)
            raise
        return CreatedRoom(room_id, _known(keys.host), _known(keys.cohost))

    async def _refuse_reserved(self, room_id: RoomId) -> None:
        """A reserved name is never created here; one the town made stand is taken."""
        try:
            stands = await self._standing.stands(room_id)
        except StoreError as error:
            raise RoomCreationRefused(error.code, 503) from None
        raise RoomCreationRefused("room_taken" if stands else "room_reserved", 409)

    @staticmethod
    def _refuse_as_memory_does(attempt: Callable[[], object]) -> None:
        try:
            attempt()
        except RoomExists as exists:
            code = "room_taken" if exists.stands else "room_exists"
            raise RoomCreationRefused(code, 409) from None
        except TooManyReservations:
            raise RoomCreationRefused("too_many_rooms", 429) from None
        except TooManyRooms:
            raise RoomCreationRefused("busy", 503) from None

    async def _withdraw(self, room_id: RoomId) -> None:
        """Nobody has the secrets of the room just written, and memory refused it after all:
        it must not stand."""
        try:
            await self._standing.withdraw(room_id)
        except StoreError as error:
            raise RoomCreationRefused(error.code, 503) from None


def _known(secret: str | None) -> str:
    assert secret is not None  # new keys know their secrets
    return secret
