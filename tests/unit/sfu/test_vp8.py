from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klingel.sfu.vp8 import Vp8Error, is_keyframe, parse_descriptor

# VP8 payload header first byte: bit 0 is P (0 = key frame)
KEY = b"\x10\x02\x00\x9d\x01\x2a"
DELTA = b"\x31\x02\x00"


def test_minimal_descriptor_keyframe() -> None:
    payload = bytes([0x10]) + KEY
    descriptor = parse_descriptor(payload)
    assert descriptor.size == 1
    assert descriptor.start_of_partition and descriptor.partition_index == 0
    assert descriptor.keyframe
    assert is_keyframe(payload)


def test_chromium_style_descriptor_with_15_bit_picture_id() -> None:
    # X=1 S=1 | I=1 L=1 T=1 K=0 | M=1 picture id 0x1234 | TL0PICIDX 7 | TID 1 Y 1
    payload = bytes([0x90, 0xE0, 0x80 | 0x12, 0x34, 0x07, 0x60]) + KEY
    descriptor = parse_descriptor(payload)
    assert descriptor.picture_id == 0x1234 and descriptor.picture_id_bits == 15
    assert descriptor.tl0_pic_index == 7
    assert descriptor.temporal_layer == 1 and descriptor.layer_sync
    assert descriptor.size == 6
    assert is_keyframe(payload)


def test_seven_bit_picture_id_and_key_index() -> None:
    payload = bytes([0x90, 0x90, 0x05, 0x1F]) + KEY
    descriptor = parse_descriptor(payload)
    assert descriptor.picture_id == 5 and descriptor.picture_id_bits == 7
    assert descriptor.key_index == 31 and descriptor.temporal_layer is None


def test_delta_frame_is_not_a_keyframe() -> None:
    payload = bytes([0x90, 0x80, 0x81, 0x00]) + DELTA
    assert not parse_descriptor(payload).keyframe
    assert not is_keyframe(payload)


def test_continuation_packet_is_not_a_keyframe() -> None:
    assert not is_keyframe(bytes([0x00]) + KEY)  # S=0
    assert not is_keyframe(bytes([0x11]) + KEY)  # partition 1


@pytest.mark.parametrize(
    "payload", [b"", b"\x80", bytes([0x90, 0x80]), bytes([0x90, 0x80, 0x80]), bytes([0x90, 0x70])]
)
def test_truncated_descriptors(payload: bytes) -> None:
    with pytest.raises(Vp8Error):
        parse_descriptor(payload)
    assert not is_keyframe(payload)


@given(st.binary(max_size=16))
def test_random_payloads_raise_only_vp8_error(payload: bytes) -> None:
    try:
        descriptor = parse_descriptor(payload)
    except Vp8Error:
        assert not is_keyframe(payload)
        return
    assert descriptor.size <= len(payload)
    assert is_keyframe(payload) == descriptor.keyframe
