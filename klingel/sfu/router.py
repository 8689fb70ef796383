"""The media of one room inside a worker: who publishes what, who receives what, and the
forwarding of every RTP packet between them (RFC 7667 section 3.7, a selective forwarding
middlebox).

Publishers' packets arrive through ``on_rtp`` of their transport; each is parsed once, recorded
for congestion feedback, NACK and receiver reports, and then rewritten for every subscriber of
its stream (SSRC, sequence number, timestamp, payload type, header extensions) and sent. That
path runs synchronously in the datagram callback and allocates only the outgoing packets.

A published track has one *layer* per SSRC: one, or one per simulcast encoding
(``klingel.sfu.simulcast``). Each subscription forwards one layer at a time; it moves to
another (or starts, or resumes) only at a keyframe of that layer, and keeps forwarding the old
one until then. The rewriter keeps the subscriber's numbering continuous across such moves.
Everything periodic (feedback, reports, speaker detection) runs on one timer, which stops in
an empty room; a new gap is NACKed on a short one-off timer, and keyframe requests have their
own pacing (``klingel.sfu.keyframes``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import struct
import time
from collections.abc import Callable, Sequence
from typing import Literal

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu import h264, vp8
from klingel.sfu.api import (
    ActiveSpeaker,
    MediaError,
    MediaEvent,
    MediaKind,
    Subscription,
    TrackSource,
    TrackSpec,
    TransportState,
    TransportStateChanged,
)
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.keyframes import KeyframeRequests
from klingel.sfu.nack import LossTracker, RetransmissionBuffer
from klingel.sfu.rewriter import StreamRewriter
from klingel.sfu.rtcp import (
    FullIntraRequest,
    GenericNack,
    PictureLossIndication,
    ReceiverReport,
    ReceptionStats,
    Remb,
    RtcpError,
    RtcpPacket,
    SenderReport,
    parse_rtcp,
    serialize_compound,
)
from klingel.sfu.rtp import ONE_BYTE_PROFILE, RtpError, RtpHeader, find_extension, parse_rtp
from klingel.sfu.sdp import (
    AcceptedMedia,
    Codec,
    Origin,
    SessionDescription,
    SubscriptionPlan,
    build_publish_answer,
    build_subscribe_answer,
    parse_offer,
)
from klingel.sfu.simulcast import HIGHEST_LAYER, LAYER_IDLE_SECONDS, read_rid, select_layer
from klingel.sfu.speaker import SpeakerDetector
from klingel.sfu.transport import MediaTransport, TransportFactory
from klingel.sfu.twcc import FeedbackGenerator, RembEstimator

__all__ = ["RoomRouter"]

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.1  # transport-cc feedback (libwebrtc's default interval), NACK retries
REPORT_TICKS = 10  # receiver and sender reports, REMB: every second
SPEAKER_TICKS = 3  # dominant speaker and simulcast layers coming and going: every 300 ms
NACK_DELAY = 0.02  # a new gap is NACKed this soon, not at the next tick: a short wait for
# packets that were only reordered

_FIXED = struct.Struct("!BBHII")
_PADDING_ONLY = b"\x01"  # one padding byte that counts itself (RFC 3550 section 5.1)
_NTP_UNITS = 4_294_967_296

KeyframeTest = Callable[[memoryview], bool]


def _never_keyframe(_payload: memoryview) -> bool:
    return False


def _keyframe_test(codec: Codec) -> KeyframeTest:
    if codec.mime_name == "vp8":
        return vp8.is_keyframe
    if codec.mime_name == "h264":
        return h264.is_keyframe
    return _never_keyframe


def _random_ssrc(taken: set[int]) -> int:
    while True:
        ssrc = secrets.randbits(32)
        if ssrc and ssrc not in taken:
            return ssrc


class _Stream:
    """One published track. Mutable state of the forwarding path."""

    __slots__ = (
        "clock_rate",
        "codec",
        "forwarding",
        "is_keyframe",
        "kind",
        "layers",
        "level_extension",
        "mid",
        "publisher",
        "rid_extension",
        "sinks",
        "source",
        "stream_id",
    )

    def __init__(self, publisher: _Publisher, spec: TrackSpec, media: AcceptedMedia) -> None:
        self.publisher = publisher
        self.stream_id = spec.stream_id
        self.source: TrackSource = spec.source
        self.kind: MediaKind = media.kind
        self.mid = media.mid
        self.forwarding = True
        self.sinks: list[_Sink] = []
        self.codec = media.codec
        self.clock_rate = media.codec.clock_rate
        self.level_extension = 0
        self.rid_extension = 0
        self.is_keyframe: KeyframeTest = _never_keyframe
        self.layers: tuple[_Layer, ...] = ()
        self.update(media)

    def update(self, media: AcceptedMedia) -> bool:
        """Take a (re)negotiated m-section; True if the layers were made anew (the simulcast
        layers changed), so every subscription must find its layer again."""
        self.mid = media.mid
        self.codec = media.codec
        self.clock_rate = media.codec.clock_rate
        self.level_extension = media.audio_level_extension
        self.rid_extension = media.rid_extension
        self.is_keyframe = _keyframe_test(media.codec) if media.kind == "video" else _never_keyframe
        nack = media.kind == "video" and "nack" in media.codec.feedback
        rids = media.rids or ("",)
        if tuple(layer.rid for layer in self.layers) == rids:
            for layer in self.layers:
                layer.set_nack(nack)
            return False
        for layer in self.layers:
            layer.keyframes.cancel()
        self.layers = tuple(_Layer(self, index, rid, nack) for index, rid in enumerate(rids))
        return True

    def layer_of_rid(self, rid: str | None) -> _Layer | None:
        for layer in self.layers:
            if layer.rid == rid:
                return layer
        return None

    def active_layers(self, now: float) -> list[bool]:
        return [
            layer.ssrc is not None and now - layer.last_arrival < LAYER_IDLE_SECONDS
            for layer in self.layers
        ]


class _Layer:
    """One SSRC of a published track: the track itself, or one of its simulcast layers. Its
    own receive statistics, NACKs, retransmission buffer and keyframe requests."""

    __slots__ = (
        "buffer",
        "index",
        "keyframes",
        "last_arrival",
        "loss",
        "reception",
        "rid",
        "sender_report",
        "sinks",
        "ssrc",
        "stream",
    )

    def __init__(self, stream: _Stream, index: int, rid: str, nack: bool) -> None:
        self.stream = stream
        self.index = index
        self.rid = rid  # "" when the track is not simulcast
        self.ssrc: int | None = None
        self.sinks: list[_Sink] = []  # forwarded from this layer, or waiting to switch to it
        self.keyframes = KeyframeRequests(self._send_pli, self.waited_for)
        self.sender_report: tuple[int, int, float] | None = None  # NTP, RTP, arrival
        self.reception = ReceptionStats(stream.clock_rate)
        self.last_arrival = float("-inf")
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


class _Sink:
    """One subscribed stream on one subscriber's transport. ``current`` is the layer it
    forwards (None: nothing, until a keyframe), ``pending`` the layer it waits to switch to."""

    __slots__ = (
        "current",
        "level_extension",
        "mid",
        "octets",
        "packets",
        "payload_type",
        "pending",
        "requested",
        "rewriter",
        "ssrc",
        "stream",
        "subscriber",
    )

    def __init__(
        self,
        subscriber: _Subscriber,
        mid: str,
        stream: _Stream,
        ssrc: int,
        requested: int | None,
    ) -> None:
        self.subscriber = subscriber
        self.mid = mid
        self.stream = stream
        self.ssrc = ssrc
        self.requested = requested
        self.current: _Layer | None = None
        self.pending: _Layer | None = None
        self.payload_type = stream.codec.payload_type
        self.level_extension = 0
        self.rewriter = StreamRewriter(
            ssrc,
            stream.clock_rate,
            initial_sequence=secrets.randbits(16),
            initial_timestamp=secrets.randbits(32),
        )
        self.packets = 0
        self.octets = 0


class _Peer:
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


class _Publisher(_Peer):
    __slots__ = ("by_mid", "by_ssrc", "mid_extension", "remb", "twcc", "twcc_extension")

    def __init__(self, participant: ParticipantId, transport: MediaTransport) -> None:
        super().__init__(participant, transport)
        self.by_mid: dict[str, _Stream] = {}
        self.by_ssrc: dict[int, _Layer] = {}
        self.mid_extension = 0
        self.twcc_extension = 0
        self.twcc: FeedbackGenerator | None = None
        self.remb: RembEstimator | None = None


class _Subscriber(_Peer):
    __slots__ = ("by_mid", "by_ssrc")

    def __init__(self, participant: ParticipantId, transport: MediaTransport) -> None:
        super().__init__(participant, transport)
        self.by_mid: dict[str, _Sink] = {}
        self.by_ssrc: dict[int, _Sink] = {}


class RoomRouter:
    """Publish/subscribe bookkeeping and RTP/RTCP forwarding for one room (see module doc)."""

    def __init__(
        self,
        room: RoomId,
        transports: TransportFactory,
        emit: Callable[[MediaEvent], None],
        counters: WorkerCounters,
    ) -> None:
        self._room = room
        self._transports = transports
        self._emit = emit
        self._counters = counters
        self._publishers: dict[ParticipantId, _Publisher] = {}
        self._subscribers: dict[ParticipantId, _Subscriber] = {}
        self._streams: dict[StreamId, _Stream] = {}
        # set_layer requests, kept for subscriptions made later
        self._layer_requests: dict[tuple[ParticipantId, StreamId], int | None] = {}
        self._speakers: SpeakerDetector[ParticipantId] = SpeakerDetector()
        self._timer: asyncio.TimerHandle | None = None
        self._nack_timer: asyncio.TimerHandle | None = None
        self._ticks = 0
        self._closed = False

    @property
    def transport_count(self) -> int:
        return len(self._publishers) + len(self._subscribers)

    # --- requests -----------------------------------------------------------------------

    def publish(
        self, participant: ParticipantId, offer_sdp: str, tracks: Sequence[TrackSpec]
    ) -> str:
        offer = parse_offer(offer_sdp)
        specs = {track.mid: track for track in tracks}
        if len(specs) != len(tracks) or len({t.stream_id for t in tracks}) != len(tracks):
            raise MediaError("bad_sdp", "a mid or stream is named twice")
        for track in tracks:
            owner = self._streams.get(track.stream_id)
            if owner is not None and owner.publisher.participant != participant:
                raise MediaError("bad_sdp", "stream id belongs to someone else")
        publisher = self._publishers.get(participant)
        fresh = publisher is None or publisher.transport.state == "closed"
        if fresh:
            publisher = _Publisher(participant, self._transports.create_transport())
        assert publisher is not None
        kinds: dict[str, MediaKind] = {mid: spec.kind for mid, spec in specs.items()}
        try:
            self._prepare_transport(publisher, offer)
            answer = build_publish_answer(
                offer, publisher.transport.local_parameters, publisher.next_origin(), kinds
            )
        except MediaError:
            if fresh:
                publisher.transport.close()
            raise
        if fresh:
            old = self._publishers.get(participant)
            if old is not None:
                self._drop_publisher(old)
            self._attach_publisher(publisher)
        self._apply_publish(publisher, answer.media, specs)
        self._ensure_timer()
        return answer.sdp

    def subscribe(
        self,
        participant: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        offer = parse_offer(offer_sdp)
        wanted: dict[str, _Stream] = {}
        for subscription in subscriptions:
            stream = self._streams.get(subscription.stream_id)
            if stream is None:
                raise MediaError("unknown_stream", "no such stream in this room")
            if subscription.mid in wanted:
                raise MediaError("bad_sdp", "a mid is named twice")
            wanted[subscription.mid] = stream
        subscriber = self._subscribers.get(participant)
        fresh = subscriber is None or subscriber.transport.state == "closed"
        if fresh:
            subscriber = _Subscriber(participant, self._transports.create_transport())
        assert subscriber is not None
        taken = {sink.ssrc for sink in subscriber.by_mid.values()}
        plans: dict[str, SubscriptionPlan] = {}
        for mid, stream in wanted.items():
            current = subscriber.by_mid.get(mid)
            if current is not None and current.stream is stream:
                ssrc = current.ssrc
            else:
                ssrc = _random_ssrc(taken)
                taken.add(ssrc)
            plans[mid] = SubscriptionPlan(
                stream.kind, stream.codec, ssrc, stream.publisher.participant, stream.stream_id
            )
        try:
            self._prepare_transport(subscriber, offer)
            answer = build_subscribe_answer(
                offer, subscriber.transport.local_parameters, subscriber.next_origin(), plans
            )
        except MediaError:
            if fresh:
                subscriber.transport.close()
            raise
        if fresh:
            old = self._subscribers.get(participant)
            if old is not None:
                self._drop_subscriber(old)
            self._attach_subscriber(subscriber)
        sending = {media.mid: media for media in answer.media}
        for mid, stale in list(subscriber.by_mid.items()):
            if mid not in sending or wanted.get(mid) is not stale.stream:
                self._detach_sink(stale)
        for mid, media in sending.items():
            existing = subscriber.by_mid.get(mid)
            if existing is not None:
                sink = existing
            else:
                stream = wanted[mid]
                requested = self._layer_requests.get((participant, stream.stream_id), HIGHEST_LAYER)
                sink = _Sink(subscriber, mid, stream, plans[mid].ssrc, requested)
                subscriber.by_mid[mid] = sink
                subscriber.by_ssrc[sink.ssrc] = sink
                stream.sinks.append(sink)
                # A subscriber that is not connected yet would lose a keyframe: it is asked
                # for when the connection comes up.
                self._aim(sink, time.monotonic())
            sink.payload_type = media.payload_type
            sink.level_extension = media.audio_level_extension
        self._ensure_timer()
        return answer.sdp

    def set_forwarding(self, stream_id: StreamId, enabled: bool) -> None:
        stream = self._streams.get(stream_id)
        if stream is None or stream.forwarding == enabled:
            return
        stream.forwarding = enabled
        if enabled:
            now = time.monotonic()
            for sink in stream.sinks:
                self._start_afresh(sink, now)

    def set_layer(self, participant: ParticipantId, stream_id: StreamId, layer: int | None) -> None:
        """Which layer of a video stream ``participant`` receives (see
        ``MediaBackend.set_layer``); remembered for a subscription made later."""
        stream = self._streams.get(stream_id)
        if stream is None:
            raise MediaError("unknown_stream", "no such stream in this room")
        if layer is not None and layer < 0:
            raise ValueError("a layer is None or at least 0")
        if stream.kind != "video":
            return  # audio is never paused and has one layer
        self._layer_requests[(participant, stream_id)] = layer
        subscriber = self._subscribers.get(participant)
        if subscriber is None:
            return
        now = time.monotonic()
        for sink in subscriber.by_mid.values():
            if sink.stream is stream and sink.requested != layer:
                resuming = sink.requested is None
                sink.requested = layer
                if resuming:
                    self._start_afresh(sink, now)
                else:
                    self._aim(sink, now)

    def remove_participant(self, participant: ParticipantId) -> None:
        publisher = self._publishers.get(participant)
        if publisher is not None:
            self._drop_publisher(publisher)
        subscriber = self._subscribers.get(participant)
        if subscriber is not None:
            self._drop_subscriber(subscriber)
        self._speakers.remove(participant)
        for key in [key for key in self._layer_requests if key[0] == participant]:
            del self._layer_requests[key]

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._nack_timer is not None:
            self._nack_timer.cancel()
            self._nack_timer = None
        for publisher in list(self._publishers.values()):
            self._drop_publisher(publisher)
        for subscriber in list(self._subscribers.values()):
            self._drop_subscriber(subscriber)

    # --- transports and bookkeeping -----------------------------------------------------

    def _prepare_transport(self, peer: _Peer, offer: SessionDescription) -> None:
        """Hand the offer's ICE credentials and fingerprint to the transport; new credentials
        on a transport that had some are an ICE restart."""
        remote = offer.remote
        peer.transport.set_remote(remote)
        if peer.remote_ufrag and peer.remote_ufrag != remote.ice_ufrag:
            peer.transport.restart_ice()
        peer.remote_ufrag = remote.ice_ufrag

    def _attach_publisher(self, publisher: _Publisher) -> None:
        self._publishers[publisher.participant] = publisher
        transport = publisher.transport
        # partial, not a lambda: no extra Python frame for every packet
        transport.on_rtp = functools.partial(self._on_publisher_rtp, publisher)
        transport.on_rtcp = lambda packet: self._on_publisher_rtcp(publisher, packet)
        transport.on_state = lambda state: self._on_state(publisher, "publish", state)

    def _attach_subscriber(self, subscriber: _Subscriber) -> None:
        self._subscribers[subscriber.participant] = subscriber
        transport = subscriber.transport
        transport.on_rtp = self._on_unexpected_rtp
        transport.on_rtcp = lambda packet: self._on_subscriber_rtcp(subscriber, packet)
        transport.on_state = lambda state: self._on_state(subscriber, "subscribe", state)

    def _apply_publish(
        self,
        publisher: _Publisher,
        accepted: tuple[AcceptedMedia, ...],
        specs: dict[str, TrackSpec],
    ) -> None:
        keep: set[StreamId] = set()
        publisher.by_mid.clear()
        publisher.by_ssrc.clear()
        publisher.mid_extension = 0
        publisher.twcc_extension = 0
        for media in accepted:
            spec = specs[media.mid]
            keep.add(spec.stream_id)
            stream = self._streams.get(spec.stream_id)
            if stream is None:
                stream = _Stream(publisher, spec, media)
                self._streams[spec.stream_id] = stream
            elif stream.update(media):
                now = time.monotonic()
                for sink in stream.sinks:
                    sink.current = sink.pending = None
                    self._start_afresh(sink, now)
            if media.ssrc is not None and stream.layers[0].ssrc != media.ssrc:
                stream.layers[0].learn(media.ssrc)
            for layer in stream.layers:
                if layer.ssrc is not None:
                    publisher.by_ssrc[layer.ssrc] = layer
            publisher.by_mid[media.mid] = stream
            publisher.mid_extension = publisher.mid_extension or media.mid_extension
            publisher.twcc_extension = publisher.twcc_extension or media.transport_cc_extension
        for stream_id, stream in list(self._streams.items()):
            if stream.publisher is publisher and stream_id not in keep:
                self._drop_stream(stream)
        if publisher.twcc_extension:
            publisher.twcc = publisher.twcc or FeedbackGenerator()
            publisher.remb = None
        else:
            publisher.twcc = None
            publisher.remb = publisher.remb or RembEstimator()

    def _drop_stream(self, stream: _Stream) -> None:
        self._streams.pop(stream.stream_id, None)
        for layer in stream.layers:
            layer.keyframes.cancel()
        for sink in list(stream.sinks):
            self._detach_sink(sink)
        for key in [key for key in self._layer_requests if key[1] == stream.stream_id]:
            del self._layer_requests[key]

    def _detach_sink(self, sink: _Sink) -> None:
        subscriber = sink.subscriber
        if subscriber.by_mid.get(sink.mid) is sink:
            del subscriber.by_mid[sink.mid]
        if subscriber.by_ssrc.get(sink.ssrc) is sink:
            del subscriber.by_ssrc[sink.ssrc]
        if sink in sink.stream.sinks:
            sink.stream.sinks.remove(sink)
        _unhook(sink)

    # --- layers of a subscription ---------------------------------------------------------

    def _aim(self, sink: _Sink, now: float, active: list[bool] | None = None) -> None:
        """Point ``sink`` at the layer its request calls for: audio forwards its one layer at
        once; video waits for a keyframe of the new layer (asked for, paced) and forwards the
        old one meanwhile. ``active`` is ``stream.active_layers(now)`` if already known."""
        stream = sink.stream
        if stream.kind != "video":
            if sink.current is None:
                sink.current = stream.layers[0]
                sink.current.sinks.append(sink)
            return
        if active is None:
            active = stream.active_layers(now)
        index = select_layer(sink.requested, active)
        if index is None:
            _unhook(sink)
            return
        target = stream.layers[index]
        if target is sink.current or target is sink.pending:
            if target is sink.current and sink.pending is not None:
                sink.pending.sinks.remove(sink)
                sink.pending = None
            return
        if sink.pending is not None:
            sink.pending.sinks.remove(sink)
        sink.pending = target
        target.sinks.append(sink)
        if sink.subscriber.connected and stream.forwarding:
            target.keyframes.until_keyframe(now)

    def _start_afresh(self, sink: _Sink, now: float) -> None:
        """Whatever was forwarded before is gone (the path just came up, or forwarding
        resumes): video starts again at a keyframe, and the numbering goes on without a gap."""
        sink.rewriter.restart()
        if sink.stream.kind == "video":
            _unhook(sink)
        self._aim(sink, now)

    def _follow_layers(self, now: float) -> None:
        """Simulcast layers come and go with the publisher's bandwidth: move subscriptions to
        the layer that now fits their request best."""
        for stream in self._streams.values():
            if len(stream.layers) > 1 and stream.sinks:
                active = stream.active_layers(now)
                for sink in stream.sinks:
                    if sink.requested is not None:
                        self._aim(sink, now, active)

    def _drop_publisher(self, publisher: _Publisher) -> None:
        if self._publishers.get(publisher.participant) is publisher:
            del self._publishers[publisher.participant]
        for stream in list(self._streams.values()):
            if stream.publisher is publisher:
                self._drop_stream(stream)
        publisher.transport.close()

    def _drop_subscriber(self, subscriber: _Subscriber) -> None:
        if self._subscribers.get(subscriber.participant) is subscriber:
            del self._subscribers[subscriber.participant]
        for sink in list(subscriber.by_mid.values()):
            self._detach_sink(sink)
        subscriber.transport.close()

    def _on_state(
        self, peer: _Peer, direction: Literal["publish", "subscribe"], state: TransportState
    ) -> None:
        was_connected = peer.connected
        peer.connected = state == "connected"
        if isinstance(peer, _Subscriber) and peer.connected and not was_connected:
            # whatever was sent before the path was up is lost: start each stream afresh
            now = time.monotonic()
            for sink in peer.by_mid.values():
                self._start_afresh(sink, now)
        self._emit(TransportStateChanged(self._room, peer.participant, direction, state))

    # --- media path ---------------------------------------------------------------------

    def _on_unexpected_rtp(self, _packet: bytes, _arrival: float) -> None:
        self._counters.dropped += 1  # a subscribe connection only receives

    def _on_publisher_rtp(self, publisher: _Publisher, packet: bytes, arrival: float) -> None:
        try:
            header = parse_rtp(packet)
        except RtpError:
            self._counters.dropped += 1
            return
        twcc = publisher.twcc
        if twcc is not None:
            element = find_extension(packet, header, publisher.twcc_extension)
            if element is not None and element.length >= 2:
                start = element.start
                twcc.record((packet[start] << 8) | packet[start + 1], arrival)
        elif publisher.remb is not None:
            publisher.remb.record(len(packet))
        layer = publisher.by_ssrc.get(header.ssrc)
        if layer is None:
            layer = self._learn_ssrc(publisher, packet, header)
            if layer is None:
                self._counters.dropped += 1
                return
        sequence = header.sequence
        layer.reception.update(sequence, header.timestamp, arrival)
        layer.last_arrival = arrival
        buffer = layer.buffer
        if buffer is not None:
            buffer.store(packet, header, arrival)
            loss = layer.loss
            if loss is not None and loss.received(sequence, arrival) and self._nack_timer is None:
                self._nack_timer = asyncio.get_running_loop().call_later(
                    NACK_DELAY, self._send_due_nacks
                )
        stream = layer.stream
        if not stream.forwarding:
            return
        level_id = stream.level_extension
        level_byte = -1
        if level_id:
            element = find_extension(packet, header, level_id)
            if element is not None:
                level_byte = packet[element.start]
                if stream.source == "microphone":
                    self._speakers.add_level(publisher.participant, level_byte)
        if layer.sinks:
            self._forward(layer, packet, header, arrival, level_byte)

    def _forward(
        self, layer: _Layer, packet: bytes, header: RtpHeader, arrival: float, level_byte: int
    ) -> None:
        stream = layer.stream
        payload_offset = header.payload_offset
        if payload_offset == header.payload_end:
            body = _PADDING_ONLY  # a probe: keep the numbering, not the bytes
            first_plain = 0xA0
        else:
            body = packet[payload_offset:]
            first_plain = 0x80 | (header.first_byte & 0x20)
        keyframe: bool | None = None
        marker = 0x80 if header.marker else 0
        source, sequence, timestamp = header.ssrc, header.sequence, header.timestamp
        tails: dict[int, tuple[int, bytes]] = {}
        pack = _FIXED.pack
        forwarded = 0
        for sink in layer.sinks:
            if not sink.subscriber.connected:
                continue
            if sink.current is not layer:  # it waits for a keyframe of this layer
                if keyframe is None:
                    keyframe = stream.is_keyframe(
                        memoryview(packet)[payload_offset : header.payload_end]
                    )
                if not keyframe:
                    if not layer.keyframes.retrying:
                        layer.keyframes.until_keyframe(arrival)
                    continue
                _switch(sink, layer)
            mapped = sink.rewriter.map(source, sequence, timestamp, arrival)
            if mapped is None:
                continue
            level_id = sink.level_extension if level_byte >= 0 else 0
            tail = tails.get(level_id)
            if tail is None:
                tail = tails[level_id] = _tail(first_plain, body, level_id, level_byte)
            out = pack(tail[0], marker | sink.payload_type, mapped[0], mapped[1], sink.ssrc)
            out += tail[1]
            sink.subscriber.transport.send_rtp(out)
            sink.packets += 1
            sink.octets += len(body)
            forwarded += 1
        self._counters.rtp_forwarded += forwarded

    def _learn_ssrc(self, publisher: _Publisher, packet: bytes, header: RtpHeader) -> _Layer | None:
        """An SSRC the offer did not list: the mid header extension (RFC 8843 section 15)
        says which m-section it belongs to and, for simulcast, the RID extension (RFC 8852)
        which layer."""
        element = find_extension(packet, header, publisher.mid_extension)
        if element is None:
            return None
        try:
            mid = packet[element.start : element.start + element.length].decode("ascii")
        except UnicodeDecodeError:
            return None
        stream = publisher.by_mid.get(mid)
        if stream is None:
            return None
        if len(stream.layers) == 1:
            layer: _Layer | None = stream.layers[0]
        else:
            layer = stream.layer_of_rid(read_rid(packet, header, stream.rid_extension))
        if layer is None or layer.ssrc is not None:
            return None
        layer.learn(header.ssrc)
        publisher.by_ssrc[header.ssrc] = layer
        if layer.waited_for():
            # the request made when the subscriber came could not name this SSRC yet
            layer.keyframes.request(time.monotonic())
        return layer

    def _on_publisher_rtcp(self, publisher: _Publisher, data: bytes) -> None:
        packets = self._parse_rtcp(data)
        now = time.monotonic()
        for packet in packets:
            if isinstance(packet, SenderReport):
                layer = publisher.by_ssrc.get(packet.ssrc)
                if layer is not None:
                    layer.sender_report = (packet.ntp_timestamp, packet.rtp_timestamp, now)
                    layer.reception.sender_report(packet.ntp_timestamp, now)

    def _on_subscriber_rtcp(self, subscriber: _Subscriber, data: bytes) -> None:
        packets = self._parse_rtcp(data)
        now = time.monotonic()
        for packet in packets:
            if isinstance(packet, GenericNack):
                sink = subscriber.by_ssrc.get(packet.media_ssrc)
                if sink is not None:
                    self._retransmit(sink, packet.lost_sequences(), now)
            elif isinstance(packet, PictureLossIndication):
                sink = subscriber.by_ssrc.get(packet.media_ssrc)
                if sink is not None:
                    _request_keyframe(sink, now)
            elif isinstance(packet, FullIntraRequest):
                for ssrc, _number in packet.entries:
                    sink = subscriber.by_ssrc.get(ssrc)
                    if sink is not None:
                        _request_keyframe(sink, now)

    def _parse_rtcp(self, data: bytes) -> list[RtcpPacket]:
        try:
            return parse_rtcp(data)
        except RtcpError:
            self._counters.dropped += 1
            return []

    def _retransmit(self, sink: _Sink, sequences: list[int], now: float) -> None:
        stream = sink.stream
        if not sink.subscriber.connected:
            return
        by_ssrc = stream.publisher.by_ssrc
        for out_sequence in sequences[:64]:
            origin = sink.rewriter.source_of(out_sequence)
            if origin is None:
                continue
            layer = by_ssrc.get(origin[0])
            if layer is None or layer.stream is not stream or layer.buffer is None:
                continue
            entry = layer.buffer.get(origin[1], now)
            if entry is None:
                continue
            header = entry.header
            mapped = sink.rewriter.map(header.ssrc, header.sequence, header.timestamp, now)
            if mapped is None or mapped[0] != out_sequence:
                continue
            packet = entry.packet
            if header.payload_offset == header.payload_end:
                first, body = 0xA0, _PADDING_ONLY
            else:
                first, body = 0x80 | (header.first_byte & 0x20), packet[header.payload_offset :]
            out = _FIXED.pack(
                first,
                (0x80 if header.marker else 0) | sink.payload_type,
                mapped[0],
                mapped[1],
                sink.ssrc,
            )
            sink.subscriber.transport.send_rtp(out + body)
            self._counters.retransmitted += 1

    # --- timer --------------------------------------------------------------------------

    def _ensure_timer(self) -> None:
        if self._timer is None and not self._closed:
            self._timer = asyncio.get_running_loop().call_later(TICK_SECONDS, self._tick)

    def _tick(self) -> None:
        if not self._publishers and not self._subscribers and self._speakers.dominant is None:
            # An empty room needs no timer until someone comes back (once it has said that
            # nobody speaks any more).
            self._timer = None
            return
        self._timer = asyncio.get_running_loop().call_later(TICK_SECONDS, self._tick)
        self._ticks += 1
        now = time.monotonic()
        try:
            self._send_feedback(now)
            if self._ticks % SPEAKER_TICKS == 0:
                self._detect_speaker(now)
                self._follow_layers(now)
            if self._ticks % REPORT_TICKS == 0:
                self._send_reports(now)
        except Exception:
            # one bad state must not stop feedback for the whole room
            logger.exception("room timer failed")

    def _send_feedback(self, now: float) -> None:
        for publisher in self._publishers.values():
            if not publisher.connected:
                continue
            rtcp: list[RtcpPacket] = []
            if publisher.twcc is not None:
                media_ssrc = next(iter(publisher.by_ssrc), 0)
                rtcp.extend(publisher.twcc.build(publisher.rtcp_ssrc, media_ssrc))
            rtcp.extend(_due_nacks(publisher, now))
            for packet in rtcp:
                publisher.transport.send_rtcp(bytes(packet))

    def _send_due_nacks(self) -> None:
        self._nack_timer = None
        now = time.monotonic()
        try:
            for publisher in self._publishers.values():
                if publisher.connected:
                    for nack in _due_nacks(publisher, now):
                        publisher.transport.send_rtcp(bytes(nack))
        except Exception:
            logger.exception("NACK timer failed")

    def _detect_speaker(self, now: float) -> None:
        if self._speakers.evaluate(now):
            self._emit(ActiveSpeaker(self._room, self._speakers.dominant))

    def _send_reports(self, now: float) -> None:
        for publisher in self._publishers.values():
            if not publisher.connected:
                continue
            blocks = []
            worst_loss = 0
            for ssrc, layer in publisher.by_ssrc.items():
                if layer.reception.received:
                    block = layer.reception.report_block(ssrc, now)
                    worst_loss = max(worst_loss, block.fraction_lost)
                    blocks.append(block)
            compound: list[RtcpPacket] = [ReceiverReport(publisher.rtcp_ssrc, tuple(blocks[:31]))]
            if publisher.remb is not None and publisher.by_ssrc:
                bitrate = publisher.remb.update(now, worst_loss / 256)
                compound.append(
                    Remb.for_bitrate(publisher.rtcp_ssrc, bitrate, tuple(publisher.by_ssrc))
                )
            publisher.transport.send_rtcp(serialize_compound(compound))
        for subscriber in self._subscribers.values():
            if not subscriber.connected:
                continue
            reports: list[RtcpPacket] = []
            for sink in subscriber.by_mid.values():
                report = self._sender_report(sink, now)
                if report is not None:
                    reports.append(report)
            if reports:
                subscriber.transport.send_rtcp(serialize_compound(reports))

    def _sender_report(self, sink: _Sink, now: float) -> SenderReport | None:
        """The publisher's last (NTP, RTP) pair, carried forward to now and into the
        subscriber's timestamp space, so its audio and video stay in sync."""
        layer = sink.current
        if layer is None or layer.sender_report is None or layer.ssrc is None or not sink.packets:
            return None
        ntp, rtp, arrival = layer.sender_report
        mapped = sink.rewriter.map_timestamp(layer.ssrc, rtp)
        if mapped is None:
            return None
        elapsed = max(0.0, now - arrival)
        return SenderReport(
            ssrc=sink.ssrc,
            ntp_timestamp=(ntp + int(elapsed * _NTP_UNITS)) & 0xFFFF_FFFF_FFFF_FFFF,
            rtp_timestamp=(mapped + int(elapsed * sink.stream.clock_rate)) & 0xFFFF_FFFF,
            packet_count=sink.packets & 0xFFFF_FFFF,
            octet_count=sink.octets & 0xFFFF_FFFF,
        )


