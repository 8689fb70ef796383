"""What happens in rooms: joins, leaves, media, chat, and who hears about it.

The hub owns the registry of rooms, the sockets of joined participants, and the way to the SFU.
Everything it relays carries the sender the hub knows from the socket, never one a client
claims. It runs on one event loop; after each ``await`` it checks again that the participant is
still there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.protocol.codec import encode_frame
from klingel.protocol.errors import ErrorCode, KlingelError, ProtocolError, error_for
from klingel.protocol.messages import (
    PROTOCOL_VERSION,
    ActiveSpeakerChanged,
    ChatLine,
    Join,
    Joined,
    MediaReset,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    Publish,
    PublishAnswer,
    ServerMessage,
    StreamAdded,
    StreamRemoved,
    Subscribe,
    SubscribeAnswer,
)
from klingel.protocol.objects import SOURCE_KIND, StreamInfo, TrackAssignment
from klingel.rooms.identifiers import new_stream_id
from klingel.rooms.naming import parse_display_name, parse_room_id
from klingel.rooms.participant import Participant
from klingel.rooms.registry import Registry
from klingel.rooms.room import Room
from klingel.sfu.api import (
    ActiveSpeaker,
    MediaBackend,
    MediaError,
    MediaEvent,
    Subscription,
    TrackSource,
    TrackSpec,
    WorkerRestarted,
)
from klingel.web.connection import CLOSE_NORMAL, CLOSE_REPLACED, Connection

__all__ = ["Seat", "SignalingHub"]

logger = logging.getLogger(__name__)

_MEDIA_ERROR_CODES = frozenset(
    {
        ErrorCode.BAD_SDP,
        ErrorCode.TOO_MANY_CANDIDATES,
        ErrorCode.UNKNOWN_STREAM,
        ErrorCode.MEDIA_UNAVAILABLE,
    }
)


@dataclass(frozen=True, slots=True)
class Seat:
    """A joined socket's place: which participant in which room it speaks for."""

    room: Room
    participant: Participant


