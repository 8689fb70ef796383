"""The published side of a room's media: who publishes (a peer and its transport), each stream
and its layers, and what a layer learns and asks of its sender (SSRC, loss and NACKs, keyframe
requests, sender reports, bitrate)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from klingel.ids import ParticipantId
from klingel.sfu import h264, vp8
from klingel.sfu.api import (
    MediaKind,
    TrackSource,
    TrackSpec,
)
from klingel.sfu.clock import Clock, Scheduler
from klingel.sfu.keyframes import KeyframeRequests
from klingel.sfu.nack import LossTracker, RetransmissionBuffer
from klingel.sfu.rtcp import (
    GenericNack,
    PictureLossIndication,
    ReceptionStats,
)
from klingel.sfu.sdp import (
    Codec,
)
from klingel.sfu.sdp_answer import (
    AcceptedMedia,
    Origin,
)
from klingel.sfu.simulcast import LAYER_IDLE_SECONDS
from klingel.sfu.transport import MediaTransport
from klingel.sfu.twcc import FeedbackGenerator, RembEstimator

if TYPE_CHECKING:
    from klingel.sfu.subscribed import StreamSubscription

DEFAULT_AUDIO_BITRATE = 50_000
DEFAULT_VIDEO_BITRATE = 800_000  # a single-layer stream not yet measured
DEFAULT_LAYER_BITRATES = (1_500_000, 500_000, 150_000, 60_000)  # from the largest layer down

KeyframeTest = Callable[[memoryview], bool]


def _never_keyframe(_payload: memoryview) -> bool:
    return False


def keyframe_test(codec: Codec) -> KeyframeTest:
    if codec.mime_name == "vp8":
        return vp8.is_keyframe
    if codec.mime_name == "h264":
        return h264.is_keyframe
    return _never_keyframe


def random_ssrc(taken: set[int]) -> int:
    while True:
        ssrc = secrets.randbits(32)
        if ssrc and ssrc not in taken:
            return ssrc


class PublishedStream:
    """One published track. Mutable state of the forwarding path."""

    __slots__ = (
        "bitrates",
        "clock_rate",
        "codec",
        "forwarding",
        "is_keyframe",
        "kind",
        "layers",
        "level_extension",
        "mid",
        "publisher",
        "reported_wanted",
        "rid_extension",
        "sinks",
        "source",
        "stream_id",
        "wanted_at",
    )

    def __init__(
        self, publisher: Publisher, spec: TrackSpec, media: AcceptedMedia, now: float
    ) -> None:
        self.publisher = publisher
        self.stream_id = spec.stream_id
        self.source: TrackSource = spec.source
        self.kind: MediaKind = media.kind
        self.mid = media.mid
        self.forwarding = True
        self.sinks: list[StreamSubscription] = []
        self.codec = media.codec
        self.clock_rate = media.codec.clock_rate
        self.level_extension = 0
        self.rid_extension = 0
        self.is_keyframe: KeyframeTest = _never_keyframe
        self.layers: tuple[PublishedLayer, ...] = ()
        self.reported_wanted: tuple[bool, ...] = ()  # as last told the publisher
        self.wanted_at: list[float] = []  # per layer: when someone last wanted it
        # what each layer costs, smallest first: measured every 300 ms, once for all subscribers
        self.bitrates: tuple[int, ...] = ()
        self.update(media, now)

    def update(self, media: AcceptedMedia, now: float) -> bool:
        """Take a (re)negotiated m-section; True if the layers were made anew (the simulcast
        layers changed), so every subscription must find its layer again."""
        self.mid = media.mid
        self.codec = media.codec
        self.clock_rate = media.codec.clock_rate
        self.level_extension = media.audio_level_extension
        self.rid_extension = media.rid_extension
        self.is_keyframe = keyframe_test(media.codec) if media.kind == "video" else _never_keyframe
        nack = media.kind == "video" and "nack" in media.codec.feedback
        rids = media.rids or ("",)
        if tuple(layer.rid for layer in self.layers) == rids:
            for layer in self.layers:
                layer.set_nack(nack)
            return False
        for layer in self.layers:
            layer.keyframes.cancel()
        self.layers = tuple(
            PublishedLayer(self, index, rid, nack) for index, rid in enumerate(rids)
        )
        self.reported_wanted = ()
        self.wanted_at = [now] * len(rids)  # all wanted until shown otherwise
        self.bitrates = self.layer_bitrates()
        return True

    def layer_of_rid(self, rid: str | None) -> PublishedLayer | None:
        for layer in self.layers:
            if layer.rid == rid:
                return layer
        return None

    def active_layers(self, now: float) -> list[bool]:
        return [
            layer.ssrc is not None and now - layer.last_arrival < LAYER_IDLE_SECONDS
            for layer in self.layers
        ]

    def layer_bitrates(self) -> tuple[int, ...]:
        """Measured bitrate of each layer, a default for a layer not measured yet."""
        count = len(self.layers)
        if self.kind == "audio":
            return (int(self.layers[0].bitrate) or DEFAULT_AUDIO_BITRATE,)
        if count == 1:
            return (int(self.layers[0].bitrate) or DEFAULT_VIDEO_BITRATE,)
        defaults = DEFAULT_LAYER_BITRATES
        return tuple(
            int(layer.bitrate) or defaults[min(count - 1 - layer.index, len(defaults) - 1)]
            for layer in self.layers
        )


class PublishedLayer:
    """One SSRC of a published track: the track itself, or one of its simulcast layers. Its
    own receive statistics, NACKs, retransmission buffer and keyframe requests."""

    __slots__ = (
        "bitrate",
        "buffer",
        "index",
        "keyframes",
        "last_arrival",
        "loss",
        "octets",
        "reception",
        "rid",
        "sender_report",
        "sinks",
        "ssrc",
        "stream",
    )

    def __init__(self, stream: PublishedStream, index: int, rid: str, nack: bool) -> None:
        self.stream = stream
        self.index = index
        self.rid = rid  # "" when the track is not simulcast
        self.ssrc: int | None = None
        self.sinks: list[
            StreamSubscription
        ] = []  # forwarded from this layer, or waiting to switch to it
        publisher = stream.publisher
        self.keyframes = KeyframeRequests(
            self._send_pli, self.waited_for, clock=publisher.clock, scheduler=publisher.scheduler
        )
        self.sender_report: tuple[int, int, float] | None = None  # NTP, RTP, arrival
        self.reception = ReceptionStats(stream.clock_rate)
        self.last_arrival = float("-inf")
        self.octets = 0  # received since the last measurement, with the packets' overhead
        self.bitrate = 0.0  # bits/s, smoothed; 0 until measured
        self.buffer: RetransmissionBuffer | None = None
        self.loss: LossTracker | None = None
        self.set_nack(nack)

    def set_nack(self, nack: bool) -> None:
        if nack and self.buffer is None:
            self.buffer = RetransmissionBuffer()
            self.loss = LossTracker()
        elif not nack:
            self.buffer = None
            self.loss = None

    def learn(self, ssrc: int) -> None:
        self.ssrc = ssrc
        self.reception = ReceptionStats(self.stream.clock_rate)
        self.sender_report = None

    def _send_pli(self) -> bool:
        stream = self.stream
        if self.ssrc is None or stream.kind != "video":
            return False
        publisher = stream.publisher
        publisher.transport.send_rtcp(bytes(PictureLossIndication(publisher.rtcp_ssrc, self.ssrc)))
        return True

    def waited_for(self) -> bool:
        """Some connected subscriber waits for a keyframe of this layer."""
        return self.stream.forwarding and any(
            sink.pending is self and sink.subscriber.connected for sink in self.sinks
        )


class Peer:
    """One of a participant's two transports."""

    __slots__ = (
        "connected",
        "origin_id",
        "participant",
        "remote_ufrag",
        "rtcp_ssrc",
        "transport",
        "version",
    )

    def __init__(self, participant: ParticipantId, transport: MediaTransport) -> None:
        self.participant = participant
        self.transport = transport
        self.connected = False
        self.rtcp_ssrc = secrets.randbits(32) or 1
        self.origin_id = secrets.randbits(62)
        self.version = 1
        self.remote_ufrag = ""

    def next_origin(self) -> Origin:
        self.version += 1
        return Origin(self.origin_id, self.version)


class Publisher(Peer):
    __slots__ = (
        "by_mid",
        "by_ssrc",
        "clock",
        "mid_extension",
        "remb",
        "scheduler",
        "twcc",
        "twcc_extension",
    )

    def __init__(
        self,
        participant: ParticipantId,
        transport: MediaTransport,
        clock: Clock,
        scheduler: Scheduler,
    ) -> None:
        super().__init__(participant, transport)
        self.clock = clock
        self.scheduler = scheduler
        self.by_mid: dict[str, PublishedStream] = {}
        self.by_ssrc: dict[int, PublishedLayer] = {}
        self.mid_extension = 0
        self.twcc_extension = 0
        self.twcc: FeedbackGenerator | None = None
        self.remb: RembEstimator | None = None


def due_nacks(publisher: Publisher, now: float) -> list[GenericNack]:
    nacks = []
    for ssrc, layer in publisher.by_ssrc.items():
        if layer.loss is not None:
            lost = layer.loss.due(now)
            if lost:
                nacks.append(GenericNack.for_sequences(publisher.rtcp_ssrc, ssrc, lost))
    return nacks
