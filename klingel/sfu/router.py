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

Downlink adaptation: a subscriber that negotiated transport-wide congestion control gets the
SFU's own transport-wide sequence number on every packet sent to it; its feedback feeds its
``DownlinkEstimator`` (``klingel.sfu.bandwidth``), and every 300 ms its ``LayerAllocator``
(``klingel.sfu.allocation``) splits that estimate over its video streams, using each layer's
measured bitrate. A subscription forwards the lower of the layer requested (``set_layer``) and
the layer allocated; new ones start on the smallest layer. When a subscription switches layer
or resumes at a keyframe, its estimator is told to expect the burst. Which simulcast layers
anyone forwards, waits for or is allocated is reported to the publisher (``PublisherLayers``),
so its browser can stop encoding the others.
"""

from __future__ import annotations

import functools
import logging
import struct
from collections.abc import Callable, Sequence
from typing import Literal

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.allocation import (
    PRIORITY_OTHER,
    PRIORITY_SCREEN,
    PRIORITY_SPEAKER,
    VideoDemand,
)
from klingel.sfu.api import (
    ActiveSpeaker,
    MediaError,
    MediaEvent,
    MediaKind,
    PublisherLayers,
    Subscription,
    TrackSpec,
    TransportState,
    TransportStateChanged,
)
from klingel.sfu.bandwidth import PACKET_OVERHEAD
from klingel.sfu.clock import EVENT_LOOP, Clock, Scheduler, Timer
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.published import (
    Peer,
    PublishedLayer,
    PublishedStream,
    Publisher,
    due_nacks,
    random_ssrc,
)
from klingel.sfu.rtcp import (
    FullIntraRequest,
    GenericNack,
    PictureLossIndication,
    ReceiverReport,
    Remb,
    RtcpError,
    RtcpPacket,
    SenderReport,
    TransportFeedback,
    parse_rtcp,
    serialize_compound,
)
from klingel.sfu.rtp import ONE_BYTE_PROFILE, RtpError, RtpHeader, find_extension, parse_rtp
from klingel.sfu.sdp import (
    SessionDescription,
    parse_offer,
)
from klingel.sfu.sdp_answer import (
    AcceptedMedia,
    SubscriptionPlan,
    build_publish_answer,
    build_subscribe_answer,
)
from klingel.sfu.simulcast import HIGHEST_LAYER, read_rid, select_layer
from klingel.sfu.speaker import SpeakerDetector
from klingel.sfu.subscribed import (
    HISTORY_MASK,
    StreamSubscription,
    Subscriber,
    request_keyframe,
    switch_layer,
    unhook,
)
from klingel.sfu.transport import TransportFactory
from klingel.sfu.twcc import FeedbackGenerator, RembEstimator, TwccError

__all__ = ["RoomRouter"]

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.1  # transport-cc feedback (libwebrtc's default interval), NACK retries
REPORT_TICKS = 10  # receiver and sender reports, REMB: every second
SPEAKER_TICKS = 3  # dominant speaker and simulcast layers coming and going: every 300 ms
NACK_DELAY = 0.02  # a new gap is NACKed this soon, not at the next tick: a short wait for
# packets that were only reordered

ALLOCATION_INTERVAL = 0.1  # feedback that lowers the estimate re-splits it at most this often
UNWANTED_AFTER = 3.0  # a simulcast layer nobody wants is reported unwanted after this long
_RATE_SMOOTHING = 0.3

_FIXED = struct.Struct("!BBHII")
# fixed header + one-byte extension block: the transport-wide sequence number, padded; or that
# and the audio level, padded (RFC 8285 section 4.2)
_WITH_TWCC = struct.Struct("!BBHIIHHBHx")
_WITH_TWCC_AND_LEVEL = struct.Struct("!BBHIIHHBHBBxxx")
_PADDING_ONLY = b"\x01"  # one padding byte that counts itself (RFC 3550 section 5.1)
_NTP_UNITS = 4_294_967_296


class RoomRouter:
    """Publish/subscribe bookkeeping and RTP/RTCP forwarding for one room (see module doc)."""

    def __init__(
        self,
        room: RoomId,
        transports: TransportFactory,
        emit: Callable[[MediaEvent], None],
        counters: WorkerCounters,
        *,
        clock: Clock = EVENT_LOOP,
        scheduler: Scheduler = EVENT_LOOP,
    ) -> None:
        self._room = room
        self._clock = clock
        self._scheduler = scheduler
        self._transports = transports
        self._emit = emit
        self._counters = counters
        self._publishers: dict[ParticipantId, Publisher] = {}
        self._subscribers: dict[ParticipantId, Subscriber] = {}
        self._streams: dict[StreamId, PublishedStream] = {}
        # set_layer requests, kept for subscriptions made later
        self._layer_requests: dict[tuple[ParticipantId, StreamId], int | None] = {}
        self._speakers: SpeakerDetector[ParticipantId] = SpeakerDetector()
        self._timer: Timer | None = None
        self._nack_timer: Timer | None = None
        self._ticks = 0
        self._held_back = 0  # this room's share of counters.held_below_request
        self._measured_at = self._clock.now()
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
            publisher = Publisher(
                participant, self._transports.create_transport(), self._clock, self._scheduler
            )
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
        wanted: dict[str, PublishedStream] = {}
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
            subscriber = Subscriber(participant, self._transports.create_transport())
        assert subscriber is not None
        taken = {sink.ssrc for sink in subscriber.by_mid.values()}
        plans: dict[str, SubscriptionPlan] = {}
        for mid, stream in wanted.items():
            current = subscriber.by_mid.get(mid)
            if current is not None and current.stream is stream:
                ssrc = current.ssrc
            else:
                ssrc = random_ssrc(taken)
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
        subscriber.use_transport_cc(answer.transport_cc_extension)
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
                sink = StreamSubscription(subscriber, mid, stream, plans[mid].ssrc, requested)
                subscriber.by_mid[mid] = sink
                subscriber.by_ssrc[sink.ssrc] = sink
                stream.sinks.append(sink)
                # A subscriber that is not connected yet would lose a keyframe: it is asked
                # for when the connection comes up.
                self._aim(sink, self._clock.now())
            sink.payload_type = media.payload_type
            sink.level_extension = media.audio_level_extension
        # the allocation's history starts now: new video starts on its smallest layer
        self._allocate(subscriber, self._clock.now())
        self._ensure_timer()
        return answer.sdp

    def set_forwarding(self, stream_id: StreamId, enabled: bool) -> None:
        stream = self._streams.get(stream_id)
        if stream is None or stream.forwarding == enabled:
            return
        stream.forwarding = enabled
        if enabled:
            now = self._clock.now()
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
        now = self._clock.now()
        for sink in subscriber.by_mid.values():
            if sink.stream is stream and sink.requested != layer:
                before = sink.aim
                sink.requested = layer
                self._reaim(sink, before, now)

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
        self._counters.held_below_request -= self._held_back
        self._held_back = 0
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

    def _prepare_transport(self, peer: Peer, offer: SessionDescription) -> None:
        """Hand the offer's ICE credentials and fingerprint to the transport; new credentials
        on a transport that had some are an ICE restart."""
        remote = offer.remote
        peer.transport.set_remote(remote)
        if peer.remote_ufrag and peer.remote_ufrag != remote.ice_ufrag:
            peer.transport.restart_ice()
        peer.remote_ufrag = remote.ice_ufrag

    def _attach_publisher(self, publisher: Publisher) -> None:
        self._publishers[publisher.participant] = publisher
        transport = publisher.transport
        # partial, not a lambda: no extra Python frame for every packet
        transport.on_rtp = functools.partial(self._on_publisher_rtp, publisher)
        transport.on_rtcp = lambda packet: self._on_publisher_rtcp(publisher, packet)
        transport.on_state = lambda state: self._on_state(publisher, "publish", state)

    def _attach_subscriber(self, subscriber: Subscriber) -> None:
        self._subscribers[subscriber.participant] = subscriber
        transport = subscriber.transport
        transport.on_rtp = self._on_unexpected_rtp
        transport.on_rtcp = lambda packet: self._on_subscriber_rtcp(subscriber, packet)
        transport.on_state = lambda state: self._on_state(subscriber, "subscribe", state)

    def _apply_publish(
        self,
        publisher: Publisher,
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
                stream = PublishedStream(publisher, spec, media, self._clock.now())
                self._streams[spec.stream_id] = stream
                if len(stream.layers) > 1:
                    self._report_layers(stream, self._clock.now())
            elif stream.update(media, self._clock.now()):
                now = self._clock.now()
                for sink in stream.sinks:
                    sink.current = sink.pending = None
                    self._start_afresh(sink, now)
                if len(stream.layers) > 1:
                    self._report_layers(stream, now)
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

    def _drop_stream(self, stream: PublishedStream) -> None:
        self._streams.pop(stream.stream_id, None)
        for layer in stream.layers:
            layer.keyframes.cancel()
        for sink in list(stream.sinks):
            self._detach_sink(sink)
        for key in [key for key in self._layer_requests if key[1] == stream.stream_id]:
            del self._layer_requests[key]

    def _detach_sink(self, sink: StreamSubscription) -> None:
        subscriber = sink.subscriber
        if subscriber.by_mid.get(sink.mid) is sink:
            del subscriber.by_mid[sink.mid]
        if subscriber.by_ssrc.get(sink.ssrc) is sink:
            del subscriber.by_ssrc[sink.ssrc]
        if sink in sink.stream.sinks:
            sink.stream.sinks.remove(sink)
        unhook(sink)

    # --- layers of a subscription ---------------------------------------------------------

    def _aim(self, sink: StreamSubscription, now: float, active: list[bool] | None = None) -> None:
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
        aim = sink.aim
        index = select_layer(aim, active)
        if index is None:
            unhook(sink)
            return
        if aim is not None and len(stream.layers) > 1:
            self._want(stream, aim, now)
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

    def _reaim(self, sink: StreamSubscription, before: int | None, now: float) -> None:
        """The request or allocation of ``sink`` changed; ``before`` was its aim."""
        if before is None and sink.aim is not None:
            self._start_afresh(sink, now)  # resuming waits for a keyframe, numbering goes on
        else:
            self._aim(sink, now)

    def _start_afresh(self, sink: StreamSubscription, now: float) -> None:
        """Whatever was forwarded before is gone (the path just came up, or forwarding
        resumes): video starts again at a keyframe, and the numbering goes on without a gap."""
        sink.rewriter.restart()
        if sink.stream.kind == "video":
            unhook(sink)
        self._aim(sink, now)

    def _follow_layers(self, now: float) -> None:
        """Simulcast layers come and go with the publisher's bandwidth: move subscriptions to
        the layer that now fits their request best."""
        for stream in self._streams.values():
            if len(stream.layers) > 1 and stream.sinks:
                active = stream.active_layers(now)
                for sink in stream.sinks:
                    if sink.aim is not None:
                        self._aim(sink, now, active)

    # --- bandwidth: layer bitrates, allocation, layers wanted of publishers --------------------

    def _measure_layers(self, elapsed: float, now: float) -> None:
        """Each layer's received bitrate, smoothed; a layer that stopped keeps its last value
        (it is what the layer will cost when it comes back). Each stream's ``bitrates`` follow,
        for every allocation until the next measurement."""
        if elapsed <= 0:
            return
        for stream in self._streams.values():
            for layer in stream.layers:
                octets = layer.octets
                layer.octets = 0
                if not octets or now - layer.last_arrival > elapsed:
                    continue
                rate = octets * 8 / elapsed
                previous = layer.bitrate
                layer.bitrate = (
                    rate if not previous else previous + _RATE_SMOOTHING * (rate - previous)
                )
            stream.bitrates = stream.layer_bitrates()

    def _allocate_all(self, now: float) -> None:
        held = 0
        for subscriber in self._subscribers.values():
            self._allocate(subscriber, now)
            held += sum(sink.held_back for sink in subscriber.by_mid.values())
        self._counters.held_below_request += held - self._held_back
        self._held_back = held

    def _allocate(self, subscriber: Subscriber, now: float) -> None:
        """Split the subscriber's estimate over its video streams and aim each at its share."""
        audio = 0
        demands: list[VideoDemand[str]] = []
        dominant = self._speakers.dominant
        for sink in subscriber.by_mid.values():
            stream = sink.stream
            if stream.kind == "audio":
                audio += stream.bitrates[0]
            elif stream.forwarding:
                if stream.source == "screen":
                    priority = PRIORITY_SCREEN
                elif stream.publisher.participant == dominant:
                    priority = PRIORITY_SPEAKER
                else:
                    priority = PRIORITY_OTHER
                demands.append(VideoDemand(sink.mid, sink.requested, stream.bitrates, priority))
        estimate = subscriber.estimator.estimate
        choice = subscriber.allocator.update(now, estimate, audio, demands)
        subscriber.allocated_at = now
        subscriber.allocated_estimate = estimate
        for mid, allocated in choice.items():
            sink = subscriber.by_mid[mid]
            if sink.allocated != allocated:
                before = sink.aim
                sink.allocated = allocated
                if sink.aim != before:
                    self._reaim(sink, before, now)

    def _want(self, stream: PublishedStream, layer: int, now: float) -> None:
        """Some subscription aims at ``layer``: tell the publisher at once if it was not
        wanted."""
        stream.wanted_at[layer] = now
        reported = stream.reported_wanted
        if reported and not reported[layer]:
            self._report_layers(stream, now)

    def _report_layers(self, stream: PublishedStream, now: float) -> None:
        """Tell the publisher which layers of ``stream`` are wanted, when that changed: layer 0
        always; another while a subscription forwards it, waits for it or is allocated it, and
        for ``UNWANTED_AFTER`` seconds after the last one stopped."""
        wanted_at = stream.wanted_at
        for sink in stream.sinks:
            for layer in (sink.current, sink.pending):
                if layer is not None and layer.stream is stream:
                    wanted_at[layer.index] = now
            aim = sink.aim
            if aim is not None and sink.subscriber.connected:
                wanted_at[aim] = now
        wanted = tuple(
            index == 0 or now - at < UNWANTED_AFTER for index, at in enumerate(wanted_at)
        )
        if wanted != stream.reported_wanted:
            stream.reported_wanted = wanted
            self._emit(
                PublisherLayers(self._room, stream.publisher.participant, stream.stream_id, wanted)
            )

    def _report_all_layers(self, now: float) -> None:
        for stream in self._streams.values():
            if len(stream.layers) > 1:
                self._report_layers(stream, now)

    def _drop_publisher(self, publisher: Publisher) -> None:
        if self._publishers.get(publisher.participant) is publisher:
            del self._publishers[publisher.participant]
        for stream in list(self._streams.values()):
            if stream.publisher is publisher:
                self._drop_stream(stream)
        publisher.transport.close()

    def _drop_subscriber(self, subscriber: Subscriber) -> None:
        if self._subscribers.get(subscriber.participant) is subscriber:
            del self._subscribers[subscriber.participant]
        for sink in list(subscriber.by_mid.values()):
            self._detach_sink(sink)
        subscriber.transport.close()

    def _on_state(
        self, peer: Peer, direction: Literal["publish", "subscribe"], state: TransportState
    ) -> None:
        was_connected = peer.connected
        peer.connected = state == "connected"
        if isinstance(peer, Subscriber) and peer.connected and not was_connected:
            # whatever was sent before the path was up is lost: start each stream afresh
            now = self._clock.now()
            for sink in peer.by_mid.values():
                self._start_afresh(sink, now)
        self._emit(TransportStateChanged(self._room, peer.participant, direction, state))

    # --- media path ---------------------------------------------------------------------

    def _on_unexpected_rtp(self, _packet: bytes, _arrival: float) -> None:
        self._counters.dropped += 1  # a subscribe connection only receives

    def _on_publisher_rtp(self, publisher: Publisher, packet: bytes, arrival: float) -> None:
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
        layer.octets += len(packet) + PACKET_OVERHEAD
        buffer = layer.buffer
        if buffer is not None:
            buffer.store(packet, header, arrival)
            loss = layer.loss
            if loss is not None and loss.received(sequence, arrival) and self._nack_timer is None:
                self._nack_timer = self._scheduler.call_later(NACK_DELAY, self._send_due_nacks)
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
        self,
        layer: PublishedLayer,
        packet: bytes,
        header: RtpHeader,
        arrival: float,
        level_byte: int,
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
            subscriber = sink.subscriber
            if not subscriber.connected:
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
                if sink.current is not None:
                    self._counters.layer_switches += 1
                switch_layer(sink, layer)
                # the keyframe it starts with is a burst the estimate expects; not so for every
                # keyframe: those a lossy link asks for would then hide its congestion
                subscriber.estimator.expect_burst(arrival)
            mapped = sink.rewriter.map(source, sequence, timestamp, arrival)
            if mapped is None:
                continue
            level_id = sink.level_extension if level_byte >= 0 else 0
            twcc_element = subscriber.twcc_element
            if twcc_element:
                twcc = subscriber.twcc_sequence
                subscriber.twcc_sequence = (twcc + 1) & 0xFFFF
                second = marker | sink.payload_type
                if level_id:
                    out = _WITH_TWCC_AND_LEVEL.pack(
                        first_plain | 0x10, second, mapped[0], mapped[1], sink.ssrc,
                        ONE_BYTE_PROFILE, 2, twcc_element, twcc, level_id << 4, level_byte,
                    )  # fmt: skip
                else:
                    out = _WITH_TWCC.pack(
                        first_plain | 0x10, second, mapped[0], mapped[1], sink.ssrc,
                        ONE_BYTE_PROFILE, 1, twcc_element, twcc,
                    )  # fmt: skip
                out += body
                subscriber.sent[twcc & HISTORY_MASK] = (twcc, arrival, len(out) + PACKET_OVERHEAD)
            else:
                tail = tails.get(level_id)
                if tail is None:
                    tail = tails[level_id] = _tail(first_plain, body, level_id, level_byte)
                out = pack(tail[0], marker | sink.payload_type, mapped[0], mapped[1], sink.ssrc)
                out += tail[1]
            subscriber.transport.send_rtp(out)
            sink.packets += 1
            sink.octets += len(body)
            forwarded += 1
        self._counters.rtp_forwarded += forwarded

    def _learn_ssrc(
        self, publisher: Publisher, packet: bytes, header: RtpHeader
    ) -> PublishedLayer | None:
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
            layer: PublishedLayer | None = stream.layers[0]
        else:
            layer = stream.layer_of_rid(read_rid(packet, header, stream.rid_extension))
        if layer is None or layer.ssrc is not None:
            return None
        layer.learn(header.ssrc)
        publisher.by_ssrc[header.ssrc] = layer
        if layer.waited_for():
            # the request made when the subscriber came could not name this SSRC yet
            layer.keyframes.request(self._clock.now())
        return layer

    def _on_publisher_rtcp(self, publisher: Publisher, data: bytes) -> None:
        packets = self._parse_rtcp(data)
        now = self._clock.now()
        for packet in packets:
            if isinstance(packet, SenderReport):
                layer = publisher.by_ssrc.get(packet.ssrc)
                if layer is not None:
                    layer.sender_report = (packet.ntp_timestamp, packet.rtp_timestamp, now)
                    layer.reception.sender_report(packet.ntp_timestamp, now)

    def _on_subscriber_rtcp(self, subscriber: Subscriber, data: bytes) -> None:
        packets = self._parse_rtcp(data)
        now = self._clock.now()
        for packet in packets:
            if isinstance(packet, GenericNack):
                sink = subscriber.by_ssrc.get(packet.media_ssrc)
                if sink is not None:
                    self._retransmit(sink, packet.lost_sequences(), now)
            elif isinstance(packet, PictureLossIndication):
                sink = subscriber.by_ssrc.get(packet.media_ssrc)
                if sink is not None:
                    request_keyframe(sink, now)
            elif isinstance(packet, FullIntraRequest):
                for ssrc, _number in packet.entries:
                    sink = subscriber.by_ssrc.get(ssrc)
                    if sink is not None:
                        request_keyframe(sink, now)
            elif isinstance(packet, TransportFeedback):
                self._take_feedback(subscriber, packet, now)
            elif isinstance(packet, Remb):
                subscriber.estimator.on_remb(packet.bitrate)

    def _take_feedback(self, subscriber: Subscriber, packet: TransportFeedback, now: float) -> None:
        if subscriber.history is None:
            return
        try:
            report = subscriber.history.report(packet.fci)
        except TwccError:
            self._counters.dropped += 1
            return
        sent, _, _, lost = report
        if not sent and not lost:
            return
        estimate = subscriber.estimator.on_feedback(report, now)
        if (
            estimate < 0.9 * subscriber.allocated_estimate
            and now - subscriber.allocated_at >= ALLOCATION_INTERVAL
        ):
            # the link got shorter: do not wait for the next tick to send less
            self._allocate(subscriber, now)

    def _parse_rtcp(self, data: bytes) -> list[RtcpPacket]:
        try:
            return parse_rtcp(data)
        except RtcpError:
            self._counters.dropped += 1
            return []

    def _retransmit(self, sink: StreamSubscription, sequences: list[int], now: float) -> None:
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
            second = (0x80 if header.marker else 0) | sink.payload_type
            subscriber = sink.subscriber
            if subscriber.twcc_element:
                twcc = subscriber.twcc_sequence
                subscriber.twcc_sequence = (twcc + 1) & 0xFFFF
                out = _WITH_TWCC.pack(
                    first | 0x10, second, mapped[0], mapped[1], sink.ssrc,
                    ONE_BYTE_PROFILE, 1, subscriber.twcc_element, twcc,
                ) + body  # fmt: skip
                subscriber.sent[twcc & HISTORY_MASK] = (twcc, now, len(out) + PACKET_OVERHEAD)
            else:
                out = _FIXED.pack(first, second, mapped[0], mapped[1], sink.ssrc) + body
            subscriber.transport.send_rtp(out)
            self._counters.retransmitted += 1

    # --- timer --------------------------------------------------------------------------

    def _ensure_timer(self) -> None:
        if self._timer is None and not self._closed:
            self._timer = self._scheduler.call_later(TICK_SECONDS, self._tick)

    def _tick(self) -> None:
        if not self._publishers and not self._subscribers and self._speakers.dominant is None:
            # An empty room needs no timer until someone comes back (once it has said that
            # nobody speaks any more).
            self._timer = None
            return
        self._timer = self._scheduler.call_later(TICK_SECONDS, self._tick)
        self._ticks += 1
        now = self._clock.now()
        try:
            self._send_feedback(now)
            if self._ticks % SPEAKER_TICKS == 0:
                self._detect_speaker(now)
                self._measure_layers(now - self._measured_at, now)
                self._measured_at = now
                self._allocate_all(now)
                self._follow_layers(now)
                self._report_all_layers(now)
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
            rtcp.extend(due_nacks(publisher, now))
            for packet in rtcp:
                publisher.transport.send_rtcp(bytes(packet))

    def _send_due_nacks(self) -> None:
        self._nack_timer = None
        now = self._clock.now()
        try:
            for publisher in self._publishers.values():
                if publisher.connected:
                    for nack in due_nacks(publisher, now):
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

    def _sender_report(self, sink: StreamSubscription, now: float) -> SenderReport | None:
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


def _tail(first_plain: int, body: bytes, level_id: int, level_byte: int) -> tuple[int, bytes]:
    """The first byte and everything after the fixed header of an outgoing packet: the
    audio level as the subscriber numbers it (the only extension forwarded), then the body."""
    if not level_id:
        return first_plain, body
    block = struct.pack("!HHBBH", ONE_BYTE_PROFILE, 1, level_id << 4, level_byte, 0)
    return first_plain | 0x10, block + body
