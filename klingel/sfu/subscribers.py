"""A room's subscribers, the layers they asked for, and what the room does for them between
packets (``klingel.sfu.subscribed`` is one subscriber and its stream subscriptions).

A layer asked for (``set_layer``) is kept by subscriber and stream, also for a stream not
subscribed yet: a subscription made later starts with it. The room's timer
(``klingel.sfu.router``) calls these: every few ticks each subscriber's downlink estimate is
split over its video streams (``klingel.sfu.allocation``), and the worker counts the video
subscriptions that bandwidth keeps below their request; every second each connected
subscriber gets a sender report for every stream it was sent (``klingel.sfu.reports``).
"""

from __future__ import annotations

from collections.abc import Iterable

from klingel.ids import ParticipantId, StreamId
from klingel.sfu.counters import WorkerCounters
from klingel.sfu.published import PublishedStream
from klingel.sfu.reports import sender_reports
from klingel.sfu.rtcp import serialize_compound
from klingel.sfu.simulcast import HIGHEST_LAYER
from klingel.sfu.subscribed import ReceivedLayers, Subscriber

__all__ = ["RoomSubscribers"]


class RoomSubscribers:
    """Every subscriber of one room, by participant, and the layers they asked for."""

    __slots__ = ("_counters", "_held_back", "_layer_requests", "by_participant")

    def __init__(self, counters: WorkerCounters) -> None:
        self.by_participant: dict[ParticipantId, Subscriber] = {}
        # set_layer requests, kept for subscriptions made later
        self._layer_requests: dict[tuple[ParticipantId, StreamId], int | None] = {}
        self._counters = counters
        self._held_back = 0  # this room's share of counters.held_below_request

    def __len__(self) -> int:
        return len(self.by_participant)

    def add(self, subscriber: Subscriber) -> None:
        """``subscriber`` is the participant's subscribe transport from now on."""
        self.by_participant[subscriber.participant] = subscriber

    def drop(self, subscriber: Subscriber) -> None:
        """``subscriber`` leaves, or a new transport replaces it: its subscriptions end and its
        transport closes."""
        if self.by_participant.get(subscriber.participant) is subscriber:
            del self.by_participant[subscriber.participant]
        for subscription in list(subscriber.by_mid.values()):
            subscription.detach()
        subscriber.transport.close()

    def close(self) -> None:
        """The room ends: its share of the counters goes, every subscriber is dropped."""
        self._counters.held_below_request -= self._held_back
        self._held_back = 0
        for subscriber in list(self.by_participant.values()):
            self.drop(subscriber)

    def received_layers(
        self, participant: ParticipantId, stream_id: StreamId
    ) -> ReceivedLayers | None:
        subscriber = self.by_participant.get(participant)
        if subscriber is not None:
            for subscription in subscriber.by_mid.values():
                if subscription.stream.stream_id == stream_id:
                    return subscription.received_layers()
        return None

    def downlink_estimate(self, participant: ParticipantId) -> int | None:
        subscriber = self.by_participant.get(participant)
        return None if subscriber is None else subscriber.estimator.estimate

    # --- layer requests -----------------------------------------------------------------

    def requested(self, participant: ParticipantId, stream: PublishedStream) -> int | None:
        """The layer ``participant`` asked for of ``stream``; the largest if it asked none."""
        return self._layer_requests.get((participant, stream.stream_id), HIGHEST_LAYER)

    def set_layer(
        self, participant: ParticipantId, stream: PublishedStream, layer: int | None, now: float
    ) -> None:
        """Keep the request; ``participant``'s subscription to ``stream``, if any, moves
        towards it."""
        self._layer_requests[(participant, stream.stream_id)] = layer
        subscriber = self.by_participant.get(participant)
        if subscriber is None:
            return
        for subscription in subscriber.by_mid.values():
            if subscription.stream is stream and subscription.requested != layer:
                before = subscription.target
                subscription.requested = layer
                subscription.retarget(before, now)

    def forget_participant(self, participant: ParticipantId) -> None:
        for key in [key for key in self._layer_requests if key[0] == participant]:
            del self._layer_requests[key]

    def forget_streams(self, stream_ids: Iterable[StreamId]) -> None:
        """The streams are published no more: no request for them is kept."""
        gone = set(stream_ids)
        if gone:
            for key in [key for key in self._layer_requests if key[1] in gone]:
                del self._layer_requests[key]

    # --- between packets ---------------------------------------------------------------

    def allocate(self, now: float, dominant: ParticipantId | None) -> None:
        """Split each subscriber's estimate over its video streams (the ``dominant`` speaker's
        before the others), and count those held below their request."""
        held = 0
        for subscriber in self.by_participant.values():
            subscriber.allocate(now, dominant)
            held += sum(s.held_back for s in subscriber.by_mid.values())
        self._counters.held_below_request += held - self._held_back
        self._held_back = held

    def send_reports(self, now: float) -> None:
        """Every second: sender reports to each connected subscriber that was sent anything."""
        for subscriber in self.by_participant.values():
            reports = sender_reports(subscriber, now)
            if reports and subscriber.connected:
                subscriber.transport.send_rtcp(serialize_compound(reports))
