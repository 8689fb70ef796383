"""The published side of a room's media: who publishes (a peer and its transport), each stream
and its layers, and what a layer learns and asks of its sender.

A publisher's packets are recorded for its congestion feedback (transport-wide or REMB), then
by the layer their SSRC names; an SSRC the offer did not list is learnt from the mid and RID
header extensions. Each layer keeps its receive statistics, its retransmission buffer, the
gaps to NACK (RFC 4585 section 6.2.1), its keyframe requests (``klingel.sfu.keyframes``), the
publisher's last sender report and its measured bitrate. Each simulcast stream knows which of
its layers anyone wants, which the publisher is told so that it can stop encoding the others.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from klingel.ids import ParticipantId
from klingel.sfu import h264, vp8
from klingel.sfu.api import (
    MediaKind,
    TrackSource,
    TrackSpec,
)
from klingel.sfu.bandwidth import PACKET_OVERHEAD
from klingel.sfu.clock import Clock, Scheduler
from klingel.sfu.keyframes import KeyframeRequests
from klingel.sfu.nack import LossTracker, RetransmissionBuffer
from klingel.sfu.rtcp import (
    GenericNack,
    PictureLossIndication,
    ReceptionStats,
    RtcpPacket,
    SenderReport,
)
from klingel.sfu.rtp import RtpHeader, find_extension
from klingel.sfu.sdp import (
    Codec,
)
from klingel.sfu.sdp_answer import (
    AcceptedMedia,
    Origin,
)
from klingel.sfu.simulcast import LAYER_IDLE_SECONDS, read_rid
from klingel.sfu.transport import MediaTransport
from klingel.sfu.twcc import FeedbackGenerator, RembEstimator

if TYPE_CHECKING:
    from klingel.sfu.programme import SlotLayer
    from klingel.sfu.subscribed import StreamSubscription

UNWANTED_AFTER = 3.0  # a simulcast layer nobody wants is reported unwanted after this long
_RATE_SMOOTHING = 0.3

DEFAULT_AUDIO_BITRATE = 50_000
DEFAULT_VIDEO_BITRATE = 800_000  # a single-layer stream not yet measured
DEFAULT_LAYER_BITRATES = (1_500_000, 500_000, 150_000, 60_000)  # from the largest layer down

KeyframeTest = Callable[[memoryview], bool]


KEPT_KEYFRAME_AGE = 0.4
"""Seconds a keyframe kept while a subscriber's path came up may be old and still start its
picture: the picture then starts no further behind its sound than a short network hiccup would
leave it, and the receiver catches up."""


class KeptKeyframe(NamedTuple):
    """Where a layer's keyframe starts in its retransmission buffer."""

    ssrc: int
    sequence: int
    arrival: float


LayersWanted = Callable[["PublishedStream", tuple[bool, ...]], None]
"""Tells a publisher which layers of one of its streams are wanted (``PublisherLayers``)."""


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
        "source",
        "stream_id",
        "subscriptions",
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
        self.subscriptions: list[StreamSubscription] = []
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
            layer.close()
        self.layers = tuple(
            PublishedLayer(self, index, rid, nack) for index, rid in enumerate(rids)
        )
        self.reported_wanted = ()
        self.wanted_at = [now] * len(rids)  # all wanted until shown otherwise
        self.bitrates = self.layer_bitrates()
        return True

    def close(self) -> None:
        """The stream is no longer published: nothing more to request, nobody to forward to."""
        for layer in self.layers:
            layer.close()
        for subscription in list(self.subscriptions):
            subscription.detach()

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

    def measure(self, elapsed: float, now: float) -> None:
        """Each layer's received bitrate over the last ``elapsed`` seconds, smoothed; a layer
        that stopped keeps its last value (it is what the layer will cost when it comes back).
        ``bitrates`` follow, for every allocation until the next measurement."""
        for layer in self.layers:
            octets = layer.octets
            layer.octets = 0
            if not octets or now - layer.last_arrival > elapsed:
                continue
            rate = octets * 8 / elapsed
            previous = layer.bitrate
            layer.bitrate = rate if not previous else previous + _RATE_SMOOTHING * (rate - previous)
        self.bitrates = self.layer_bitrates()

    def want(self, index: int, now: float) -> None:
        """Some subscription targets layer ``index``: tell the publisher at once if it was
        not wanted."""
        self.wanted_at[index] = now
        reported = self.reported_wanted
        if reported and not reported[index]:
            self.report_wanted(now)

    def report_wanted(self, now: float) -> None:
        """Tell the publisher which layers are wanted, when that changed: layer 0 always;
        another while a subscription forwards it, waits for it or is allocated it, and for
        ``UNWANTED_AFTER`` seconds after the last one stopped."""
        wanted_at = self.wanted_at
        for subscription in self.subscriptions:
            for layer in (subscription.current, subscription.pending):
                if layer is not None and layer.stream is self:
                    wanted_at[layer.index] = now
            target = subscription.target
            if target is not None and subscription.subscriber.connected:
                wanted_at[target] = now
        for layer in self.layers:
            for feed in layer.feeds:
                if feed.wanted:
                    wanted_at[layer.index] = now
        wanted = tuple(
            index == 0 or now - at < UNWANTED_AFTER for index, at in enumerate(wanted_at)
        )
        if wanted != self.reported_wanted:
            self.reported_wanted = wanted
            self.publisher.report_layers(self, wanted)


