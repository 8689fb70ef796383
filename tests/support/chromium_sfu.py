"""An SFU worker's router driven directly by headless Chromium pages (no signaling server):
what the SFU-level browser tests share."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pytest
from chromium_support import (
    ChromiumPeer,
)

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.api import (
    MediaEvent,
    MediaKind,
    Subscription,
    TrackSpec,
    WorkerRestarted,
    WorkerStats,
)
from klingel.sfu.pool import WorkerPool

SIMULCAST_FIELD_TRIALS = "--force-fieldtrials=WebRTC-LegacySimulcastLayerLimit/Disabled/"
"""libwebrtc sends only as many simulcast layers as its table allows for the camera's size,
two for 640x480; without that limit it sends all three that the page asks for."""
PeerOpener = Callable[[], Awaitable[ChromiumPeer]]


@dataclass(slots=True)
class Sfu:
    """The pool under test and every event it reported."""

    pool: WorkerPool
    events: list[MediaEvent] = field(default_factory=list)

    async def record(self, event: MediaEvent) -> None:
        self.events.append(event)

    def events_of(self, room: RoomId) -> list[MediaEvent]:
        return [e for e in self.events if not isinstance(e, WorkerRestarted) and e.room == room]

    async def worker_stats(self) -> WorkerStats:
        (stats,) = await self.pool.stats()
        return stats


@dataclass(slots=True)
class Receiving:
    """A subscriber's connection: which stream each of its mids receives."""

    participant: ParticipantId
    peer: ChromiumPeer
    streams: dict[str, StreamId] = field(default_factory=dict)
    offers: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

    def subscriptions(self) -> list[Subscription]:
        return [Subscription(mid, stream) for mid, stream in self.streams.items()]


def require_netns() -> None:
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run inside scripts/netns-run: this test sends UDP and WebRTC", pytrace=False)


async def publish(
    sfu: Sfu,
    room: RoomId,
    name: str,
    peer: ChromiumPeer,
    *,
    tone: bool = False,
    video_codec: str | None = None,
    simulcast: bool = False,
) -> Published:
    """Camera and microphone (or a steady tone) of ``peer`` as participant ``name``."""
    participant = ParticipantId(name)
    offer = await peer.publish_offer(tone=tone, video_codec=video_codec, simulcast=simulcast)
    tracks = [
        TrackSpec(
            mid,
            kind,
            "microphone" if kind == "audio" else "camera",
            StreamId(f"{name}-{kind}"),
        )
        for mid, kind in offer.mids
    ]
    await peer.accept(await sfu.pool.publish(room, participant, offer.sdp, tracks))
    return Published(participant, {track.kind: track.stream_id for track in tracks})


async def new_subscriber(
    sfu: Sfu, room: RoomId, name: str, open_peer: PeerOpener, publishers: Sequence[Published]
) -> tuple[Receiving, set[str]]:
    receiving = Receiving(ParticipantId(name), await open_peer())
    return receiving, await subscribe(sfu, room, receiving, publishers)


@dataclass(frozen=True, slots=True)
class Published:
    participant: ParticipantId
    streams: Mapping[MediaKind, StreamId]


async def subscribe(
    sfu: Sfu, room: RoomId, receiving: Receiving, publishers: Sequence[Published]
) -> set[str]:
    """Add one recvonly transceiver per stream of ``publishers`` and renegotiate; return the
    new mids."""
    wanted = [(kind, stream) for p in publishers for kind, stream in p.streams.items()]
    offer = await receiving.peer.receive_offer([kind for kind, _ in wanted])
    for (mid, _), (_, stream) in zip(offer.mids, wanted, strict=True):
        receiving.streams[mid] = stream
    answer = await sfu.pool.subscribe(
        room, receiving.participant, offer.sdp, receiving.subscriptions()
    )
    await receiving.peer.accept(answer)
    receiving.offers.append(offer.sdp)
    receiving.answers.append(answer)
    return {mid for mid, _ in offer.mids}
