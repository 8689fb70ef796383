"""A load participant: Klingel's signaling protocol (``docs/protocol.md``) with light peers.

It joins over the signaling WebSocket, publishes pre-encoded camera (optionally simulcast) and
microphone, subscribes to every other participant's streams (renegotiating as they come and
go, one offer at a time, as the browser does), follows a view with ``set_layers``, and counts
what arrives per stream without decoding it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from klingel.client import SignalingClient, SignalingError
from klingel.ids import ParticipantId, StreamId
from klingel.load.local_sdp import Kind, OfferedSection
from klingel.load.media_files import SIMULCAST_LAYERS
from klingel.load.peer import LightPeer
from klingel.load.publishing import sending_section, start_publication
from klingel.load.receiving import Reception, StreamSnapshot, StreamStats
from klingel.load.sending import Pacer, PreparedMedia, Publication
from klingel.load.views import View, layer_requests
from klingel.protocol.broadcast import BroadcastCommand, BroadcastState
from klingel.protocol.layers import MAX_LAYER_REQUESTS, LayerRequest, PublishLayers, SetLayers
from klingel.protocol.messages import (
    ActiveSpeakerChanged,
    Error,
    Joined,
    MediaReset,
    MediaState,
    ServerMessage,
    StreamAdded,
    StreamRemoved,
)
from klingel.protocol.objects import StreamInfo, StreamRequest, TrackInfo
from klingel.sfu.dtls import DtlsIdentity

__all__ = ["LoadParticipant", "ParticipantOptions", "ParticipantSnapshot"]

logger = logging.getLogger(__name__)

_MAX_SECTIONS = 100


@dataclass(frozen=True, slots=True)
class ParticipantOptions:
    audio: bool = True
    video: bool = True
    simulcast: bool = True
    view: View = field(default_factory=View)
    follow_publish_layers: bool = False  # stop simulcast layers nobody receives, as a browser
    request_timeout: float = 20.0
    host_secret: str | None = None  # joins as a host of a standing room (``POST /api/rooms``)
    simulcast_layers: int = len(SIMULCAST_LAYERS)  # the smallest this many: 2 caps at 640x360


@dataclass(frozen=True, slots=True)
class ParticipantSnapshot:
    """What one participant received by one moment."""

    at: float
    joined: bool
    join_seconds: float | None  # join sent (or a remote camera known, if later) -> its keyframe
    streams: dict[str, StreamSnapshot]  # by stream id
    keyframe_requests: int  # how often the server asked this participant's camera for one
    subscribe_refusals: int  # subscribe offers the server answered with an error
    error: str | None


class LoadParticipant:
    """One synthetic participant. ``start`` joins and sets everything going; ``close`` ends."""

    def __init__(
        self,
        base_url: str,
        room: str,
        name: str,
        *,
        media: PreparedMedia,
        identity: DtlsIdentity,
        pacer: Pacer,
        options: ParticipantOptions,
    ) -> None:
        self.base_url = base_url
        self.room = room
        self.name = name
        self.options = options
        self._media = media
        self._identity = identity
        self._pacer = pacer
        self._signaling: SignalingClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._you: ParticipantId | None = None
        self._streams: dict[StreamId, StreamInfo] = {}  # every stream of the room, in order
        self._speaker_participant: ParticipantId | None = None
        self._publish_peer: LightPeer | None = None
        self._publication: Publication | None = None
        self._own_streams: dict[StreamId, str] = {}  # own stream id -> mid
        self._wanted_layers: dict[str, list[bool]] = {}  # mid -> the last publish_layers
        self._subscribe_peer: LightPeer | None = None
        self._reception: Reception | None = None
        self._sections: dict[str, tuple[Kind, str | None]] = {}  # mid -> kind, stream
        self._stats_by_stream: dict[str, StreamStats] = {}
        self._every_stats: list[tuple[str, StreamStats]] = []  # (stream, stats), ever made
        self._changed = asyncio.Event()
        self._negotiated: set[str] = set()  # the streams of the last answered subscribe
        self.subscribe_refusals = 0
        self._layers_sent: dict[str, int | None] = {}
        self._join_sent: float | None = None
        self._first_camera_seen: float | None = None
        self.joined = False
        self.error: str | None = None
        self.broadcast: BroadcastState | None = None  # the last ``broadcast_state`` heard
        self._broadcast_changed = asyncio.Event()

    # -- the whole life ---------------------------------------------------------------------

    async def start(self) -> None:
        """Join, publish, and start following the room. Raises ``SignalingError`` or
        ``TimeoutError`` when the join fails."""
        self._signaling = signaling = await SignalingClient.connect(
            self.base_url, self._apply, request_timeout=self.options.request_timeout
        )
        self._spawn(self._watch(signaling), "watch")
        self._join_sent = time.monotonic()
        answer = await signaling.join(self.room, self.name, host_secret=self.options.host_secret)
        if not isinstance(answer, Joined):
            raise SignalingError("the room's lobby holds load participants at the door")
        self.joined = True
        if self.options.audio or self.options.video:
            await self._publish()
        self._spawn(self._follow(), "follow")
        self._changed.set()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._publication is not None:
            self._pacer.remove(self._publication)
        if self._reception is not None:
            await self._reception.close()
        for peer in (self._publish_peer, self._subscribe_peer):
            if peer is not None:
                await peer.close()
        if self._signaling is not None:
            await self._signaling.leave()

    async def start_broadcast(self, timeout: float = 20.0) -> str:
        """Open the room to the public (a host's ``broadcast`` ``start``); the viewer key."""
        await self._connected.send(BroadcastCommand("start"))
        async with asyncio.timeout(timeout):
            while True:
                key = None if self.broadcast is None else self.broadcast.viewer_key
                if key is not None:
                    return key
                self._broadcast_changed.clear()
                await self._broadcast_changed.wait()

    def snapshot(self) -> ParticipantSnapshot:
        now = time.monotonic()
        streams = {stream: stats.snapshot() for stream, stats in self._every_stats}
        first_keyframe = min(
            (s.first_keyframe_at for s in streams.values() if s.first_keyframe_at is not None),
            default=None,
        )
        join_seconds = None
        if first_keyframe is not None and self._join_sent is not None:
            # An early joiner waits for others to publish: count from when a camera was there.
            start = max(self._join_sent, self._first_camera_seen or self._join_sent)
            join_seconds = first_keyframe - start
        return ParticipantSnapshot(
            at=now,
            joined=self.joined,
            join_seconds=join_seconds,
            streams=streams,
            keyframe_requests=self._publication.keyframe_requests if self._publication else 0,
            subscribe_refusals=self.subscribe_refusals,
            error=self.error,
        )

    def _note_cameras(self) -> None:
        if self._first_camera_seen is None and any(
            s.kind == "video" for s in self.others_streams().values()
        ):
            self._first_camera_seen = time.monotonic()

    def others_streams(self) -> dict[StreamId, StreamInfo]:
        return {sid: s for sid, s in self._streams.items() if s.participant != self._you}

    # -- signaling --------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"{name}-{self.name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self.error is None:
            self.error = repr(task.exception())
            logger.debug("participant task failed", exc_info=task.exception())

    @property
    def _connected(self) -> SignalingClient:
        if self._signaling is None:
            raise SignalingError("not connected")
        return self._signaling

    async def _watch(self, signaling: SignalingClient) -> None:
        ended = await signaling.closed()
        if self.error is None:
            self.error = str(ended)

    def _apply(self, message: ServerMessage) -> None:
        match message:
            case Joined():
                # taken here, before any later message is applied on top of it
                self._you = message.you.id
                self._streams = {s.id: s for s in message.streams}
                self._note_cameras()
            case StreamAdded(stream=stream):
                self._streams[stream.id] = stream
                self._note_cameras()
                self._changed.set()
            case StreamRemoved(id=stream_id):
                self._streams.pop(stream_id, None)
                self._changed.set()
            case PublishLayers() if self.options.follow_publish_layers:
                mid = self._own_streams.get(message.stream)
                if mid is not None:
                    self._wanted_layers[mid] = list(message.layers)
                    if self._publication is not None:
                        self._publication.set_wanted_layers(mid, self._wanted_layers[mid])
            case ActiveSpeakerChanged(id=speaker):
                self._speaker_participant = speaker
                self._changed.set()
            case BroadcastState():
                self.broadcast = message
                self._broadcast_changed.set()
            case MediaReset():
                self.error = "media_reset"
            case Error():
                logger.debug("refused: %s", message.code)

    # -- publishing -------------------------------------------------------------------------

    async def _publish(self) -> None:
        peer = LightPeer(self._identity, cname=f"load-{random.randrange(1 << 30):x}")
        self._publish_peer = peer
        sections: list[OfferedSection] = []
        tracks: list[TrackInfo] = []
        if self.options.audio:
            sections.append(sending_section("0", "audio"))
            tracks.append(TrackInfo("0", "audio", "microphone"))
        if self.options.video:
            mid = str(len(sections))
            sections.append(
                sending_section(
                    mid,
                    "video",
                    simulcast=self.options.simulcast,
                    layers=self.options.simulcast_layers,
                )
            )
            tracks.append(TrackInfo(mid, "video", "camera"))
        offer = await peer.offer(sections)
        answer = await self._connected.publish(offer, tracks)
        self._own_streams = {t.stream: t.mid for t in answer.tracks}
        remote = await peer.accept_answer(answer.sdp)
        publication = start_publication(peer, remote, self._media, sections)
        for mid, wanted in self._wanted_layers.items():
            publication.set_wanted_layers(mid, wanted)  # said while the answer was applied
        self._publication = publication
        self._pacer.add(publication)
        await self._connected.send(MediaState(self.options.audio, self.options.video))

    # -- subscribing ------------------------------------------------------------------------

    async def _follow(self) -> None:
        """Renegotiate and re-aim the layers whenever the room's streams change; one offer at
        a time, so changes during a negotiation are taken by the next round."""
        while True:
            await self._changed.wait()
            self._changed.clear()
            wanted = self.others_streams()
            if set(wanted) != self._negotiated:
                await self._subscribe(wanted)
            await self._aim_layers()

    async def _subscribe(self, wanted: dict[StreamId, StreamInfo]) -> None:
        for mid, (section_kind, subscribed_stream) in list(self._sections.items()):
            if subscribed_stream is not None and subscribed_stream not in wanted:
                self._sections[mid] = (section_kind, None)
                self._stats_by_stream.pop(subscribed_stream, None)
        subscribed = {stream for _kind, stream in self._sections.values() if stream}
        for stream_id, stream in wanted.items():
            if stream_id in subscribed:
                continue
            kind: Kind = stream.kind
            free = (m for m, (k, s) in self._sections.items() if k == kind and s is None)
            mid = next(free, "")
            if not mid:
                if len(self._sections) >= _MAX_SECTIONS:
                    continue
                mid = str(len(self._sections))
            self._sections[mid] = (kind, stream_id)
            stats = StreamStats(kind)
            self._stats_by_stream[stream_id] = stats
            self._every_stats.append((stream_id, stats))
        if not any(stream for _kind, stream in self._sections.values()):
            return
        peer = self._subscribe_peer
        if peer is None:
            peer = LightPeer(self._identity, cname=f"load-{random.randrange(1 << 30):x}")
            self._subscribe_peer = peer
            self._reception = Reception(peer)
        sections = [
            OfferedSection(mid, kind, "recvonly") for mid, (kind, _s) in self._sections.items()
        ]
        requests = [
            StreamRequest(mid, StreamId(stream))
            for mid, (_kind, stream) in self._sections.items()
            if stream is not None
        ]
        offer = await peer.offer(sections)
        try:
            answer = await self._connected.subscribe(offer, requests)
        except SignalingError as error:
            # e.g. a stream removed while the offer was on its way: the next round fixes it
            logger.debug("subscribe refused: %s", error)
            self.subscribe_refusals += 1
            await asyncio.sleep(0.2)
            self._changed.set()
            return
        remote = await peer.accept_answer(answer.sdp)
        self._negotiated = {stream for _kind, stream in self._sections.values() if stream}
        by_mid = {
            mid: self._stats_by_stream[stream]
            for mid, (_kind, stream) in self._sections.items()
            if stream is not None and stream in self._stats_by_stream
        }
        assert self._reception is not None
        self._reception.update(remote, by_mid)

    async def _aim_layers(self) -> None:
        view = self.options.view
        if view.kind == "all":
            return
        others = self.others_streams()
        cameras = [sid for sid, s in others.items() if s.kind == "video" and s.source == "camera"]
        speaker = next(
            (sid for sid in cameras if others[sid].participant == self._speaker_participant),
            None,
        )
        wanted = layer_requests(view, cameras, speaker)
        changes = [
            LayerRequest(StreamId(sid), layer)
            for sid, layer in wanted.items()
            if self._layers_sent.get(sid, -1) != layer
        ]
        for start in range(0, len(changes), MAX_LAYER_REQUESTS):
            batch = changes[start : start + MAX_LAYER_REQUESTS]
            await self._connected.send(SetLayers(tuple(batch)))
        self._layers_sent = dict(wanted)
