"""The subscribed side: what one receiver gets of one published stream (the layer it is
forwarded, the one it waits to switch to, the rewriting of sequence numbers and timestamps),
and the subscriber with its send history for retransmission and transport-wide feedback."""

from __future__ import annotations

import secrets

from klingel.ids import ParticipantId
from klingel.sfu.allocation import (
    LayerAllocator,
)
from klingel.sfu.bandwidth import DownlinkEstimator, SentPacket
from klingel.sfu.published import (
    Peer,
    PublishedLayer,
    PublishedStream,
)
from klingel.sfu.rewriter import StreamRewriter
from klingel.sfu.transport import MediaTransport
from klingel.sfu.twcc import SendHistory

HISTORY_SIZE = 1 << 13  # sent packets remembered per subscriber: seconds of traffic
HISTORY_MASK = HISTORY_SIZE - 1


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
        self.packets = 0
        self.octets = 0

    @property
    def aim(self) -> int | None:
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


class Subscriber(Peer):
    __slots__ = (
        "allocated_at",
        "allocated_estimate",
        "allocator",
        "by_mid",
        "by_ssrc",
        "estimator",
        "history",
        "sent",
        "twcc_element",
        "twcc_sequence",
    )

    def __init__(self, participant: ParticipantId, transport: MediaTransport) -> None:
        super().__init__(participant, transport)
        self.by_mid: dict[str, StreamSubscription] = {}
        self.by_ssrc: dict[int, StreamSubscription] = {}
        self.estimator = DownlinkEstimator()
        self.allocator: LayerAllocator[str] = LayerAllocator()
        self.allocated_at = float("-inf")
        self.allocated_estimate = self.estimator.estimate
        # the first byte of the transport-wide sequence number element, 0 when not negotiated
        self.twcc_element = 0
        self.twcc_sequence = secrets.randbits(16)
        self.history: SendHistory | None = None
        self.sent: list[SentPacket] = []  # the history's entries

    def use_transport_cc(self, extension: int) -> None:
        self.twcc_element = (extension << 4) | 1 if extension else 0
        if extension and self.history is None:
            self.history = SendHistory(HISTORY_SIZE)
        elif not extension:
            self.history = None
        self.sent = self.history.entries if self.history is not None else []


def switch_layer(sink: StreamSubscription, layer: PublishedLayer) -> None:
    """A keyframe of ``layer`` arrived for a sink waiting for one: forward that layer from
    now on. The restart makes the rewriter open a new segment even when it switches back to a
    source it had before, continuing one sequence number after the last one sent."""
    old = sink.current
    if old is not None:
        old.sinks.remove(sink)
    sink.current = layer
    sink.pending = None
    sink.rewriter.restart()


def unhook(sink: StreamSubscription) -> None:
    """Forward nothing to ``sink`` and wait for nothing (paused, or about to start afresh)."""
    for layer in (sink.current, sink.pending):
        if layer is not None and sink in layer.sinks:
            layer.sinks.remove(sink)
    sink.current = sink.pending = None


def request_keyframe(sink: StreamSubscription, now: float) -> None:
    """The subscriber lost a picture (PLI or FIR): ask the layer it gets or is about to get."""
    layer = sink.pending or sink.current
    if layer is not None:
        layer.keyframes.request(now)
