from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from klingel.sfu.h264 import is_keyframe, nal_unit_types

SPS = bytes([0x67, 0x42, 0xC0, 0x1F])
PPS = bytes([0x68, 0xCE, 0x3C, 0x80])
IDR = bytes([0x65, 0x88, 0x84])
SLICE = bytes([0x41, 0x9A, 0x02])


def stap_a(*units: bytes) -> bytes:
    return b"\x18" + b"".join(len(unit).to_bytes(2, "big") + unit for unit in units)


def test_single_nal_units() -> None:
    assert is_keyframe(IDR)
    assert is_keyframe(SPS)
    assert not is_keyframe(PPS)
    assert not is_keyframe(SLICE)


def test_stap_a_with_parameter_sets() -> None:
    payload = stap_a(SPS, PPS, IDR)
    assert nal_unit_types(payload) == [7, 8, 5]
    assert is_keyframe(payload)
    assert not is_keyframe(stap_a(PPS, SLICE))


def test_fu_a_only_the_start_fragment_counts() -> None:
    start = bytes([0x7C, 0x80 | 5]) + b"\x00" * 10
    middle = bytes([0x7C, 5]) + b"\x00" * 10
    delta_start = bytes([0x5C, 0x80 | 1]) + b"\x00"
    assert is_keyframe(start)
    assert not is_keyframe(middle)
    assert not is_keyframe(delta_start)


def test_truncated_stap_a_yields_the_units_that_fit() -> None:
    payload = stap_a(SLICE)[:-1] + b""
    assert nal_unit_types(payload) == []
    assert nal_unit_types(stap_a(SLICE) + b"\x00\x09\x65") == [1]


def test_empty_and_reserved() -> None:
    assert nal_unit_types(b"") == []
    assert nal_unit_types(b"\x1e") == []  # 30: reserved
    assert not is_keyframe(b"\x1c")  # FU-A without header


@given(st.binary(max_size=64))
def test_random_payloads_never_raise(payload: bytes) -> None:
    types = nal_unit_types(payload)
    assert all(0 <= t <= 31 for t in types)
    assert is_keyframe(payload) == any(t in (5, 7) for t in types)
