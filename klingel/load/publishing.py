"""Setting up what a publish connection sends, from the offer made and the answer taken.

A camera offered with RIDs sends one player per simulcast layer when the answer accepts
simulcast (``a=rid`` in the answer), else one layer on the offered SSRC, as a browser falls
back to a single encoding.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from klingel.load.local_sdp import (
    EXT_AUDIO_LEVEL,
    EXT_MID,
    EXT_RID,
    EXT_TRANSPORT_CC,
    Kind,
    OfferedSection,
    SendingSection,
)
from klingel.load.media_files import SIMULCAST_LAYERS
from klingel.load.packetize import ExtensionIds
from klingel.load.peer import LightPeer
from klingel.load.remote_sdp import RemoteDescription, RemoteMedia
from klingel.load.sending import PreparedMedia, Publication

__all__ = ["SINGLE_LAYER", "sending_section", "start_publication"]

SINGLE_LAYER = 1
"""Without simulcast a camera sends the middle size (640x360), as a plain browser would."""


def sending_section(
    mid: str, kind: Kind, *, simulcast: bool = False, layers: int = len(SIMULCAST_LAYERS)
) -> OfferedSection:
    """A ``sendonly`` m-section with a fresh SSRC; a simulcast camera offers the RIDs
    ``q``, ``h``, ``f`` (smallest first), or only the smallest ``layers`` of them (at least
    two: one is no simulcast)."""
    if not 2 <= layers <= len(SIMULCAST_LAYERS):
        raise ValueError(f"a simulcast camera has 2-{len(SIMULCAST_LAYERS)} layers")
    chosen = SIMULCAST_LAYERS[:layers]
    rids = tuple(layer.rid for layer in chosen) if simulcast and kind == "video" else ()
    return OfferedSection(mid, kind, "sendonly", SendingSection(random.randrange(1, 1 << 32), rids))


def start_publication(
    peer: LightPeer,
    remote: RemoteDescription,
    media: PreparedMedia,
    offered: Sequence[OfferedSection],
    *,
    video_layer: int = SINGLE_LAYER,
) -> Publication:
    """A publication with a player for every offered sending section the answer accepted.
    ``video_layer`` is the file a single-layer camera sends (0 small, 1 middle, 2 large).
    Hand it to a ``Pacer`` to start sending."""
    publication = Publication(peer)
    for section in offered:
        answered = remote.section(section.mid)
        sending = section.sending
        if sending is None or answered is None or answered.rejected or not answered.codecs:
            continue
        if answered.direction not in ("recvonly", "sendrecv"):
            continue
        payload_type = answered.codecs[0].payload_type
        extensions = _extension_ids(answered)
        if section.kind == "audio":
            publication.add(media.audio, sending.ssrc, payload_type, extensions, mid=section.mid)
        elif sending.rids and answered.rids:
            for index, rid in enumerate(sending.rids):
                publication.add(
                    media.layers[index],
                    random.randrange(1, 1 << 32),
                    payload_type,
                    extensions,
                    mid=section.mid,
                    rid=rid,
                )
        else:
            single = ExtensionIds(extensions.transport_cc, extensions.mid, 0, 0)
            publication.add(
                media.layers[video_layer], sending.ssrc, payload_type, single, mid=section.mid
            )
    return publication


def _extension_ids(media: RemoteMedia) -> ExtensionIds:
    return ExtensionIds(
        transport_cc=media.extension(EXT_TRANSPORT_CC),
        mid=media.extension(EXT_MID),
        rid=media.extension(EXT_RID),
        audio_level=media.extension(EXT_AUDIO_LEVEL),
    )