def _due_nacks(publisher: _Publisher, now: float) -> list[GenericNack]:
    nacks = []
    for ssrc, layer in publisher.by_ssrc.items():
        if layer.loss is not None:
            lost = layer.loss.due(now)
            if lost:
                nacks.append(GenericNack.for_sequences(publisher.rtcp_ssrc, ssrc, lost))
    return nacks


def _switch(sink: _Sink, layer: _Layer) -> None:
    """A keyframe of ``layer`` arrived for a sink waiting for one: forward that layer from
    now on. The restart makes the rewriter open a new segment even when it switches back to a
    source it had before, continuing one sequence number after the last one sent."""
    old = sink.current
    if old is not None:
        old.sinks.remove(sink)
    sink.current = layer
    sink.pending = None
    sink.rewriter.restart()


def _unhook(sink: _Sink) -> None:
    """Forward nothing to ``sink`` and wait for nothing (paused, or about to start afresh)."""
    for layer in (sink.current, sink.pending):
        if layer is not None and sink in layer.sinks:
            layer.sinks.remove(sink)
    sink.current = sink.pending = None


def _request_keyframe(sink: _Sink, now: float) -> None:
    """The subscriber lost a picture (PLI or FIR): ask the layer it gets or is about to get."""
    layer = sink.pending or sink.current
    if layer is not None:
        layer.keyframes.request(now)


def _tail(first_plain: int, body: bytes, level_id: int, level_byte: int) -> tuple[int, bytes]:
    """The first byte and everything after the fixed header of an outgoing packet: the
    audio level as the subscriber numbers it (the only extension forwarded), then the body."""
    if not level_id:
        return first_plain, body
    block = struct.pack("!HHBBH", ONE_BYTE_PROFILE, 1, level_id << 4, level_byte, 0)
    return first_plain | 0x10, block + body
