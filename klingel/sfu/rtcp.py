"""RTCP: compound packets of RFC 3550 section 6 (SR, RR, SDES, BYE), RFC 4585 feedback
(generic NACK, PLI), RFC 5104 FIR, REMB (draft-alvestrand-rmcat-remb-03) and transport-wide
congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01, whose FCI
``klingel.sfu.twcc`` encodes).

Every packet is a frozen value with ``__bytes__``; parsing a packet this module builds and
serialising it again gives identical bytes. Parsing raises only ``RtcpError``.
Also here: RFC 3550 appendix A reception statistics, which feed the report blocks.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "NTP_EPOCH_OFFSET",
    "Bye",
    "FullIntraRequest",
    "GenericNack",
    "PictureLossIndication",
    "ReceiverReport",
    "ReceptionStats",
    "Remb",
    "ReportBlock",
    "RtcpError",
    "RtcpPacket",
    "SdesChunk",
    "SenderReport",
    "SourceDescription",
    "TransportFeedback",
    "UnknownRtcp",
    "middle_ntp",
    "ntp_from_unix",
    "parse_rtcp",
    "serialize_compound",
]

SR = 200
RR = 201
SDES = 202
BYE = 203
RTPFB = 205
PSFB = 206

_FMT_NACK = 1
_FMT_TRANSPORT_CC = 15
_FMT_PLI = 1
_FMT_FIR = 4
_FMT_AFB = 15
_REMB_ID = b"REMB"

NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 to 1970

_HEADER = struct.Struct("!BBH")
_U32 = struct.Struct("!I")
_TWO_U32 = struct.Struct("!II")
_SENDER_INFO = struct.Struct("!IQIII")
_REPORT_BLOCK = struct.Struct("!IB3sIIII")
_NACK_ITEM = struct.Struct("!HH")
_FIR_ITEM = struct.Struct("!IB3x")


class RtcpError(ValueError):
    """A compound packet that is not valid RTCP."""


def _header(packet_type: int, count: int, body_size: int) -> bytes:
    if body_size % 4:
        raise ValueError("RTCP body must be a multiple of 32 bits")
    return _HEADER.pack(0x80 | count, packet_type, body_size // 4)


def ntp_from_unix(seconds: float) -> int:
    """64-bit NTP timestamp (RFC 3550 section 4) of a Unix time."""
    return int((seconds + NTP_EPOCH_OFFSET) * 4_294_967_296) & 0xFFFF_FFFF_FFFF_FFFF


def middle_ntp(ntp: int) -> int:
    """The middle 32 bits of an NTP timestamp, as used by LSR."""
    return (ntp >> 16) & 0xFFFF_FFFF


@dataclass(frozen=True, slots=True)
class ReportBlock:
    ssrc: int
    fraction_lost: int  # 0-255
    packets_lost: int  # signed 24 bits
    highest_sequence: int  # extended
    jitter: int
    last_sr: int
    delay_since_last_sr: int  # 1/65536 s

    def __bytes__(self) -> bytes:
        lost = max(-0x800000, min(0x7FFFFF, self.packets_lost)) & 0xFFFFFF
        return _REPORT_BLOCK.pack(
            self.ssrc,
            self.fraction_lost,
            lost.to_bytes(3, "big"),
            self.highest_sequence,
            self.jitter,
            self.last_sr,
            self.delay_since_last_sr,
        )

    @classmethod
    def parse(cls, data: bytes, offset: int) -> ReportBlock:
        ssrc, fraction, lost, highest, jitter, lsr, dlsr = _REPORT_BLOCK.unpack_from(data, offset)
        packets_lost = int.from_bytes(lost, "big", signed=True)
        return cls(ssrc, fraction, packets_lost, highest, jitter, lsr, dlsr)


def _parse_blocks(body: bytes, offset: int, count: int) -> tuple[ReportBlock, ...]:
    if offset + 24 * count > len(body):
        raise RtcpError("report blocks past the end")
    return tuple(ReportBlock.parse(body, offset + 24 * i) for i in range(count))


@dataclass(frozen=True, slots=True)
class SenderReport:
    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""  # profile-specific extension (RFC 3550 section 6.4.1)

    def __bytes__(self) -> bytes:
        body = _SENDER_INFO.pack(
            self.ssrc, self.ntp_timestamp, self.rtp_timestamp, self.packet_count, self.octet_count
        )
        body += b"".join(bytes(block) for block in self.reports) + self.extension
        return _header(SR, len(self.reports), len(body)) + body


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    ssrc: int
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""

    def __bytes__(self) -> bytes:
        body = _U32.pack(self.ssrc)
        body += b"".join(bytes(block) for block in self.reports) + self.extension
        return _header(RR, len(self.reports), len(body)) + body


@dataclass(frozen=True, slots=True)
class SdesChunk:
    ssrc: int
    items: tuple[tuple[int, bytes], ...]  # (type, value); type 1 is CNAME

    def __bytes__(self) -> bytes:
        body = _U32.pack(self.ssrc)
        for item_type, value in self.items:
            body += bytes([item_type, len(value)]) + value
        body += b"\x00" * (4 - len(body) % 4)  # at least one null terminator
        return body


@dataclass(frozen=True, slots=True)
class SourceDescription:
    chunks: tuple[SdesChunk, ...]

    def __bytes__(self) -> bytes:
        body = b"".join(bytes(chunk) for chunk in self.chunks)
        return _header(SDES, len(self.chunks), len(body)) + body


@dataclass(frozen=True, slots=True)
class Bye:
    ssrcs: tuple[int, ...]
    reason: bytes | None = None

    def __bytes__(self) -> bytes:
        body = b"".join(_U32.pack(ssrc) for ssrc in self.ssrcs)
        if self.reason is not None:
            body += bytes([len(self.reason)]) + self.reason
            body += b"\x00" * (-len(body) % 4)
        return _header(BYE, len(self.ssrcs), len(body)) + body


@dataclass(frozen=True, slots=True)
class GenericNack:
    """RFC 4585 section 6.2.1. ``items`` keeps the (PID, BLP) pairs as sent."""

    sender_ssrc: int
    media_ssrc: int
    items: tuple[tuple[int, int], ...]

    @classmethod
    def for_sequences(cls, sender_ssrc: int, media_ssrc: int, lost: list[int]) -> GenericNack:
        """Packs ``lost`` (oldest first, as a receiver notices them) into PID/BLP items."""
        items: list[tuple[int, int]] = []
        for sequence in dict.fromkeys(lost):
            if items:
                pid, blp = items[-1]
                distance = (sequence - pid) & 0xFFFF
                if 1 <= distance <= 16:
                    items[-1] = (pid, blp | (1 << (distance - 1)))
                    continue
            items.append((sequence, 0))
        return cls(sender_ssrc, media_ssrc, tuple(items))

    def lost_sequences(self) -> list[int]:
        lost = []
        for pid, blp in self.items:
            lost.append(pid)
            lost.extend((pid + bit + 1) & 0xFFFF for bit in range(16) if blp >> bit & 1)
        return lost

    def __bytes__(self) -> bytes:
        body = _TWO_U32.pack(self.sender_ssrc, self.media_ssrc)
        body += b"".join(_NACK_ITEM.pack(pid, blp) for pid, blp in self.items)
        return _header(RTPFB, _FMT_NACK, len(body)) + body


@dataclass(frozen=True, slots=True)
class TransportFeedback:
    """RTPFB FMT 15. ``fci`` is decoded and built by ``klingel.sfu.twcc``."""

    sender_ssrc: int
    media_ssrc: int
    fci: bytes

    def __bytes__(self) -> bytes:
        body = _TWO_U32.pack(self.sender_ssrc, self.media_ssrc) + self.fci
        return _header(RTPFB, _FMT_TRANSPORT_CC, len(body)) + body


@dataclass(frozen=True, slots=True)
class PictureLossIndication:
    sender_ssrc: int
    media_ssrc: int

    def __bytes__(self) -> bytes:
        return _header(PSFB, _FMT_PLI, 8) + _TWO_U32.pack(self.sender_ssrc, self.media_ssrc)


@dataclass(frozen=True, slots=True)
class FullIntraRequest:
    """RFC 5104 section 4.3.1; ``entries`` are (SSRC, command sequence number)."""

    sender_ssrc: int
    entries: tuple[tuple[int, int], ...]
    media_ssrc: int = 0

    def __bytes__(self) -> bytes:
        body = _TWO_U32.pack(self.sender_ssrc, self.media_ssrc)
        body += b"".join(_FIR_ITEM.pack(ssrc, number & 0xFF) for ssrc, number in self.entries)
        return _header(PSFB, _FMT_FIR, len(body)) + body


@dataclass(frozen=True, slots=True)
class Remb:
    """Receiver estimated maximum bitrate: ``mantissa * 2**exponent`` bit/s."""

    sender_ssrc: int
    exponent: int  # 6 bits
    mantissa: int  # 18 bits
    ssrcs: tuple[int, ...]

    @classmethod
    def for_bitrate(cls, sender_ssrc: int, bitrate: int, ssrcs: tuple[int, ...]) -> Remb:
        bitrate = max(0, bitrate)
        exponent = 0
        while bitrate >= 1 << 18:
            bitrate >>= 1
            exponent += 1
        return cls(sender_ssrc, min(exponent, 63), bitrate, ssrcs)

    @property
    def bitrate(self) -> int:
        return self.mantissa << self.exponent

    def __bytes__(self) -> bytes:
        body = _TWO_U32.pack(self.sender_ssrc, 0) + _REMB_ID
        body += bytes([len(self.ssrcs), (self.exponent << 2) | (self.mantissa >> 16)])
        body += (self.mantissa & 0xFFFF).to_bytes(2, "big")
        body += b"".join(_U32.pack(ssrc) for ssrc in self.ssrcs)
        return _header(PSFB, _FMT_AFB, len(body)) + body


@dataclass(frozen=True, slots=True)
class UnknownRtcp:
    """Any other packet (APP, XR, other feedback), kept so it can be passed through."""

    packet_type: int
    count: int
    body: bytes

    def __bytes__(self) -> bytes:
        return _header(self.packet_type, self.count, len(self.body)) + self.body


RtcpPacket = (
    SenderReport
    | ReceiverReport
    | SourceDescription
    | Bye
    | GenericNack
    | TransportFeedback
    | PictureLossIndication
    | FullIntraRequest
    | Remb
    | UnknownRtcp
)


def serialize_compound(packets: list[RtcpPacket]) -> bytes:
    return b"".join(bytes(packet) for packet in packets)


def parse_rtcp(data: bytes | bytearray) -> list[RtcpPacket]:
    """Parse a compound packet. Any malformed part fails the whole packet: its pieces cannot
    be trusted once one length field is wrong."""
    data = bytes(data)
    packets: list[RtcpPacket] = []
    offset = 0
    size = len(data)
    if size < 4:
        raise RtcpError("shorter than an RTCP header")
    while offset < size:
        if offset + 4 > size:
            raise RtcpError("truncated header")
        first, packet_type, words = _HEADER.unpack_from(data, offset)
        if first >> 6 != 2:
            raise RtcpError("not RTCP version 2")
        end = offset + 4 + 4 * words
        if end > size:
            raise RtcpError("length past the end")
        body_end = end
        if first & 0x20:
            padding = data[end - 1] if end > offset + 4 else 0
            if padding == 0 or padding > 4 * words:
                raise RtcpError("bad padding")
            body_end = end - padding
        packets.append(_parse_one(packet_type, first & 0x1F, data[offset + 4 : body_end]))
        offset = end
    return packets


def _parse_one(packet_type: int, count: int, body: bytes) -> RtcpPacket:
    try:
        if packet_type == SR:
            return _parse_sr(count, body)
        if packet_type == RR:
            return _parse_rr(count, body)
        if packet_type == SDES:
            return _parse_sdes(count, body)
        if packet_type == BYE:
            return _parse_bye(count, body)
        if packet_type == RTPFB:
            return _parse_rtpfb(count, body)
        if packet_type == PSFB:
            return _parse_psfb(count, body)
    except struct.error as error:
        raise RtcpError(f"truncated packet type {packet_type}") from error
    return UnknownRtcp(packet_type, count, body)


def _parse_sr(count: int, body: bytes) -> SenderReport:
    if len(body) < 24:
        raise RtcpError("truncated sender report")
    ssrc, ntp, rtp, packets, octets = _SENDER_INFO.unpack_from(body)
    reports = _parse_blocks(body, 24, count)
    return SenderReport(ssrc, ntp, rtp, packets, octets, reports, body[24 + 24 * count :])


def _parse_rr(count: int, body: bytes) -> ReceiverReport:
    if len(body) < 4:
        raise RtcpError("truncated receiver report")
    (ssrc,) = _U32.unpack_from(body)
    reports = _parse_blocks(body, 4, count)
    return ReceiverReport(ssrc, reports, body[4 + 24 * count :])


def _parse_sdes(count: int, body: bytes) -> SourceDescription:
    chunks = []
    position = 0
    for _ in range(count):
        if position + 4 > len(body):
            raise RtcpError("truncated SDES chunk")
        (ssrc,) = _U32.unpack_from(body, position)
        position += 4
        items = []
        while True:
            if position >= len(body):
                raise RtcpError("SDES chunk without terminator")
            item_type = body[position]
            if item_type == 0:
                position += 4 - position % 4  # null terminator plus padding to 32 bits
                break
            if position + 2 > len(body):
                raise RtcpError("truncated SDES item")
            length = body[position + 1]
            value = body[position + 2 : position + 2 + length]
            if len(value) != length:
                raise RtcpError("truncated SDES item")
            items.append((item_type, value))
            position += 2 + length
        chunks.append(SdesChunk(ssrc, tuple(items)))
    if position > len(body):
        raise RtcpError("SDES padding past the end")
    return SourceDescription(tuple(chunks))


def _parse_bye(count: int, body: bytes) -> Bye:
    if len(body) < 4 * count:
        raise RtcpError("truncated BYE")
    ssrcs = tuple(_U32.unpack_from(body, 4 * i)[0] for i in range(count))
    rest = body[4 * count :]
    reason = None
    if rest:
        length = rest[0]
        if 1 + length > len(rest):
            raise RtcpError("truncated BYE reason")
        reason = rest[1 : 1 + length]
    return Bye(ssrcs, reason)


def _parse_rtpfb(fmt: int, body: bytes) -> RtcpPacket:
    sender, media = _TWO_U32.unpack_from(body)
    fci = body[8:]
    if fmt == _FMT_NACK:
        if len(fci) % 4:
            raise RtcpError("NACK FCI not a multiple of 32 bits")
        items = tuple(_NACK_ITEM.unpack_from(fci, i) for i in range(0, len(fci), 4))
        return GenericNack(sender, media, items)
    if fmt == _FMT_TRANSPORT_CC:
        if len(fci) < 8:
            raise RtcpError("truncated transport-cc feedback")
        return TransportFeedback(sender, media, fci)
    return UnknownRtcp(RTPFB, fmt, body)


def _parse_psfb(fmt: int, body: bytes) -> RtcpPacket:
    sender, media = _TWO_U32.unpack_from(body)
    fci = body[8:]
    if fmt == _FMT_PLI:
        if fci:
            raise RtcpError("PLI with FCI")
        return PictureLossIndication(sender, media)
    if fmt == _FMT_FIR:
        if len(fci) % 8:
            raise RtcpError("FIR FCI not a multiple of 64 bits")
        entries = tuple(_FIR_ITEM.unpack_from(fci, i) for i in range(0, len(fci), 8))
        if not entries or fci != b"".join(_FIR_ITEM.pack(s, n) for s, n in entries):
            raise RtcpError("FIR with no entry or non-zero reserved bits")
        return FullIntraRequest(sender, entries, media)
    if fmt == _FMT_AFB and fci[:4] == _REMB_ID:
        if len(fci) < 8:
            raise RtcpError("truncated REMB")
        count = fci[4]
        if media != 0 or len(fci) != 8 + 4 * count:
            raise RtcpError("REMB length does not match its SSRC count")
        exponent = fci[5] >> 2
        mantissa = ((fci[5] & 0x03) << 16) | (fci[6] << 8) | fci[7]
        ssrcs = tuple(_U32.unpack_from(fci, 8 + 4 * i)[0] for i in range(count))
        return Remb(sender, exponent, mantissa, ssrcs)
    return UnknownRtcp(PSFB, fmt, body)


@dataclass(slots=True)
class ReceptionStats:
    """RFC 3550 appendix A.1, A.3 and A.8: what one received stream's report block says.
    Mutable on purpose: it is updated for every packet of the stream."""

    clock_rate: int
    base_sequence: int = -1
    highest: int = -1  # extended highest sequence number
    received: int = 0
    expected_prior: int = 0
    received_prior: int = 0
    jitter: float = 0.0
    last_transit: float | None = None
    last_sr: int = 0  # middle NTP bits of the last SR
    last_sr_arrival: float = 0.0

    def update(self, sequence: int, timestamp: int, arrival: float) -> None:
        if self.received == 0:
            self.base_sequence = self.highest = sequence
        else:
            delta = (sequence - self.highest) & 0xFFFF
            if delta < 0x8000:  # newer (including a wrap of the 16-bit number)
                self.highest += delta
        self.received += 1
        transit = arrival * self.clock_rate - timestamp
        if self.last_transit is not None:
            difference = abs(transit - self.last_transit)
            # RTP timestamps wrap at 2**32: a difference that large is a wrap, not jitter
            if difference < 0x8000_0000:
                self.jitter += (difference - self.jitter) / 16
        self.last_transit = transit

    def sender_report(self, ntp_timestamp: int, arrival: float) -> None:
        self.last_sr = middle_ntp(ntp_timestamp)
        self.last_sr_arrival = arrival

    def report_block(self, ssrc: int, now: float) -> ReportBlock:
        expected = self.highest - self.base_sequence + 1 if self.received else 0
        lost = expected - self.received
        expected_interval = expected - self.expected_prior
        received_interval = self.received - self.received_prior
        self.expected_prior = expected
        self.received_prior = self.received
        lost_interval = expected_interval - received_interval
        fraction = 0
        if expected_interval > 0 and lost_interval > 0:
            fraction = min(255, (lost_interval << 8) // expected_interval)
        delay = 0
        if self.last_sr:
            delay = max(0, int((now - self.last_sr_arrival) * 65536)) & 0xFFFF_FFFF
        return ReportBlock(
            ssrc=ssrc,
            fraction_lost=fraction,
            packets_lost=lost,
            highest_sequence=max(0, self.highest) & 0xFFFF_FFFF,
            jitter=int(self.jitter) & 0xFFFF_FFFF,
            last_sr=self.last_sr,
            delay_since_last_sr=delay,
        )
