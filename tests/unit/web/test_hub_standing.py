"""The hub with standing rooms on a real store: a room that is not in memory is brought back
by a join, with what it keeps, and a store that fails shows as such to the person."""

from __future__ import annotations

import pytest
from support.clock import Clock
from support.connection import RecordingConnection
from support.media import IdleMedia

from klingel.ids import RoomId
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.messages import Join
from klingel.rooms.creation import CreatedRoom, RoomCreation
from klingel.rooms.registry import Registry
from klingel.rooms.standing import StandingRooms
from klingel.web.hub import LobbyTicket, Seat, SignalingHub

PASSWORD = "Geige am Dienstag"


def fresh_hub(standing: StandingRooms) -> SignalingHub:
    """A server that just started: nothing in memory, the store as it was left."""
    return SignalingHub(Registry(capacity=5), IdleMedia(), standing, clock=Clock())


async def created_room(standing: StandingRooms, hub: SignalingHub) -> CreatedRoom:
    return await RoomCreation(hub.registry, standing).create(b'{"name": "Geige"}', now=0.0)


async def seat_of(hub: SignalingHub, **join: str) -> tuple[Seat, RecordingConnection]:
    connection = RecordingConnection()
    seat = await hub.join(connection, Join(v=1, room="geige", name=join.pop("name", "P"), **join))
    assert isinstance(seat, Seat)
    return seat, connection


async def refusal(hub: SignalingHub, **join: str | None) -> ErrorCode:
    with pytest.raises(KlingelError) as caught:
        await hub.join(RecordingConnection(), Join(v=1, room="geige", name="Gast", **join))
    return caught.value.code


async def test_the_host_link_makes_its_holder_host_in_a_room_brought_back(
    standing: StandingRooms,
) -> None:
    before = fresh_hub(standing)
    created = await created_room(standing, before)
    after = fresh_hub(standing)
    assert after.registry.get(RoomId("geige")) is None
    host, connection = await seat_of(after, host_secret=created.host_secret)
    assert host.participant.role == "host" and host.room.stands
    assert host.room.settings.lobby, "a typed name's room keeps its lobby"
    # The server knows the host secret now; the co-host secret not yet: no host_secrets.
    assert host.room.keys is not None and host.room.keys.host == created.host_secret
    assert connection.of_type("host_secrets") == []
    cohost, _ = await seat_of(after, host_secret=created.cohost_secret)
    assert cohost.participant.role == "cohost" and cohost.room is host.room
    ticket = await after.join(RecordingConnection(), Join(v=1, room="geige", name="Gast"))
    assert isinstance(ticket, LobbyTicket)


async def test_a_store_that_cannot_be_read_lets_nobody_into_an_unknown_room(
    standing: StandingRooms,
) -> None:
    hub = fresh_hub(standing)
    await standing.close()
    assert await refusal(hub) is ErrorCode.STORE_UNAVAILABLE
    assert hub.registry.rooms() == [], "no room without keys for a name that may stand"
