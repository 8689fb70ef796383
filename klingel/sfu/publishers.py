"""A room's publishers and the streams they publish, and what the room does for them between
packets (``klingel.sfu.published`` is one publisher, its streams and their layers).

The room's timer (``klingel.sfu.router``) calls these. On every tick each connected publisher
gets its transport-wide congestion feedback and the NACKs due for another try (RFC 4585
section 6.2.1); a new gap does not wait for the tick but is NACKed after ``NACK_DELAY``, on a
one-off timer. Every few ticks each layer's received bitrate is measured (what the downlink
allocation splits), subscriptions follow the simulcast layers that come and go with the
publisher's bandwidth, and each publisher is told which of its layers anyone wants. Every
second each publisher gets a receiver report of every layer (and REMB when it negotiated no
transport-wide feedback; ``klingel.sfu.reports``).
"""

from __future__ import annotations

import logging

from klingel.ids import ParticipantId, StreamId
from klingel.sfu.api import TrackSpec
from klingel.sfu.clock import Clock, Scheduler, Timer
from klingel.sfu.published import PublishedStream, Publisher
from klingel.sfu.reports import receiver_report
from klingel.sfu.rtcp import serialize_compound
from klingel.sfu.sdp_answer import AcceptedMedia

__all__ = ["NACK_DELAY", "RoomPublishers"]

logger = logging.getLogger(__name__)

NACK_DELAY = 0.02  # a new gap is NACKed this soon, not at the next tick: a short wait for
# packets that were only reordered


class RoomPublishers:
    """Every publisher of one room, by participant, and every stream they publish, by id."""

    __slots__ = ("_clock", "_measured_at", "_nack_timer", "_scheduler", "by_participant", "streams")

    def __init__(self, clock: Clock, scheduler: Scheduler) -> None:
        self.by_participant: dict[ParticipantId, Publisher] = {}
        self.streams: dict[StreamId, PublishedStream] = {}
        self._clock = clock
        self._scheduler = scheduler
        self._nack_timer: Timer | None = None
        self._measured_at = clock.now()

    def __len__(self) -> int:
        return len(self.by_participant)

    def add(self, publisher: Publisher) -> None:
        """``publisher`` is the participant's publish transport from now on."""
        self.by_participant[publisher.participant] = publisher

    def carry(
        self,
        publisher: Publisher,
        accepted: tuple[AcceptedMedia, ...],
        specs: dict[str, TrackSpec],
        now: float,
    ) -> list[StreamId]:
        """The streams of ``publisher``'s last answer, each made or updated from its m-section;
        those it publishes no more end, and their ids are returned."""
        carried: list[tuple[AcceptedMedia, PublishedStream]] = []
        for media in accepted:
            spec = specs[media.mid]
            stream = self.streams.get(spec.stream_id)
            if stream is None:
                stream = self.streams[spec.stream_id] = PublishedStream(publisher, spec, media, now)
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
        kept = {stream.stream_id for _, stream in carried}
        mine = [s for s in self.streams.values() if s.publisher is publisher]
        return self._end_streams([stream for stream in mine if stream.stream_id not in kept])

    def drop(self, publisher: Publisher) -> list[StreamId]:
        """``publisher`` leaves, or a new transport replaces it: its streams end (their ids are
        returned) and its transport closes."""
        if self.by_participant.get(publisher.participant) is publisher:
            del self.by_participant[publisher.participant]
        gone = self._end_streams([s for s in self.streams.values() if s.publisher is publisher])
        publisher.transport.close()
        return gone

    def close(self) -> list[StreamId]:
        """The room ends: every publisher is dropped; the ids of the streams that ended."""
        if self._nack_timer is not None:
            self._nack_timer.cancel()
            self._nack_timer = None
        gone: list[StreamId] = []
        for publisher in list(self.by_participant.values()):
            gone += self.drop(publisher)
        return gone

    def _end_streams(self, streams: list[PublishedStream]) -> list[StreamId]:
        for stream in streams:
            del self.streams[stream.stream_id]
            stream.close()
        return [stream.stream_id for stream in streams]

    # --- between packets ---------------------------------------------------------------

    def nack_soon(self) -> None:
        """A layer saw a new gap: NACK it after ``NACK_DELAY`` rather than at the next tick."""
        if self._nack_timer is None:
            self._nack_timer = self._scheduler.call_later(NACK_DELAY, self._send_due_nacks)

    def _send_due_nacks(self) -> None:
        self._nack_timer = None
        now = self._clock.now()
        try:
            for publisher in self.by_participant.values():
                if publisher.connected:
                    for nack in publisher.due_nacks(now):
                        publisher.transport.send_rtcp(bytes(nack))
        except Exception:
            logger.exception("NACK timer failed")

    def send_feedback(self, now: float) -> None:
        """Every tick: transport-wide feedback and the NACKs due, to each connected publisher."""
        for publisher in self.by_participant.values():
            if publisher.connected:
                for packet in publisher.feedback(now):
                    publisher.transport.send_rtcp(bytes(packet))

    def measure(self, now: float) -> None:
        """Each layer's received bitrate since the last measurement."""
        elapsed = now - self._measured_at
        self._measured_at = now
        if elapsed > 0:
            for stream in self.streams.values():
                stream.measure(elapsed, now)

    def follow_layers(self, now: float) -> None:
        """Simulcast layers come and go with the publisher's bandwidth: move subscriptions to
        the layer that now fits their target best, then tell each publisher which layers are
        wanted."""
        for stream in self.streams.values():
            if len(stream.layers) > 1 and stream.subscriptions:
                active = stream.active_layers(now)
                for subscription in stream.subscriptions:
                    if subscription.target is not None:
                        subscription.follow_target(now, active)
        for stream in self.streams.values():
            if len(stream.layers) > 1:
                stream.report_wanted(now)

    def send_reports(self, now: float) -> None:
        """Every second: a receiver report (and REMB) to each connected publisher."""
        for publisher in self.by_participant.values():
            if publisher.connected:
                publisher.transport.send_rtcp(serialize_compound(receiver_report(publisher, now)))
