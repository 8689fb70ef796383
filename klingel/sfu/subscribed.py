"""The subscribed side: what one receiver gets of one published stream, and the receiver.

A ``StreamSubscription`` forwards one layer of its stream at a time (``current``). Its
``target`` is the layer to forward: the lower of the layer its subscriber requested and the
layer its bandwidth allows (``allocated``), or the nearest one published. Video moves to a new
layer only at a keyframe of that layer (``pending`` until then, keyframes asked for, paced)
and keeps forwarding the old one meanwhile; audio has one layer and forwards it at once. The
rewriter keeps the subscriber's numbering continuous across such moves, and answers the
subscriber's NACKs from the layers' buffers.

A ``Subscriber`` is a participant's subscribe transport: the packets it sends
(``klingel.sfu.outgoing``), its downlink estimate (``klingel.sfu.bandwidth``) and the split of
that estimate over its video streams (``klingel.sfu.allocation``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from klingel.ids import ParticipantId
from klingel.sfu.allocation import (
    PRIORITY_OTHER,
    PRIORITY_SCREEN,
    PRIORITY_SPEAKER,
    LayerAllocator,
    VideoDemand,
)
from klingel.sfu.bandwidth import DownlinkEstimator
from klingel.sfu.outgoing import OutgoingBody, OutgoingRtp
from klingel.sfu.published import (
    KEPT_KEYFRAME_AGE,
    Peer,
    PublishedLayer,
    PublishedStream,
    random_ssrc,
)
from klingel.sfu.rewriter import StreamRewriter
from klingel.sfu.rtcp import (
    FullIntraRequest,
    GenericNack,
    PictureLossIndication,
    Remb,
    RtcpPacket,
)
from klingel.sfu.sdp_answer import SubscribeAnswer, SubscriptionPlan
from klingel.sfu.simulcast import select_layer
from klingel.sfu.transport import MediaTransport

__all__ = ["ALLOCATION_INTERVAL", "ReceivedLayers", "StreamSubscription", "Subscriber"]

ALLOCATION_INTERVAL = 0.1  # feedback that lowers the estimate re-splits it at most this often
_MAX_RETRANSMISSIONS = 64  # per NACK


@dataclass(frozen=True, slots=True)
class ReceivedLayers:
    """Which layers of a stream one subscriber gets, by index (None: none)."""

    forwarded: int | None  # the layer forwarded now
    awaited: int | None  # the layer it switches to at that layer's next keyframe
    target: int | None  # the lower of requested and allocated
    requested: int | None
    allocated: int | None  # what the subscriber's bandwidth allows


class StreamSubscription:
    """One subscribed stream on one subscriber's transport. ``current`` is the layer it
    forwards (None: nothing, until a keyframe), ``pending`` the layer it waits to switch to."""

    __slots__ = (
        "allocated",
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
        "started_from",
        "stream",
        "subscriber",
    )

    def __init__(
        self,
        subscriber: Subscriber,
        mid: str,
        stream: PublishedStream,
        ssrc: int,
        requested: int | None,
    ) -> None:
        self.subscriber = subscriber
        self.mid = mid
        self.stream = stream
        self.ssrc = ssrc
        self.requested = requested
        # what the subscriber's bandwidth allows: the smallest layer to start with
        self.allocated: int | None = 0
        self.current: PublishedLayer | None = None
        self.pending: PublishedLayer | None = None
        self.payload_type = stream.codec.payload_type
        self.level_extension = 0
        self.rewriter = StreamRewriter(
            ssrc,
            stream.clock_rate,
            initial_sequence=secrets.randbits(16),
            initial_timestamp=secrets.randbits(32),
        )
        self.packets = 0  # forwarded, for sender reports
        self.octets = 0
        # the outgoing sequence number of the kept keyframe it started with, and when
        self.started_from: tuple[int, float] | None = None

    @property
    def target(self) -> int | None:
        """The layer to forward if it is published: the lower of request and allocation."""
        requested, allocated = self.requested, self.allocated
        if requested is None or allocated is None:
            return None
        return min(requested, allocated, len(self.stream.layers) - 1)

    @property
    def held_back(self) -> bool:
        """Bandwidth keeps it below the layer it asked for."""
        requested = self.requested
        if requested is None or self.stream.kind != "video":
            return False
        wanted = min(requested, len(self.stream.layers) - 1)
        return self.allocated is None or self.allocated < wanted

    def received_layers(self) -> ReceivedLayers:
        current, pending = self.current, self.pending
        return ReceivedLayers(
            forwarded=None if current is None else current.index,
            awaited=None if pending is None else pending.index,
            target=self.target,
            requested=self.requested,
            allocated=self.allocated,
        )

    def follow_target(self, now: float, active: list[bool] | None = None) -> None:
        """Move towards the layer the target calls for: audio forwards its one layer at once;
        video waits for a keyframe of the new layer (asked for, paced) and forwards the old
        one meanwhile. ``active`` is ``stream.active_layers(now)`` if already known."""
        stream = self.stream
        if stream.kind != "video":
            if self.current is None:
                self.current = stream.layers[0]
                self.current.subscriptions.append(self)
            return
        if active is None:
            active = stream.active_layers(now)
        target = self.target
        index = select_layer(target, active)
        if index is None:
            self.forward_nothing()
            return
        if target is not None and len(stream.layers) > 1:
            stream.want(target, now)
        layer = stream.layers[index]
        if layer is self.current or layer is self.pending:
            if layer is self.current and self.pending is not None:
                self.pending.subscriptions.remove(self)
                self.pending = None
            return
        if self.pending is not None:
            self.pending.subscriptions.remove(self)
        self.pending = layer
        layer.subscriptions.append(self)
        if not stream.forwarding:
            return
        if self.subscriber.connected:
            layer.keyframes.until_keyframe(now)
        else:
            # Asked for once while the path comes up: a keyframe that comes before the path
            # is up is kept (``PublishedLayer.kept_keyframe``) and sent once it is.
            layer.keyframes.request(now)

    def retarget(self, before: int | None, now: float) -> None:
        """The request or the allocation changed; ``before`` was the target."""
        if before is None and self.target is not None:
            self.start_afresh(now)  # resuming waits for a keyframe, numbering goes on
        else:
            self.follow_target(now)

    def start_afresh(self, now: float) -> None:
        """Whatever was forwarded before is gone (the path just came up, or forwarding
        resumes): video starts again at a keyframe, and the numbering goes on without a gap."""
        self.rewriter.restart()
        if self.stream.kind == "video":
            self.forward_nothing()
        self.follow_target(now)

    def switch_to(self, layer: PublishedLayer, arrival: float) -> None:
        """A keyframe of ``layer`` arrived while waiting for one: forward that layer from now
        on. The restart makes the rewriter open a new segment even when it switches back to a
        source it had before, continuing one sequence number after the last one sent."""
        old = self.current
        if old is not None:
            old.subscriptions.remove(self)
        self.current = layer
        self.pending = None
        self.rewriter.restart()
        # the keyframe it starts with is a burst the estimate expects; not so for every
        # keyframe: those a lossy link asks for would then hide its congestion
        self.subscriber.estimator.expect_burst(arrival)

    def forward_nothing(self) -> None:
        """Forward nothing and wait for nothing (paused, or about to start afresh)."""
        for layer in (self.current, self.pending):
            if layer is not None and self in layer.subscriptions:
                layer.subscriptions.remove(self)
        self.current = self.pending = None

    def detach(self) -> None:
        """The subscription ends: off its subscriber, its stream and its layers."""
        subscriber = self.subscriber
        if subscriber.by_mid.get(self.mid) is self:
            del subscriber.by_mid[self.mid]
        if subscriber.by_ssrc.get(self.ssrc) is self:
            del subscriber.by_ssrc[self.ssrc]
        if self in self.stream.subscriptions:
            self.stream.subscriptions.remove(self)
        self.forward_nothing()

    def request_keyframe(self, now: float) -> int:
        """The subscriber lost a picture (PLI or FIR): ask the layer it gets or is about to
        get; how many packets were sent again instead.

        A subscription that just started with a kept keyframe is sent it again: its receiver
        drops what comes before its side of the DTLS handshake is done, and a request to
        the encoder so soon after the one that made it would be ignored."""
        started = self.started_from
        if started is not None:
            self.started_from = None
            if now - started[1] <= KEPT_KEYFRAME_AGE and self.current is not None:
                first = started[0]
                return self.retransmit(
                    [(first + offset) & 0xFFFF for offset in range(_MAX_RETRANSMISSIONS)], now
                )
        layer = self.pending or self.current
        if layer is not None:
            layer.keyframes.request(now)
        return 0

    def start_from_kept(self, now: float) -> int:
        """Start with the keyframe its layer kept while this subscriber's path came up, and
        what followed it, from the layer's buffer; how many packets were sent (0: none kept,
        or too old to start a picture with)."""
        layer = self.pending
        if layer is None or layer.buffer is None or not self.subscriber.connected:
            return 0
        kept = layer.kept_keyframe
        if kept is None or now - kept.arrival > KEPT_KEYFRAME_AGE:
            return 0
        buffer, ssrc = layer.buffer, kept.ssrc
        first = buffer.get(kept.sequence, now)
        if first is None or first.header.ssrc != ssrc:
            return 0
        count = ((layer.reception.highest & 0xFFFF) - kept.sequence) & 0xFFFF
        if count >= 0x8000:  # the layer's numbering moved on (a new SSRC)
            return 0
        self.switch_to(layer, now)
        rewriter, outgoing = self.rewriter, self.subscriber.outgoing
        sent = 0
        for offset in range(count + 1):
            entry = buffer.get((kept.sequence + offset) & 0xFFFF, now)
            if entry is None or entry.header.ssrc != ssrc:
                continue  # lost on the way in: the subscriber NACKs the gap
            header = entry.header
            mapped = rewriter.map(ssrc, header.sequence, header.timestamp, now)
            if mapped is None:
                continue
            if not sent:
                self.started_from = (mapped[0], now)
            body = OutgoingBody(entry.packet, header)
            outgoing.send(body, self.payload_type, mapped[0], mapped[1], self.ssrc, 0, now)
            self.packets += 1
            self.octets += len(body.body)
            sent += 1
        return sent

    def retransmit(self, sequences: list[int], now: float) -> int:
        """Send again what the subscriber NACKed and the layers' buffers still hold, as it
        was numbered the first time; how many were sent."""
        if not self.subscriber.connected:
            return 0
        stream = self.stream
        by_ssrc = stream.publisher.by_ssrc
        rewriter = self.rewriter
        sent = 0
        for out_sequence in sequences[:_MAX_RETRANSMISSIONS]:
            origin = rewriter.source_of(out_sequence)
            if origin is None:
                continue
            layer = by_ssrc.get(origin[0])
            if layer is None or layer.stream is not stream or layer.buffer is None:
                continue
            entry = layer.buffer.get(origin[1], now)
            if entry is None:
                continue
            header = entry.header
            mapped = rewriter.map(header.ssrc, header.sequence, header.timestamp, now)
            if mapped is None or mapped[0] != out_sequence:
                continue
            body = OutgoingBody(entry.packet, header)
            self.subscriber.outgoing.send(
                body, self.payload_type, mapped[0], mapped[1], self.ssrc, 0, now
            )
            sent += 1
        return sent


class Subscriber(Peer):
    """A participant's subscribe transport and the streams it receives."""

    __slots__ = (
        "allocated_at",
        "allocated_estimate",
        "allocator",
        "by_mid",
        "by_ssrc",
        "estimator",
        "outgoing",
    )

    def __init__(self, participant: ParticipantId, transport: MediaTransport) -> None:
        super().__init__(participant, transport)
        self.by_mid: dict[str, StreamSubscription] = {}
        self.by_ssrc: dict[int, StreamSubscription] = {}
        self.outgoing = OutgoingRtp(transport)
        self.estimator = DownlinkEstimator()
        self.allocator: LayerAllocator[str] = LayerAllocator()
        self.allocated_at = float("-inf")
        self.allocated_estimate = self.estimator.estimate

    def add(
        self, mid: str, stream: PublishedStream, ssrc: int, requested: int | None
    ) -> StreamSubscription:
        subscription = StreamSubscription(self, mid, stream, ssrc, requested)
        self.by_mid[mid] = subscription
        self.by_ssrc[ssrc] = subscription
        stream.subscriptions.append(subscription)
        return subscription

    def plan(self, wanted: dict[str, PublishedStream]) -> dict[str, SubscriptionPlan]:
        """What each m-section of a subscribe answer sends: a subscription that stays keeps its
        SSRC, a new one gets an SSRC of its own on this transport."""
        taken = {subscription.ssrc for subscription in self.by_mid.values()}
        plans: dict[str, SubscriptionPlan] = {}
        for mid, stream in wanted.items():
            current = self.by_mid.get(mid)
            if current is not None and current.stream is stream:
                ssrc = current.ssrc
            else:
                ssrc = random_ssrc(taken)
                taken.add(ssrc)
            plans[mid] = SubscriptionPlan(
                stream.kind, stream.codec, ssrc, stream.publisher.participant, stream.stream_id
            )
        return plans

    def carry(
        self,
        answer: SubscribeAnswer,
        wanted: dict[str, PublishedStream],
        plans: dict[str, SubscriptionPlan],
        requested: Callable[[PublishedStream], int | None],
        now: float,
    ) -> None:
        """The streams the answer sends, as ``plan`` planned them; ``requested`` is the layer
        asked for a stream before it was subscribed."""
        self.outgoing.use_transport_cc(answer.transport_cc_extension)
        sending = {media.mid: media for media in answer.media}
        for mid, stale in list(self.by_mid.items()):
            if mid not in sending or wanted.get(mid) is not stale.stream:
                stale.detach()
        for mid, media in sending.items():
            subscription = self.by_mid.get(mid)
            if subscription is None:
                stream = wanted[mid]
                subscription = self.add(mid, stream, plans[mid].ssrc, requested(stream))
                subscription.follow_target(now)
            subscription.payload_type = media.payload_type
            subscription.level_extension = media.audio_level_extension

    def on_rtcp(self, packet: RtcpPacket, now: float) -> int:
        """What the receiver asks of its streams: NACKs answered from the buffers, lost
        pictures (PLI, FIR) asked of the publisher, its REMB; how many packets it was sent
        again."""
        by_ssrc = self.by_ssrc
        if isinstance(packet, GenericNack):
            subscription = by_ssrc.get(packet.media_ssrc)
            if subscription is not None:
                return subscription.retransmit(packet.lost_sequences(), now)
        elif isinstance(packet, PictureLossIndication):
            subscription = by_ssrc.get(packet.media_ssrc)
            if subscription is not None:
                return subscription.request_keyframe(now)
        elif isinstance(packet, FullIntraRequest):
            sent = 0
            for ssrc, _number in packet.entries:
                subscription = by_ssrc.get(ssrc)
                if subscription is not None:
                    sent += subscription.request_keyframe(now)
            return sent
        elif isinstance(packet, Remb):
            self.estimator.on_remb(packet.bitrate)
        return 0

    def take_feedback(self, fci: bytes, now: float) -> bool:
        """Feed a transport-wide feedback into the estimate; True if the estimate fell so far
        that the allocation should not wait for its next turn. Raises ``TwccError``."""
        history = self.outgoing.history
        if history is None:
            return False
        report = history.report(fci)
        sent, _, _, lost = report
        if not sent and not lost:
            return False
        estimate = self.estimator.on_feedback(report, now)
        return (
            estimate < 0.9 * self.allocated_estimate
            and now - self.allocated_at >= ALLOCATION_INTERVAL
        )

    def allocate(self, now: float, dominant: ParticipantId | None) -> None:
        """Split the estimate over the video streams and let each follow its share; audio
        is reserved first, the screen and the ``dominant`` speaker go before the others."""
        audio = 0
        demands: list[VideoDemand[str]] = []
        for subscription in self.by_mid.values():
            stream = subscription.stream
            if stream.kind == "audio":
                audio += stream.bitrates[0]
            elif stream.forwarding:
                if stream.source == "screen":
                    priority = PRIORITY_SCREEN
                elif stream.publisher.participant == dominant:
                    priority = PRIORITY_SPEAKER
                else:
                    priority = PRIORITY_OTHER
                demands.append(
                    VideoDemand(subscription.mid, subscription.requested, stream.bitrates, priority)
                )
        estimate = self.estimator.estimate
        choice = self.allocator.update(now, estimate, audio, demands)
        self.allocated_at = now
        self.allocated_estimate = estimate
        for mid, allocated in choice.items():
            subscription = self.by_mid[mid]
            if subscription.allocated != allocated:
                before = subscription.target
                subscription.allocated = allocated
                if subscription.target != before:
                    subscription.retarget(before, now)
