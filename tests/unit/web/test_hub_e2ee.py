"""The hub relays opaque key messages between joined participants of one room, and only there;
the host switches a room to end-to-end encryption only while alone in it."""

from __future__ import annotations

import logging

import pytest
from support.clock import Clock
from support.connection import RecordingConnection
from support.media import IdleMedia

from klingel.ids import ParticipantId
from klingel.protocol.e2ee import E2eeTo
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.messages import Join
from klingel.protocol.moderation import RoomSettingsChange
from klingel.rooms.registry import Registry
from klingel.rooms.standing import StandingRooms
from klingel.web.hub import E2EE_LIMIT, Seat, SignalingHub
from klingel.web.moderation import HostCommands

DATA = "eyJ0Ijoia2V5cyJ9"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(clock: Clock, standing: StandingRooms) -> SignalingHub:
    registry = Registry(capacity=10, grace_seconds=30.0)
    return SignalingHub(registry, IdleMedia(), standing, clock=clock)


async def join(
    hub: SignalingHub, name: str, room: str = "chor"
) -> tuple[Seat, RecordingConnection]:
    connection = RecordingConnection()
    seat = await hub.join(connection, Join(v=1, room=room, name=name))
    assert isinstance(seat, Seat)
    return seat, connection


async def test_a_message_to_one_reaches_only_them_with_the_sender_the_server_knows(
    hub: SignalingHub,
) -> None:
    anna, anna_socket = await join(hub, "Anna")
    ben, ben_socket = await join(hub, "Ben")
    _, cem_socket = await join(hub, "Cem")
    hub.relay_e2ee(anna, E2eeTo(to=ben.participant.id, data=DATA))
    assert ben_socket.of_type("e2ee") == [
        {"type": "e2ee", "from": anna.participant.id, "data": DATA}
    ]
    assert cem_socket.of_type("e2ee") == [] and anna_socket.of_type("e2ee") == []


async def test_a_message_to_everyone_reaches_all_others_in_the_room_only(hub: SignalingHub) -> None:
    anna, anna_socket = await join(hub, "Anna")
    _, ben_socket = await join(hub, "Ben")
    _, elsewhere = await join(hub, "Dora", room="orchester")
    hub.relay_e2ee(anna, E2eeTo(to=None, data=DATA))
    assert [m["from"] for m in ben_socket.of_type("e2ee")] == [anna.participant.id]
    assert anna_socket.of_type("e2ee") == [] and elsewhere.of_type("e2ee") == []


async def test_a_participant_of_another_room_is_unknown(hub: SignalingHub) -> None:
    anna, _ = await join(hub, "Anna")
    dora, dora_socket = await join(hub, "Dora", room="orchester")
    with pytest.raises(KlingelError) as refused:
        hub.relay_e2ee(anna, E2eeTo(to=dora.participant.id, data=DATA))
    assert refused.value.code is ErrorCode.UNKNOWN_PARTICIPANT
    assert dora_socket.of_type("e2ee") == []


async def test_someone_who_left_or_waits_gets_nothing(hub: SignalingHub) -> None:
    anna, _ = await join(hub, "Anna")
    ben, ben_socket = await join(hub, "Ben")
    hub.disconnected(ben, ben_socket)  # in the grace period: not joined on a socket
    hub.relay_e2ee(anna, E2eeTo(to=None, data=DATA))
    hub.relay_e2ee(anna, E2eeTo(to=ben.participant.id, data=DATA))
    assert ben_socket.of_type("e2ee") == []
    with pytest.raises(KlingelError) as refused:
        hub.relay_e2ee(anna, E2eeTo(to=ParticipantId("p-waiting"), data=DATA))
    assert refused.value.code is ErrorCode.UNKNOWN_PARTICIPANT


async def test_a_message_to_yourself_is_refused(hub: SignalingHub) -> None:
    anna, anna_socket = await join(hub, "Anna")
    with pytest.raises(KlingelError) as refused:
        hub.relay_e2ee(anna, E2eeTo(to=anna.participant.id, data=DATA))
    assert refused.value.code is ErrorCode.BAD_MESSAGE
    assert anna_socket.of_type("e2ee") == []


async def test_key_messages_are_rate_limited_per_participant(
    hub: SignalingHub, clock: Clock
) -> None:
    anna, _ = await join(hub, "Anna")
    ben, ben_socket = await join(hub, "Ben")
    burst = int(E2EE_LIMIT.burst)
    for _ in range(burst):
        hub.relay_e2ee(anna, E2eeTo(to=None, data=DATA))
    with pytest.raises(KlingelError) as refused:
        hub.relay_e2ee(anna, E2eeTo(to=None, data=DATA))
    assert refused.value.code is ErrorCode.RATE_LIMITED
    assert len(ben_socket.of_type("e2ee")) == burst
    hub.relay_e2ee(ben, E2eeTo(to=None, data=DATA))  # Ben has a bucket of his own
    clock.now += 1.0
    hub.relay_e2ee(anna, E2eeTo(to=None, data=DATA))
    assert len(ben_socket.of_type("e2ee")) == burst + 1


async def test_key_messages_are_never_logged(
    hub: SignalingHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    anna, _ = await join(hub, "Anna")
    await join(hub, "Ben")
    secret = "c2VjcmV0LWtleS1tYXRlcmlhbA=="
    hub.relay_e2ee(anna, E2eeTo(to=None, data=secret))
    assert secret not in caplog.text


async def test_a_host_switches_encryption_only_while_alone(hub: SignalingHub) -> None:
    commands = HostCommands(hub)
    anna, anna_socket = await join(hub, "Anna")
    anna.participant.role = "host"
    await commands.handle(anna, RoomSettingsChange(e2ee=True))
    assert anna.room.settings.e2ee is True
    assert anna_socket.of_type("room_updated")[-1]["room"]["e2ee"] is True
    await join(hub, "Ben")
    with pytest.raises(KlingelError) as refused:
        await commands.handle(anna, RoomSettingsChange(e2ee=False))
    assert refused.value.code is ErrorCode.NOT_ALLOWED
    assert anna.room.settings.e2ee is True
    # Other switches still change while others are in.
    await commands.handle(anna, RoomSettingsChange(e2ee=True, locked=True))
    assert anna.room.settings.locked is True
