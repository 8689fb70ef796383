"""Retransmission on NACK (RFC 4585 section 6.2.1, RFC 4588 section 3 without RTX).

``RetransmissionBuffer`` keeps the last packets of one published stream so the SFU can answer
a subscriber's generic NACK itself. ``LossTracker`` notices gaps in what a publisher sends and
says which sequence numbers to NACK, a bounded number of times each.
"""

from __future__ import annotations

from typing import NamedTuple

from klingel.sfu.rtp import RtpHeader

__all__ = ["BufferedPacket", "LossTracker", "RetransmissionBuffer"]


class BufferedPacket(NamedTuple):
    sequence: int
    arrival: float
    packet: bytes
    header: RtpHeader


class RetransmissionBuffer:
    """The last ``capacity`` packets of a stream, no older than ``max_age`` seconds, by
    sequence number. Memory is bounded by ``capacity`` slots."""

    __slots__ = ("_mask", "_max_age", "_slots")

    def __init__(self, capacity: int = 512, max_age: float = 1.0) -> None:
        if capacity < 1 or capacity & (capacity - 1):
            raise ValueError("capacity must be a power of two")
        self._slots: list[BufferedPacket | None] = [None] * capacity
        self._mask = capacity - 1
        self._max_age = max_age

    def store(self, packet: bytes, header: RtpHeader, arrival: float) -> None:
        sequence = header.sequence
        self._slots[sequence & self._mask] = BufferedPacket(sequence, arrival, packet, header)

    def get(self, sequence: int, now: float) -> BufferedPacket | None:
        entry = self._slots[sequence & self._mask]
        if entry is None or entry.sequence != sequence or now - entry.arrival > self._max_age:
            return None
        return entry

    def clear(self) -> None:
        self._slots = [None] * (self._mask + 1)


class _Missing:
    __slots__ = ("first_seen", "last_sent", "retries")

    def __init__(self, first_seen: float) -> None:
        self.first_seen = first_seen
        self.last_sent = -1.0
        self.retries = 0


class LossTracker:
    """Sequence numbers missing from one incoming stream, and when to NACK them.

    A gap wider than ``max_gap`` is not NACKed (the sender restarted or jumped; asking for
    hundreds of packets would only add load). Each missing packet is asked for at most
    ``max_retries`` times, ``retry_interval`` apart, and forgotten after ``max_age``.
    """

    __slots__ = (
        "_highest",
        "_max_age",
        "_max_gap",
        "_max_missing",
        "_max_retries",
        "_missing",
        "_retry_interval",
    )

    def __init__(
        self,
        *,
        max_gap: int = 128,
        max_missing: int = 256,
        max_retries: int = 3,
        retry_interval: float = 0.1,
        max_age: float = 1.0,
    ) -> None:
        self._highest = -1  # extended sequence number
        self._missing: dict[int, _Missing] = {}  # by extended sequence number
        self._max_gap = max_gap
        self._max_missing = max_missing
        self._max_retries = max_retries
        self._retry_interval = retry_interval
        self._max_age = max_age

    @property
    def missing_count(self) -> int:
        return len(self._missing)

    def received(self, sequence: int, now: float) -> bool:
        """Note an arrival; True when it revealed a new gap (something to NACK soon)."""
        highest = self._highest
        if highest < 0:
            self._highest = sequence
            return False
        delta = (sequence - highest) & 0xFFFF
        if delta == 1:  # in order: the usual case
            self._highest = highest + 1
            return False
        if delta == 0:
            return False
        if delta < 0x8000:
            extended = highest + delta
            self._highest = extended
            if delta - 1 > self._max_gap:
                self._missing.clear()
                return False
            for lost in range(highest + 1, extended):
                self._missing[lost] = _Missing(now)
            while len(self._missing) > self._max_missing:
                del self._missing[next(iter(self._missing))]
            return True
        if self._missing:
            self._missing.pop(highest - (0x10000 - delta), None)
        return False

    def due(self, now: float) -> list[int]:
        """Sequence numbers (16-bit) to NACK now; counts each as one more try."""
        if not self._missing:
            return []
        due = []
        expired = []
        for extended, missing in self._missing.items():
            if missing.retries >= self._max_retries or now - missing.first_seen > self._max_age:
                expired.append(extended)
            elif now - missing.last_sent >= self._retry_interval:
                missing.last_sent = now
                missing.retries += 1
                due.append(extended & 0xFFFF)
        for extended in expired:
            del self._missing[extended]
        return due
