"""Receiving without decoding: per stream counts, and the RTCP a browser sends as a receiver.

``StreamStats`` counts one received stream: packets, bytes, loss (sequence numbers never
received, retransmissions included), and for VP8 the picture size of each keyframe, which
tells the simulcast layer: a new size is a layer switch. ``Reception`` feeds the stats of
every SSRC of one connection and sends what the server needs to see a healthy receiver:
NACKs for gaps, receiver reports every second and, when negotiated, transport-wide
congestion control feedback every 100 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass

from klingel.load.containers import Vp8Size, vp8_keyframe_size
from klingel.load.local_sdp import EXT_TRANSPORT_CC
from klingel.load.peer import LightPeer
from klingel.load.remote_sdp import RemoteDescription
from klingel.sfu import vp8
from klingel.sfu.rtcp import (
    GenericNack,
    ReceiverReport,
    ReceptionStats,
    RtcpPacket,
    serialize_compound,
)
from klingel.sfu.rtp import RtpError, RtpHeader, find_extension, parse_rtp
from klingel.sfu.twcc import FeedbackGenerator

__all__ = ["Reception", "StreamSnapshot", "StreamStats"]

_MAX_TRACKED_GAP = 1000  # a larger jump counts as lost at once, not packet by packet
_FEEDBACK_INTERVAL = 0.1
_REPORT_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class StreamSnapshot:
    """One received stream's counts at one moment."""

    kind: str
    packets: int
    bytes: int
    expected: int
    lost: int
    keyframes: int
    layer_switches: int
    first_packet_at: float | None
    first_keyframe_at: float | None
    size: tuple[int, int] | None  # of the last keyframe

    @property
    def loss_fraction(self) -> float:
        return self.lost / self.expected if self.expected else 0.0


class StreamStats:
    """Counts for one received SSRC. Mutable on purpose: it changes with every packet."""

    __slots__ = (
        "_base",
        "_highest",
        "_missing",
        "_untracked_lost",
        "bytes",
        "first_keyframe_at",
        "first_packet_at",
        "keyframes",
        "kind",
        "layer_switches",
        "packets",
        "size",
    )

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.packets = 0
        self.bytes = 0
        self._base = -1
        self._highest = -1  # extended
        self._missing: set[int] = set()
        self._untracked_lost = 0
        self.keyframes = 0
        self.layer_switches = 0
        self.size: Vp8Size | None = None
        self.first_packet_at: float | None = None
        self.first_keyframe_at: float | None = None

    def on_packet(self, sequence: int, size: int, arrival: float) -> list[int]:
        """Count one packet; returns the sequence numbers this packet shows missing."""
        self.packets += 1
        self.bytes += size
        if self._highest < 0:
            self._base = self._highest = sequence
            self.first_packet_at = arrival
            return []
        delta = (sequence - self._highest) & 0xFFFF
        if delta == 0:
            return []
        if delta < 0x8000:
            gap = delta - 1
            first_missing = self._highest + 1
            self._highest += delta
            if gap == 0:
                return []
            if gap > _MAX_TRACKED_GAP:
                self._untracked_lost += gap
                return []
            missing = list(range(first_missing, self._highest))
            self._missing.update(missing)
            if len(self._missing) > 4 * _MAX_TRACKED_GAP:
                oldest = sorted(self._missing)[:_MAX_TRACKED_GAP]
                self._missing.difference_update(oldest)
                self._untracked_lost += len(oldest)
            return [number & 0xFFFF for number in missing]
        extended = self._highest - (0x10000 - delta)
        self._missing.discard(extended)  # a late packet or a retransmission
        return []

    def on_keyframe(self, size: Vp8Size | None, arrival: float) -> None:
        self.keyframes += 1
        if self.first_keyframe_at is None:
            self.first_keyframe_at = arrival
        if size is None:
            return
        if self.size is not None and size != self.size:
            self.layer_switches += 1
        self.size = size

    def snapshot(self) -> StreamSnapshot:
        expected = self._highest - self._base + 1 if self._highest >= 0 else 0
        return StreamSnapshot(
            kind=self.kind,
            packets=self.packets,
            bytes=self.bytes,
            expected=expected,
            lost=len(self._missing) + self._untracked_lost,
            keyframes=self.keyframes,
            layer_switches=self.layer_switches,
            first_packet_at=self.first_packet_at,
            first_keyframe_at=self.first_keyframe_at,
            size=(self.size.width, self.size.height) if self.size else None,
        )


class _Incoming:
    __slots__ = ("frame_starts", "nack", "reception", "stats", "video")

    def __init__(self, stats: StreamStats, nack: bool) -> None:
        self.stats = stats
        self.video = stats.kind == "video"
        self.nack = nack
        self.reception = ReceptionStats(clock_rate=90000 if self.video else 48000)
        self.frame_starts = True  # the next packet begins a frame (the last one ended one)


