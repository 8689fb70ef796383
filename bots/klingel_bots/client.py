"""A participant without a browser: Klingel's signaling protocol plus aiortc media.

``ProtocolClient`` joins a room over the signaling WebSocket (``docs/protocol.md``, spoken by
``klingel.client``), publishes a pre-encoded VP8 + Opus file (no encoding, so many bots fit on
one core) or aiortc's generated tracks, subscribes to every other participant's streams with
``recvonly`` transceivers and counts what arrives per stream. Like the browser client it keeps
one peer connection to publish and one to subscribe, always makes the offer, and never uses a
STUN server.

It also speaks the host side (``hostSecret`` in ``join``, the host commands) and waits in a
room's lobby like a guest who rang, so tests can drive hosts and waiting guests without a
browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

from klingel.client import Ended, SignalingClient, SignalingError
from klingel.client.errors import ENDINGS, Ending
from klingel.ids import ParticipantId, StreamId
from klingel.protocol.layers import PublishLayers
from klingel.protocol.messages import (
    Chat,
    ClientMessage,
    Hand,
    Joined,
    MediaReset,
    MediaState,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ServerMessage,
    StreamAdded,
    StreamRemoved,
)
from klingel.protocol.moderation import (
    Admit,
    AllowUnmute,
    Deny,
    EndConversation,
    EndMeeting,
    LobbyChanged,
    Mute,
    MuteAll,
    QueuePosition,
    Remove,
    RoomSettingsChange,
    RoomUpdated,
    SetPassword,
    SetRole,
    StopVideo,
    Unmute,
    Waiting,
)
from klingel.protocol.objects import (
    IceServer,
    LobbyEntry,
    ParticipantInfo,
    Role,
    RoomInfo,
    StreamInfo,
    StreamRequest,
    TrackInfo,
    VideoSource,
)
from klingel.tracks import MediaKind, TrackSource

__all__ = [
    "ProtocolClient",
    "ReceivedCounts",
    "count_frames",
    "peer_configuration",
    "received_counts",
    "wait_receiving",
]

logger = logging.getLogger(__name__)

_Message = TypeVar("_Message", bound=ServerMessage)


@dataclass(frozen=True, slots=True)
class ReceivedCounts:
    """What arrived on one subscribed stream so far: RTP packets and decoded frames."""

    packets: int
    frames: int


@dataclass(frozen=True, slots=True)
class _OutgoingTrack:
    track: Any  # aiortc MediaStreamTrack
    kind: MediaKind
    source: TrackSource


def _ice_server(entry: IceServer) -> RTCIceServer:
    return RTCIceServer(urls=list(entry.urls), username=entry.username, credential=entry.credential)


def _any(message: Any) -> bool:
    return True


def count_frames(
    connection: RTCPeerConnection,
    track: Any,
    frames: dict[str, int],
    consumers: set[asyncio.Task[None]],
) -> None:
    """Count the decoded frames of a track ``connection`` received, by its transceiver's
    mid, in ``frames``; the counting task joins ``consumers`` (cancel them to stop)."""
    mid = next((t.mid for t in connection.getTransceivers() if t.receiver.track is track), None)
    if mid is None:
        return
    frames.setdefault(mid, 0)

    async def drain() -> None:
        # Draining the track also keeps aiortc's decoded-frame queue from growing.
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                frames[mid] += 1

    task = asyncio.get_running_loop().create_task(drain())
    consumers.add(task)
    task.add_done_callback(consumers.discard)


async def received_counts(
    connection: RTCPeerConnection, streams: Mapping[str, StreamId], frames: Mapping[str, int]
) -> dict[StreamId, ReceivedCounts]:
    """Packets and decoded frames ``connection`` received, by the stream each mid of
    ``streams`` carries."""
    counts: dict[StreamId, ReceivedCounts] = {}
    for transceiver in connection.getTransceivers():
        mid = transceiver.mid
        stream_id = streams.get(mid) if mid is not None else None
        if mid is None or stream_id is None:
            continue
        report = await transceiver.receiver.getStats()
        packets = sum(int(s.packetsReceived) for s in report.values() if s.type == "inbound-rtp")
        counts[stream_id] = ReceivedCounts(packets, frames.get(mid, 0))
    return counts


async def wait_receiving(
    received: Callable[[], Awaitable[dict[StreamId, ReceivedCounts]]],
    streams: Mapping[StreamId, ReceivedCounts] | Sequence[StreamId],
    *,
    timeout: float = 30.0,
    interval: float = 0.25,
) -> dict[StreamId, ReceivedCounts]:
    """Wait until ``received()`` shows each of ``streams`` with more packets and frames than
    the given baseline (or than zero, for a plain list of ids); returns the counts then."""
    baseline = (
        dict(streams)
        if isinstance(streams, Mapping)
        else {sid: ReceivedCounts(0, 0) for sid in streams}
    )
    async with asyncio.timeout(timeout):
        while True:
            counts = await received()
            if all(
                sid in counts
                and counts[sid].packets > base.packets
                and counts[sid].frames > base.frames
                for sid, base in baseline.items()
            ):
                return counts
            await asyncio.sleep(interval)


def peer_configuration(ice_servers: Sequence[IceServer], force_relay: bool) -> RTCConfiguration:
    """Exactly the servers of the last ``joined`` (the town's TURN relay, or none), never a
    STUN server: with none given, aiortc would add a public one. With ``force_relay`` only
    relay candidates are gathered, as if UDP to the SFU were blocked.

    One transport for every m-section from the start, as the SFU BUNDLEs them all. With
    aiortc's default "balanced" policy each further transceiver of a kind shares the transport
    of the first one of its kind, and when the answer BUNDLEs, only that first one is moved
    onto the BUNDLE transport: a second video m-section in the first offer stays on a stopped
    transport, receives nothing, and its packets reach the first video receiver instead."""
    policy = RTCIceTransportPolicy.RELAY if force_relay else RTCIceTransportPolicy.ALL
    return RTCConfiguration(
        iceServers=[_ice_server(entry) for entry in ice_servers],
        iceTransportPolicy=policy,
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
    )


def _pin_vp8(transceiver: RTCRtpTransceiver) -> None:
    """A pass-through sender can only send the codec its file holds."""
    capabilities = RTCRtpSender.getCapabilities("video")
    vp8 = [c for c in capabilities.codecs if c.mimeType.lower() == "video/vp8"]
    transceiver.setCodecPreferences(vp8)


class ProtocolClient:
    """One synthetic participant. Call ``join`` first and ``close`` at the end.

    With ``auto_subscribe`` the client (re)subscribes whenever another participant's stream is
    added, so it receives everything published in the room.
    """

    def __init__(
        self,
        base_url: str,
        room: str,
        name: str,
        *,
        auto_subscribe: bool = True,
        request_timeout: float = 15.0,
        force_relay: bool = False,
    ) -> None:
        self.base_url = base_url
        self.room = room
        self.name = name
        self.auto_subscribe = auto_subscribe
        self.request_timeout = request_timeout
        self.force_relay = force_relay
        """Gather relay candidates only: media goes through the TURN relay of ``joined``."""
        self.ice_servers: tuple[IceServer, ...] = ()
        """The ``iceServers`` of the last ``joined``: the only servers the connections use."""

        self.messages: list[ServerMessage] = []
        """Every message the server sent, in order, across reconnections."""
        self.you: ParticipantInfo | None = None
        self.resume_token: str | None = None
        self.participants: dict[ParticipantId, ParticipantInfo] = {}
        self.streams: dict[StreamId, StreamInfo] = {}
        self.own_streams: dict[str, StreamId] = {}
        """Stream ids the server gave to this client's published tracks, by mid."""
        self.waiting = False
        """Whether the last ``join`` was answered with ``waiting`` and no ``joined`` came yet."""
        self.room_settings: RoomInfo | None = None
        """The room's settings from the last ``joined`` or ``room_updated``."""
        self.lobby: list[LobbyEntry] = []
        """Who waits in the lobby, as the last ``lobby`` message said (hosts only)."""
        self.queue_position: tuple[int, int] | None = None
        """Our place in the office-hours queue and its length, while waiting."""
        self.publish_layers: dict[StreamId, tuple[bool, ...]] = {}
        """Which simulcast layers of each of our streams anyone receives, as the last
        ``publish_layers`` about it said. This client sends one layer, so it only records."""
        self._waiting_since = 0

        self._signaling: SignalingClient | None = None
        self._arrived = asyncio.Event()  # set and replaced whenever a message arrives
        self._publisher: RTCPeerConnection | None = None
        self._subscriber: RTCPeerConnection | None = None
        self._player: MediaPlayer | None = None
        self._outgoing: list[_OutgoingTrack] = []
        self._subscribed: dict[str, StreamId] = {}  # mid -> stream, every mid ever negotiated
        self._wanted_mids: dict[StreamId, str] = {}  # streams currently subscribed -> mid
        self._frames: dict[str, int] = {}  # mid -> decoded frames
        self._consumers: set[asyncio.Task[None]] = set()
        self._subscribe_lock = asyncio.Lock()
        self._subscribe_task: asyncio.Task[None] | None = None
        self._closed = False
        self._captured: list[bytes] | None = None

    # -- identity -------------------------------------------------------------------------

    @property
    def participant_id(self) -> ParticipantId:
        if self.you is None:
            raise RuntimeError("not joined")
        return self.you.id

    @property
    def connected(self) -> bool:
        """Whether the signaling socket is open (the server has not closed it)."""
        return self._signaling is not None and self._signaling.is_open

    def others_streams(self) -> dict[StreamId, StreamInfo]:
        mine = self.you.id if self.you else None
        return {sid: s for sid, s in self.streams.items() if s.participant != mine}

    # -- signaling ------------------------------------------------------------------------

    async def join(
        self,
        *,
        resume: str | None = None,
        host_secret: str | None = None,
        password: str | None = None,
        member: str | None = None,
    ) -> Joined | Waiting:
        """Open the signaling socket and join (or resume with ``resume``); returns ``joined``,
        or ``waiting`` when the room's lobby takes us (then ``wait_admitted``).
        ``host_secret`` is the room's host or co-host secret, ``password`` its password,
        ``member`` a council member's personal link secret.
        Raises ``klingel.client.Refused`` with the server's error code."""
        since = len(self.messages)
        self._signaling = await SignalingClient.connect(
            self.base_url, self._receive, request_timeout=self.request_timeout
        )
        answer = await self._signaling.join(
            self.room,
            self.name,
            resume=resume,
            host_secret=host_secret,
            password=password,
            member=member,
        )
        if isinstance(answer, Waiting):
            self.waiting = True
            self._waiting_since = since
        return answer

    async def wait_admitted(self, *, timeout: float = 15.0) -> Joined:
        """While waiting in the lobby: wait for a host's admission; returns ``joined``.
        Raises ``klingel.client.Ended`` (``denied``, ``meeting_ended``) when it ends instead."""
        message = await self._first(
            lambda m: isinstance(m, (Joined, *ENDINGS)), self._waiting_since, timeout
        )
        if isinstance(message, ENDINGS):
            raise Ended(message)
        assert isinstance(message, Joined)
        return message

    async def wait_ended(self, *, since: int = 0, timeout: float = 15.0) -> Ending:
        """The message with which a host ended our part (``denied``, ``removed``, ...)."""
        message = await self._first(lambda m: isinstance(m, ENDINGS), since, timeout)
        assert isinstance(message, ENDINGS)
        return message

    async def wait_lobby(self, count: int, *, timeout: float = 15.0) -> list[LobbyEntry]:
        """As a host: wait until exactly ``count`` people wait in the lobby; returns them."""
        async with asyncio.timeout(timeout):
            while len(self.lobby) != count:
                await self._arrived.wait()
            return list(self.lobby)

    def _take_joined(self, joined: Joined) -> None:
        self.waiting = False
        self.queue_position = None
        self.room_settings = joined.room
        self.you = joined.you
        self.resume_token = joined.resume
        self.participants = {p.id: p for p in joined.participants}
        self.participants[joined.you.id] = joined.you
        self.streams = {s.id: s for s in joined.streams}
        self.ice_servers = joined.ice_servers
        if self.auto_subscribe and self.others_streams():
            self._schedule_subscribe()

    # -- host commands (the server refuses them from guests with ``not_host``) ------------

    async def change_settings(self, **settings: bool) -> None:
        """``room_settings`` with the named switches: ``lobby``, ``locked``, ``office_hours``,
        ``screen_share_allowed``, ``chat_allowed``, ``unmute_allowed``, ``e2ee``."""
        if not settings:
            raise ValueError("no settings")
        await self.send(RoomSettingsChange(**settings))

    async def set_password(self, password: str | None) -> None:
        await self.send(SetPassword(password))

    async def admit(self, participant: ParticipantId) -> None:
        await self.send(Admit(participant))

    async def deny(self, participant: ParticipantId, message: str | None = None) -> None:
        await self.send(Deny(participant, message))

    async def end_conversation(self, participant: ParticipantId) -> None:
        await self.send(EndConversation(participant))

    async def mute(self, participant: ParticipantId) -> None:
        await self.send(Mute(participant))

    async def mute_all(self) -> None:
        await self.send(MuteAll())

    async def allow_unmute(self, participant: ParticipantId) -> None:
        await self.send(AllowUnmute(participant))

    async def stop_video(self, participant: ParticipantId, source: VideoSource) -> None:
        await self.send(StopVideo(participant, source))

    async def remove(self, participant: ParticipantId) -> None:
        await self.send(Remove(participant))

    async def set_role(self, participant: ParticipantId, role: Role) -> None:
        await self.send(SetRole(participant, role))

    async def end_meeting(self) -> None:
        await self.send(EndMeeting())

    async def unmute(self) -> None:
        """Ask to be heard again after a host muted us (refused unless allowed)."""
        await self.send(Unmute())

    async def resume(self) -> Joined | Waiting:
        """Join again with the resume token on a new socket; the media connections stay."""
        if self.resume_token is None:
            raise RuntimeError("no resume token: join first")
        await self._close_socket()
        return await self.join(resume=self.resume_token)

    async def drop_socket(self) -> None:
        """Lose the signaling socket as a failing network would: no close frame, no leave."""
        if self._signaling is not None:
            self._signaling.abort()
        await self._close_socket()

    @property
    def signaling(self) -> SignalingClient:
        """The open signaling socket, for requests this class does not make itself."""
        if self._signaling is None:
            raise RuntimeError("not connected")
        return self._signaling

    async def send(self, message: ClientMessage) -> None:
        await self.signaling.send(message)

    async def chat(self, text: str) -> None:
        await self.send(Chat(text))

    async def raise_hand(self, raised: bool = True) -> None:
        await self.send(Hand(raised))

    async def set_media_state(self, *, audio: bool, video: bool) -> None:
        await self.send(MediaState(audio, video))

    async def ping(self) -> None:
        await self.signaling.ping()

    async def leave(self) -> None:
        """Say goodbye; the server closes the socket."""
        signaling, self._signaling = self._signaling, None
        if signaling is not None:
            await signaling.leave()

    async def wait_for(
        self,
        kind: type[_Message],
        predicate: Callable[[_Message], bool] = _any,
        *,
        since: int = 0,
        timeout: float = 15.0,
    ) -> _Message:
        """The first message of type ``kind`` from index ``since`` on that matches, waiting
        for it to arrive."""
        message = await self._first(lambda m: isinstance(m, kind) and predicate(m), since, timeout)
        assert isinstance(message, kind)
        return message

    async def _first(
        self, test: Callable[[ServerMessage], bool], since: int, timeout: float
    ) -> ServerMessage:
        async with asyncio.timeout(timeout):
            while True:
                arrived = self._arrived
                for message in self.messages[since:]:
                    if test(message):
                        return message
                since = len(self.messages)
                await arrived.wait()

    def _receive(self, message: ServerMessage) -> None:
        self._apply(message)
        self.messages.append(message)
        self._arrived.set()
        self._arrived = asyncio.Event()

    def _apply(self, message: ServerMessage) -> None:
        match message:
            case Joined():
                self._take_joined(message)
            case (
                ParticipantJoined(participant=participant)
                | ParticipantUpdated(participant=participant)
            ):
                self.participants[participant.id] = participant
            case ParticipantLeft(id=participant_id):
                self.participants.pop(participant_id, None)
            case StreamAdded(stream=stream):
                self.streams[stream.id] = stream
                if self.auto_subscribe and self.you and stream.participant != self.you.id:
                    self._schedule_subscribe()
            case StreamRemoved(id=stream_id):
                self.streams.pop(stream_id, None)
                self.publish_layers.pop(stream_id, None)
                if self.auto_subscribe and stream_id in self._wanted_mids:
                    self._schedule_subscribe()
            case LobbyChanged(waiting=waiting):
                self.lobby = list(waiting)
            case QueuePosition(position=position, length=length):
                self.queue_position = (position, length)
            case RoomUpdated(room=room):
                self.room_settings = room
            case PublishLayers(stream=stream_id, layers=layers):
                self.publish_layers[stream_id] = layers
            case MediaReset():
                self.publish_layers.clear()
                logger.debug("media reset: publishing and subscribing anew")
                asyncio.get_running_loop().create_task(self._renew_media())

    # -- publishing -----------------------------------------------------------------------

    async def publish_file(self, path: Path, *, audio: bool = True, video: bool = True) -> None:
        """Publish a pre-encoded VP8 + Opus file as camera and microphone, without decoding
        or encoding. The file should be longer than the call: it is played once."""
        self._player = MediaPlayer(str(path), decode=False)
        tracks = []
        if audio and self._player.audio is not None:
            tracks.append(_OutgoingTrack(self._player.audio, "audio", "microphone"))
        if video and self._player.video is not None:
            tracks.append(_OutgoingTrack(self._player.video, "video", "camera"))
        await self._publish(tracks)

    async def publish_generated(self, *, audio: bool = True, video: bool = True) -> None:
        """Publish aiortc's generated tracks (silence, a plain picture), encoded by aiortc."""
        tracks = []
        if audio:
            tracks.append(_OutgoingTrack(AudioStreamTrack(), "audio", "microphone"))
        if video:
            tracks.append(_OutgoingTrack(VideoStreamTrack(), "video", "camera"))
        await self._publish(tracks)

    async def _publish(self, tracks: Sequence[_OutgoingTrack]) -> None:
        if self._publisher is not None:
            raise RuntimeError("already publishing")
        self._outgoing = list(tracks)
        publisher = RTCPeerConnection(peer_configuration(self.ice_servers, self.force_relay))
        self._publisher = publisher
        transceivers = []
        for outgoing in tracks:
            transceiver = publisher.addTransceiver(outgoing.track, direction="sendonly")
            if outgoing.kind == "video":
                _pin_vp8(transceiver)
            transceivers.append(transceiver)
        await publisher.setLocalDescription(await publisher.createOffer())
        track_infos = [
            TrackInfo(str(t.mid), o.kind, o.source)
            for t, o in zip(transceivers, tracks, strict=True)
        ]
        answer = await self.signaling.publish(publisher.localDescription.sdp, track_infos)
        await publisher.setRemoteDescription(RTCSessionDescription(answer.sdp, "answer"))
        self.own_streams = {t.mid: t.stream for t in answer.tracks}
        # Like the browser: the others show our picture, not our initials, once we say so.
        kinds = {outgoing.kind for outgoing in tracks}
        await self.set_media_state(audio="audio" in kinds, video="video" in kinds)

    @property
    def publish_state(self) -> str:
        return "new" if self._publisher is None else str(self._publisher.connectionState)

    # -- subscribing ----------------------------------------------------------------------

    def _schedule_subscribe(self) -> None:
        if self._closed:
            return
        if self._subscribe_task is None or self._subscribe_task.done():
            self._subscribe_task = asyncio.get_running_loop().create_task(self._subscribe_loop())

    async def _subscribe_loop(self) -> None:
        # Streams that appear while one negotiation runs are taken by the next round.
        while not self._closed and set(self.others_streams()) != set(self._wanted_mids):
            try:
                await self.subscribe_all()
            except (SignalingError, TimeoutError, RuntimeError):
                logger.warning("subscribing failed", exc_info=True)
                return

    async def subscribe_all(self) -> None:
        """Receive every stream the other participants publish now (one offer)."""
        async with self._subscribe_lock:
            subscriber = self._subscriber
            if subscriber is None:
                subscriber = RTCPeerConnection(
                    peer_configuration(self.ice_servers, self.force_relay)
                )
                subscriber.on("track", self._on_track)
                self._subscriber = subscriber
            else:
                await self._settled(subscriber)
            wanted = self.others_streams()
            new_streams = [sid for sid in wanted if sid not in self._wanted_mids]
            pending = []
            for stream_id in new_streams:
                kind = wanted[stream_id].kind
                transceiver = subscriber.addTransceiver(kind, direction="recvonly")
                if self._captured is not None:
                    self._tap(transceiver.receiver, self._captured)
                pending.append((stream_id, transceiver))
            await subscriber.setLocalDescription(await subscriber.createOffer())
            wanted_mids = {sid: mid for sid, mid in self._wanted_mids.items() if sid in wanted}
            for stream_id, transceiver in pending:
                mid = str(transceiver.mid)  # set by setLocalDescription
                wanted_mids[stream_id] = mid
                self._subscribed[mid] = stream_id
            requests = [StreamRequest(mid, sid) for sid, mid in wanted_mids.items()]
            answer = await self.signaling.subscribe(subscriber.localDescription.sdp, requests)
            await subscriber.setRemoteDescription(RTCSessionDescription(answer.sdp, "answer"))
            self._wanted_mids = wanted_mids

    def capture_payloads(self) -> list[bytes]:
        """Keep the RTP payload of every packet received from now on, on streams subscribed
        from now on, before anything decodes it: exactly the bytes the SFU forwarded. The
        list fills as packets come."""
        if self._captured is None:
            self._captured = []
        return self._captured

    @staticmethod
    def _tap(receiver: Any, captured: list[bytes]) -> None:
        # aiortc has no public hook for received packets; this reads them on their way in.
        handle = receiver._handle_rtp_packet

        async def keep(packet: Any, arrival_time_ms: int) -> None:
            captured.append(bytes(packet.payload))
            await handle(packet, arrival_time_ms)

        receiver._handle_rtp_packet = keep

    async def _settled(self, pc: RTCPeerConnection) -> None:
        """aiortc starts the receivers of all transceivers once a connection is up; one added
        while it connects has no answer yet and breaks that start. Renegotiate only after."""
        async with asyncio.timeout(self.request_timeout):
            while pc.connectionState in ("new", "connecting"):
                await asyncio.sleep(0.05)

    def _on_track(self, track: Any) -> None:
        assert self._subscriber is not None
        count_frames(self._subscriber, track, self._frames, self._consumers)

    async def received(self) -> dict[StreamId, ReceivedCounts]:
        """Packets and decoded frames received so far on every stream ever subscribed."""
        if self._subscriber is None:
            return {}
        return await received_counts(self._subscriber, self._subscribed, self._frames)

    async def wait_receiving(
        self,
        streams: Mapping[StreamId, ReceivedCounts] | Sequence[StreamId],
        *,
        timeout: float = 30.0,
        interval: float = 0.25,
    ) -> dict[StreamId, ReceivedCounts]:
        """Wait until each of ``streams`` has more packets and frames than the given baseline
        (or than zero, for a plain list of ids); returns the counts then."""
        return await wait_receiving(self.received, streams, timeout=timeout, interval=interval)

    @property
    def subscribe_state(self) -> str:
        return "new" if self._subscriber is None else str(self._subscriber.connectionState)

    # -- faults and the end ---------------------------------------------------------------

    async def _renew_media(self) -> None:
        """After ``media_reset``: the SFU lost both transports; make them anew."""
        outgoing = self._outgoing
        await self._close_peer_connections()
        self._subscribed.clear()
        self._wanted_mids.clear()
        if outgoing:
            fresh = [
                _OutgoingTrack(
                    AudioStreamTrack() if o.kind == "audio" else VideoStreamTrack(),
                    o.kind,
                    o.source,
                )
                if self._player is None
                else o
                for o in outgoing
            ]
            await self._publish(fresh)
        if self.auto_subscribe:
            self._schedule_subscribe()

    async def _close_peer_connections(self) -> None:
        for task in list(self._consumers):
            task.cancel()
        for pc in (self._publisher, self._subscriber):
            if pc is not None:
                await pc.close()
        self._publisher = None
        self._subscriber = None

    async def _close_socket(self) -> None:
        signaling, self._signaling = self._signaling, None
        if signaling is not None:
            await signaling.close()

    async def close(self) -> None:
        """Close media and signaling without saying ``leave`` (the server times us out)."""
        self._closed = True
        if self._subscribe_task is not None:
            self._subscribe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._subscribe_task
        await self._close_peer_connections()
        for outgoing in self._outgoing:
            outgoing.track.stop()
        await self._close_socket()
