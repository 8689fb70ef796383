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
old one until then. A new subscriber's first keyframe is asked for when it subscribes; one that
comes before its path is up is kept in the layer's buffer and sent the moment the path is up.

Everything periodic runs on one timer, which stops in an empty room: it detects the dominant
speaker and calls the room's publishers (``klingel.sfu.publishers``: feedback, NACKs, layer
bitrates, simulcast layers coming and going, receiver reports) and subscribers
(``klingel.sfu.subscribers``: downlink allocation, sender reports). A new gap is NACKed on a
short one-off timer, and keyframe requests have their own pacing (``klingel.sfu.keyframes``).
The timers are set on the scheduler the router is given, and the time read from its clock
(``klingel.sfu.clock``).

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
    Stage,
    StageChanged,
    Subscription,
    TrackSpec,
    TransportState,
    TransportStateChanged,
)
from klingel.sfu.clock import EVENT_LOOP, Clock, Scheduler, Timer
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.outgoing import OutgoingBody
from klingel.sfu.programme import Programme, SlotLayer
from klingel.sfu.published import (
    KeptKeyframe,
    Peer,
    PublishedLayer,
    PublishedStream,
    Publisher,
)
from klingel.sfu.publishers import RoomPublishers
from klingel.sfu.relay import (
    KIND_KEYFRAME,
    KIND_RTP,
    KIND_SENDER_REPORT,
    RelayPeer,
    read_sender_report,
)
from klingel.sfu.rtcp import (
    RtcpError,
    RtcpPacket,
    SenderReport,
    TransportFeedback,
    parse_rtcp,
)
from klingel.sfu.rtp import RtpError, RtpHeader, find_extension, parse_rtp
from klingel.sfu.sdp import SessionDescription, parse_offer
from klingel.sfu.sdp_answer import (
    PublishAnswer,
    SubscribeAnswer,
    SubscriptionPlan,
    build_publish_answer,
    build_subscribe_answer,
)
from klingel.sfu.speaker import SpeakerDetector
from klingel.sfu.subscribed import ReceivedLayers, Subscriber
from klingel.sfu.subscribers import RoomSubscribers
from klingel.sfu.transport import MediaTransport, TransportFactory
from klingel.sfu.twcc import TwccError

