"""A load participant: Klingel's signaling protocol (``docs/protocol.md``) with light peers.

It joins over the signaling WebSocket, publishes pre-encoded camera (optionally simulcast) and
microphone, subscribes to every other participant's streams (renegotiating as they come and
go, one offer at a time, as the browser does), follows a view with ``set_layers``, and counts
what arrives per stream without decoding it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from klingel.load.local_sdp import Kind, OfferedSection
from klingel.load.peer import LightPeer
from klingel.load.publishing import sending_section, start_publication
from klingel.load.receiving import Reception, StreamSnapshot, StreamStats
from klingel.load.sending import Pacer, PreparedMedia, Publication
from klingel.load.views import View, layer_requests
from klingel.sfu.dtls import DtlsIdentity

__all__ = ["LoadParticipant", "ParticipantOptions", "ParticipantSnapshot", "SignalingError"]

logger = logging.getLogger(__name__)

Message = dict[str, Any]
_PROTOCOL_VERSION = 1
_PING_INTERVAL = 10.0
_MAX_SECTIONS = 100


class SignalingError(Exception):
    """The server refused a request (an ``error`` message) or closed the socket."""


@dataclass(frozen=True, slots=True)
class ParticipantOptions:
    audio: bool = True
    video: bool = True
    simulcast: bool = True
    view: View = field(default_factory=View)
    follow_publish_layers: bool = False  # stop simulcast layers nobody receives, as a browser
    request_timeout: float = 20.0


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


def _websocket_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base.removeprefix("https://") + "/ws"
    return "ws://" + base.removeprefix("http://") + "/ws"


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
        self._socket: ClientConnection | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._replies: asyncio.Queue[Message] = asyncio.Queue()
        self._you: str | None = None
        self._streams: dict[str, Message] = {}  # every stream of the room, by id, in order
        self._speaker_participant: str | None = None
        self._publish_peer: LightPeer | None = None
        self._publication: Publication | None = None
        self._own_streams: dict[str, str] = {}  # own stream id -> mid
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

    # -- the whole life ---------------------------------------------------------------------

    async def start(self) -> None:
        """Join, publish, and start following the room. Raises ``SignalingError`` or
        ``TimeoutError`` when the join fails."""
        self._socket = await connect(
            _websocket_url(self.base_url),
            origin=Origin(self.base_url.rstrip("/")),
            open_timeout=self.options.request_timeout,
            max_size=2**20,
        )
        self._spawn(self._read(self._socket), "read")
        self._join_sent = time.monotonic()
        await self._send(
            {"type": "join", "v": _PROTOCOL_VERSION, "room": self.room, "name": self.name}
        )
        await self._reply("joined")
        self.joined = True
        self._spawn(self._ping(), "ping")
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
        if self._socket is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._socket.send(json.dumps({"type": "leave"}))
            await self._socket.close()

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
            s["kind"] == "video" for s in self.others_streams().values()
        ):
            self._first_camera_seen = time.monotonic()

    def others_streams(self) -> dict[str, Message]:
        return {sid: s for sid, s in self._streams.items() if s["participant"] != self._you}

    # -- signaling --------------------------------------------------------------------------

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"{name}-{self.name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self.error is None:
            self.error = repr(task.exception())
            logger.debug("participant task failed", exc_info=task.exception())

    async def _send(self, message: Message) -> None:
        if self._socket is None:
            raise SignalingError("not connected")
        await self._socket.send(json.dumps(message))

    async def _reply(self, wanted: str) -> Message:
        async with asyncio.timeout(self.options.request_timeout):
            while True:
                message = await self._replies.get()
                if message["type"] == wanted:
                    return message
                if message["type"] == "error":
                    raise SignalingError(f"{message.get('code')}: {message.get('message')}")
                if message["type"] == "closed":
                    raise SignalingError("the server closed the socket")

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for frame in socket:
                message = json.loads(frame)
                self._apply(message)
        except ConnectionClosed:
            logger.debug("signaling socket closed")
        if self.error is None:
            self.error = f"signaling socket closed by the server ({socket.close_code})"
        self._replies.put_nowait({"type": "closed"})

    def _apply(self, message: Message) -> None:
        kind = message["type"]
        if kind == "joined":
            # taken here, before any later message is applied on top of it
            self._you = str(message["you"]["id"])
            self._streams = {str(s["id"]): s for s in message["streams"]}
            self._note_cameras()
            self._replies.put_nowait(message)
        elif kind in ("publish_answer", "subscribe_answer"):
            self._replies.put_nowait(message)
        elif kind == "error":
            if message.get("ref") in (None, "join", "publish", "subscribe"):
                self._replies.put_nowait(message)
            else:
                logger.debug("refused: %s", message.get("code"))
        elif kind == "stream_added":
            stream = message["stream"]
            self._streams[str(stream["id"])] = stream
            self._note_cameras()
            self._changed.set()
        elif kind == "stream_removed":
            self._streams.pop(str(message["id"]), None)
            self._changed.set()
        elif kind == "publish_layers" and self.options.follow_publish_layers:
            mid = self._own_streams.get(str(message["stream"]))
            if mid is not None:
                self._wanted_layers[mid] = [bool(x) for x in message["layers"]]
                if self._publication is not None:
                    self._publication.set_wanted_layers(mid, self._wanted_layers[mid])
        elif kind == "active_speaker":
            self._speaker_participant = message.get("id")
            self._changed.set()
        elif kind == "media_reset":
            self.error = "media_reset"

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(_PING_INTERVAL)
            await self._send({"type": "ping"})

    # -- publishing -------------------------------------------------------------------------

    async def _publish(self) -> None:
        peer = LightPeer(self._identity, cname=f"load-{random.randrange(1 << 30):x}")
        self._publish_peer = peer
        sections: list[OfferedSection] = []
        tracks: list[Message] = []
        if self.options.audio:
            sections.append(sending_section("0", "audio"))
            tracks.append({"mid": "0", "kind": "audio", "source": "microphone"})
        if self.options.video:
            mid = str(len(sections))
            sections.append(sending_section(mid, "video", simulcast=self.options.simulcast))
            tracks.append({"mid": mid, "kind": "video", "source": "camera"})
        offer = await peer.offer(sections)
        await self._send({"type": "publish", "sdp": offer, "tracks": tracks})
        answer = await self._reply("publish_answer")
        self._own_streams = {str(t["stream"]): str(t["mid"]) for t in answer["tracks"]}
        remote = await peer.accept_answer(answer["sdp"])
        publication = start_publication(peer, remote, self._media, sections)
        for mid, wanted in self._wanted_layers.items():
            publication.set_wanted_layers(mid, wanted)  # said while the answer was applied
        self._publication = publication
        self._pacer.add(publication)
        await self._send(
            {"type": "media_state", "audio": self.options.audio, "video": self.options.video}
        )

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

    async def _subscribe(self, wanted: dict[str, Message]) -> None:
        for mid, (section_kind, subscribed_stream) in list(self._sections.items()):
            if subscribed_stream is not None and subscribed_stream not in wanted:
                self._sections[mid] = (section_kind, None)
                self._stats_by_stream.pop(subscribed_stream, None)
        subscribed = {stream for _kind, stream in self._sections.values() if stream}
        for stream_id, stream in wanted.items():
            if stream_id in subscribed:
                continue
            kind: Kind = "audio" if stream["kind"] == "audio" else "video"
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
            {"mid": mid, "stream": stream}
            for mid, (_kind, stream) in self._sections.items()
            if stream is not None
        ]
        offer = await peer.offer(sections)
        await self._send({"type": "subscribe", "sdp": offer, "streams": requests})
        try:
            answer = await self._reply("subscribe_answer")
        except SignalingError as error:
            # e.g. a stream removed while the offer was on its way: the next round fixes it
            logger.debug("subscribe refused: %s", error)
            self.subscribe_refusals += 1
            await asyncio.sleep(0.2)
            self._changed.set()
            return
        remote = await peer.accept_answer(answer["sdp"])
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
        cameras = [
            sid for sid, s in others.items() if s["kind"] == "video" and s["source"] == "camera"
        ]
        speaker = next(
            (sid for sid in cameras if others[sid]["participant"] == self._speaker_participant),
            None,
        )
        wanted = layer_requests(view, cameras, speaker)
        changes = [
            {"stream": sid, "layer": layer}
            for sid, layer in wanted.items()
            if self._layers_sent.get(sid, -1) != layer
        ]
        for start in range(0, len(changes), 100):
            await self._send({"type": "set_layers", "layers": changes[start : start + 100]})
        self._layers_sent = dict(wanted)
