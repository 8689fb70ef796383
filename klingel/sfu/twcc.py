"""Transport-wide congestion control feedback, draft-holmer-rmcat-transport-wide-cc-extensions-01,
and a REMB fallback for publishers that did not negotiate it.

The SFU is the receiving end of every publisher: it records the transport-wide sequence number
and arrival time of each packet and reports them back every 50-100 ms. From these reports the
browser's send-side bandwidth estimator ramps its rate up; without them Chromium stays at its
300 kbit/s start rate.

Feedback FCI layout (after the RTCP header and the two SSRCs)::

    base sequence number (16) | packet status count (16)
    reference time (24, signed, 64 ms units) | feedback packet count (8)
    packet chunks (16 bits each) ... receive deltas (8 or 16 bits, 250 us units) ... padding
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from klingel.sfu.bandwidth import FeedbackReport, SentPacket
from klingel.sfu.rtcp import TransportFeedback

__all__ = [
    "FeedbackGenerator",
    "FeedbackSummary",
    "RembEstimator",
    "SendHistory",
    "TwccError",
    "encode_chunks",
    "parse_feedback",
]

NOT_RECEIVED = 0
SMALL_DELTA = 1
LARGE_DELTA = 2

_DELTA_UNIT_US = 250
_DELTA_SECONDS = _DELTA_UNIT_US / 1_000_000
_REFERENCE_SECONDS = 0.064
_REFERENCE_UNIT_US = 64_000
_TICKS_PER_REFERENCE = _REFERENCE_UNIT_US // _DELTA_UNIT_US
_MAX_RUN = 0x1FFF
_FCI_HEADER = struct.Struct("!HHI")
_FCI_HEADER_AND_CHUNK = struct.Struct("!HHiH")  # the reference time word read as signed
_SMALL_DELTA_RUN = SMALL_DELTA << 13  # a run-length chunk of small deltas, before its length


class TwccError(ValueError):
    """Feedback that does not decode."""


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    """A decoded feedback FCI. ``deltas`` holds, per reported sequence number, the receive
    delta in 250 us ticks, or None for a packet not received."""

    base_sequence: int
    reference_time: int  # 64 ms units, signed 24 bits
    feedback_count: int
    deltas: tuple[int | None, ...]


def encode_chunks(symbols: list[int]) -> bytes:
    """Packet status chunks for ``symbols`` (0 not received, 1 small delta, 2 large delta).
    Long runs become run-length chunks, the rest status vectors; a last vector may carry
    zero symbols past the end, which the status count tells the reader to ignore."""
    chunks = bytearray()
    count = len(symbols)
    index = 0
    while index < count:
        symbol = symbols[index]
        run = 1
        while index + run < count and symbols[index + run] == symbol and run < _MAX_RUN:
            run += 1
        window = symbols[index : index + 14]
        if run >= 14 or (run >= 7 and LARGE_DELTA in window[:7]):
            chunks += ((symbol << 13) | run).to_bytes(2, "big")
            index += run
        elif LARGE_DELTA not in window:
            value = 0x8000
            for position, item in enumerate(window):
                value |= item << (13 - position)
            chunks += value.to_bytes(2, "big")
            index += len(window)
        else:
            window = window[:7]
            value = 0xC000
            for position, item in enumerate(window):
                value |= item << (12 - 2 * position)
            chunks += value.to_bytes(2, "big")
            index += len(window)
    return bytes(chunks)


def _symbol_table(symbols: int, bits: int) -> tuple[bytes, ...]:
    """Every packed value of ``symbols`` status symbols of ``bits`` bits each, unpacked."""
    mask = (1 << bits) - 1
    return tuple(
        bytes((value >> (bits * (symbols - 1 - i))) & mask for i in range(symbols))
        for value in range(1 << (symbols * bits))
    )


# Status vector chunks unpacked by table lookups, not bit by bit: the 14 one-bit symbols as
# two halves of 7, the 7 two-bit symbols as the first 4 and the last 3.
_SEVEN_ONE_BIT = _symbol_table(7, 1)
_FOUR_TWO_BIT = _symbol_table(4, 2)
_THREE_TWO_BIT = _symbol_table(3, 2)
_RUNS = tuple(bytes((symbol,)) for symbol in range(4))


def _read_header(fci: bytes) -> tuple[int, int, int, int]:
    """Base sequence, status count, reference time (signed, 64 ms units), feedback count."""
    if len(fci) < 8:
        raise TwccError("truncated feedback header")
    base, status_count, reference = _FCI_HEADER.unpack_from(fci)
    reference_time = reference >> 8
    if reference_time & 0x800000:
        reference_time -= 0x1000000
    return base, status_count, reference_time, reference & 0xFF


def _read_symbols(fci: bytes, status_count: int) -> tuple[bytearray, int]:
    """The packet status symbols (one byte each) and where the receive deltas start."""
    symbols = bytearray()
    position = 8
    end = len(fci)
    while len(symbols) < status_count:
        if position + 2 > end:
            raise TwccError("truncated packet chunk")
        chunk = (fci[position] << 8) | fci[position + 1]
        position += 2
        if not chunk & 0x8000:
            symbols += _RUNS[(chunk >> 13) & 0x03] * (chunk & _MAX_RUN)
        elif not chunk & 0x4000:
            symbols += _SEVEN_ONE_BIT[(chunk >> 7) & 0x7F]
            symbols += _SEVEN_ONE_BIT[chunk & 0x7F]
        else:
            symbols += _FOUR_TWO_BIT[(chunk >> 6) & 0xFF]
            symbols += _THREE_TWO_BIT[chunk & 0x3F]
    del symbols[status_count:]
    return symbols, position


def parse_feedback(fci: bytes) -> FeedbackSummary:
    base, status_count, reference_time, feedback_count = _read_header(fci)
    symbols, position = _read_symbols(fci, status_count)
    deltas: list[int | None] = []
    for symbol in symbols:
        if symbol == NOT_RECEIVED:
            deltas.append(None)
        elif symbol == SMALL_DELTA:
            if position + 1 > len(fci):
                raise TwccError("truncated receive delta")
            deltas.append(fci[position])
            position += 1
        elif symbol == LARGE_DELTA:
            if position + 2 > len(fci):
                raise TwccError("truncated receive delta")
            deltas.append(int.from_bytes(fci[position : position + 2], "big", signed=True))
            position += 2
        else:
            raise TwccError("reserved status symbol")
    return FeedbackSummary(base, reference_time, feedback_count, tuple(deltas))


_NEVER_SENT: SentPacket = (-1, 0.0, 0)  # a ring slot not written yet: no sequence matches


class SendHistory:
    """The packets sent to one subscriber, by transport-wide sequence number: when and how
    large, for matching its feedback. A fixed ring, so it never grows: ``entries[sequence %
    size]`` is ``(sequence, send time, size)``; the forwarding path writes it directly, one
    sequence number after the other (which ``report`` relies on)."""

    __slots__ = ("entries", "mask")

    def __init__(self, size: int = 1 << 13) -> None:
        if size & (size - 1):
            raise ValueError("the size is a power of two")
        self.entries: list[SentPacket] = [_NEVER_SENT] * size
        self.mask = size - 1

    def record(self, sequence: int, send_time: float, size: int) -> None:
        self.entries[sequence & self.mask] = (sequence, send_time, size)

    def sent(self) -> list[SentPacket]:
        """Every packet still remembered, in ring order."""
        return [entry for entry in self.entries if entry[0] >= 0]

    def report(self, fci: bytes) -> FeedbackReport:
        """What one feedback says about the packets still remembered (see
        ``FeedbackReport``). Raises ``TwccError``."""
        if len(fci) >= 10:
            base, status_count, reference, chunk = _FCI_HEADER_AND_CHUNK.unpack_from(fci)
            start = base & self.mask
            stop = start + status_count
            entries = self.entries
            if (
                chunk == _SMALL_DELTA_RUN | status_count
                and stop <= len(entries)
                and entries[start][0] == base
                and entries[stop - 1][0] == (base + status_count - 1) & 0xFFFF
            ):
                # The usual feedback (every one Chromium sends while nothing is lost): all
                # arrived, each within 64 ms of the one before, said by one run-length chunk;
                # the deltas are one byte each. The history is written in sequence order, so
                # with both ends remembered so is everything between them.
                deltas = fci[10 : 10 + status_count]
                if len(deltas) < status_count:
                    raise TwccError("truncated receive delta")
                # the reference time is the signed top 24 bits of that word
                return entries[start:stop], (reference >> 8) * _TICKS_PER_REFERENCE, deltas, 0
        base, status_count, reference_time, _ = _read_header(fci)
        symbols, position = _read_symbols(fci, status_count)
        return self._match(fci, base, symbols, position, reference_time * _TICKS_PER_REFERENCE)

    def _match(
        self, fci: bytes, base: int, symbols: bytearray, position: int, reference: int
    ) -> FeedbackReport:
        """Any other feedback, packet by packet: the arrival of one no longer remembered
        counts towards the next one's delta."""
        entries, mask = self.entries, self.mask
        sent: list[SentPacket] = []
        deltas: list[int] = []
        lost = 0
        carried = 0
        sequence = base
        try:
            for symbol in symbols:
                if symbol == SMALL_DELTA:
                    delta = fci[position]
                    position += 1
                elif symbol == NOT_RECEIVED:
                    if entries[sequence & mask][0] == sequence:
                        lost += 1
                    sequence = (sequence + 1) & 0xFFFF
                    continue
                elif symbol == LARGE_DELTA:
                    delta = (fci[position] << 8) | fci[position + 1]
                    if delta & 0x8000:
                        delta -= 0x10000
                    position += 2
                else:
                    raise TwccError("reserved status symbol")
                entry = entries[sequence & mask]
                if entry[0] == sequence:
                    sent.append(entry)
                    deltas.append(delta + carried)
                    carried = 0
                else:
                    carried += delta
                sequence = (sequence + 1) & 0xFFFF
        except IndexError:
            raise TwccError("truncated receive delta") from None
        return sent, reference, deltas, lost


