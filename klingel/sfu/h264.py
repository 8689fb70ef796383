"""H.264 keyframe detection on RTP payloads, RFC 6184 section 5.

A packet starts a keyframe when it carries an IDR slice (NAL type 5) or a sequence parameter
set (type 7, which Chromium sends right before each IDR), alone, aggregated in a STAP-A, or as
the first fragment of an FU-A.
"""

from __future__ import annotations

__all__ = ["is_keyframe", "nal_unit_types"]

_IDR = 5
_SPS = 7
_STAP_A = 24
_FU_A = 28
_KEY_TYPES = frozenset((_IDR, _SPS))


def nal_unit_types(payload: bytes | bytearray | memoryview) -> list[int]:
    """The NAL unit types this packet starts (a fragment that does not start a unit gives
    none). Truncated aggregates yield the units that fit."""
    if not payload:
        return []
    nal_type = payload[0] & 0x1F
    if nal_type == _STAP_A:
        types = []
        position = 1
        size = len(payload)
        while position + 2 < size:
            length = (payload[position] << 8) | payload[position + 1]
            position += 2
            if length == 0 or position + length > size:
                break
            types.append(payload[position] & 0x1F)
            position += length
        return types
    if nal_type == _FU_A:
        if len(payload) < 2 or not payload[1] & 0x80:  # not the start fragment
            return []
        return [payload[1] & 0x1F]
    if 1 <= nal_type <= 23:
        return [nal_type]
    return []


def is_keyframe(payload: bytes | bytearray | memoryview) -> bool:
    return any(nal_type in _KEY_TYPES for nal_type in nal_unit_types(payload))
