"""The hub without sockets: a participant whose socket dropped keeps their place and media."""

from __future__ import annotations

from support.clock import Clock
from support.media import IdleMedia

from klingel.protocol.messages import Join
from klingel.rooms.registry import Registry
from klingel.rooms.standing import StandingRooms
from klingel.web.connection import Connection
from klingel.web.hub import SignalingHub


async def test_media_outlives_a_dropped_socket_until_the_grace_ends(
    standing: StandingRooms,
) -> None:
    media, clock = IdleMedia(), Clock()
    hub = SignalingHub(Registry(capacity=5, grace_seconds=30.0), media, standing, clock=clock)
    connection = Connection()
    seat = await hub.join(connection, Join(v=1, room="chor", name="Anna"))
    hub.disconnected(seat, connection)
    clock.now = 29.0
    assert await hub.expire_detached() == 0
    assert media.removed == []
    clock.now = 31.0
    assert await hub.expire_detached() == 1
    assert media.removed == [seat.participant.id]
    assert media.closed == ["chor"]
    assert hub.registry.room_count == 0


async def test_a_replaced_socket_does_not_detach_the_participant(
    standing: StandingRooms,
) -> None:
    hub = SignalingHub(Registry(capacity=5), IdleMedia(), standing, clock=Clock())
    first = Connection()
    seat = await hub.join(first, Join(v=1, room="chor", name="Anna"))
    second = Connection()
    again = await hub.join(
        second, Join(v=1, room="chor", name="Anna", resume=seat.participant.resume_token)
    )
    assert again.participant is seat.participant
    assert first.closing and not second.closing
    hub.disconnected(seat, first)
    assert seat.participant.detached_since is None
    assert hub.is_current(again, second) and not hub.is_current(seat, first)