class SignalingHub:
    def __init__(
        self,
        registry: Registry,
        media: MediaBackend,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._registry = registry
        self._media = media
        self._clock = clock
        self._wall_clock = wall_clock
        self._connections: dict[ParticipantId, Connection] = {}

    @property
    def registry(self) -> Registry:
        return self._registry

    # --- joining and leaving ------------------------------------------------------------------

    def join(self, connection: Connection, message: Join) -> Seat:
        """Admit the socket's participant (new or resumed) and tell everyone who needs to know."""
        room_id = parse_room_id(message.room)
        name = parse_display_name(message.name)
        admission = self._registry.admit(room_id, name, message.resume, self._clock())
        room, participant = admission.room, admission.participant
        renamed = participant.name != name
        participant.name = name
        previous = self._connections.get(participant.id)
        if previous is not None and previous is not connection:
            previous.close(CLOSE_REPLACED, "replaced")
        self._connections[participant.id] = connection
        connection.send(
            Joined(
                v=PROTOCOL_VERSION,
                you=participant.info(participant.id),
                resume=participant.resume_token,
                resumed=admission.resumed,
                room=room.info(),
                participants=tuple(
                    other.info(participant.id) for other in room.others(participant.id)
                ),
                streams=tuple(room.streams()),
            )
        )
        if admission.resumed:
            # Nobody else noticed the socket drop; only a new name is news.
            if renamed:
                self._announce_update(room, participant)
        else:
            self._send_to(room.others(participant.id), ParticipantJoined(participant.info()))
        return Seat(room, participant)

    def is_current(self, seat: Seat, connection: Connection) -> bool:
        """Whether this socket still speaks for the seat (not left, not replaced)."""
        return (
            self._connections.get(seat.participant.id) is connection
            and seat.room.get(seat.participant.id) is seat.participant
        )

    def disconnected(self, seat: Seat, connection: Connection) -> None:
        """The socket is gone without ``leave``: the grace period starts, media keeps running."""
        if self._connections.get(seat.participant.id) is not connection:
            return
        del self._connections[seat.participant.id]
        if seat.room.get(seat.participant.id) is seat.participant:
            self._registry.detach(seat.participant, self._clock())

    async def leave(self, seat: Seat) -> None:
        await self._remove(seat.room, seat.participant)

    async def expire_detached(self) -> int:
        """Remove everyone whose grace period is over; returns how many."""
        expired = self._registry.expired(self._clock())
        for room, participant in expired:
            await self._remove(room, participant)
        return len(expired)

    async def _remove(self, room: Room, participant: Participant) -> None:
        if self._registry.remove(room, participant.id) is None:
            return
        connection = self._connections.pop(participant.id, None)
        if connection is not None:
            connection.close(CLOSE_NORMAL, "left")
        remaining = list(room)
        for stream in participant.stream_infos():
            self._send_to(remaining, StreamRemoved(stream.id))
        participant.streams.clear()
        self._send_to(remaining, ParticipantLeft(participant.id))
        await self._release_media(room, participant.id)

    async def _release_media(self, room: Room, participant: ParticipantId) -> None:
        try:
            await self._media.remove_participant(room.id, participant)
            if room.is_empty and self._registry.get(room.id) is None:
                await self._media.close_room(room.id)
        except Exception as error:  # the participant is gone from signaling either way
            logger.warning("The SFU could not release a participant: %s", type(error).__name__)
            logger.debug("SFU release failure", exc_info=True)

    # --- what a joined participant says -------------------------------------------------------

    def set_media_state(self, seat: Seat, audio: bool, video: bool) -> None:
        seat.participant.audio = audio
        seat.participant.video = video
        self._announce_update(seat.room, seat.participant)

    def set_hand(self, seat: Seat, raised: bool) -> None:
        seat.participant.hand = raised
        self._announce_update(seat.room, seat.participant)

    def chat(self, seat: Seat, text: str) -> None:
        participant = seat.participant
        if not participant.chat_bucket.take(self._clock()):
            raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many chat messages.")
        line = ChatLine(
            id=seat.room.next_chat_id(),
            sender=participant.id,
            name=participant.name,
            text=text,
            ts=int(self._wall_clock() * 1000),
        )
        self._send_to(seat.room, line)

    async def publish(self, seat: Seat, connection: Connection, message: Publish) -> None:
        room, participant = seat.room, seat.participant
        # A source keeps its stream id across renegotiations; a new source gets a new one.
        wanted: dict[TrackSource, StreamId] = {
            track.source: participant.streams.get(track.source) or new_stream_id()
            for track in message.tracks
        }
        specs = [
            TrackSpec(
                mid=track.mid, kind=track.kind, source=track.source, stream_id=wanted[track.source]
            )
            for track in message.tracks
        ]
        answer = await self._ask_media(
            self._media.publish(room.id, participant.id, message.sdp, specs)
        )
        if not self.is_current(seat, connection):
            return
        before = dict(participant.streams)
        was_sharing = participant.screen
        participant.streams = wanted
        connection.send(
            PublishAnswer(
                sdp=answer,
                tracks=tuple(TrackAssignment(spec.mid, spec.stream_id) for spec in specs),
            )
        )
        for source, stream_id in before.items():
            if wanted.get(source) != stream_id:
                self._send_to(room, StreamRemoved(stream_id))
        for source, stream_id in wanted.items():
            if before.get(source) != stream_id:
                info = StreamInfo(stream_id, participant.id, SOURCE_KIND[source], source)
                self._send_to(room, StreamAdded(info))
        if participant.screen != was_sharing:
            self._announce_update(room, participant)

    async def subscribe(self, seat: Seat, connection: Connection, message: Subscribe) -> None:
        room = seat.room
        for request in message.streams:
            if room.find_stream(request.stream) is None:
                raise ProtocolError(ErrorCode.UNKNOWN_STREAM, "No such stream in this room.")
        subscriptions = [Subscription(request.mid, request.stream) for request in message.streams]
        answer = await self._ask_media(
            self._media.subscribe(room.id, seat.participant.id, message.sdp, subscriptions)
        )
        if self.is_current(seat, connection):
            connection.send(SubscribeAnswer(sdp=answer))

    async def _ask_media(self, request: Awaitable[str]) -> str:
        try:
            return await request
        except MediaError as error:
            code = ErrorCode(error.code) if error.code in _MEDIA_ERROR_CODES else None
            if code is None:
                logger.warning("The SFU answered with an unknown error code")
                code = ErrorCode.MEDIA_UNAVAILABLE
            raise error_for(code, error.message) from None
        except KlingelError:
            raise
        except Exception as error:
            logger.warning("The SFU could not take a request: %s", type(error).__name__)
            logger.debug("SFU request failure", exc_info=True)
            raise error_for(ErrorCode.MEDIA_UNAVAILABLE, "The media server is busy.") from None

    # --- what the SFU says --------------------------------------------------------------------

    async def on_media_event(self, event: MediaEvent) -> None:
        if isinstance(event, ActiveSpeaker):
            room = self._registry.get(event.room)
            if room is not None and (event.participant is None or event.participant in room):
                self._send_to(room, ActiveSpeakerChanged(event.participant))
        elif isinstance(event, WorkerRestarted):
            for room_id in event.rooms:
                self._reset_media(room_id)

    def _reset_media(self, room_id: RoomId) -> None:
        room = self._registry.get(room_id)
        if room is None:
            return
        logger.info("Media of a room was reset after an SFU worker restart")
        for participant in room:
            was_sharing = participant.screen
            for stream in participant.stream_infos():
                self._send_to(room, StreamRemoved(stream.id))
            participant.streams.clear()
            if was_sharing:
                self._announce_update(room, participant)
        self._send_to(room, MediaReset())

    # --- sending ------------------------------------------------------------------------------

    def _send_to(self, participants: Iterable[Participant], message: ServerMessage) -> None:
        frame = encode_frame(message.to_dict())
        for participant in participants:
            connection = self._connections.get(participant.id)
            if connection is not None:
                connection.send_encoded(frame)

    def _announce_update(self, room: Room, participant: Participant) -> None:
        """``participant_updated`` to everyone; only the subject's own copy says ``you``."""
        self._send_to(room.others(participant.id), ParticipantUpdated(participant.info()))
        own = self._connections.get(participant.id)
        if own is not None:
            own.send(ParticipantUpdated(participant.info(participant.id)))

    def close_all(self) -> None:
        for connection in self._connections.values():
            connection.close(1001, "shutdown")
        self._connections.clear()
