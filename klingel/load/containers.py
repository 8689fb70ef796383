"""Reading encoded frames out of their files: IVF (VP8) and Ogg (Opus, RFC 7845).

Only what the load participants need: every frame with its presentation time, and whether a
VP8 frame is a keyframe (RFC 6386 section 9.1) and its size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "ContainerError",
    "EncodedFrame",
    "Vp8Size",
    "opus_packet_samples",
    "parse_ivf",
    "parse_ogg_opus",
    "vp8_keyframe_size",
]

_IVF_HEADER = struct.Struct("<4sHH4sHHIII")
_IVF_FRAME = struct.Struct("<IQ")
_OGG_PAGE = struct.Struct("<4sBBqIIIB")
_OPUS_CLOCK = 48000


class ContainerError(ValueError):
    """A file that is not what it claims to be."""


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    timestamp: float  # seconds from the start of the file
    data: bytes
    keyframe: bool


@dataclass(frozen=True, slots=True)
class Vp8Size:
    width: int
    height: int


def vp8_keyframe_size(frame: bytes | bytearray | memoryview) -> Vp8Size | None:
    """The picture size a VP8 keyframe announces; None for an interframe or garbage. The frame
    tag's P bit is 0 on a keyframe, then 3 tag bytes, the start code and two 14-bit sizes."""
    if len(frame) < 10 or frame[0] & 0x01 or bytes(frame[3:6]) != b"\x9d\x01\x2a":
        return None
    width = (frame[6] | frame[7] << 8) & 0x3FFF
    height = (frame[8] | frame[9] << 8) & 0x3FFF
    return Vp8Size(width, height)


def parse_ivf(data: bytes) -> tuple[Vp8Size, tuple[EncodedFrame, ...]]:
    """The size and frames of an IVF file of VP8."""
    if len(data) < _IVF_HEADER.size:
        raise ContainerError("shorter than an IVF header")
    signature, _version, header_size, fourcc, width, height, rate, scale, _count = (
        _IVF_HEADER.unpack_from(data)
    )
    if signature != b"DKIF" or fourcc != b"VP80" or header_size < _IVF_HEADER.size:
        raise ContainerError("not an IVF file of VP8")
    if rate == 0 or scale == 0:
        raise ContainerError("IVF time base is zero")
    frames = []
    position = header_size
    while position < len(data):
        if position + _IVF_FRAME.size > len(data):
            raise ContainerError("truncated IVF frame header")
        size, pts = _IVF_FRAME.unpack_from(data, position)
        position += _IVF_FRAME.size
        payload = data[position : position + size]
        if len(payload) != size:
            raise ContainerError("truncated IVF frame")
        position += size
        keyframe = vp8_keyframe_size(payload) is not None
        frames.append(EncodedFrame(pts * scale / rate, payload, keyframe))
    if not frames:
        raise ContainerError("IVF file without frames")
    return Vp8Size(width, height), tuple(frames)


def _ogg_packets(data: bytes) -> list[tuple[bytes, int]]:
    """Every packet of the first logical stream, with the granule position of the page on
    which it ends (-1 when the page ends no packet)."""
    packets: list[tuple[bytes, int]] = []
    pending = b""
    serial: int | None = None
    position = 0
    while position < len(data):
        if position + _OGG_PAGE.size > len(data):
            raise ContainerError("truncated Ogg page header")
        capture, version, _flags, granule, page_serial, _seq, _crc, count = _OGG_PAGE.unpack_from(
            data, position
        )
        if capture != b"OggS" or version != 0:
            raise ContainerError("not an Ogg page")
        table_start = position + _OGG_PAGE.size
        lacing = data[table_start : table_start + count]
        if len(lacing) != count:
            raise ContainerError("truncated Ogg segment table")
        body = table_start + count
        if body + sum(lacing) > len(data):
            raise ContainerError("truncated Ogg page")
        serial = page_serial if serial is None else serial
        if page_serial == serial:
            offset = body
            for size in lacing:
                pending += data[offset : offset + size]
                offset += size
                if size < 255:
                    packets.append((pending, granule))
                    pending = b""
        position = body + sum(lacing)
    return packets


def parse_ogg_opus(data: bytes) -> tuple[EncodedFrame, ...]:
    """The Opus packets of an Ogg Opus file (RFC 7845), each timed by its duration."""
    packets = _ogg_packets(data)
    if len(packets) < 3 or not packets[0][0].startswith(b"OpusHead"):
        raise ContainerError("not an Ogg Opus file")
    if not packets[1][0].startswith(b"OpusTags"):
        raise ContainerError("Ogg Opus file without OpusTags")
    frames = []
    samples = 0
    for packet, _granule in packets[2:]:
        if not packet:
            continue
        frames.append(EncodedFrame(samples / _OPUS_CLOCK, packet, False))
        samples += opus_packet_samples(packet)
    return tuple(frames)


def opus_packet_samples(packet: bytes) -> int:
    """Samples (at 48 kHz) in one Opus packet, from its TOC byte (RFC 6716 section 3.1)."""
    toc = packet[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        frame = (480, 960, 1920, 2880)[config & 0x03]
    elif config < 16:  # hybrid: 10, 20 ms
        frame = (480, 960)[config & 0x01]
    else:  # CELT: 2.5, 5, 10, 20 ms
        frame = (120, 240, 480, 960)[config & 0x03]
    code = toc & 0x03
    if code == 0:
        count = 1
    elif code in (1, 2):
        count = 2
    else:
        if len(packet) < 2:
            raise ContainerError("Opus packet without frame count")
        count = packet[1] & 0x3F
    return frame * count
