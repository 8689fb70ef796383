"""Every RTP packet a subscriber's transport sends, forwarded or retransmitted, is built here.

A packet out is the fixed header as the subscriber numbers it (RFC 3550 section 5.1), the
header extensions the subscriber negotiated in one one-byte block (RFC 8285 section 4.2): the
SFU's own transport-wide sequence number and, for audio, the level (RFC 6464); then the
publisher's body, unchanged. Transport-wide numbering is hop by hop: every packet to one
subscriber, whatever its stream and retransmissions included, takes the next number, and its
send time and size go into the ``SendHistory`` that the subscriber's feedback is matched
against (draft-holmer-rmcat-transport-wide-cc-extensions-01).
"""

from __future__ import annotations

import secrets
import struct

from klingel.sfu.bandwidth import PACKET_OVERHEAD, SentPacket
from klingel.sfu.rtp import ONE_BYTE_PROFILE, RtpHeader
from klingel.sfu.transport import MediaTransport
from klingel.sfu.twcc import SendHistory

__all__ = ["HISTORY_SIZE", "OutgoingBody", "OutgoingRtp"]

HISTORY_SIZE = 1 << 13  # sent packets remembered per subscriber: seconds of traffic
_HISTORY_MASK = HISTORY_SIZE - 1

_FIXED = struct.Struct("!BBHII")
# fixed header + one-byte extension block: the transport-wide sequence number, padded; or that
# and the audio level, padded
_WITH_TWCC = struct.Struct("!BBHIIHHBHx")
_WITH_TWCC_AND_LEVEL = struct.Struct("!BBHIIHHBHBBxxx")
_LEVEL_ONLY = struct.Struct("!HHBBH")
_PADDING_ONLY = b"\x01"  # one padding byte that counts itself (RFC 3550 section 5.1)


class OutgoingBody:
    """What every copy of one published packet shares, whichever subscriber it goes to: the
    first byte without the extension bit, the marker, the body, and the audio level
    (-1: none). A probe (padding only) keeps its place in the numbering, not its bytes."""

    __slots__ = ("body", "first", "level", "marker", "tails")

    def __init__(self, packet: bytes, header: RtpHeader, level: int = -1) -> None:
        if header.payload_offset == header.payload_end:
            self.first = 0xA0
            self.body = _PADDING_ONLY
        else:
            self.first = 0x80 | (header.first_byte & 0x20)
            self.body = packet[header.payload_offset :]
        self.marker = 0x80 if header.marker else 0
        self.level = level
        # level extension id -> (first byte, everything after the fixed header), made once
        # for all subscribers without transport-wide numbering that number the level alike
        self.tails: dict[int, tuple[int, bytes]] = {}

    def tail(self, level_id: int) -> tuple[int, bytes]:
        tail = self.tails.get(level_id)
        if tail is None:
            if level_id:
                block = _LEVEL_ONLY.pack(ONE_BYTE_PROFILE, 1, level_id << 4, self.level, 0)
                tail = (self.first | 0x10, block + self.body)
            else:
                tail = (self.first, self.body)
            self.tails[level_id] = tail
        return tail


class OutgoingRtp:
    """The RTP one subscriber's transport sends: each packet built, numbered and noted."""

    __slots__ = ("history", "sent", "transport", "twcc_element", "twcc_sequence")

    def __init__(self, transport: MediaTransport) -> None:
        self.transport = transport
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

    def send(
        self,
        body: OutgoingBody,
        payload_type: int,
        sequence: int,
        timestamp: int,
        ssrc: int,
        level_id: int,
        now: float,
    ) -> None:
        """Send ``body`` as the subscriber numbers it; ``level_id`` is the subscriber's id for
        the audio level (0: not sent)."""
        second = body.marker | payload_type
        twcc_element = self.twcc_element
        if twcc_element:
            twcc = self.twcc_sequence
            self.twcc_sequence = (twcc + 1) & 0xFFFF
            if level_id:
                out = _WITH_TWCC_AND_LEVEL.pack(
                    body.first | 0x10, second, sequence, timestamp, ssrc,
                    ONE_BYTE_PROFILE, 2, twcc_element, twcc, level_id << 4, body.level,
                )  # fmt: skip
            else:
                out = _WITH_TWCC.pack(
                    body.first | 0x10, second, sequence, timestamp, ssrc,
                    ONE_BYTE_PROFILE, 1, twcc_element, twcc,
                )  # fmt: skip
            out += body.body
            # the history's ``record``, inlined
            self.sent[twcc & _HISTORY_MASK] = (twcc, now, len(out) + PACKET_OVERHEAD)
        else:
            first, tail = body.tail(level_id)
            out = _FIXED.pack(first, second, sequence, timestamp, ssrc) + tail
        self.transport.send_rtp(out)
