"""RTP packets: RFC 3550 section 5.1 fixed header, RFC 8285 header extensions.

The forwarding path parses each incoming packet once (``parse_rtp``) and then writes the
fixed header of every outgoing copy in place (``write_header``). Parsing returns a tuple
subclass rather than a dataclass because it runs for every packet: creating a tuple is the
cheapest immutable value Python has.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

__all__ = [
    "ONE_BYTE_PROFILE",
    "RTP_HEADER_SIZE",
    "TWO_BYTE_PROFILE",
    "ExtensionElement",
    "RtpError",
    "RtpHeader",
    "build_extension_block",
    "build_packet",
    "find_extension",
    "is_rtcp",
    "iter_extensions",
    "parse_rtp",
    "remap_extensions",
    "write_header",
]

RTP_HEADER_SIZE = 12
ONE_BYTE_PROFILE = 0xBEDE
TWO_BYTE_PROFILE = 0x1000  # the low four "appbits" are free; compare with & 0xFFF0

_FIXED = struct.Struct("!BBHII")
_EXTENSION_HEADER = struct.Struct("!HH")


class RtpError(ValueError):
    """A packet that is not valid RTP."""


class RtpHeader(NamedTuple):
    """What the router needs from one packet. Offsets index the packet it was parsed from."""

    first_byte: int  # V, P, X, CC: kept so the padding bit survives rewriting
    marker: bool
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload_offset: int  # first byte after CSRCs and the extension block
    payload_end: int  # first byte of padding, or the packet length
    extension_profile: int  # 0 when the packet has no extension block
    extension_start: int  # first byte of extension elements
    extension_end: int


def is_rtcp(packet: bytes | bytearray) -> bool:
    """RFC 5761 section 4: with rtcp-mux, payload types 64-95 of the second byte are RTCP."""
    return len(packet) >= 2 and 192 <= packet[1] <= 223


def parse_rtp(packet: bytes | bytearray) -> RtpHeader:
    size = len(packet)
    if size < RTP_HEADER_SIZE:
        raise RtpError("shorter than the fixed header")
    first, second, sequence, timestamp, ssrc = _FIXED.unpack_from(packet)
    if first >> 6 != 2:
        raise RtpError("not RTP version 2")
    offset = RTP_HEADER_SIZE + 4 * (first & 0x0F)
    profile = 0
    extension_start = extension_end = offset
    if first & 0x10:
        if offset + 4 > size:
            raise RtpError("extension header past the end")
        profile, words = _EXTENSION_HEADER.unpack_from(packet, offset)
        extension_start = offset + 4
        offset = extension_end = extension_start + 4 * words
    if offset > size:
        raise RtpError("header past the end")
    end = size
    if first & 0x20:
        padding = packet[size - 1]
        if padding == 0 or offset + padding > size:
            raise RtpError("bad padding length")
        end = size - padding
    return RtpHeader(
        first,
        second >= 0x80,
        second & 0x7F,
        sequence,
        timestamp,
        ssrc,
        offset,
        end,
        profile,
        extension_start,
        extension_end,
    )


def write_header(
    buffer: bytearray,
    first_byte: int,
    marker: bool,
    payload_type: int,
    sequence: int,
    timestamp: int,
    ssrc: int,
) -> None:
    """Overwrite the fixed header of ``buffer`` in place."""
    _FIXED.pack_into(
        buffer,
        0,
        first_byte,
        (0x80 if marker else 0) | payload_type,
        sequence,
        timestamp,
        ssrc,
    )


class ExtensionElement(NamedTuple):
    id: int
    start: int  # offset of the element's data in the packet
    length: int


def iter_extensions(packet: bytes | bytearray, header: RtpHeader) -> Iterator[ExtensionElement]:
    """Yield the RFC 8285 elements of the packet. Stops quietly at a truncated element: a
    receiver must ignore what it cannot parse (RFC 8285 section 4.2), not drop the packet."""
    position = header.extension_start
    end = header.extension_end
    if header.extension_profile == ONE_BYTE_PROFILE:
        while position < end:
            byte = packet[position]
            if byte == 0:  # padding
                position += 1
                continue
            element_id = byte >> 4
            if element_id == 15:  # reserved: stop processing
                return
            length = (byte & 0x0F) + 1
            position += 1
            if position + length > end:
                return
            yield ExtensionElement(element_id, position, length)
            position += length
    elif header.extension_profile & 0xFFF0 == TWO_BYTE_PROFILE:
        while position < end:
            element_id = packet[position]
            if element_id == 0:  # padding
                position += 1
                continue
            if position + 2 > end:
                return
            length = packet[position + 1]
            position += 2
            if position + length > end:
                return
            yield ExtensionElement(element_id, position, length)
            position += length


def find_extension(
    packet: bytes | bytearray, header: RtpHeader, element_id: int
) -> ExtensionElement | None:
    profile = header.extension_profile
    if element_id == 0 or profile == 0:
        return None
    if profile == ONE_BYTE_PROFILE:
        # the per-packet case (Chromium only sends one-byte elements unless told otherwise):
        # a plain loop, no generator
        position = header.extension_start
        end = header.extension_end
        while position < end:
            byte = packet[position]
            if byte == 0:
                position += 1
                continue
            found = byte >> 4
            if found == 15:
                return None
            length = (byte & 0x0F) + 1
            position += 1
            if position + length > end:
                return None
            if found == element_id:
                return ExtensionElement(found, position, length)
            position += length
        return None
    for element in iter_extensions(packet, header):
        if element.id == element_id:
            return element
    return None


def build_extension_block(elements: list[tuple[int, bytes]]) -> bytes:
    """An extension block (profile, length and elements, padded to 32 bits); one-byte form
    when every element allows it, else two-byte. Empty input gives an empty block."""
    if not elements:
        return b""
    one_byte = all(1 <= i <= 14 and 1 <= len(value) <= 16 for i, value in elements)
    if one_byte:
        profile = ONE_BYTE_PROFILE
        body = b"".join(bytes([(i << 4) | (len(value) - 1)]) + value for i, value in elements)
    else:
        profile = TWO_BYTE_PROFILE
        for i, value in elements:
            if not 1 <= i <= 255 or len(value) > 255:
                raise ValueError("extension element out of range")
        body = b"".join(bytes([i, len(value)]) + value for i, value in elements)
    body += b"\x00" * (-len(body) % 4)
    return _EXTENSION_HEADER.pack(profile, len(body) // 4) + body


def remap_extensions(
    packet: bytes | bytearray, header: RtpHeader, mapping: dict[int, int]
) -> bytes:
    """The packet's extension block with only the elements named in ``mapping`` (publisher
    id to subscriber id), renumbered; empty when none is left."""
    if not mapping or header.extension_profile == 0:
        return b""
    kept = [
        (mapping[element.id], bytes(packet[element.start : element.start + element.length]))
        for element in iter_extensions(packet, header)
        if element.id in mapping
    ]
    return build_extension_block(kept)


def build_packet(
    *,
    payload_type: int,
    sequence: int,
    timestamp: int,
    ssrc: int,
    payload: bytes,
    marker: bool = False,
    extensions: list[tuple[int, bytes]] | None = None,
    padding: int = 0,
) -> bytearray:
    """A new packet (no CSRCs). ``padding`` adds that many RFC 3550 padding bytes."""
    if not 0 <= padding <= 255:
        raise ValueError("padding out of range")
    block = build_extension_block(extensions or [])
    first = 0x80 | (0x10 if block else 0) | (0x20 if padding else 0)
    packet = bytearray(RTP_HEADER_SIZE)
    write_header(packet, first, marker, payload_type, sequence, timestamp, ssrc)
    packet += block
    packet += payload
    if padding:
        packet += b"\x00" * (padding - 1) + bytes([padding])
    return packet
