"""Sequence number and timestamp rewriting for one outgoing stream (RFC 3550 sections 5.1, 8.2;
RFC 7667 section 3.7 "selective forwarding middlebox").

A subscriber sees one SSRC per m-section with sequence numbers that never jump and timestamps
that keep pace with time, even when the source behind it changes or pauses. Each unbroken run
of one source is a *segment*: its packets map by a fixed offset. A new segment starts when the
source changes or after ``restart()`` (forwarding resumed); it continues one sequence number
after the last one sent, with the timestamp advanced by the time that passed. Late packets and
retransmissions of the segment just before still map into their old numbers.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["StreamRewriter"]

_SEQUENCE_MASK = 0xFFFF
_TIMESTAMP_MASK = 0xFFFF_FFFF


class _Segment(NamedTuple):
    source: int
    sequence_offset: int
    timestamp_offset: int
    start: int  # extended source sequence number of its first packet
    highest: int  # extended source sequence number of its newest packet


class StreamRewriter:
    """Maps (source SSRC, sequence number, timestamp) to this stream's numbering. Mutable on
    purpose: it runs for every forwarded packet."""

    __slots__ = (
        "_clock_rate",
        "_highest",
        "_last_arrival",
        "_last_timestamp",
        "_next_sequence",
        "_previous",
        "_restart",
        "_sequence_offset",
        "_source",
        "_start",
        "_timestamp_offset",
        "ssrc",
    )

    def __init__(
        self, ssrc: int, clock_rate: int, *, initial_sequence: int = 0, initial_timestamp: int = 0
    ) -> None:
        self.ssrc = ssrc
        self._clock_rate = clock_rate
        self._source = -1
        self._restart = True
        self._sequence_offset = 0
        self._timestamp_offset = 0
        self._start = 0
        self._highest = 0
        self._next_sequence = initial_sequence & _SEQUENCE_MASK
        self._last_timestamp = initial_timestamp & _TIMESTAMP_MASK
        self._last_arrival = -1.0
        self._previous: _Segment | None = None

    @property
    def source(self) -> int | None:
        """The SSRC of the current segment's source, if any packet was mapped yet."""
        return self._source if self._source >= 0 else None

    def restart(self) -> None:
        """The next packet starts a new segment (for example after forwarding was paused), so
        the receiver sees no gap in sequence numbers."""
        self._restart = True

    def map(
        self, source: int, sequence: int, timestamp: int, arrival: float
    ) -> tuple[int, int] | None:
        """The outgoing (sequence number, timestamp), or None for a packet that has no place in
        the outgoing stream (too old, or from a source that was switched away from)."""
        if source == self._source and not self._restart:
            highest = self._highest
            delta = (sequence - highest) & _SEQUENCE_MASK
            if delta < 0x8000:
                if delta:
                    self._highest = highest + delta
                    self._last_timestamp = (timestamp + self._timestamp_offset) & _TIMESTAMP_MASK
                    self._last_arrival = arrival
                    return (sequence + self._sequence_offset) & _SEQUENCE_MASK, self._last_timestamp
            elif highest - (0x10000 - delta) < self._start:
                return self._map_previous(source, sequence, timestamp)
            return (
                (sequence + self._sequence_offset) & _SEQUENCE_MASK,
                (timestamp + self._timestamp_offset) & _TIMESTAMP_MASK,
            )
        if self._previous is not None and source == self._previous.source and not self._restart:
            return self._map_previous(source, sequence, timestamp)
        return self._start_segment(source, sequence, timestamp, arrival)

    def _map_previous(self, source: int, sequence: int, timestamp: int) -> tuple[int, int] | None:
        previous = self._previous
        if previous is None or previous.source != source:
            return None
        back = (previous.highest - sequence) & _SEQUENCE_MASK
        if back > previous.highest - previous.start:
            return None
        return (
            (sequence + previous.sequence_offset) & _SEQUENCE_MASK,
            (timestamp + previous.timestamp_offset) & _TIMESTAMP_MASK,
        )

    def _start_segment(
        self, source: int, sequence: int, timestamp: int, arrival: float
    ) -> tuple[int, int]:
        if self._source >= 0:
            self._previous = _Segment(
                self._source,
                self._sequence_offset,
                self._timestamp_offset,
                self._start,
                self._highest,
            )
            self._next_sequence = (self._highest + self._sequence_offset + 1) & _SEQUENCE_MASK
            elapsed = arrival - self._last_arrival if self._last_arrival >= 0 else 0.0
            step = max(1, int(elapsed * self._clock_rate))
            out_timestamp = (self._last_timestamp + step) & _TIMESTAMP_MASK
        else:
            out_timestamp = self._last_timestamp
        out_sequence = self._next_sequence
        self._source = source
        self._restart = False
        # a segment's extended numbers start one wrap up, so older packets stay positive
        self._start = self._highest = 0x10000 + sequence
        self._sequence_offset = (out_sequence - sequence) & _SEQUENCE_MASK
        self._timestamp_offset = (out_timestamp - timestamp) & _TIMESTAMP_MASK
        self._last_timestamp = out_timestamp
        self._last_arrival = arrival
        return out_sequence, out_timestamp

    def source_of(self, out_sequence: int) -> tuple[int, int] | None:
        """Which (source SSRC, source sequence number) was sent as ``out_sequence``: the way
        back for a subscriber's NACK. None if that number is not in the last two segments."""
        if self._source < 0:
            return None
        for segment in self._segments():
            sequence = (out_sequence - segment.sequence_offset) & _SEQUENCE_MASK
            back = (segment.highest - sequence) & _SEQUENCE_MASK
            if back <= segment.highest - segment.start:
                return segment.source, sequence
        return None

    def map_timestamp(self, source: int, timestamp: int) -> int | None:
        """A source RTP timestamp in this stream's timestamp space (for sender reports)."""
        if source != self._source or self._restart:
            return None
        return (timestamp + self._timestamp_offset) & _TIMESTAMP_MASK

    def _segments(self) -> list[_Segment]:
        current = _Segment(
            self._source, self._sequence_offset, self._timestamp_offset, self._start, self._highest
        )
        return [current] if self._previous is None else [current, self._previous]
