"""VP8 and Opus packets as the load publisher writes them, read back with the SFU's parsers."""

from __future__ import annotations

import struct

import pytest

from klingel.load.packetize import MAX_PAYLOAD, ExtensionIds, RtpWriter, vp8_chunks, vp8_descriptor
from klingel.sfu import vp8
from klingel.sfu.rtp import find_extension, parse_rtp

IDS = ExtensionIds(transport_cc=3, mid=4, rid=10, audio_level=1)


def keyframe(size: int) -> bytes:
    return (
        b"\x10\x02\x00\x9d\x01\x2a"
        + struct.pack("<HH", 640, 360)
        + bytes(range(256)) * (size // 256 + 1)
    )


def packetize(frame: bytes, writer: RtpWriter, picture_id: int, first_twcc: int) -> list[bytes]:
    chunks = vp8_chunks(frame)
    return [
        writer.packet(
            vp8_descriptor(picture_id, i == 0) + chunk,
            123456,
            marker=i == len(chunks) - 1,
            transport_sequence=first_twcc + i,
        )
        for i, chunk in enumerate(chunks)
    ]


def extension(packet: bytes, element_id: int) -> bytes | None:
    header = parse_rtp(packet)
    element = find_extension(packet, header, element_id)
    return None if element is None else packet[element.start : element.start + element.length]


def test_a_keyframe_round_trips_through_the_sfu_parsers() -> None:
    frame = keyframe(5000)[:5000]
    writer = RtpWriter(0x1234, 96, IDS, mid="1", rid="h", first_sequence=65534)
    packets = packetize(frame, writer, 0x7FFF, 65535)
    assert len(packets) == -(-5000 // MAX_PAYLOAD)
    headers = [parse_rtp(p) for p in packets]
    assert [h.sequence for h in headers] == [(65534 + i) & 0xFFFF for i in range(len(packets))]
    assert [h.marker for h in headers] == [False] * (len(packets) - 1) + [True]
    assert {h.ssrc for h in headers} == {0x1234} and {h.payload_type for h in headers} == {96}
    payloads = [p[h.payload_offset : h.payload_end] for p, h in zip(packets, headers, strict=True)]
    assert vp8.is_keyframe(payloads[0])
    assert not any(vp8.is_keyframe(p) for p in payloads[1:])
    descriptors = [vp8.parse_descriptor(p) for p in payloads]
    assert [d.start_of_partition for d in descriptors] == [True] + [False] * (len(packets) - 1)
    assert {(d.picture_id, d.picture_id_bits) for d in descriptors} == {(0x7FFF, 15)}
    assert b"".join(p[d.size :] for p, d in zip(payloads, descriptors, strict=True)) == frame
    assert all(len(p) <= 1200 for p in packets)
    assert extension(packets[0], 4) == b"1"
    assert extension(packets[0], 10) == b"h"
    assert [extension(p, 3) for p in packets[:2]] == [b"\xff\xff", b"\x00\x00"]


def test_an_interframe_is_not_a_keyframe() -> None:
    writer = RtpWriter(1, 96, IDS, mid="1")
    packet = writer.packet(vp8_descriptor(5, True) + b"\x31\x00\x00" + b"z" * 50, 1, marker=True)
    header = parse_rtp(packet)
    assert not vp8.is_keyframe(packet[header.payload_offset :])
    assert vp8.parse_descriptor(packet[header.payload_offset :]).picture_id == 5


def test_opus_packet_carries_level_mid_and_no_rid() -> None:
    writer = RtpWriter(99, 111, IDS, mid="0")
    opus = b"\xfc" + b"o" * 60
    packet = writer.packet(opus, 960, marker=False, transport_sequence=7, audio_level=0x80 | 25)
    header = parse_rtp(packet)
    assert packet[header.payload_offset :] == opus
    assert extension(packet, 1) == bytes([0x80 | 25])
    assert extension(packet, 4) == b"0"
    assert extension(packet, 10) is None
    assert extension(packet, 3) == b"\x00\x07"


def test_without_extensions_the_header_is_plain() -> None:
    writer = RtpWriter(5, 111, ExtensionIds(), mid="0")
    packet = writer.packet(b"\xfc\x01", 10, marker=True)
    header = parse_rtp(packet)
    assert header.extension_profile == 0 and header.marker
    assert packet[header.payload_offset :] == b"\xfc\x01"


def test_chunks_are_even_and_bounded() -> None:
    chunks = vp8_chunks(b"a" * 2201, 1100)
    assert len(chunks) == 3 and b"".join(chunks) == b"a" * 2201
    assert max(len(c) for c in chunks) - min(len(c) for c in chunks) <= 1
    with pytest.raises(ValueError):
        vp8_chunks(b"")
