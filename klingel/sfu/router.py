"""The media of one room inside a worker: it wires who publishes to who receives, and forwards
every RTP packet between them (RFC 7667 section 3.7, a selective forwarding middlebox).

Publishers' packets arrive through ``on_rtp`` of their transport; each is parsed once, recorded
by its publisher and layer (``klingel.sfu.published``: congestion feedback, NACKs, receiver
reports) and then, in one pass over the layer's subscriptions, rewritten for each subscriber
(``klingel.sfu.subscribed``) and sent (``klingel.sfu.outgoing``). That path runs synchronously
in the datagram callback and allocates only the outgoing packets.

A published track has one *layer* per SSRC: one, or one per simulcast encoding
(``klingel.sfu.simulcast``). Each subscription forwards one layer at a time; it moves to its
target layer (or starts, or resumes) only at a keyframe of that layer, and keeps forwarding the
old one until then. Everything periodic (feedback, reports, speaker detection, allocation)
runs on one timer, which stops in an empty room; a new gap is NACKed on a short one-off timer,
and keyframe requests have their own pacing (``klingel.sfu.keyframes``). The timers are set on
the scheduler the router is given, and the time read from its clock (``klingel.sfu.clock``).

Downlink adaptation: every 300 ms each subscriber's estimate (``klingel.sfu.bandwidth``) is
split over its video streams (``klingel.sfu.allocation``); a subscription targets the lower of
the layer requested (``set_layer``) and the layer allocated. Which simulcast layers anyone
forwards, waits for or is allocated is reported to the publisher (``PublisherLayers``), so its
browser can stop encoding the others.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

from klingel.ids import ParticipantId, RoomId, StreamId
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
from klingel.sfu.clock import EVENT_LOOP, Clock, Scheduler, Timer
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.outgoing import OutgoingBody
from klingel.sfu.published import Peer, PublishedLayer, PublishedStream, Publisher
from klingel.sfu.reports import receiver_report, sender_reports
from klingel.sfu.rtcp import (
    RtcpError,
    RtcpPacket,
    SenderReport,
    TransportFeedback,
    parse_rtcp,
    serialize_compound,
)
from klingel.sfu.rtp import RtpError, RtpHeader, find_extension, parse_rtp
from klingel.sfu.sdp import SessionDescription, parse_offer
from klingel.sfu.sdp_answer import (
    AcceptedMedia,
    PublishAnswer,
    SubscribeAnswer,
    SubscriptionPlan,
    build_publish_answer,
    build_subscribe_answer,
)
from klingel.sfu.simulcast import HIGHEST_LAYER
from klingel.sfu.speaker import SpeakerDetector
from klingel.sfu.subscribed import ReceivedLayers, Subscriber
from klingel.sfu.transport import MediaTransport, TransportFactory
from klingel.sfu.twcc import TwccError

__all__ = ["RoomRouter"]

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.1  # transport-cc feedback (libwebrtc's default interval), NACK retries
REPORT_TICKS = 10  # receiver and sender reports, REMB: every second
SPEAKER_TICKS = 3  # dominant speaker, simulcast layers coming and going, allocation: 300 ms
NACK_DELAY = 0.02  # a new gap is NACKed this soon, not at the next tick: a short wait for
# packets that were only reordered

_Peer = TypeVar("_Peer", Publisher, Subscriber)
_Answer = TypeVar("_Answer", PublishAnswer, SubscribeAnswer)


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
        self._measured_at = clock.now()
        self._closed = False

    @property
    def transport_count(self) -> int:
        return len(self._publishers) + len(self._subscribers)

    def received_layers(
        self, participant: ParticipantId, stream_id: StreamId
    ) -> ReceivedLayers | None:
        """Which layers of a stream ``participant`` receives, None if it is not subscribed."""
        subscriber = self._subscribers.get(participant)
        if subscriber is not None:
            for subscription in subscriber.by_mid.values():
                if subscription.stream.stream_id == stream_id:
                    return subscription.received_layers()
        return None

    def downlink_estimate(self, participant: ParticipantId) -> int | None:
        """What ``participant``'s subscribe connection is estimated to carry, in bits/s."""
        subscriber = self._subscribers.get(participant)
        return None if subscriber is None else subscriber.estimator.estimate

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
        kinds: dict[str, MediaKind] = {mid: spec.kind for mid, spec in specs.items()}

        def new(transport: MediaTransport) -> Publisher:
            clock, scheduler = self._clock, self._scheduler
            return Publisher(participant, transport, clock, scheduler, self._report_layers)

        def answer(publisher: Publisher) -> PublishAnswer:
            local = publisher.transport.local_parameters
            return build_publish_answer(offer, local, publisher.next_origin(), kinds)

        publisher, made = self._negotiate(self._publishers.get(participant), new, offer, answer)
        self._apply_publish(publisher, made.media, specs)
        self._ensure_timer()
        return made.sdp

    def subscribe(
        self, participant: ParticipantId, offer_sdp: str, subscriptions: Sequence[Subscription]
    ) -> str:
        offer = parse_offer(offer_sdp)
        wanted: dict[str, PublishedStream] = {}
        for request in subscriptions:
            stream = self._streams.get(request.stream_id)
            if stream is None:
                raise MediaError("unknown_stream", "no such stream in this room")
            if request.mid in wanted:
                raise MediaError("bad_sdp", "a mid is named twice")
            wanted[request.mid] = stream
        plans: dict[str, SubscriptionPlan] = {}

        def new(transport: MediaTransport) -> Subscriber:
            return Subscriber(participant, transport)

        def answer(subscriber: Subscriber) -> SubscribeAnswer:
            plans.update(subscriber.plan(wanted))
            local = subscriber.transport.local_parameters
            return build_subscribe_answer(offer, local, subscriber.next_origin(), plans)

        subscriber, made = self._negotiate(self._subscribers.get(participant), new, offer, answer)
        now = self._clock.now()
        requests = self._layer_requests
        subscriber.carry(
            made,
            wanted,
            plans,
            lambda stream: requests.get((participant, stream.stream_id), HIGHEST_LAYER),
            now,
        )
        # the allocation's history starts now: new video starts on its smallest layer
        subscriber.allocate(now, self._speakers.dominant)
        self._ensure_timer()
        return made.sdp

    def set_forwarding(self, stream_id: StreamId, enabled: bool) -> None:
        stream = self._streams.get(stream_id)
        if stream is None or stream.forwarding == enabled:
            return
        stream.forwarding = enabled
        if enabled:
            now = self._clock.now()
            for subscription in stream.subscriptions:
                subscription.start_afresh(now)

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
        for subscription in subscriber.by_mid.values():
            if subscription.stream is stream and subscription.requested != layer:
                before = subscription.target
                subscription.requested = layer
                subscription.retarget(before, now)

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

    def _negotiate(
        self,
        old: _Peer | None,
        new: Callable[[MediaTransport], _Peer],
        offer: SessionDescription,
        answer: Callable[[_Peer], _Answer],
    ) -> tuple[_Peer, _Answer]:
        """Answer ``offer`` on ``old``, or on a new peer when there is none or its transport
        closed; the new one replaces ``old`` once its answer is made. The offer's ICE
        credentials and fingerprint go to the transport; new credentials on a transport that
        had some are an ICE restart."""
        fresh = old is None or old.transport.state == "closed"
        peer = new(self._transports.create_transport()) if fresh or old is None else old
        remote = offer.remote
        try:
            peer.transport.set_remote(remote)
            if peer.remote_ufrag and peer.remote_ufrag != remote.ice_ufrag:
                peer.transport.restart_ice()
            peer.remote_ufrag = remote.ice_ufrag
            made = answer(peer)
        except MediaError:
            if fresh:
                peer.transport.close()
            raise
        if fresh:
            if isinstance(peer, Publisher):
                if isinstance(old, Publisher):
                    self._drop_publisher(old)
                self._attach_publisher(peer)
            else:
                if isinstance(old, Subscriber):
                    self._drop_subscriber(old)
                self._attach_subscriber(peer)
        return peer, made

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
        now = self._clock.now()
        carried: list[tuple[AcceptedMedia, PublishedStream]] = []
        for media in accepted:
            spec = specs[media.mid]
            stream = self._streams.get(spec.stream_id)
            if stream is None:
                stream = self._streams[spec.stream_id] = PublishedStream(
                    publisher, spec, media, now
                )
                if len(stream.layers) > 1:
                    stream.report_wanted(now)
            elif stream.update(media, now):
                for subscription in stream.subscriptions:
                    subscription.forward_nothing()  # its layers are gone
                    subscription.start_afresh(now)
                if len(stream.layers) > 1:
                    stream.report_wanted(now)
            carried.append((media, stream))
        publisher.carry(carried)
        keep = {stream.stream_id for _, stream in carried}
        for stream_id, stream in list(self._streams.items()):
            if stream.publisher is publisher and stream_id not in keep:
                self._drop_stream(stream)

    def _report_layers(self, stream: PublishedStream, wanted: tuple[bool, ...]) -> None:
        participant = stream.publisher.participant
        self._emit(PublisherLayers(self._room, participant, stream.stream_id, wanted))

    def _drop_stream(self, stream: PublishedStream) -> None:
        self._streams.pop(stream.stream_id, None)
        stream.close()
        for key in [key for key in self._layer_requests if key[1] == stream.stream_id]:
            del self._layer_requests[key]

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
        for subscription in list(subscriber.by_mid.values()):
            subscription.detach()
        subscriber.transport.close()

    def _on_state(
        self, peer: Peer, direction: Literal["publish", "subscribe"], state: TransportState
    ) -> None:
        was_connected = peer.connected
        peer.connected = state == "connected"
        if isinstance(peer, Subscriber) and peer.connected and not was_connected:
            # whatever was sent before the path was up is lost: start each stream afresh
            now = self._clock.now()
            for subscription in peer.by_mid.values():
                subscription.start_afresh(now)
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
        layer = publisher.receive(packet, header, arrival)
        if layer is None:
            self._counters.dropped += 1
            return
        if layer.record(packet, header, arrival) and self._nack_timer is None:
            self._nack_timer = self._scheduler.call_later(NACK_DELAY, self._send_due_nacks)
        stream = layer.stream
        if not stream.forwarding:
            return
        level_id = stream.level_extension
        level = -1
        if level_id:
            element = find_extension(packet, header, level_id)
            if element is not None:
                level = packet[element.start]
                if stream.source == "microphone":
                    self._speakers.add_level(publisher.participant, level)
        if layer.subscriptions:
            self._forward(layer, packet, header, arrival, level)

    def _forward(
        self, layer: PublishedLayer, packet: bytes, header: RtpHeader, arrival: float, level: int
    ) -> None:
        """The one pass over the layer's subscriptions: switch those waiting for a keyframe
        of it when this is one, rewrite and send to each."""
        stream = layer.stream
        body = OutgoingBody(packet, header, level)
        keyframe: bool | None = None
        source, sequence, timestamp = header.ssrc, header.sequence, header.timestamp
        forwarded = 0
        for subscription in layer.subscriptions:
            subscriber = subscription.subscriber
            if not subscriber.connected:
                continue
            if subscription.current is not layer:  # it waits for a keyframe of this layer
                if keyframe is None:
                    payload = memoryview(packet)[header.payload_offset : header.payload_end]
                    keyframe = stream.is_keyframe(payload)
                if not keyframe:
                    if not layer.keyframes.retrying:
                        layer.keyframes.until_keyframe(arrival)
                    continue
                if subscription.current is not None:
                    self._counters.layer_switches += 1
                subscription.switch_to(layer, arrival)
            mapped = subscription.rewriter.map(source, sequence, timestamp, arrival)
            if mapped is None:
                continue
            subscriber.outgoing.send(
                body,
                subscription.payload_type,
                mapped[0],
                mapped[1],
                subscription.ssrc,
                subscription.level_extension if level >= 0 else 0,
                arrival,
            )
            subscription.packets += 1
            subscription.octets += len(body.body)
            forwarded += 1
        self._counters.rtp_forwarded += forwarded

    def _on_publisher_rtcp(self, publisher: Publisher, data: bytes) -> None:
        now = self._clock.now()
        for packet in self._parse_rtcp(data):
            if isinstance(packet, SenderReport):
                publisher.on_sender_report(packet, now)

    def _on_subscriber_rtcp(self, subscriber: Subscriber, data: bytes) -> None:
        now = self._clock.now()
        for packet in self._parse_rtcp(data):
            if isinstance(packet, TransportFeedback):
                self._take_feedback(subscriber, packet, now)
            else:
                self._counters.retransmitted += subscriber.on_rtcp(packet, now)

    def _take_feedback(self, subscriber: Subscriber, packet: TransportFeedback, now: float) -> None:
        try:
            fell = subscriber.take_feedback(packet.fci, now)
        except TwccError:
            self._counters.dropped += 1
            return
        if fell:  # the link got shorter: do not wait for the next tick to send less
            subscriber.allocate(now, self._speakers.dominant)

    def _parse_rtcp(self, data: bytes) -> list[RtcpPacket]:
        try:
            return parse_rtcp(data)
        except RtcpError:
            self._counters.dropped += 1
            return []

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
                if self._speakers.evaluate(now):
                    self._emit(ActiveSpeaker(self._room, self._speakers.dominant))
                self._measure_layers(now)
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
            if publisher.connected:
                for packet in publisher.feedback(now):
                    publisher.transport.send_rtcp(bytes(packet))

    def _send_due_nacks(self) -> None:
        self._nack_timer = None
        now = self._clock.now()
        try:
            for publisher in self._publishers.values():
                if publisher.connected:
                    for nack in publisher.due_nacks(now):
                        publisher.transport.send_rtcp(bytes(nack))
        except Exception:
            logger.exception("NACK timer failed")

    def _measure_layers(self, now: float) -> None:
        elapsed = now - self._measured_at
        self._measured_at = now
        if elapsed > 0:
            for stream in self._streams.values():
                stream.measure(elapsed, now)

    def _allocate_all(self, now: float) -> None:
        held = 0
        dominant = self._speakers.dominant
        for subscriber in self._subscribers.values():
            subscriber.allocate(now, dominant)
            held += sum(s.held_back for s in subscriber.by_mid.values())
        self._counters.held_below_request += held - self._held_back
        self._held_back = held

    def _follow_layers(self, now: float) -> None:
        """Simulcast layers come and go with the publisher's bandwidth: move subscriptions to
        the layer that now fits their target best."""
        for stream in self._streams.values():
            if len(stream.layers) > 1 and stream.subscriptions:
                active = stream.active_layers(now)
                for subscription in stream.subscriptions:
                    if subscription.target is not None:
                        subscription.follow_target(now, active)

    def _report_all_layers(self, now: float) -> None:
        for stream in self._streams.values():
            if len(stream.layers) > 1:
                stream.report_wanted(now)

    def _send_reports(self, now: float) -> None:
        for publisher in self._publishers.values():
            if publisher.connected:
                publisher.transport.send_rtcp(serialize_compound(receiver_report(publisher, now)))
        for subscriber in self._subscribers.values():
            reports = sender_reports(subscriber, now)
            if reports and subscriber.connected:
                subscriber.transport.send_rtcp(serialize_compound(reports))