class PublishedLayer:
    """One SSRC of a published track: the track itself, or one of its simulcast layers. Its
    own receive statistics, NACKs, retransmission buffer and keyframe requests."""

    __slots__ = (
        "bitrate",
        "buffer",
        "feeds",
        "index",
        "kept_keyframe",
        "keyframes",
        "last_arrival",
        "loss",
        "octets",
        "reception",
        "rid",
        "sender_report",
        "ssrc",
        "stream",
        "subscriptions",
    )

    def __init__(self, stream: PublishedStream, index: int, rid: str, nack: bool) -> None:
        self.stream = stream
        self.index = index
        self.rid = rid  # "" when the track is not simulcast
        self.ssrc: int | None = None
        # forwarded this layer, or waiting to switch to it
        self.subscriptions: list[StreamSubscription] = []
        # programme slots fed from this layer, or waiting to switch to it
        self.feeds: list[SlotLayer] = []
        publisher = stream.publisher
        self.keyframes = KeyframeRequests(
            self._send_pli, self.waited_for, clock=publisher.clock, scheduler=publisher.scheduler
        )
        self.sender_report: tuple[int, int, float] | None = None  # NTP, RTP, arrival
        # the last keyframe that came while a subscriber's path was still coming up
        self.kept_keyframe: KeptKeyframe | None = None
        self.reception = ReceptionStats(stream.clock_rate)
        self.last_arrival = float("-inf")
        self.octets = 0  # received since the last measurement, with the packets' overhead
        self.bitrate = 0.0  # bits/s, smoothed; 0 until measured
        self.buffer: RetransmissionBuffer | None = None
        self.loss: LossTracker | None = None
        self.set_nack(nack)

    def close(self) -> None:
        """The layer is gone: no more keyframe requests, and the programme slots it fed
        carry nothing until they find another source."""
        self.keyframes.cancel()
        for feed in list(self.feeds):
            feed.source_gone(self)

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

    def record(self, packet: bytes, header: RtpHeader, arrival: float) -> bool:
        """Count and keep one of the layer's packets; True if it shows a new gap to NACK."""
        sequence = header.sequence
        self.reception.update(sequence, header.timestamp, arrival)
        self.last_arrival = arrival
        self.octets += len(packet) + PACKET_OVERHEAD
        buffer = self.buffer
        if buffer is None:
            return False
        buffer.store(packet, header, arrival)
        loss = self.loss
        return loss is not None and loss.received(sequence, arrival)

    def _send_pli(self) -> bool:
        stream = self.stream
        publisher = stream.publisher
        # before its path is up a request would be lost, and still count against the pacing
        if self.ssrc is None or stream.kind != "video" or not publisher.connected:
            return False
        publisher.transport.send_rtcp(bytes(PictureLossIndication(publisher.rtcp_ssrc, self.ssrc)))
        return True

    def waited_for(self) -> bool:
        """Some connected subscriber waits for a keyframe of this layer."""
        return self.stream.forwarding and (
            any(
                subscription.pending is self and subscription.subscriber.connected
                for subscription in self.subscriptions
            )
            or any(feed.awaiting is self for feed in self.feeds)
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
    """A participant's publish transport and the streams it carries."""

    __slots__ = (
        "by_mid",
        "by_ssrc",
        "clock",
        "mid_extension",
        "remb",
        "report_layers",
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
        report_layers: LayersWanted,
    ) -> None:
        super().__init__(participant, transport)
        self.clock = clock
        self.scheduler = scheduler
        self.report_layers = report_layers
        self.by_mid: dict[str, PublishedStream] = {}
        self.by_ssrc: dict[int, PublishedLayer] = {}
        self.mid_extension = 0
        self.twcc_extension = 0
        self.twcc: FeedbackGenerator | None = None
        self.remb: RembEstimator | None = None

    def carry(self, streams: list[tuple[AcceptedMedia, PublishedStream]]) -> None:
        """The streams the last answer accepted, each with its m-section."""
        self.by_mid.clear()
        self.by_ssrc.clear()
        self.mid_extension = 0
        self.twcc_extension = 0
        for media, stream in streams:
            if media.ssrc is not None and stream.layers[0].ssrc != media.ssrc:
                stream.layers[0].learn(media.ssrc)
            for layer in stream.layers:
                if layer.ssrc is not None:
                    self.by_ssrc[layer.ssrc] = layer
            self.by_mid[media.mid] = stream
            self.mid_extension = self.mid_extension or media.mid_extension
            self.twcc_extension = self.twcc_extension or media.transport_cc_extension
        if self.twcc_extension:
            self.twcc = self.twcc or FeedbackGenerator()
            self.remb = None
        else:
            self.twcc = None
            self.remb = self.remb or RembEstimator()

    def receive(self, packet: bytes, header: RtpHeader, arrival: float) -> PublishedLayer | None:
        """Record a packet for the congestion feedback; the layer it belongs to, None if none."""
        twcc = self.twcc
        if twcc is not None:
            element = find_extension(packet, header, self.twcc_extension)
            if element is not None and element.length >= 2:
                start = element.start
                twcc.record((packet[start] << 8) | packet[start + 1], arrival)
        elif self.remb is not None:
            self.remb.record(len(packet))
        layer = self.by_ssrc.get(header.ssrc)
        if layer is None:
            return self._learn_ssrc(packet, header)
        return layer

    def _learn_ssrc(self, packet: bytes, header: RtpHeader) -> PublishedLayer | None:
        """An SSRC the offer did not list: the mid header extension (RFC 8843 section 15)
        says which m-section it belongs to and, for simulcast, the RID extension (RFC 8852)
        which layer."""
        element = find_extension(packet, header, self.mid_extension)
        if element is None:
            return None
        try:
            mid = packet[element.start : element.start + element.length].decode("ascii")
        except UnicodeDecodeError:
            return None
        stream = self.by_mid.get(mid)
        if stream is None:
            return None
        if len(stream.layers) == 1:
            layer: PublishedLayer | None = stream.layers[0]
        else:
            layer = stream.layer_of_rid(read_rid(packet, header, stream.rid_extension))
        if layer is None or layer.ssrc is not None:
            return None
        layer.learn(header.ssrc)
        self.by_ssrc[header.ssrc] = layer
        if layer.waited_for():
            # the request made when the subscriber came could not name this SSRC yet
            layer.keyframes.request(self.clock.now())
        return layer

    def on_sender_report(self, report: SenderReport, now: float) -> None:
        layer = self.by_ssrc.get(report.ssrc)
        if layer is not None:
            layer.sender_report = (report.ntp_timestamp, report.rtp_timestamp, now)
            layer.reception.sender_report(report.ntp_timestamp, now)

    def feedback(self, now: float) -> list[RtcpPacket]:
        """What the publisher is told every tick: transport-wide feedback, NACKs due."""
        rtcp: list[RtcpPacket] = []
        if self.twcc is not None:
            media_ssrc = next(iter(self.by_ssrc), 0)
            rtcp.extend(self.twcc.build(self.rtcp_ssrc, media_ssrc))
        rtcp.extend(self.due_nacks(now))
        return rtcp

    def due_nacks(self, now: float) -> list[GenericNack]:
        nacks = []
        for ssrc, layer in self.by_ssrc.items():
            if layer.loss is not None:
                lost = layer.loss.due(now)
                if lost:
                    nacks.append(GenericNack.for_sequences(self.rtcp_ssrc, ssrc, lost))
        return nacks
