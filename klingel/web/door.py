"""The door of a room: who may come in, as what, and whether through the lobby.

A join brings a name, maybe a host or co-host secret, maybe a password and maybe a resume
token. The door answers with the role the room's own keys give the secret, and for a guest
checks, in this order: a seat pass of a server run the restart cut off (back in past the
lobby, the lock and the password, ``klingel.rooms.seat_passes``), or an invitation a host gave
a viewer of the room's broadcast (the same, once); the lock; the password (the
quick check, or, for a password brought back from the room store, scrypt off the event loop);
a removal recorded in the store before the room came into memory. What it decides holds only
if the room is still the one in memory after those waits; otherwise the join looks again.

Cheap refusals come first: a locked room or a guesser costs no store read and no scrypt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from klingel.protocol.errors import ErrorCode, ProtocolError, UserError
from klingel.protocol.messages import Join
from klingel.protocol.objects import Role
from klingel.rooms.registry import Registry
from klingel.rooms.room import Room
from klingel.rooms.room_password import RoomPassword
from klingel.rooms.standing import StandingRooms

__all__ = ["Entry", "RoomDoor"]


@dataclass(frozen=True, slots=True)
class Entry:
    """The door's answer: the role to enter with, whether through the lobby, and whether a
    seat pass of an earlier run let the guest past the lobby, lock and password."""

    role: Role
    lobby: bool = False
    returning: bool = False
    invited: bool = False


@dataclass(frozen=True, slots=True)
class _PasswordCheck:
    """What the slow check said about one password of a room (the object it checked)."""

    password: RoomPassword
    right: bool


class RoomDoor:
    """``guessing`` is told when so many wrong passwords came that the room's lobby should
    go on (the hub switches it on and tells the hosts)."""

    __slots__ = ("_clock", "_guessing", "_registry", "_standing")

    def __init__(
        self,
        registry: Registry,
        standing: StandingRooms,
        guessing: Callable[[Room], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._standing = standing
        self._guessing = guessing
        self._clock = clock

    async def entry(self, room: Room, message: Join, address: str) -> Entry | None:
        """How ``message``'s sender enters ``room``; None if the room went from memory (or
        its password changed) while the door waited: then the join looks again. Raises the
        refusal (locked, password, removed) as a ``UserError`` or ``ProtocolError``."""
        role = _role_for(room, message.host_secret)
        returning = (
            role == "guest"
            and room.stands
            and self._standing.passes.from_before_restart(room.id, message.resume)
        )
        broadcast = room.broadcast
        invited = (
            role == "guest"
            and not returning
            and broadcast is not None
            and broadcast.admits(message.invitation, self._clock())
        )
        returning = returning or invited
        checked: _PasswordCheck | None = None
        if role == "guest" and not returning:
            self._check_entry(room, message.password, address)
            checked = await self._check_password_slowly(room, message.password)
        if await self._banned_before(room, message.resume):
            raise UserError(ErrorCode.REMOVED, "You were removed from this room.")
        if self._registry.get(room.id) is not room:
            return None
        if role == "guest" and not returning:
            if not self._check_entry(room, message.password, address, checked):
                return None  # the password changed while it was checked
            return Entry(role, lobby=room.settings.lobby)
        if room.keys is not None and message.host_secret:
            room.keys = room.keys.knowing(role, message.host_secret)
        if invited:
            if room.broadcast is None or not room.broadcast.admits(
                message.invitation, self._clock()
            ):
                return None  # the broadcast ended, or the invitation was used, meanwhile
            room.broadcast.spend(message.invitation or "")
            return Entry(role, invited=True)
        return Entry(role, returning=returning)

    async def _banned_before(self, room: Room, resume: str | None) -> bool:
        """Whether a host removed this token's holder from the standing room before the room
        was last brought into memory (later removals are known in memory)."""
        if not resume or not room.stands:
            return False
        return await self._standing.is_banned(room.id, resume)

    async def _check_password_slowly(
        self, room: Room, password: str | None
    ) -> _PasswordCheck | None:
        """The stored digest's check, for a room whose password this server does not know yet
        (brought back from the store): off the event loop."""
        current = room.password
        if current is None or current.stored is None or current.quick is not None:
            return None
        if password is None:
            return None
        right = await self._standing.password_matches(current.stored, password)
        return _PasswordCheck(current, right)

    def _check_entry(
        self,
        room: Room,
        password: str | None,
        address: str,
        checked: _PasswordCheck | None = None,
    ) -> bool:
        """Lock and password, for those without a host key: True if they may enter, False if
        the password needs the slow check first (``checked`` is not about this password)."""
        if room.settings.locked:
            raise UserError(ErrorCode.ROOM_LOCKED, "This room is locked.")
        current = room.password
        if current is None:
            return True
        now = self._clock()
        guard = room.password_guard
        if not guard.allows(address, now):
            raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many wrong passwords; wait a bit.")
        if password is None:
            raise UserError(ErrorCode.PASSWORD_REQUIRED, "This room has a password.")
        right = current.quick_verdict(password)
        if right is None and checked is not None and checked.password is current:
            right = checked.right
            if right:
                # From now on the quick check suffices, as for a password set here.
                room.password = current.knowing(password)
        if right is None:
            return False
        if not right:
            if guard.wrong(address, now) and not room.settings.lobby:
                self._guessing(room)
            raise UserError(ErrorCode.WRONG_PASSWORD, "The password is not right.")
        return True


def _role_for(room: Room, host_secret: str | None) -> Role:
    """Only a room's own keys give a role; a room without keys has guests only."""
    return room.keys.role_for(host_secret) if room.keys is not None else "guest"