__all__ = ["RoomRouter"]

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.1  # transport-cc feedback (libwebrtc's default interval), NACK retries
REPORT_TICKS = 10  # receiver and sender reports, REMB: every second
KEPT_KEYFRAME_DELAY = 0.01
"""Seconds from the subscriber's path coming up (the SFU, the DTLS server, has sent its last
flight) to sending the keyframes kept meanwhile. Chromium drops what arrives with that last
flight, before its side of the handshake is done; a subscriber that still lost them asks with a
PLI and is sent them again (``StreamSubscription.request_keyframe``)."""
SPEAKER_TICKS = 3  # dominant speaker, simulcast layers coming and going, allocation: 300 ms

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
        self._published = RoomPublishers(clock, scheduler)
        self._subscribed = RoomSubscribers(counters)
        self._speakers: SpeakerDetector[ParticipantId] = SpeakerDetector()
        self._programme: Programme | None = None
        self._timer: Timer | None = None
        # subscribers whose path just came up, until their kept keyframes are sent
        self._kept_timers: dict[Subscriber, Timer] = {}
        self._ticks = 0
        self._closed = False

    @property
    def transport_count(self) -> int:
        return len(self._published) + len(self._subscribed)

    def received_layers(
        self, participant: ParticipantId, stream_id: StreamId
    ) -> ReceivedLayers | None:
        """Which layers of a stream ``participant`` receives, None if it is not subscribed."""
        return self._subscribed.received_layers(participant, stream_id)

    def downlink_estimate(self, participant: ParticipantId) -> int | None:
        """What ``participant``'s subscribe connection is estimated to carry, in bits/s."""
        return self._subscribed.downlink_estimate(participant)

    # --- requests -----------------------------------------------------------------------

    def publish(
        self, participant: ParticipantId, offer_sdp: str, tracks: Sequence[TrackSpec]
    ) -> str:
        offer = parse_offer(offer_sdp)
        specs = {track.mid: track for track in tracks}
        if len(specs) != len(tracks) or len({t.stream_id for t in tracks}) != len(tracks):
            raise MediaError("bad_sdp", "a mid or stream is named twice")
        for track in tracks:
            owner = self._published.streams.get(track.stream_id)
            if owner is not None and owner.publisher.participant != participant:
                raise MediaError("bad_sdp", "stream id belongs to someone else")
        kinds: dict[str, MediaKind] = {mid: spec.kind for mid, spec in specs.items()}

        def new(transport: MediaTransport) -> Publisher:
            clock, scheduler = self._clock, self._scheduler
            return Publisher(participant, transport, clock, scheduler, self._report_layers)

        def answer(publisher: Publisher) -> PublishAnswer:
            local = publisher.transport.local_parameters
            return build_publish_answer(offer, local, publisher.next_origin(), kinds)

        old = self._published.by_participant.get(participant)
        publisher, made = self._negotiate(old, new, offer, answer)
        now = self._clock.now()
        gone = self._published.carry(publisher, made.media, specs, now)
        self._subscribed.forget_streams(gone)
        self._restage(now)
        self._ensure_timer()
        return made.sdp

    def subscribe(
        self, participant: ParticipantId, offer_sdp: str, subscriptions: Sequence[Subscription]
    ) -> str:
        offer = parse_offer(offer_sdp)
        wanted: dict[str, PublishedStream] = {}
        for request in subscriptions:
            stream = self._published.streams.get(request.stream_id)
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

        old = self._subscribed.by_participant.get(participant)
        subscriber, made = self._negotiate(old, new, offer, answer)
        now = self._clock.now()
        requested = functools.partial(self._subscribed.requested, participant)
        subscriber.carry(made, wanted, plans, requested, now)
        # the allocation's history starts now: new video starts on its smallest layer
        subscriber.allocate(now, self._speakers.dominant)
        self._ensure_timer()
        return made.sdp

    def set_forwarding(self, stream_id: StreamId, enabled: bool) -> None:
        stream = self._published.streams.get(stream_id)
        if stream is None or stream.forwarding == enabled:
            return
        stream.forwarding = enabled
        now = self._clock.now()
        if enabled:
            for subscription in stream.subscriptions:
                subscription.start_afresh(now)
        self._restage(now)

    def set_stage(self, stage: Stage) -> None:
        """The programme's rules (``MediaBackend.set_stage``); its slots are made on the first
        call and stay for the room's life."""
        programme = self._ensure_programme(None)
        programme.set_stage(stage)
        self._restage(self._clock.now())

    def relay_to(self, peer: RelayPeer) -> None:
        """The programme goes to another worker too (``klingel.sfu.relay``)."""
        self._ensure_programme(None).relay_to(peer)

    def end_relay(self, relay: int) -> None:
        if self._programme is not None:
            self._programme.end_relay(relay)

    def receive_relay(self, peer: RelayPeer) -> None:
        """This worker's router of the room holds only a programme relayed from the room's
        worker, ``peer``, for the viewers placed here."""
        self._ensure_programme(peer)

    def _ensure_programme(self, upstream: RelayPeer | None) -> Programme:
        programme = self._programme
        if programme is None:
            now = self._clock.now()
            programme = Programme(self._clock, self._scheduler, now, upstream)
            self._programme = programme
            self._published.streams.update(programme.slots)
            self._ensure_timer()
        return programme

    def take_relayed(
        self, relay: int, kind: int, slot: int, layer: int, payload: bytes, arrival: float
    ) -> None:
        """A datagram of one of this room's relays: a slot's packet or sender report (on a
        relayed programme), or a keyframe request (on the room's worker)."""
        programme = self._programme
        target = None if programme is None else programme.layer(slot, layer)
        if programme is None or target is None:
            self._counters.dropped += 1
            return
        relayed = programme.upstream is not None
        if kind == KIND_RTP and relayed:
            try:
                header = parse_rtp(payload)
            except RtpError:
                self._counters.dropped += 1
                return
            self._counters.rtp_received += 1
            target.record(payload, header, arrival)
            if target.subscriptions:
                self._forward(target, payload, header, arrival, -1)
            # A programme relayed from another node goes on to this node's other workers.
            for onward in target.relays:
                onward.rtp(slot, layer, payload)
        elif kind == KIND_KEYFRAME:
            target.keyframes.request(arrival)  # on a relayed programme: asked upstream
        elif kind == KIND_SENDER_REPORT and relayed:
            times = read_sender_report(payload)
            if times is not None:
                target.sender_report = (times[0], times[1], arrival)
                for onward in target.relays:
                    onward.sender_report(slot, layer, times[0], times[1])
        else:
            self._counters.dropped += 1

    def set_layer(self, participant: ParticipantId, stream_id: StreamId, layer: int | None) -> None:
        """Which layer of a video stream ``participant`` receives (see
        ``MediaBackend.set_layer``); remembered for a subscription made later."""
        stream = self._published.streams.get(stream_id)
        if stream is None:
            raise MediaError("unknown_stream", "no such stream in this room")
        if layer is not None and layer < 0:
            raise ValueError("a layer is None or at least 0")
        if stream.kind != "video":
            return  # audio is never paused and has one layer
        self._subscribed.set_layer(participant, stream, layer, self._clock.now())

    def remove_participant(self, participant: ParticipantId) -> None:
        publisher = self._published.by_participant.get(participant)
        if publisher is not None:
            self._drop_publisher(publisher)
        subscriber = self._subscribed.by_participant.get(participant)
        if subscriber is not None:
            self._subscribed.drop(subscriber)
            kept = self._kept_timers.pop(subscriber, None)
            if kept is not None:
                kept.cancel()
        self._speakers.remove(participant)
        self._subscribed.forget_participant(participant)
        if self._programme is not None:
            self._programme.forget(participant)

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for timer in self._kept_timers.values():
            timer.cancel()
        self._kept_timers.clear()
        if self._programme is not None:
            self._programme.close()
            self._programme = None
        self._subscribed.forget_streams(self._published.close())
        self._subscribed.close()

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
                    self._subscribed.drop(old)
                self._attach_subscriber(peer)
        return peer, made

    def _attach_publisher(self, publisher: Publisher) -> None:
        self._published.add(publisher)
        transport = publisher.transport
        # partial, not a lambda: no extra Python frame for every packet
        transport.on_rtp = functools.partial(self._on_publisher_rtp, publisher)
        transport.on_rtcp = lambda packet: self._on_publisher_rtcp(publisher, packet)
        transport.on_state = lambda state: self._on_state(publisher, "publish", state)

    def _attach_subscriber(self, subscriber: Subscriber) -> None:
        self._subscribed.add(subscriber)
        transport = subscriber.transport
        transport.on_rtp = self._on_unexpected_rtp
        transport.on_rtcp = lambda packet: self._on_subscriber_rtcp(subscriber, packet)
        transport.on_state = lambda state: self._on_state(subscriber, "subscribe", state)

    def _report_layers(self, stream: PublishedStream, wanted: tuple[bool, ...]) -> None:
        participant = stream.publisher.participant
        self._emit(PublisherLayers(self._room, participant, stream.stream_id, wanted))

    def _drop_publisher(self, publisher: Publisher) -> None:
        self._subscribed.forget_streams(self._published.drop(publisher))
        self._restage(self._clock.now())

    def _restage(self, now: float) -> None:
        """The programme follows what the room publishes and who speaks."""
        programme = self._programme
        if (
            programme is not None
            and programme.upstream is None
            and programme.choose(self._published.streams.values(), self._speakers.dominant, now)
        ):
            self._emit(StageChanged(self._room, *programme.on_stage))

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
            if peer not in self._kept_timers:
                self._kept_timers[peer] = self._scheduler.call_later(
                    KEPT_KEYFRAME_DELAY, functools.partial(self._send_kept_keyframes, peer)
                )
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
        if layer.record(packet, header, arrival):
            self._published.nack_soon()
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
        if layer.feeds:
            self._feed(layer, packet, header, arrival, level)

    def _feed(
        self, layer: PublishedLayer, packet: bytes, header: RtpHeader, arrival: float, level: int
    ) -> None:
        """The programme slots fed from ``layer`` take the packet as their own, and send it
        on to their viewers."""
        feeds = layer.feeds
        keyframe = False
        if any(feed.awaiting is layer for feed in feeds):
            payload = memoryview(packet)[header.payload_offset : header.payload_end]
            keyframe = layer.stream.is_keyframe(payload)
        # A feed switching to this layer leaves only its old source's list: no copy needed.
        for feed in feeds:
            taken = feed.take(layer, packet, header, keyframe, arrival)
            if taken is None:
                continue
            out, out_header = taken
            feed.record(out, out_header, arrival)
            if feed.subscriptions:
                self._forward(feed, out, out_header, arrival, level)
            if feed.relays and _carries_its_own(feed, feeds):
                for relay in feed.relays:
                    relay.rtp(feed.slot, feed.index, out)

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
                if subscription.pending is layer:  # its path is coming up: keep a keyframe
                    if keyframe is None:
                        payload = memoryview(packet)[header.payload_offset : header.payload_end]
                        keyframe = stream.is_keyframe(payload)
                    if keyframe:
                        layer.kept_keyframe = KeptKeyframe(source, sequence, arrival)
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

    def _send_kept_keyframes(self, subscriber: Subscriber) -> None:
        """The subscriber's path came up a moment ago: each video it waits for starts with the
        keyframe kept while the path came up, if there is one."""
        self._kept_timers.pop(subscriber, None)
        if not subscriber.connected:
            return
        now = self._clock.now()
        sent = 0
        for subscription in subscriber.by_mid.values():
            if subscription.stream.forwarding:
                sent += subscription.start_from_kept(now)
        self._counters.rtp_forwarded += sent

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
        published, subscribed = self._published, self._subscribed
        if not published and not subscribed and self._speakers.dominant is None:
            # An empty room needs no timer until someone comes back (once it has said that
            # nobody speaks any more).
            self._timer = None
            return
        self._timer = self._scheduler.call_later(TICK_SECONDS, self._tick)
        self._ticks += 1
        now = self._clock.now()
        try:
            published.send_feedback(now)
            if self._ticks % SPEAKER_TICKS == 0:
                if self._speakers.evaluate(now):
                    self._emit(ActiveSpeaker(self._room, self._speakers.dominant))
                    if self._programme is not None:
                        self._programme.spoke(self._speakers.dominant)
                self._restage(now)
                published.measure(now)  # the layer bitrates the allocation splits by
                subscribed.allocate(now, self._speakers.dominant)
                published.follow_layers(now)  # the allocated layers count as wanted
            if self._ticks % REPORT_TICKS == 0:
                if self._programme is not None:
                    self._programme.carry_sender_reports()
                published.send_reports(now)
                subscribed.send_reports(now)
        except Exception:
            # one bad state must not stop feedback for the whole room
            logger.exception("room timer failed")


def _carries_its_own(feed: SlotLayer, feeds: list[SlotLayer]) -> bool:
    """Whether a slot layer carries pictures no lower layer of its slot carries. A publisher
    with fewer layers than the camera slot feeds two slot layers from one of its own; the
    higher copy is not relayed (other workers' and nodes' viewers fall back to the lower one,
    as to any layer not sent), so the relay carries each picture once."""
    source = feed.feeding
    return not any(
        other.slot == feed.slot and other.index < feed.index and other.feeding is source
        for other in feeds
    )
