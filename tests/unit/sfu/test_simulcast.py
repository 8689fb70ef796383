from __future__ import annotations

import pytest

from klingel.sfu.rtp import build_packet, parse_rtp
from klingel.sfu.simulcast import HIGHEST_LAYER, read_rid, select_layer

RID_ID = 10


@pytest.mark.parametrize(
    ("requested", "active", "chosen"),
    [
        (HIGHEST_LAYER, [True, True, True], 2),
        (HIGHEST_LAYER, [True, True, False], 1),
        (0, [True, True, True], 0),
        (1, [True, True, True], 1),
        (2, [True, False, True], 2),
        (1, [True, False, True], 0),  # the nearest lower one
        (0, [False, True, True], 1),  # nothing at or below: the lowest there is
        (1, [False, False, True], 2),
        (5, [True], 0),  # a publisher without simulcast has layer 0 only
        (HIGHEST_LAYER, [False, False, False], 2),  # nothing arrived yet: as asked
        (1, [False, False, False], 1),
        (None, [True, True, True], None),  # paused
        (None, [False], None),
    ],
)
def test_select_layer(requested: int | None, active: list[bool], chosen: int | None) -> None:
    assert select_layer(requested, active) == chosen


def test_select_layer_without_layers_is_none() -> None:
    assert select_layer(0, []) is None


def packet_with(extensions: list[tuple[int, bytes]]) -> bytes:
    return bytes(
        build_packet(
            payload_type=96, sequence=1, timestamp=1, ssrc=5, payload=b"x", extensions=extensions
        )
    )


@pytest.mark.parametrize(
    ("extensions", "rid"),
    [
        ([(9, b"0"), (RID_ID, b"q")], "q"),
        ([(RID_ID, b"layer_1-b")], "layer_1-b"),
        ([(9, b"0")], None),  # no RID extension
        ([(RID_ID, b"q w")], None),
        ([(RID_ID, "ü".encode())], None),
        ([(RID_ID, b"a" * 16)], "a" * 16),
    ],
)
def test_read_rid(extensions: list[tuple[int, bytes]], rid: str | None) -> None:
    packet = packet_with(extensions)
    assert read_rid(packet, parse_rtp(packet), RID_ID) == rid


def test_read_rid_without_a_negotiated_extension_is_none() -> None:
    packet = packet_with([(RID_ID, b"q")])
    assert read_rid(packet, parse_rtp(packet), 0) is None
