"""Which layer of each camera a participant asks for, as the browser's two layouts would.

Tile view shows ``visible`` cameras in a grid, each at a small layer, and pauses the rest
(scrolled out of view). Speaker view shows the active speaker large (the top layer) and a
filmstrip of up to ``visible`` others at the smallest layer; the rest are paused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["View", "ViewKind", "layer_requests"]

ViewKind = Literal["all", "tile", "speaker"]

TOP_LAYER = 2


@dataclass(frozen=True, slots=True)
class View:
    kind: ViewKind = "all"  # "all": never send set_layers (the server's default, the top layer)
    visible: int = 16
    tile_layer: int = 0
    pause_hidden: bool = True  # speaker view: the cameras beyond the filmstrip paused, else layer 0


def layer_requests(
    view: View, cameras: Sequence[str], speaker: str | None
) -> dict[str, int | None]:
    """The layer (or None: paused) of each camera stream, in the order they should appear
    (``cameras`` in the order their publishers came); ``speaker`` is the active speaker's
    camera stream, if known and present. Empty for the view ``all``."""
    if view.kind == "all":
        return {}
    if view.kind == "tile":
        return {
            stream: view.tile_layer if index < view.visible else None
            for index, stream in enumerate(cameras)
        }
    large = speaker if speaker in cameras else (cameras[0] if cameras else None)
    requests: dict[str, int | None] = {}
    shown = 0
    for stream in cameras:
        if stream == large:
            requests[stream] = TOP_LAYER
        elif shown < view.visible:
            requests[stream] = 0
            shown += 1
        else:
            requests[stream] = None if view.pause_hidden else 0
    return requests
