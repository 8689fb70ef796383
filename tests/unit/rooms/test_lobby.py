from __future__ import annotations

from klingel.ids import ParticipantId
from klingel.protocol.objects import LobbyEntry
from klingel.rooms.lobby import Lobby, WaitingPerson


def person(n: int) -> WaitingPerson:
    return WaitingPerson(ParticipantId(f"p-{n}"), f"Person {n}")


def test_the_lobby_keeps_the_order_of_arrival() -> None:
    lobby = Lobby()
    for n in (1, 2, 3):
        lobby.add(person(n))
    assert [lobby.position(ParticipantId(f"p-{n}")) for n in (1, 2, 3)] == [1, 2, 3]
    assert lobby.take(ParticipantId("p-1")) == person(1)
    assert lobby.position(ParticipantId("p-3")) == 2
    assert lobby.position(ParticipantId("p-1")) is None
    assert lobby.entries() == (
        LobbyEntry(ParticipantId("p-2"), "Person 2"),
        LobbyEntry(ParticipantId("p-3"), "Person 3"),
    )
    assert lobby.take(ParticipantId("p-1")) is None
    assert len(lobby) == 2 and ParticipantId("p-2") in lobby
