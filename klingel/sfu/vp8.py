"""VP8 RTP payload descriptor, RFC 7741 section 4.2, and keyframe detection.

Every field is bounds-checked: the descriptor comes from the network.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Vp8Descriptor", "Vp8Error", "is_keyframe", "parse_descriptor"]


class Vp8Error(ValueError):
    """A payload too short for the descriptor it announces."""


@dataclass(frozen=True, slots=True)
class Vp8Descriptor:
    non_reference: bool  # N
    start_of_partition: bool  # S
    partition_index: int  # PID
    picture_id: int | None  # 7 or 15 bits
    picture_id_bits: int  # 0, 7 or 15
    tl0_pic_index: int | None
    temporal_layer: int | None  # TID
    layer_sync: bool  # Y
    key_index: int | None  # KEYIDX
    size: int  # bytes of descriptor before the VP8 payload
    keyframe: bool  # start of a key frame (only meaningful when S and PID 0)


def _descriptor_size(payload: bytes | bytearray | memoryview) -> int:
    size = len(payload)
    if size < 1:
        raise Vp8Error("empty payload")
    if not payload[0] & 0x80:
        return 1
    if size < 2:
        raise Vp8Error("truncated extension byte")
    extension = payload[1]
    offset = 2
    if extension & 0x80:  # I: picture id
        if offset >= size:
            raise Vp8Error("truncated picture id")
        offset += 2 if payload[offset] & 0x80 else 1
    if extension & 0x40:  # L: TL0PICIDX
        offset += 1
    if extension & 0x30:  # T or K: TID/Y/KEYIDX
        offset += 1
    if offset > size:
        raise Vp8Error("truncated descriptor")
    return offset


def parse_descriptor(payload: bytes | bytearray | memoryview) -> Vp8Descriptor:
    offset = _descriptor_size(payload)
    first = payload[0]
    picture_id: int | None = None
    picture_id_bits = 0
    tl0: int | None = None
    temporal_layer: int | None = None
    layer_sync = False
    key_index: int | None = None
    if first & 0x80:
        extension = payload[1]
        position = 2
        if extension & 0x80:
            if payload[position] & 0x80:
                picture_id = ((payload[position] & 0x7F) << 8) | payload[position + 1]
                picture_id_bits = 15
                position += 2
            else:
                picture_id = payload[position]
                picture_id_bits = 7
                position += 1
        if extension & 0x40:
            tl0 = payload[position]
            position += 1
        if extension & 0x30:
            byte = payload[position]
            if extension & 0x20:
                temporal_layer = byte >> 6
                layer_sync = bool(byte & 0x20)
            if extension & 0x10:
                key_index = byte & 0x1F
    start = bool(first & 0x10)
    partition = first & 0x07
    keyframe = start and partition == 0 and offset < len(payload) and not payload[offset] & 0x01
    return Vp8Descriptor(
        non_reference=bool(first & 0x20),
        start_of_partition=start,
        partition_index=partition,
        picture_id=picture_id,
        picture_id_bits=picture_id_bits,
        tl0_pic_index=tl0,
        temporal_layer=temporal_layer,
        layer_sync=layer_sync,
        key_index=key_index,
        size=offset,
        keyframe=keyframe,
    )


def is_keyframe(payload: bytes | bytearray | memoryview) -> bool:
    """True for the first packet of a key frame: start of partition 0, and the P bit of the
    VP8 payload header (RFC 6386 section 9.1) is 0. Malformed input is simply not one."""
    if not payload or payload[0] & 0x17 != 0x10:  # S set, PID 0
        return False
    try:
        offset = _descriptor_size(payload)
    except Vp8Error:
        return False
    return offset < len(payload) and not payload[offset] & 0x01
