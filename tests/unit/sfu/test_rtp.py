from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klingel.sfu.rtp import (
    ONE_BYTE_PROFILE,
    TWO_BYTE_PROFILE,
    RtpError,
    build_extension_block,
    build_packet,
    find_extension,
    is_rtcp,
    iter_extensions,
    parse_rtp,
    remap_extensions,
    write_header,
)


def test_fixed_header_fields() -> None:
    packet = build_packet(
        payload_type=96,
        sequence=65535,
        timestamp=0xFFFFFFFF,
        ssrc=0x11223344,
        payload=b"abc",
        marker=True,
    )
    header = parse_rtp(bytes(packet))
    assert (header.marker, header.payload_type, header.sequence) == (True, 96, 65535)
    assert (header.timestamp, header.ssrc) == (0xFFFFFFFF, 0x11223344)
    assert bytes(packet[header.payload_offset : header.payload_end]) == b"abc"
    assert header.extension_profile == 0


def test_padding_is_outside_the_payload() -> None:
    packet = bytes(
        build_packet(payload_type=96, sequence=1, timestamp=2, ssrc=3, payload=b"xy", padding=4)
    )
    header = parse_rtp(packet)
    assert packet[header.payload_offset : header.payload_end] == b"xy"
    assert len(packet) - header.payload_end == 4


def test_csrcs_are_skipped() -> None:
    packet = bytearray(build_packet(payload_type=0, sequence=1, timestamp=2, ssrc=3, payload=b""))
    packet[0] |= 2
    packet[12:12] = b"\x00\x00\x00\x01\x00\x00\x00\x02"
    packet += b"pay"
    header = parse_rtp(bytes(packet))
    assert packet[header.payload_offset :] == b"pay"


def test_one_byte_extensions_read() -> None:
    packet = bytes(
        build_packet(
            payload_type=111,
            sequence=7,
            timestamp=8,
            ssrc=9,
            payload=b"opus",
            extensions=[(1, b"\x85"), (3, b"\x01\x02"), (4, b"0")],
        )
    )
    header = parse_rtp(packet)
    assert header.extension_profile == ONE_BYTE_PROFILE
    found = {e.id: packet[e.start : e.start + e.length] for e in iter_extensions(packet, header)}
    assert found == {1: b"\x85", 3: b"\x01\x02", 4: b"0"}
    element = find_extension(packet, header, 3)
    assert element is not None and packet[element.start : element.start + 2] == b"\x01\x02"
    assert find_extension(packet, header, 2) is None
    assert packet[header.payload_offset : header.payload_end] == b"opus"


def test_two_byte_extensions_read() -> None:
    long_value = bytes(range(20))
    packet = bytes(
        build_packet(
            payload_type=96,
            sequence=1,
            timestamp=2,
            ssrc=3,
            payload=b"v",
            extensions=[(20, long_value), (2, b"\xaa")],
        )
    )
    header = parse_rtp(packet)
    assert header.extension_profile & 0xFFF0 == TWO_BYTE_PROFILE
    found = {e.id: packet[e.start : e.start + e.length] for e in iter_extensions(packet, header)}
    assert found == {20: long_value, 2: b"\xaa"}
    element = find_extension(packet, header, 20)
    assert element is not None and element.length == 20


def test_padding_bytes_between_elements_are_skipped() -> None:
    block = b"\xbe\xde\x00\x02" + b"\x10\x55\x00\x00" + b"\x31\x01\x02\x00"
    packet = bytes([0x90, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]) + block + b"payload"
    header = parse_rtp(packet)
    ids = [e.id for e in iter_extensions(packet, header)]
    assert ids == [1, 3]


def test_remap_keeps_only_mapped_elements_renumbered() -> None:
    packet = bytes(
        build_packet(
            payload_type=111,
            sequence=1,
            timestamp=2,
            ssrc=3,
            payload=b"p",
            extensions=[(1, b"\x85"), (3, b"\x00\x07"), (4, b"0")],
        )
    )
    header = parse_rtp(packet)
    block = remap_extensions(packet, header, {1: 10})
    assert block == build_extension_block([(10, b"\x85")])
    assert remap_extensions(packet, header, {}) == b""
    assert remap_extensions(packet, header, {9: 1}) == b""


