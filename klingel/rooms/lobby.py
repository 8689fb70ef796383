"""The people waiting to be let into one room, in order of arrival.

In office hours the order is the queue. Only hosts see who waits; a person waiting learns at
most their own place and the queue's length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from klingel.ids import ParticipantId
from klingel.protocol.objects import LobbyEntry

__all__ = ["Lobby", "WaitingPerson"]


@dataclass(frozen=True, slots=True)
class WaitingPerson:
    id: ParticipantId
    name: str

    def entry(self) -> LobbyEntry:
        return LobbyEntry(id=self.id, name=self.name)


class Lobby:
    __slots__ = ("_waiting",)

    def __init__(self) -> None:
        # dicts keep insertion order: the order of arrival.
        self._waiting: dict[ParticipantId, WaitingPerson] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def __iter__(self) -> Iterator[WaitingPerson]:
        return iter(list(self._waiting.values()))

    def __contains__(self, person: ParticipantId) -> bool:
        return person in self._waiting

    def add(self, person: WaitingPerson) -> None:
        self._waiting[person.id] = person

    def take(self, person: ParticipantId) -> WaitingPerson | None:
        """Remove someone (admitted, denied or gone); None if they were not waiting."""
        return self._waiting.pop(person, None)

    def position(self, person: ParticipantId) -> int | None:
        """1 for the first in line."""
        for place, waiting in enumerate(self._waiting, start=1):
            if waiting == person:
                return place
        return None

    def entries(self) -> tuple[LobbyEntry, ...]:
        return tuple(person.entry() for person in self._waiting.values())
