"""What the SFU tells the signaling side: who speaks, which layers a publisher's stream is
received in, who is on the programme, and that a worker restarted or lost a programme."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from klingel.ids import RoomId
from klingel.protocol.messages import ActiveSpeakerChanged, MediaReset
from klingel.sfu.api import (
    ActiveSpeaker,
    MediaEvent,
    ProgrammeLost,
    PublisherLayers,
    StageChanged,
    WorkerRestarted,
)
from klingel.web.publish_layers import PublishedLayers

if TYPE_CHECKING:
    from klingel.web.hub import SignalingHub

__all__ = ["MediaEvents"]

logger = logging.getLogger(__name__)


class MediaEvents:
    def __init__(self, hub: SignalingHub, publish_layers: PublishedLayers) -> None:
        self._hub = hub
        self._publish_layers = publish_layers

    async def handle(self, event: MediaEvent) -> None:
        registry = self._hub.registry
        if isinstance(event, ActiveSpeaker):
            room = registry.get(event.room)
            if room is not None and (event.participant is None or event.participant in room):
                self._hub.send_to(room, ActiveSpeakerChanged(event.participant))
                self._hub.moves.spoke(room.id, event.participant is not None)
        elif isinstance(event, WorkerRestarted):
            for room_id in event.rooms:
                self._reset_media(room_id)
        elif isinstance(event, PublisherLayers):
            self._relay_publisher_layers(event)
        elif isinstance(event, StageChanged):
            self._hub.broadcasting.stage_changed(event)
        elif isinstance(event, ProgrammeLost):
            for room_id in event.rooms:
                room = registry.get(room_id)
                if room is not None:
                    self._hub.broadcasting.media_reset(room)

    def _relay_publisher_layers(self, event: PublisherLayers) -> None:
        """Only the publisher hears which layers of its stream anyone receives; about someone
        gone it is dropped."""
        room = self._hub.registry.get(event.room)
        participant = room.get(event.participant) if room is not None else None
        message = None if participant is None else self._publish_layers.told(participant, event)
        if participant is not None and message is not None:
            self._hub.send_to_one(participant, message)

    def _reset_media(self, room_id: RoomId) -> None:
        room = self._hub.registry.get(room_id)
        if room is None:
            return
        logger.info("Media of a room was reset after an SFU worker restart")
        for participant in room:
            self._hub.end_streams(room, participant)
            participant.stopped_sources.clear()
        self._hub.send_to(room, MediaReset())
        self._hub.broadcasting.media_reset(room)
        self._hub.council.server_fault(room, "media server restarted")