class FeedbackGenerator:
    """Records the packets of one publisher's transport and builds its feedback packets.

    ``record`` runs for every incoming packet and only stores the arrival; ``build`` runs on
    the feedback timer. Packets that arrive after the feedback that covered their sequence
    number are left out (the sender already counts them as lost).
    """

    __slots__ = (
        "_arrivals",
        "_feedback_count",
        "_highest",
        "_max_pending",
        "_max_received",
        "_max_span",
        "_next_base",
    )

    def __init__(
        self, *, max_span: int = 500, max_received: int = 400, max_pending: int = 8192
    ) -> None:
        self._arrivals: dict[int, int] = {}  # extended sequence number -> arrival in us
        self._highest = -1
        self._next_base = -1
        self._feedback_count = 0
        self._max_span = max_span
        self._max_received = max_received
        self._max_pending = max_pending

    def record(self, sequence: int, arrival: float) -> None:
        highest = self._highest
        if highest < 0:
            extended = sequence
            self._highest = extended
        else:
            delta = (sequence - highest) & 0xFFFF
            if delta < 0x8000:
                extended = highest + delta
                self._highest = extended
            else:
                extended = highest - (0x10000 - delta)
        if extended < self._next_base:
            return
        if len(self._arrivals) >= self._max_pending:
            self._arrivals.clear()  # nobody builds feedback: never grow without bound
        self._arrivals[extended] = int(arrival * 1_000_000)

    @property
    def pending(self) -> int:
        return len(self._arrivals)

    def build(self, sender_ssrc: int, media_ssrc: int) -> list[TransportFeedback]:
        if not self._arrivals:
            return []
        arrivals = self._arrivals
        self._arrivals = {}
        sequences = sorted(arrivals)
        start = self._next_base
        if start < 0 or sequences[0] - start > self._max_span:
            start = sequences[0]
        packets = []
        index = 0
        while index < len(sequences):
            packet, index, start = self._build_one(arrivals, sequences, index, start)
            packets.append(TransportFeedback(sender_ssrc, media_ssrc, packet))
        self._next_base = start
        return packets

    def _build_one(
        self, arrivals: dict[int, int], sequences: list[int], index: int, start: int
    ) -> tuple[bytes, int, int]:
        """One FCI from ``sequences[index:]`` beginning at sequence ``start``; returns it, the
        index of the first packet it did not cover and the next base sequence number."""
        if sequences[index] - start >= self._max_span:
            start = sequences[index]  # too long a gap to report packet by packet
        first_arrival = arrivals[sequences[index]]
        reference = first_arrival // _REFERENCE_UNIT_US
        previous_ticks = reference * _TICKS_PER_REFERENCE
        symbols: list[int] = []
        deltas = bytearray()
        received = 0
        sequence = start
        while index < len(sequences):
            next_received = sequences[index]
            if next_received - start >= self._max_span or received >= self._max_received:
                break
            ticks = arrivals[next_received] // _DELTA_UNIT_US
            delta = ticks - previous_ticks
            if not -0x8000 <= delta <= 0x7FFF:
                break  # never the first packet: its delta is below 256 by construction
            symbols.extend([NOT_RECEIVED] * (next_received - sequence))
            if 0 <= delta <= 0xFF:
                symbols.append(SMALL_DELTA)
                deltas.append(delta)
            else:
                symbols.append(LARGE_DELTA)
                deltas += delta.to_bytes(2, "big", signed=True)
            previous_ticks = ticks
            received += 1
            sequence = next_received + 1
            index += 1
        header = _FCI_HEADER.pack(
            start & 0xFFFF,
            len(symbols),
            ((reference & 0xFFFFFF) << 8) | (self._feedback_count & 0xFF),
        )
        self._feedback_count += 1
        body = header + encode_chunks(symbols) + bytes(deltas)
        body += b"\x00" * (-len(body) % 4)
        return body, index, sequence


