"""A media backend that accepts every call and sends no media: for signaling tests that never
reach the SFU."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.api import MediaEvent, Stage, Subscription, TrackSpec, WorkerStats


class IdleMedia:
    def __init__(self) -> None:
        self.removed: list[ParticipantId] = []
        self.closed: list[RoomId] = []

    async def publish(
        self, room: RoomId, participant: ParticipantId, offer_sdp: str, tracks: Sequence[TrackSpec]
    ) -> str:
        return "v=0\r\n"

    async def subscribe(
        self, room: RoomId, participant: ParticipantId, offer_sdp: str, s: Sequence[Subscription]
    ) -> str:
        return "v=0\r\n"

    async def watch(
        self,
        room: RoomId,
        viewer: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        return await self.subscribe(room, viewer, offer_sdp, subscriptions)

    async def set_stage(self, room: RoomId, stage: Stage) -> None:
        pass

    async def set_forwarding(self, room: RoomId, stream_id: StreamId, enabled: bool) -> None:
        pass

    async def set_layer(
        self, room: RoomId, participant: ParticipantId, stream_id: StreamId, layer: int | None
    ) -> None:
        pass

    async def remove_participant(self, room: RoomId, participant: ParticipantId) -> None:
        self.removed.append(participant)

    async def close_room(self, room: RoomId) -> None:
        self.closed.append(room)

    async def stats(self) -> Sequence[WorkerStats]:
        return []

    def on_event(self, handler: Callable[[MediaEvent], Awaitable[None]]) -> None:
        pass

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass
