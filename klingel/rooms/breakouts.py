"""Breakout rooms of one meeting (docs/breakouts.md): which groups there are, who is meant to
be where, who is where now, and until when.

Each group is a room of its own (``group_room``), whose id no one can type: a person gets in
only with their **pass**, a random token the server gives each person of the main room and
nobody else. The pass lets its holder into their own group (hosts and co-hosts into every
group) while the groups are open, and back into the main room past its lobby, lock and
password until a little after the groups closed. Memory only; nothing is stored.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from klingel.ids import ParticipantId, RoomId
from klingel.protocol.breakouts import (
    BreakoutGroupInfo,
    BreakoutMemberInfo,
    BreakoutsState,
    BreakoutYou,
)
from klingel.protocol.objects import Role

__all__ = [
    "IDLE_SECONDS",
    "MAIN",
    "NO_BREAKOUTS",
    "RETURN_SECONDS",
    "BreakoutPass",
    "Breakouts",
    "group_room_id",
    "main_room_of",
    "split",
]

MAIN = 0
"""The group number of the main room."""
RETURN_SECONDS = 120.0
"""After the groups close, a pass still lets its holder back into the main room this long."""
IDLE_SECONDS = 600.0
"""Open groups nobody is in (nor the main room) end after this long."""
_GROUP_SEPARATOR = "~"  # a character no typed room id holds (klingel.rooms.naming)


def group_room_id(main: RoomId, number: int) -> RoomId:
    return RoomId(f"{main}{_GROUP_SEPARATOR}{number}")


def main_room_of(room: RoomId) -> RoomId | None:
    """The main room of a group room's id; None for a room that is no group."""
    main, separator, _ = room.partition(_GROUP_SEPARATOR)
    return RoomId(main) if separator else None


@dataclass(slots=True)
class BreakoutPass:
    """One person's way between the main room and their group."""

    token: str
    name: str
    role: Role
    """Their role in the main room when the pass was made; they have it in every group."""
    group: int | None
    """The group they are meant for; None: they stay in the main room."""
    where: int | None = None
    """Where they are now (``MAIN`` or a group), None while in neither."""
    participant: ParticipantId | None = None
    """Their participant id where they are now."""

    @property
    def moderator(self) -> bool:
        return self.role != "guest"


class Breakouts:
    def __init__(
        self,
        main: RoomId,
        groups: int,
        *,
        minutes: int,
        auto: bool,
        now: float,
        new_token: Callable[[], str] = lambda: secrets.token_urlsafe(18),
    ) -> None:
        self.main = main
        self.groups = groups
        self.auto = auto
        self.ends_at = now + minutes * 60 if minutes > 0 else None
        self.closing_since: float | None = None
        self._new_token = new_token
        self._passes: dict[str, BreakoutPass] = {}
        self._by_participant: dict[ParticipantId, BreakoutPass] = {}
        self._empty_since: float | None = None

    # --- passes ---------------------------------------------------------------------------

    def issue(
        self, participant: ParticipantId, name: str, role: Role, group: int | None
    ) -> BreakoutPass:
        """A pass for someone in the main room (the one they hold, if they hold one)."""
        held = self._by_participant.get(participant)
        if held is not None:
            return held
        token = self._new_token()
        issued = BreakoutPass(token, name, role, group, MAIN, participant)
        self._passes[token] = issued
        self._by_participant[participant] = issued
        return issued

    def by_token(self, token: str) -> BreakoutPass | None:
        return self._passes.get(token)

    def of(self, participant: ParticipantId) -> BreakoutPass | None:
        return self._by_participant.get(participant)

    def passes(self) -> list[BreakoutPass]:
        return list(self._passes.values())

    # --- who may go where -----------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.closing_since is None

    def may_enter(self, held: BreakoutPass, number: int, now: float) -> bool:
        if number == MAIN:
            return self.closing_since is None or now - self.closing_since < RETURN_SECONDS
        if not self.is_open or not 1 <= number <= self.groups:
            return False
        return held.moderator or held.group == number

    def seated(self, held: BreakoutPass, number: int, participant: ParticipantId) -> None:
        if held.participant is not None:
            self._by_participant.pop(held.participant, None)
        held.where, held.participant = number, participant
        self._by_participant[participant] = held
        self._empty_since = None

    def left(self, participant: ParticipantId, now: float) -> bool:
        """Their seat is gone (they moved on, left or were removed); True if it held a pass."""
        held = self._by_participant.pop(participant, None)
        if held is None:
            return False
        if held.participant == participant:
            held.where, held.participant = None, None
        if all(other.where is None for other in self._passes.values()):
            self._empty_since = now
        return True

    # --- time -----------------------------------------------------------------------------

    def close(self, now: float) -> bool:
        """Everyone back: True if this closed them (False if they were closing already)."""
        if self.closing_since is not None:
            return False
        self.closing_since = now
        return True

    def due(self, now: float) -> bool:
        """Open, and their time ran out (or nobody has been anywhere for a long time)."""
        if not self.is_open:
            return False
        idle = self._empty_since is not None and now - self._empty_since >= IDLE_SECONDS
        return idle or (self.ends_at is not None and now >= self.ends_at)

    def over(self, now: float) -> bool:
        """Closed long enough ago that passes lead nowhere any more."""
        return self.closing_since is not None and now - self.closing_since >= RETURN_SECONDS

    @property
    def everyone_back(self) -> bool:
        """Called back, and nobody sits in a group any more: nothing is left to show, though
        passes still lead back into the main room until the groups are over."""
        return self.closing_since is not None and all(
            held.where in (MAIN, None) for held in self._passes.values()
        )

    def seconds_left(self, now: float) -> int | None:
        if self.ends_at is None or not self.is_open:
            return None
        return max(0, round(self.ends_at - now))

    # --- what people see ------------------------------------------------------------------

    def state_for(self, participant: ParticipantId | None, now: float) -> BreakoutsState:
        if self.everyone_back:
            return NO_BREAKOUTS
        groups = tuple(
            BreakoutGroupInfo(
                number,
                tuple(
                    BreakoutMemberInfo(held.name, held.where == number)
                    for held in self._passes.values()
                    if held.group == number
                ),
            )
            for number in range(1, self.groups + 1)
        )
        held = self._by_participant.get(participant) if participant is not None else None
        you = None if held is None else BreakoutYou(held.token, held.group, held.moderator)
        return BreakoutsState(
            open=self.is_open,
            closing=not self.is_open,
            seconds_left=self.seconds_left(now),
            auto=self.auto,
            groups=groups,
            in_main=tuple(h.name for h in self._passes.values() if h.where == MAIN),
            you=you,
        )

    def rooms(self) -> list[RoomId]:
        return [group_room_id(self.main, number) for number in range(1, self.groups + 1)]


def split(
    people: Sequence[ParticipantId], groups: Iterable[Sequence[ParticipantId]]
) -> dict[ParticipantId, int]:
    """Group number by participant, of those of ``people`` a group lists."""
    present = set(people)
    return {
        person: number
        for number, members in enumerate(groups, start=1)
        for person in members
        if person in present
    }


NO_BREAKOUTS = BreakoutsState(
    open=False, closing=False, seconds_left=None, auto=False, groups=(), in_main=(), you=None
)
"""What everyone hears once the groups are over."""