class Reception:
    """Everything one receiving connection gets, by SSRC, and the receiver's RTCP."""

    def __init__(self, peer: LightPeer) -> None:
        self.peer = peer
        self._ssrc = random.randrange(1, 1 << 32)
        self._by_ssrc: dict[int, _Incoming] = {}
        self._twcc: FeedbackGenerator | None = None
        self._twcc_id = 0
        self._media_ssrc = 0
        self._timer: asyncio.Task[None] | None = None
        self.unknown_packets = 0
        peer.on_rtp = self._on_rtp

    def update(self, remote: RemoteDescription, streams: dict[str, StreamStats]) -> None:
        """After each remote description: which SSRC carries each mid (``streams`` maps the
        mids to their stats objects; a new SSRC on a mid starts from the stats given)."""
        by_ssrc: dict[int, _Incoming] = {}
        for media in remote.media:
            stats = streams.get(media.mid)
            if stats is None or not media.ssrcs or media.direction not in ("sendonly", "sendrecv"):
                continue
            ssrc = media.ssrcs[0]
            existing = self._by_ssrc.get(ssrc)
            if existing is not None and existing.stats is stats:
                by_ssrc[ssrc] = existing
                continue
            codec = media.codecs[0] if media.codecs else None
            nack = codec is not None and "nack" in codec.feedback
            by_ssrc[ssrc] = _Incoming(stats, nack)
            if not self._media_ssrc:
                self._media_ssrc = ssrc
            if self._twcc is None and media.extension(EXT_TRANSPORT_CC):
                self._twcc_id = media.extension(EXT_TRANSPORT_CC)
                self._twcc = FeedbackGenerator()
        self._by_ssrc = by_ssrc
        if self._timer is None:
            self._timer = asyncio.get_running_loop().create_task(self._run(), name="load-rtcp")

    def read_protected(self) -> None:
        """Count from the clear part of each protected packet (SRTP encrypts only the
        payload: RFC 3711 section 3.1) and decrypt only the first packet of each video frame,
        where a keyframe shows its picture size. For crowds read by a ``DatagramPump``: a
        receiver's packets then cost a fraction of decrypting each."""
        self.peer.on_protected_rtp = self._on_protected_rtp

    def _on_protected_rtp(self, data: bytes, arrival: float) -> None:
        try:
            header = parse_rtp(data)
        except RtpError:
            return
        incoming = self._count(data, header, arrival)
        if incoming is None or not incoming.video:
            return
        starts, incoming.frame_starts = incoming.frame_starts, header.marker
        if not starts:
            return
        packet = self.peer.unprotect_rtp(data)
        if packet is None:
            return
        payload = memoryview(packet)[header.payload_offset :]
        if vp8.is_keyframe(payload):
            offset = vp8.parse_descriptor(payload).size
            incoming.stats.on_keyframe(vp8_keyframe_size(payload[offset:]), arrival)

    def _count(self, packet: bytes, header: RtpHeader, arrival: float) -> _Incoming | None:
        """The packet in the transport-wide feedback and its stream's counts (NACKing what
        it shows missing); its stream, None for an unknown SSRC or a padding-only probe."""
        twcc = self._twcc
        if twcc is not None:
            element = find_extension(packet, header, self._twcc_id)
            if element is not None and element.length >= 2:
                twcc.record(int.from_bytes(packet[element.start : element.start + 2]), arrival)
        incoming = self._by_ssrc.get(header.ssrc)
        if incoming is None:
            self.unknown_packets += 1
            return None
        if header.payload_offset == header.payload_end:
            return None  # padding only: a bandwidth probe, not media
        incoming.reception.update(header.sequence, header.timestamp, arrival)
        stats = incoming.stats
        missing = stats.on_packet(header.sequence, len(packet), arrival)
        if missing and incoming.nack:
            nack = GenericNack.for_sequences(self._ssrc, header.ssrc, missing[:64])
            self.peer.send_rtcp(bytes(nack))
        return incoming

    def _on_rtp(self, packet: bytes, arrival: float) -> None:
        try:
            header = parse_rtp(packet)
        except RtpError:
            return
        incoming = self._count(packet, header, arrival)
        if incoming is not None and incoming.video:
            payload = memoryview(packet)[header.payload_offset : header.payload_end]
            if vp8.is_keyframe(payload):
                offset = vp8.parse_descriptor(payload).size
                incoming.stats.on_keyframe(vp8_keyframe_size(payload[offset:]), arrival)

    async def _run(self) -> None:
        next_report = time.monotonic() + _REPORT_INTERVAL
        while True:
            await asyncio.sleep(_FEEDBACK_INTERVAL)
            if self.peer.state != "connected":
                if self.peer.state in ("failed", "closed"):
                    return
                continue
            packets: list[RtcpPacket] = []
            now = time.monotonic()
            if now >= next_report:
                next_report = now + _REPORT_INTERVAL
                blocks = tuple(
                    incoming.reception.report_block(ssrc, now)
                    for ssrc, incoming in self._by_ssrc.items()
                    if incoming.reception.received
                )
                for start in range(0, len(blocks), 31):
                    packets.append(ReceiverReport(self._ssrc, blocks[start : start + 31]))
            if self._twcc is not None:
                packets += self._twcc.build(self._ssrc, self._media_ssrc)
            if packets:
                self.peer.send_rtcp(serialize_compound(packets))

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
