"""The media of one room inside a worker: who publishes what, who receives what, and the
forwarding of every RTP packet between them (RFC 7667 section 3.7, a selective forwarding
middlebox).

Publishers' packets arrive through ``on_rtp`` of their transport; each is parsed once, recorded
for congestion feedback, NACK and receiver reports, and then rewritten for every subscriber of
its stream (SSRC, sequence number, timestamp, payload type, header extensions) and sent. That
path runs synchronously in the datagram callback and allocates only the outgoing packets.
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
from klingel.sfu.speaker import SpeakerDetector
from klingel.sfu.transport import MediaTransport, TransportFactory
from klingel.sfu.twcc import FeedbackGenerator, RembEstimator

__all__ = ["RoomRouter"]

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.1  # transport-cc feedback (libwebrtc's default interval), NACK retries
REPORT_TICKS = 10  # receiver and sender reports, REMB: every second
SPEAKER_TICKS = 3  # dominant speaker: every 300 ms
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
        "buffer",
        "clock_rate",
        "codec",
        "forwarding",
        "is_keyframe",
        "keyframes",
        "kind",
        "level_extension",
        "loss",
        "mid",
        "publisher",
        "reception",
        "sender_report",
        "sinks",
        "source",
        "ssrc",
        "stream_id",
    )

    def __init__(self, publisher: _Publisher, spec: TrackSpec, media: AcceptedMedia) -> None:
        self.publisher = publisher
        self.stream_id = spec.stream_id
        self.source: TrackSource = spec.source
        self.kind: MediaKind = media.kind
        self.mid = media.mid
        self.ssrc: int | None = None
        self.forwarding = True
        self.sinks: list[_Sink] = []
        self.keyframes = KeyframeRequests(self._send_pli, self._sink_waits)
        self.sender_report: tuple[int, int, float] | None = None  # NTP, RTP, arrival
        self.codec = media.codec
        self.clock_rate = media.codec.clock_rate
        self.level_extension = 0
        self.is_keyframe: KeyframeTest = _never_keyframe
        self.buffer: RetransmissionBuffer | None = None
        self.loss: LossTracker | None = None
        self.reception = ReceptionStats(self.clock_rate)
        self.update(media)

    def _send_pli(self) -> bool:
        if self.ssrc is None or self.kind != "video":
            return False
        publisher = self.publisher
        publisher.transport.send_rtcp(bytes(PictureLossIndication(publisher.rtcp_ssrc, self.ssrc)))
        return True

    def _sink_waits(self) -> bool:
        """Some connected subscriber waits for a keyframe of this stream."""
        return self.forwarding and any(
            sink.waiting_for_keyframe and sink.subscriber.connected for sink in self.sinks
        )

    def update(self, media: AcceptedMedia) -> None:
        self.mid = media.mid
        self.codec = media.codec
        self.clock_rate = media.codec.clock_rate
        self.level_extension = media.audio_level_extension
        self.is_keyframe = _keyframe_test(media.codec) if media.kind == "video" else _never_keyframe
        nack = media.kind == "video" and "nack" in media.codec.feedback
        if nack and self.buffer is None:
            self.buffer = RetransmissionBuffer()
            self.loss = LossTracker()
        elif not nack:
            self.buffer = None
            self.loss = None


class _Sink:
    """One subscribed stream on one subscriber's transport."""

    __slots__ = (
        "level_extension",
        "mid",
        "octets",
        "packets",
        "payload_type",
        "rewriter",
        "ssrc",
        "stream",
        "subscriber",
        "waiting_for_keyframe",
    )

    def __init__(self, subscriber: _Subscriber, mid: str, stream: _Stream, ssrc: int) -> None:
        self.subscriber = subscriber
        self.mid = mid
        self.stream = stream
        self.ssrc = ssrc
        self.payload_type = stream.codec.payload_type
        self.level_extension = 0
        self.rewriter = StreamRewriter(
            ssrc,
            stream.clock_rate,
            initial_sequence=secrets.randbits(16),
            initial_timestamp=secrets.randbits(32),
        )
        self.waiting_for_keyframe = stream.kind == "video"
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
        self.by_ssrc: dict[int, _Stream] = {}
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
                sink = _Sink(subscriber, mid, stream, plans[mid].ssrc)
                subscriber.by_mid[mid] = sink
                subscriber.by_ssrc[sink.ssrc] = sink
                stream.sinks.append(sink)
                if sink.waiting_for_keyframe and subscriber.connected:
                    # A subscriber that is not connected yet would lose the keyframe; it is
                    # asked for when the connection comes up.
                    stream.keyframes.until_keyframe(time.monotonic())
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
            for sink in stream.sinks:
                sink.rewriter.restart()
                sink.waiting_for_keyframe = stream.kind == "video"
            if stream.kind == "video" and stream.sinks:
                stream.keyframes.until_keyframe(time.monotonic())

    def remove_participant(self, participant: ParticipantId) -> None:
        publisher = self._publishers.get(participant)
        if publisher is not None:
            self._drop_publisher(publisher)
        subscriber = self._subscribers.get(participant)
        if subscriber is not None:
            self._drop_subscriber(subscriber)
        self._speakers.remove(participant)

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
            else:
                stream.update(media)
            if media.ssrc is not None:
                if stream.ssrc != media.ssrc:
                    stream.ssrc = media.ssrc
                    stream.reception = ReceptionStats(stream.clock_rate)
                publisher.by_ssrc[media.ssrc] = stream
            elif stream.ssrc is not None:
                publisher.by_ssrc[stream.ssrc] = stream
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
        stream.keyframes.cancel()
        for sink in list(stream.sinks):
            self._detach_sink(sink)

    def _detach_sink(self, sink: _Sink) -> None:
        subscriber = sink.subscriber
        if subscriber.by_mid.get(sink.mid) is sink:
            del subscriber.by_mid[sink.mid]
        if subscriber.by_ssrc.get(sink.ssrc) is sink:
            del subscriber.by_ssrc[sink.ssrc]
        if sink in sink.stream.sinks:
            sink.stream.sinks.remove(sink)

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
                sink.rewriter.restart()
                if sink.stream.kind == "video":
                    sink.waiting_for_keyframe = True
                    sink.stream.keyframes.until_keyframe(now)
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
        stream = publisher.by_ssrc.get(header.ssrc)
        if stream is None:
            stream = self._learn_ssrc(publisher, packet, header)
            if stream is None:
                self._counters.dropped += 1
                return
        sequence = header.sequence
        stream.reception.update(sequence, header.timestamp, arrival)
        buffer = stream.buffer
        if buffer is not None:
            buffer.store(packet, header, arrival)
            loss = stream.loss
            if loss is not None and loss.received(sequence, arrival) and self._nack_timer is None:
                self._nack_timer = asyncio.get_running_loop().call_later(
                    NACK_DELAY, self._send_due_nacks
                )
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
        if stream.sinks:
            self._forward(stream, packet, header, arrival, level_byte)

    def _forward(
        self, stream: _Stream, packet: bytes, header: RtpHeader, arrival: float, level_byte: int
    ) -> None:
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
        for sink in stream.sinks:
            if not sink.subscriber.connected:
                continue
            if sink.waiting_for_keyframe:
                if keyframe is None:
                    keyframe = stream.is_keyframe(
                        memoryview(packet)[payload_offset : header.payload_end]
                    )
                if not keyframe:
                    if not stream.keyframes.retrying:
                        stream.keyframes.until_keyframe(arrival)
                    continue
                sink.waiting_for_keyframe = False
                sink.rewriter.restart()
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

    def _learn_ssrc(
        self, publisher: _Publisher, packet: bytes, header: RtpHeader
    ) -> _Stream | None:
        """An SSRC the offer did not list: the mid header extension (RFC 8843 section 15)
        says which m-section it belongs to."""
        element = find_extension(packet, header, publisher.mid_extension)
        if element is None:
            return None
        try:
            mid = packet[element.start : element.start + element.length].decode("ascii")
        except UnicodeDecodeError:
            return None
        stream = publisher.by_mid.get(mid)
        if stream is None or stream.ssrc is not None:
            return None
        stream.ssrc = header.ssrc
        stream.reception = ReceptionStats(stream.clock_rate)
        publisher.by_ssrc[header.ssrc] = stream
        return stream

    def _on_publisher_rtcp(self, publisher: _Publisher, data: bytes) -> None:
        packets = self._parse_rtcp(data)
        now = time.monotonic()
        for packet in packets:
            if isinstance(packet, SenderReport):
                stream = publisher.by_ssrc.get(packet.ssrc)
                if stream is not None:
                    stream.sender_report = (packet.ntp_timestamp, packet.rtp_timestamp, now)
                    stream.reception.sender_report(packet.ntp_timestamp, now)

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
                    sink.stream.keyframes.request(now)
            elif isinstance(packet, FullIntraRequest):
                for ssrc, _number in packet.entries:
                    sink = subscriber.by_ssrc.get(ssrc)
                    if sink is not None:
                        sink.stream.keyframes.request(now)

    def _parse_rtcp(self, data: bytes) -> list[RtcpPacket]:
        try:
            return parse_rtcp(data)
        except RtcpError:
            self._counters.dropped += 1
            return []

    def _retransmit(self, sink: _Sink, sequences: list[int], now: float) -> None:
        stream = sink.stream
        buffer = stream.buffer
        if buffer is None or not sink.subscriber.connected:
            return
        for out_sequence in sequences[:64]:
            origin = sink.rewriter.source_of(out_sequence)
            if origin is None or origin[0] != stream.ssrc:
                continue
            entry = buffer.get(origin[1], now)
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
            for ssrc, stream in publisher.by_ssrc.items():
                if stream.reception.received:
                    block = stream.reception.report_block(ssrc, now)
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
        stream = sink.stream
        if stream.sender_report is None or stream.ssrc is None or not sink.packets:
            return None
        ntp, rtp, arrival = stream.sender_report
        mapped = sink.rewriter.map_timestamp(stream.ssrc, rtp)
        if mapped is None:
            return None
        elapsed = max(0.0, now - arrival)
        return SenderReport(
            ssrc=sink.ssrc,
            ntp_timestamp=(ntp + int(elapsed * _NTP_UNITS)) & 0xFFFF_FFFF_FFFF_FFFF,
            rtp_timestamp=(mapped + int(elapsed * stream.clock_rate)) & 0xFFFF_FFFF,
            packet_count=sink.packets & 0xFFFF_FFFF,
            octet_count=sink.octets & 0xFFFF_FFFF,
        )


def _due_nacks(publisher: _Publisher, now: float) -> list[GenericNack]:
    nacks = []
    for stream in publisher.by_mid.values():
        if stream.loss is not None and stream.ssrc is not None:
            lost = stream.loss.due(now)
            if lost:
                nacks.append(GenericNack.for_sequences(publisher.rtcp_ssrc, stream.ssrc, lost))
    return nacks


def _tail(first_plain: int, body: bytes, level_id: int, level_byte: int) -> tuple[int, bytes]:
    """The first byte and everything after the fixed header of an outgoing packet: the
    audio level as the subscriber numbers it (the only extension forwarded), then the body."""
    if not level_id:
        return first_plain, body
    block = struct.pack("!HHBBH", ONE_BYTE_PROFILE, 1, level_id << 4, level_byte, 0)
    return first_plain | 0x10, block + body
