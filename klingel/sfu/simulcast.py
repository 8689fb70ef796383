"""Simulcast (RFC 8853): which of a publisher's layers a subscriber receives.

A simulcast publisher sends one video track as a few encodings ("layers") of different sizes,
each on its own SSRC and named by an RID (RFC 8851). The SSRCs are not in the offer: the first
packets of each layer carry the RID header extension (RFC 8852 section 3.1), which says which
layer a new SSRC belongs to. Layers are numbered from 0, the smallest.

A subscriber asks for a layer (or none: paused). It gets the nearest published layer at or
below that, else the lowest published one; a layer counts as published while its packets
arrive. The switch itself happens at a keyframe of the new layer (``klingel.sfu.subscribed``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from klingel.sfu.rtp import RtpHeader, find_extension

__all__ = ["HIGHEST_LAYER", "LAYER_IDLE_SECONDS", "read_rid", "select_layer"]

HIGHEST_LAYER = sys.maxsize
"""A request for the largest layer there is: what a new subscription starts with."""

LAYER_IDLE_SECONDS = 1.0
"""A layer without a packet for this long counts as no longer published: the encoder dropped
it (too little bandwidth or CPU), and its subscribers move to a layer that still comes."""

_MAX_RID_BYTES = 16


def select_layer(requested: int | None, active: Sequence[bool]) -> int | None:
    """The layer to forward for a request: None when paused; else the highest active layer
    at or below ``requested``, else the lowest active one. While no layer is active (nothing
    has arrived yet) the request itself, bounded to the layers there are."""
    if requested is None or not active:
        return None
    below = -1
    lowest = -1
    for index, is_active in enumerate(active):
        if not is_active:
            continue
        if lowest < 0:
            lowest = index
        if index <= requested:
            below = index
    if below >= 0:
        return below
    if lowest >= 0:
        return lowest
    return min(max(requested, 0), len(active) - 1)


def read_rid(packet: bytes, header: RtpHeader, extension_id: int) -> str | None:
    """The RID of a packet's RtpStreamId extension, None when it has none or a malformed one."""
    if not extension_id:
        return None
    element = find_extension(packet, header, extension_id)
    if element is None or not 0 < element.length <= _MAX_RID_BYTES:
        return None
    value = packet[element.start : element.start + element.length]
    if not value.isascii():
        return None
    text = value.decode("ascii")
    return text if text.replace("-", "").replace("_", "").isalnum() else None
