"""What a participant's browser offers the SFU: its published tracks (``publish``), the
streams it wants to receive (``subscribe``) and the simulcast layer of each (``set_layers``).
Each request is checked against the room first, the SFU answers, and only a socket that is
still the participant's current one hears the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klingel.ids import StreamId
from klingel.protocol.errors import ErrorCode, ProtocolError, UserError
from klingel.protocol.layers import SetLayers
from klingel.protocol.messages import (
    Publish,
    PublishAnswer,
    StreamAdded,
    StreamRemoved,
    Subscribe,
    SubscribeAnswer,
)
from klingel.protocol.objects import SOURCE_KIND, StreamInfo, TrackAssignment
from klingel.rooms.identifiers import new_stream_id
from klingel.sfu.api import MediaBackend, Subscription, TrackSource, TrackSpec
from klingel.web.connection import Connection
from klingel.web.media_requests import ask_media
from klingel.web.publish_layers import PublishedLayers

if TYPE_CHECKING:
    from klingel.web.hub import Seat, SignalingHub

__all__ = ["MediaOffers"]


class MediaOffers:
    """The hub's part that negotiates media with the SFU (one per hub)."""

    def __init__(
        self, hub: SignalingHub, media: MediaBackend, publish_layers: PublishedLayers
    ) -> None:
        self._hub = hub
        self._media = media
        self._publish_layers = publish_layers

    async def publish(self, seat: Seat, connection: Connection, message: Publish) -> None:
        room, participant = seat.room, seat.participant
        self._hub.council.refuse_if_held(room, participant)
        starts_screen = "screen" not in participant.streams and any(
            track.source == "screen" for track in message.tracks
        )
        if (
            starts_screen
            and not participant.is_moderator
            and not room.settings.screen_share_allowed
        ):
            raise UserError(ErrorCode.SCREEN_SHARE_NOT_ALLOWED, "A host has switched sharing off.")
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
        answer = await ask_media(self._media.publish(room.id, participant.id, message.sdp, specs))
        if not self._hub.is_current(seat, connection):
            return
        # What a host stopped stays stopped, also when re-offered: before the answer, so that
        # not one packet of it is forwarded. A track the participant ended is theirs again.
        participant.stopped_sources &= set(wanted)
        silenced = [wanted[source] for source in participant.stopped_sources]
        if participant.muted_by_host and "microphone" in wanted:
            silenced.append(wanted["microphone"])
        for stream_id in silenced:
            await self._hub.set_forwarding(room, stream_id, False)
        if not self._hub.is_current(seat, connection):
            return
        before = dict(participant.streams)
        was_sharing = participant.screen
        participant.streams = wanted
        self._publish_layers.forget_ended(participant)
        connection.send(
            PublishAnswer(
                sdp=answer,
                tracks=tuple(TrackAssignment(spec.mid, spec.stream_id) for spec in specs),
            )
        )
        for source, stream_id in before.items():
            if wanted.get(source) != stream_id:
                self._hub.send_to(room, StreamRemoved(stream_id))
        for source, stream_id in wanted.items():
            if before.get(source) != stream_id:
                info = StreamInfo(stream_id, participant.id, SOURCE_KIND[source], source)
                self._hub.send_to(room, StreamAdded(info))
        if participant.screen != was_sharing:
            self._hub.announce_update(room, participant)
        self._hub.council.media_changed(room, participant)

    async def subscribe(self, seat: Seat, connection: Connection, message: Subscribe) -> None:
        room = seat.room
        self._hub.council.refuse_if_held(room, seat.participant)
        for request in message.streams:
            if room.find_stream(request.stream) is None:
                raise ProtocolError(ErrorCode.UNKNOWN_STREAM, "No such stream in this room.")
        subscriptions = [Subscription(request.mid, request.stream) for request in message.streams]
        answer = await ask_media(
            self._media.subscribe(room.id, seat.participant.id, message.sdp, subscriptions)
        )
        if self._hub.is_current(seat, connection):
            connection.send(SubscribeAnswer(sdp=answer))

    async def set_layers(self, seat: Seat, connection: Connection, message: SetLayers) -> None:
        """Which simulcast layer of each named video stream this participant receives. Every
        stream is checked before any is changed."""
        room = seat.room
        self._hub.council.refuse_if_held(room, seat.participant)
        for request in message.layers:
            stream = room.find_stream(request.stream)
            if stream is None or stream.kind != "video":
                raise ProtocolError(ErrorCode.UNKNOWN_STREAM, "No such video stream in this room.")
        for request in message.layers:
            if not self._hub.is_current(seat, connection):
                return
            await ask_media(
                self._media.set_layer(room.id, seat.participant.id, request.stream, request.layer)
            )