def test_write_header_rewrites_in_place_and_round_trips() -> None:
    original = build_packet(
        payload_type=96,
        sequence=10,
        timestamp=20,
        ssrc=30,
        payload=b"data",
        extensions=[(3, b"\x00\x01")],
        padding=2,
    )
    header = parse_rtp(bytes(original))
    rewritten = bytearray(original)
    write_header(rewritten, header.first_byte, False, 100, 65000, 123456, 0xDEADBEEF)
    again = parse_rtp(bytes(rewritten))
    assert (again.payload_type, again.sequence, again.timestamp, again.ssrc) == (
        100,
        65000,
        123456,
        0xDEADBEEF,
    )
    assert again.marker is False
    assert rewritten[12:] == original[12:]
    write_header(rewritten, header.first_byte, header.marker, 96, 10, 20, 30)
    assert rewritten == original


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        b"\x80" * 11,
        bytes([0x40, 96]) + bytes(10),  # version 1
        bytes([0x8F, 96]) + bytes(10),  # 15 CSRCs missing
        bytes([0x90, 96]) + bytes(10),  # extension header missing
        bytes([0x90, 96]) + bytes(10) + b"\xbe\xde\x00\x05",  # extension past the end
        bytes([0xA0, 96]) + bytes(10) + b"\x00",  # padding length 0
        bytes([0xA0, 96]) + bytes(10) + b"\x09",  # padding longer than packet
    ],
)
def test_malformed_packets_raise_rtp_error(packet: bytes) -> None:
    with pytest.raises(RtpError):
        parse_rtp(packet)


def test_is_rtcp_by_payload_type_range() -> None:
    assert is_rtcp(bytes([0x80, 200, 0, 6]))
    assert is_rtcp(bytes([0x81, 206]))
    assert not is_rtcp(bytes([0x80, 96]))
    assert not is_rtcp(bytes([0x80, 0xE0 | 0x60]))


@given(st.binary(max_size=200))
def test_random_bytes_raise_only_rtp_error(data: bytes) -> None:
    try:
        header = parse_rtp(data)
    except RtpError:
        return
    assert header.payload_offset <= header.payload_end <= len(data)
    for element in iter_extensions(data, header):
        assert header.extension_start <= element.start
        assert element.start + element.length <= header.extension_end
    for element_id in range(16):
        find_extension(data, header, element_id)


@given(
    payload_type=st.integers(0, 127),
    sequence=st.integers(0, 0xFFFF),
    timestamp=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    marker=st.booleans(),
    payload=st.binary(max_size=64),
    padding=st.integers(0, 20),
    extensions=st.lists(
        st.tuples(st.integers(1, 14), st.binary(min_size=1, max_size=16)),
        max_size=4,
        unique_by=lambda item: item[0],
    ),
)
def test_built_packets_parse_back(
    payload_type: int,
    sequence: int,
    timestamp: int,
    ssrc: int,
    marker: bool,
    payload: bytes,
    padding: int,
    extensions: list[tuple[int, bytes]],
) -> None:
    packet = bytes(
        build_packet(
            payload_type=payload_type,
            sequence=sequence,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=payload,
            marker=marker,
            extensions=extensions,
            padding=padding,
        )
    )
    header = parse_rtp(packet)
    assert (header.payload_type, header.sequence, header.timestamp, header.ssrc, header.marker) == (
        payload_type,
        sequence,
        timestamp,
        ssrc,
        marker,
    )
    assert packet[header.payload_offset : header.payload_end] == payload
    found = [(e.id, packet[e.start : e.start + e.length]) for e in iter_extensions(packet, header)]
    assert found == extensions
    rebuilt = bytearray(packet)
    write_header(rebuilt, header.first_byte, marker, payload_type, sequence, timestamp, ssrc)
    assert bytes(rebuilt) == packet
