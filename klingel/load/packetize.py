"""RTP packetization of pre-encoded frames: VP8 (RFC 7741) and Opus (RFC 7587), with the
header extensions a browser puts on what it publishes (RFC 8285 one-byte form): the
transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01), the mid
(RFC 8843), the RID (RFC 8852) and the audio level (RFC 6464).

A frame is cut into payload chunks once per file (``vp8_chunks``); only the descriptor with its
picture id, and the RTP header, are made per packet, so many participants in one process share
the chunks.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "MAX_PAYLOAD",
    "ExtensionIds",
    "RtpWriter",
    "vp8_chunks",
    "vp8_descriptor",
]

MAX_PAYLOAD = 1100
"""VP8 bytes per packet: with the RTP header, extensions, descriptor and SRTP tag a packet stays
under 1200 bytes, as libwebrtc keeps them."""

_FIXED = struct.Struct("!BBHII")
_ONE_BYTE_PROFILE = b"\xbe\xde"


@dataclass(frozen=True, slots=True)
class ExtensionIds:
    """Header extension ids as the offer numbered them; 0 leaves one out."""

    transport_cc: int = 0
    mid: int = 0
    rid: int = 0
    audio_level: int = 0


def vp8_chunks(frame: bytes, max_payload: int = MAX_PAYLOAD) -> tuple[bytes, ...]:
    """The frame cut into pieces of at most ``max_payload`` bytes, about equal in size."""
    if not frame:
        raise ValueError("empty VP8 frame")
    count = -(-len(frame) // max_payload)
    size = -(-len(frame) // count)
    return tuple(frame[i : i + size] for i in range(0, len(frame), size))


def vp8_descriptor(picture_id: int, start: bool) -> bytes:
    """RFC 7741 section 4.2: X set, S on the first packet of a frame, partition 0, and a
    15-bit picture id (M set) that grows by one per frame."""
    return bytes(
        (
            0x90 if start else 0x80,
            0x80,
            0x80 | (picture_id >> 8) & 0x7F,
            picture_id & 0xFF,
        )
    )


class RtpWriter:
    """Writes the packets of one outgoing SSRC: sequence numbers, the fixed extension
    elements (mid, RID) and, per packet, the transport-wide sequence number and audio level."""

    __slots__ = ("_tail", "_twcc_id", "payload_type", "sequence", "ssrc")

    def __init__(
        self,
        ssrc: int,
        payload_type: int,
        extensions: ExtensionIds,
        *,
        mid: str,
        rid: str | None = None,
        first_sequence: int = 0,
    ) -> None:
        self.ssrc = ssrc
        self.payload_type = payload_type
        self.sequence = first_sequence & 0xFFFF
        self._twcc_id = extensions.transport_cc
        tail = b""
        if extensions.mid and mid:
            tail += _element(extensions.mid, mid.encode("ascii"))
        if extensions.rid and rid:
            tail += _element(extensions.rid, rid.encode("ascii"))
        self._tail = (tail, extensions.audio_level)

    def packet(
        self,
        payload: bytes,
        timestamp: int,
        *,
        marker: bool,
        transport_sequence: int | None = None,
        audio_level: int | None = None,
    ) -> bytes:
        """One RTP packet; ``audio_level`` is the RFC 6464 byte (V bit and -dBov)."""
        elements = b""
        if self._twcc_id and transport_sequence is not None:
            elements = bytes(
                (self._twcc_id << 4 | 1, transport_sequence >> 8 & 0xFF, transport_sequence & 0xFF)
            )
        tail, level_id = self._tail
        elements += tail
        if level_id and audio_level is not None:
            elements += bytes((level_id << 4, audio_level & 0xFF))
        sequence = self.sequence
        self.sequence = (sequence + 1) & 0xFFFF
        second = (0x80 if marker else 0) | self.payload_type
        if not elements:
            return _FIXED.pack(0x80, second, sequence, timestamp & 0xFFFF_FFFF, self.ssrc) + payload
        elements += b"\x00" * (-len(elements) % 4)
        header = _FIXED.pack(0x90, second, sequence, timestamp & 0xFFFF_FFFF, self.ssrc)
        length = (len(elements) // 4).to_bytes(2, "big")
        return header + _ONE_BYTE_PROFILE + length + elements + payload


def _element(element_id: int, value: bytes) -> bytes:
    if not 1 <= element_id <= 14 or not 1 <= len(value) <= 16:
        raise ValueError("extension element does not fit the one-byte form")
    return bytes((element_id << 4 | (len(value) - 1),)) + value
