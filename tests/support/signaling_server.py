"""A real Klingel app on a free loopback port with a recording media backend: for the
signaling tests that need no SFU. ``klingel.client`` speaks to it, or, where a test sends what
no typed client would, ``support.recording_client``."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from klingel.cli import WS_MAX_SIZE
from klingel.config import Settings
from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.rooms.standing import StandingRooms
from klingel.sfu.api import (
    MediaError,
    MediaEvent,
    Stage,
    Subscription,
    TrackSpec,
    WorkerStats,
)
from klingel.web.app import create_app

Message = dict[str, Any]


TIMEOUT = 10.0
OFFER = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"


@dataclass
class RecordingMedia:
    """Answers every offer and remembers what signaling asked of the SFU."""

    published: list[tuple[RoomId, ParticipantId, tuple[TrackSpec, ...]]] = field(
        default_factory=list
    )
    subscribed: list[tuple[RoomId, ParticipantId, tuple[Subscription, ...]]] = field(
        default_factory=list
    )
    removed: list[tuple[RoomId, ParticipantId]] = field(default_factory=list)
    closed_rooms: list[RoomId] = field(default_factory=list)
    forwarding: list[tuple[RoomId, StreamId, bool]] = field(default_factory=list)
    stages: list[tuple[RoomId, Stage]] = field(default_factory=list)
    layers: list[tuple[RoomId, ParticipantId, StreamId, int | None]] = field(default_factory=list)
    refuse_with: MediaError | None = None
    handler: Callable[[MediaEvent], Awaitable[None]] | None = None
    running: bool = False

    async def publish(
        self, room: RoomId, participant: ParticipantId, offer_sdp: str, tracks: Sequence[TrackSpec]
    ) -> str:
        if self.refuse_with is not None:
            raise self.refuse_with
        self.published.append((room, participant, tuple(tracks)))
        return "v=0\r\ns=publish-answer\r\n"

    async def subscribe(
        self,
        room: RoomId,
        participant: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        self.subscribed.append((room, participant, tuple(subscriptions)))
        return "v=0\r\ns=subscribe-answer\r\n"

    async def watch(
        self,
        room: RoomId,
        viewer: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        return await self.subscribe(room, viewer, offer_sdp, subscriptions)

    async def set_stage(self, room: RoomId, stage: Stage) -> None:
        self.stages.append((room, stage))

    async def set_forwarding(self, room: RoomId, stream_id: StreamId, enabled: bool) -> None:
        self.forwarding.append((room, stream_id, enabled))

    async def set_layer(
        self, room: RoomId, participant: ParticipantId, stream_id: StreamId, layer: int | None
    ) -> None:
        self.layers.append((room, participant, stream_id, layer))

    async def remove_participant(self, room: RoomId, participant: ParticipantId) -> None:
        self.removed.append((room, participant))

    async def close_room(self, room: RoomId) -> None:
        self.closed_rooms.append(room)

    async def stats(self) -> Sequence[WorkerStats]:
        return [WorkerStats(0, 1234, 1, 2, 10, 20, 3, 4, 0, 0, 0.5)]

    def on_event(self, handler: Callable[[MediaEvent], Awaitable[None]]) -> None:
        self.handler = handler

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def emit(self, event: MediaEvent) -> None:
        assert self.handler is not None
        await self.handler(event)


@dataclass
class Server:
    url: str
    media: RecordingMedia


@contextlib.asynccontextmanager
async def data_directory(data_dir: Path | None) -> AsyncIterator[Path]:
    """``data_dir``, or a temporary one that is deleted afterwards."""
    if data_dir is not None:
        yield data_dir
        return
    with tempfile.TemporaryDirectory(prefix="klingel-data-") as temporary:
        yield Path(temporary)


@contextlib.asynccontextmanager
async def standing_rooms(data_dir: Path | None = None) -> AsyncIterator[StandingRooms]:
    """The room store of ``data_dir`` (or of a temporary directory), closed afterwards."""
    async with data_directory(data_dir) as directory:
        standing = await StandingRooms.open(directory)
        try:
            yield standing
        finally:
            await standing.close()


@contextlib.asynccontextmanager
async def running_server(settings: Settings, data_dir: Path | None = None) -> AsyncIterator[Server]:
    """The app on uvicorn on a free loopback port, with a recording SFU and the room store of
    ``data_dir`` (by default, a temporary one of its own). Started again on the same
    ``data_dir``, it finds the standing rooms the last one left."""
    async with standing_rooms(data_dir) as standing, _serving(settings, standing) as server:
        yield server


@contextlib.asynccontextmanager
async def _serving(settings: Settings, standing: StandingRooms) -> AsyncIterator[Server]:
    media = RecordingMedia()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, media, standing),
        log_config=None,
        access_log=False,
        ws_max_size=WS_MAX_SIZE,
        lifespan="on",
    )
    runner = uvicorn.Server(config)
    task = asyncio.create_task(runner.serve(sockets=[listener]))
    async with asyncio.timeout(TIMEOUT):
        while not runner.started:
            await asyncio.sleep(0.01)
    try:
        yield Server(url=f"http://127.0.0.1:{port}", media=media)
    finally:
        runner.should_exit = True
        await asyncio.wait_for(task, TIMEOUT)
        listener.close()
    assert not media.running