class RembEstimator:
    """A deliberately simple receive-side estimate for REMB (draft-alvestrand-rmcat-remb):
    it grows while the publisher's packets arrive without loss and falls back under loss.
    REMB is a ceiling for Chromium's own loss-based estimate, so a generous value is safe."""

    __slots__ = ("_bytes", "_estimate", "_last_update", "_maximum", "_minimum")

    def __init__(
        self, *, initial: int = 300_000, minimum: int = 100_000, maximum: int = 4_000_000
    ) -> None:
        self._bytes = 0
        self._estimate = initial
        self._minimum = minimum
        self._maximum = maximum
        self._last_update = -1.0

    def record(self, size: int) -> None:
        self._bytes += size

    @property
    def estimate(self) -> int:
        return self._estimate

    def update(self, now: float, fraction_lost: float) -> int:
        """Fold in what arrived since the last call; ``fraction_lost`` is 0.0-1.0."""
        if self._last_update < 0:
            self._last_update = now
            self._bytes = 0
            return self._estimate
        elapsed = now - self._last_update
        if elapsed <= 0:
            return self._estimate
        rate = int(self._bytes * 8 / elapsed)
        self._bytes = 0
        self._last_update = now
        if fraction_lost > 0.1:
            self._estimate = int(max(rate, self._minimum) * (1 - 0.5 * fraction_lost))
        elif fraction_lost < 0.02:
            self._estimate = int(max(self._estimate, rate) * 1.25)
        self._estimate = max(self._minimum, min(self._maximum, self._estimate))
        return self._estimate
