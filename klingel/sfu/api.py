"""The contract between the signaling process and the SFU workers.

The signaling side (``klingel.web`` / ``klingel.rooms``) sees the SFU only through
``MediaBackend``. ``klingel.sfu.pool.WorkerPool`` implements it by sending these requests to
worker processes; inside a worker, ``klingel.sfu.router.RoomRouter`` does the media work for one
room. Everything here crosses a process boundary, so it is plain, frozen and picklable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.tracks import MediaKind, TrackSource

__all__ = [
    "PROGRAMME_SLOTS",
    "ActiveSpeaker",
    "MediaBackend",
    "MediaError",
    "MediaEvent",
    "MediaKind",
    "NodeAddress",
    "ProgrammeLost",
    "ProgrammeRelayBackend",
    "ProgrammeSlot",
    "PublisherLayers",
    "SfuSettings",
    "Stage",
    "StageChanged",
    "Subscription",
    "TrackSource",
    "TrackSpec",
    "TransportDirection",
    "TransportState",
    "TransportStateChanged",
    "WorkerRestarted",
    "WorkerStats",
]

TransportDirection = Literal["publish", "subscribe"]
TransportState = Literal["new", "connecting", "connected", "failed", "closed"]


@dataclass(frozen=True, slots=True)
class ProgrammeSlot:
    """One stream of a room's programme (docs/public-viewing.md): what viewers subscribe to.
    The SFU feeds it from whoever is on stage; it never renegotiates when that changes."""

    stream_id: StreamId
    kind: MediaKind
    source: TrackSource


PROGRAMME_SLOTS: tuple[ProgrammeSlot, ...] = (
    ProgrammeSlot(StreamId("programme-camera"), "video", "camera"),
    ProgrammeSlot(StreamId("programme-screen"), "video", "screen"),
    ProgrammeSlot(StreamId("programme-audio-0"), "audio", "microphone"),
    ProgrammeSlot(StreamId("programme-audio-1"), "audio", "microphone"),
    ProgrammeSlot(StreamId("programme-audio-2"), "audio", "microphone"),
)


@dataclass(frozen=True, slots=True)
class Stage:
    """The rules the programme follows, as the room's hosts set them: whether it is live,
    who keeps out of it (never seen or heard there), and who is pinned on stage (None: the
    active speaker). Not live: the programme carries nothing."""

    live: bool = False
    hidden: frozenset[ParticipantId] = frozenset()
    pinned: ParticipantId | None = None


@dataclass(frozen=True, slots=True)
class TrackSpec:
    """One sending transceiver of a publish offer, as the signaling side assigned it."""

    mid: str
    kind: MediaKind
    source: TrackSource
    stream_id: StreamId


@dataclass(frozen=True, slots=True)
class Subscription:
    """One receiving transceiver of a subscribe offer: which stream should flow on ``mid``."""

    mid: str
    stream_id: StreamId


class MediaError(Exception):
    """A request the SFU refused. ``code`` is one of the protocol's stable error codes
    (``bad_sdp``, ``too_many_candidates``, ``unknown_stream``, ``media_unavailable``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[MediaError], tuple[str, str]]:
        return (MediaError, (self.code, self.message))


@dataclass(frozen=True, slots=True)
class TransportStateChanged:
    room: RoomId
    participant: ParticipantId
    direction: TransportDirection
    state: TransportState


@dataclass(frozen=True, slots=True)
class ActiveSpeaker:
    """The loudest participant of a room changed (from the RFC 6464 audio-level extension).
    ``participant`` is None when nobody has spoken for a while."""

    room: RoomId
    participant: ParticipantId | None


@dataclass(frozen=True, slots=True)
class WorkerRestarted:
    """A worker process died and was replaced; every transport of these rooms is gone and the
    participants must publish and subscribe again."""

    rooms: tuple[RoomId, ...]


@dataclass(frozen=True, slots=True)
class PublisherLayers:
    """Which simulcast layers of one published video stream are worth sending: ``wanted[i]``
    for layer ``i`` (0 the smallest, in the order of the offer's ``a=simulcast`` line). A layer
    nobody receives or waits for is not wanted; the publisher may stop encoding it and start
    again when it is wanted. Emitted when the set changes, never for a single-layer stream.
    The smallest layer is always wanted, so a newcomer can start at once."""

    room: RoomId
    participant: ParticipantId  # the publisher
    stream_id: StreamId
    wanted: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class StageChanged:
    """Whose camera and whose screen the programme now shows (None: nobody's)."""

    room: RoomId
    camera: ParticipantId | None
    screen: ParticipantId | None


@dataclass(frozen=True, slots=True)
class ProgrammeLost:
    """A worker holding viewers of these rooms died: their viewers must watch again."""

    rooms: tuple[RoomId, ...]


MediaEvent = (
    TransportStateChanged
    | ActiveSpeaker
    | WorkerRestarted
    | PublisherLayers
    | StageChanged
    | ProgrammeLost
)


@dataclass(frozen=True, slots=True)
class SfuSettings:
    """How the SFU runs. ``announce_ip`` is the address put into ICE candidates; ``bind_ip`` the
    one the UDP sockets bind to (the same unless behind 1:1 NAT). Worker ``i`` binds UDP port
    ``port_min + i``; the range must hold at least ``workers`` ports."""

    workers: int = 1
    announce_ip: str = "127.0.0.1"
    bind_ip: str = "127.0.0.1"
    port_min: int = 40000
    port_max: int = 40099


