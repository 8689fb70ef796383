"""The hub relays which simulcast layers of a stream anyone receives to its publisher alone.

The SFU is a stand-in that answers every offer and emits media events on cue, through the same
``on_event`` handler the app registers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from support.connection import RecordingConnection
from support.media import IdleMedia

from klingel.ids import RoomId, StreamId
from klingel.protocol.messages import Join, Publish
from klingel.protocol.objects import TrackInfo
from klingel.rooms.registry import Registry
from klingel.rooms.standing import StandingRooms
from klingel.sfu.api import (
    MediaEvent,
    PublisherLayers,
    WorkerRestarted,
)
from klingel.web.connection import Connection
from klingel.web.hub import Seat, SignalingHub

ROOM = RoomId("chor")
OFFER = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
CAMERA_AND_MICROPHONE = (TrackInfo("0", "audio", "microphone"), TrackInfo("1", "video", "camera"))


class EventfulMedia(IdleMedia):
    """Answers every offer; ``emit`` plays an event of the SFU."""

    def __init__(self) -> None:
        super().__init__()
        self._handler: Callable[[MediaEvent], Awaitable[None]] | None = None

    def on_event(self, handler: Callable[[MediaEvent], Awaitable[None]]) -> None:
        self._handler = handler

    async def emit(self, event: MediaEvent) -> None:
        assert self._handler is not None
        await self._handler(event)


class Call:
    """A hub with its stand-in SFU wired up as the app does it."""

    def __init__(self, standing: StandingRooms) -> None:
        self.media = EventfulMedia()
        registry = Registry(capacity=5, grace_seconds=30.0)
        self.hub = SignalingHub(registry, self.media, standing)
        self.media.on_event(self.hub.on_media_event)

    async def join(self, name: str, resume: str | None = None) -> tuple[Seat, RecordingConnection]:
        connection = RecordingConnection()
        seat = await self.hub.join(connection, Join(v=1, room=ROOM, name=name, resume=resume))
        assert isinstance(seat, Seat)
        return seat, connection

    async def publish(
        self, seat: Seat, connection: Connection, tracks: tuple[TrackInfo, ...]
    ) -> None:
        await self.hub.offers.publish(seat, connection, Publish(sdp=OFFER, tracks=tracks))

    async def layers(self, seat: Seat, stream: StreamId, *wanted: bool) -> None:
        await self.media.emit(PublisherLayers(ROOM, seat.participant.id, stream, wanted))


def camera_of(seat: Seat) -> StreamId:
    return seat.participant.streams["camera"]


async def test_only_the_publisher_hears_which_layers_are_wanted(standing: StandingRooms) -> None:
    call = Call(standing)
    anna, anna_socket = await call.join("Anna")
    ben, ben_socket = await call.join("Ben")
    await call.publish(anna, anna_socket, CAMERA_AND_MICROPHONE)
    await call.publish(ben, ben_socket, CAMERA_AND_MICROPHONE)

    await call.layers(anna, camera_of(anna), True, False, False)
    await call.layers(anna, camera_of(anna), True, True, False)

    assert anna_socket.of_type("publish_layers") == [
        {"type": "publish_layers", "stream": camera_of(anna), "layers": [True, False, False]},
        {"type": "publish_layers", "stream": camera_of(anna), "layers": [True, True, False]},
    ]
    assert ben_socket.of_type("publish_layers") == []


async def test_a_stream_that_is_not_the_publishers_is_not_relayed(standing: StandingRooms) -> None:
    call = Call(standing)
    anna, anna_socket = await call.join("Anna")
    ben, ben_socket = await call.join("Ben")
    await call.publish(ben, ben_socket, CAMERA_AND_MICROPHONE)

    await call.layers(anna, camera_of(ben), True, False, False)  # Ben's stream, said of Anna
    await call.layers(anna, StreamId("s-gone"), True, False, False)

    assert anna_socket.of_type("publish_layers") == []
    assert ben_socket.of_type("publish_layers") == []


async def test_a_publisher_who_left_is_dropped_quietly(standing: StandingRooms) -> None:
    call = Call(standing)
    anna, anna_socket = await call.join("Anna")
    _, ben_socket = await call.join("Ben")
    await call.publish(anna, anna_socket, CAMERA_AND_MICROPHONE)
    camera = camera_of(anna)
    await call.hub.leave(anna)

    await call.layers(anna, camera, True, False, False)
    await call.media.emit(
        PublisherLayers(RoomId("elsewhere"), anna.participant.id, camera, (True,))
    )

    assert anna_socket.of_type("publish_layers") == []
    assert ben_socket.of_type("publish_layers") == []


async def test_a_resumed_publisher_gets_the_last_state_of_each_stream_again(
    standing: StandingRooms,
) -> None:
    call = Call(standing)
    anna, anna_socket = await call.join("Anna")
    await call.publish(anna, anna_socket, CAMERA_AND_MICROPHONE)
    call.hub.disconnected(anna, anna_socket)
    await call.layers(anna, camera_of(anna), True, False, False)  # while the socket is gone
    await call.layers(anna, camera_of(anna), True, True, False)

    again, socket = await call.join("Anna", resume=anna.participant.resume_token)

    assert again.participant is anna.participant
    assert [frame["type"] for frame in socket.frames] == ["joined", "publish_layers"]
    assert socket.frames[1]["layers"] == [True, True, False]
    assert anna_socket.of_type("publish_layers") == []


async def test_an_ended_stream_or_a_media_reset_forgets_the_layers(standing: StandingRooms) -> None:
    call = Call(standing)
    anna, anna_socket = await call.join("Anna")
    await call.publish(anna, anna_socket, CAMERA_AND_MICROPHONE)
    await call.layers(anna, camera_of(anna), True, False, False)
    await call.publish(anna, anna_socket, CAMERA_AND_MICROPHONE[:1])  # the camera ended
    _, resumed_socket = await call.join("Anna", resume=anna.participant.resume_token)
    assert resumed_socket.of_type("publish_layers") == []

    anna, anna_socket = await call.join("Anna", resume=anna.participant.resume_token)
    await call.publish(anna, anna_socket, CAMERA_AND_MICROPHONE)
    await call.layers(anna, camera_of(anna), True, False, False)
    await call.media.emit(WorkerRestarted((ROOM,)))
    assert anna_socket.of_type("media_reset") != []
    _, after_reset = await call.join("Anna", resume=anna.participant.resume_token)
    assert after_reset.of_type("publish_layers") == []


async def test_layers_the_protocol_cannot_carry_are_not_sent(standing: StandingRooms) -> None:
    call = Call(standing)
    anna, anna_socket = await call.join("Anna")
    await call.publish(anna, anna_socket, CAMERA_AND_MICROPHONE)

    await call.layers(anna, camera_of(anna))
    await call.layers(anna, camera_of(anna), False, True)
    await call.layers(anna, camera_of(anna), True, True, True, True, False)

    assert anna_socket.of_type("publish_layers") == []