@dataclass(frozen=True, slots=True)
class WorkerStats:
    """Counters of one worker process since it started (for ``/metrics`` and the benchmarks)."""

    worker: int
    pid: int
    rooms: int
    transports: int
    rtp_received: int
    rtp_forwarded: int
    rtcp_received: int
    rtcp_sent: int
    retransmitted: int
    dropped: int  # undecryptable, malformed or unroutable packets
    cpu_seconds: float  # user + system CPU time of the worker process
    layer_switches: int = 0  # subscriptions moved from one layer of a stream to another
    held_below_request: int = 0  # now: video subscriptions bandwidth keeps below their request
    relayed_to_nodes: int = 0  # programme datagrams sent to other nodes' workers
    relayed_from_nodes: int = 0  # programme datagrams taken from other nodes' workers


class MediaBackend(Protocol):
    """What signaling may ask of the SFU. All SDP strings are validated by the SFU; a bad one
    raises ``MediaError`` and changes nothing."""

    async def publish(
        self,
        room: RoomId,
        participant: ParticipantId,
        offer_sdp: str,
        tracks: Sequence[TrackSpec],
    ) -> str:
        """Apply a publish offer (first one, renegotiation or ICE restart); return the answer.
        Tracks missing from ``tracks`` compared to the previous call stop being forwarded."""
        ...

    async def subscribe(
        self,
        room: RoomId,
        participant: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        """Apply a subscribe offer of recvonly transceivers; return the answer. The SFU asks the
        publisher of every newly subscribed video stream for a keyframe."""
        ...

    async def watch(
        self,
        room: RoomId,
        viewer: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        """A viewer's subscribe offer for programme slots (``PROGRAMME_SLOTS``); the answer.
        Viewers are spread over the SFU's workers, whichever holds the room; ``viewer`` is
        their own id (never a participant's), and ``remove_participant`` ends them."""
        ...

    async def set_forwarding(self, room: RoomId, stream_id: StreamId, enabled: bool) -> None:
        """Stop or resume forwarding one stream to everyone (host mute)."""
        ...

    async def set_layer(
        self, room: RoomId, participant: ParticipantId, stream_id: StreamId, layer: int | None
    ) -> None:
        """Which simulcast layer of one video stream ``participant`` asks for: 0 the smallest,
        higher numbers larger ones, None paused (no video at all; audio streams are never
        paused, and a request for one changes nothing). The request is a ceiling: the layer
        forwarded is the lower of the request and what the subscriber's downlink carries.

        A publisher that sends one layer has only layer 0. If the layer to forward is not
        published (the publisher never offered it, or its encoder dropped it for lack of
        bandwidth or because nobody wanted it), the nearest lower one is used, else the lowest
        there is; the choice follows the layers as they come and go. Without a request, a
        subscription asks for the highest layer. It starts on the smallest layer (its first
        keyframe is small and quick) and steps up to its request as soon as the SFU's estimate
        of the subscriber's downlink allows, about a second later on a good link; it steps
        down at once when the link gets short, and pauses the least important video when
        even the smallest layers do not fit (audio is never cut). The switch happens at the
        next keyframe of the new layer, which the SFU asks the publisher for; until then the
        old layer keeps flowing, and the subscriber sees continuous sequence numbers and
        timestamps. Resuming from pause also waits for a keyframe. A request may come before
        the subscription: it applies once it exists.

        Raises ``MediaError("unknown_stream")`` if the room has no such stream; ``ValueError``
        for a negative layer."""
        ...

    async def set_stage(self, room: RoomId, stage: Stage) -> None:
        """The rules of the room's programme (``PROGRAMME_SLOTS``). Viewers subscribe to the
        slots like to any stream, with their own id for ``participant``; the SFU fills the
        camera and screen slots from the pinned participant or else the active speaker (a
        screen from whoever shares one), and the audio slots from the three most recent
        speakers, never from anyone ``hidden``; a video slot changes source at a keyframe of
        the new one. ``StageChanged`` says whose camera and screen it shows."""
        ...

    async def remove_participant(self, room: RoomId, participant: ParticipantId) -> None:
        """Close both transports of a participant (or a viewer's one) and drop its streams."""
        ...

    async def close_room(self, room: RoomId) -> None: ...

    async def stats(self) -> Sequence[WorkerStats]: ...

    def on_event(self, handler: Callable[[MediaEvent], Awaitable[None]]) -> None:
        """Register the one handler for media events."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


NodeAddress = tuple[str, int]
"""A worker's media port as other nodes reach it."""


@runtime_checkable
class ProgrammeRelayBackend(MediaBackend, Protocol):
    """A ``MediaBackend`` whose programmes also go between nodes (``klingel.sfu.node_relay``):
    what the signaling side of a node that holds a broadcast, or serves viewers of another
    node's broadcast, asks of it."""

    def enable_node_relay(self, key: bytes, host: str) -> None:
        """Before ``start``: relay with ``key`` (the town's nodes share it); other nodes reach
        this node's workers at ``host``."""
        ...

    async def programme_source(self, room: RoomId) -> NodeAddress:
        """Where ``room``'s worker takes another node's keyframe requests."""
        ...

    async def relay_to_node(self, room: RoomId, relay: int, address: NodeAddress) -> None:
        """``room``'s programme goes to another node's worker at ``address`` as ``relay``."""
        ...

    async def end_node_relay(self, room: RoomId, relay: int) -> None: ...

    async def receive_from_node(self, room: RoomId, relay: int, source: NodeAddress) -> NodeAddress:
        """``room`` (a key of this node's own) holds a programme received as ``relay`` from
        another node's worker at ``source``; its viewers ``watch`` it. Returns where the
        programme is received."""
        ...

    def holds(self, room: RoomId) -> bool:
        """``room`` is on a live worker (not lost with one)."""
        ...
