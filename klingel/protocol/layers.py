"""Simulcast layer choice: which size of each video stream a subscriber wants (``set_layers``),
and which sizes of its own streams a publisher need encode (``publish_layers``).

A subscriber shows remote cameras at many sizes; asking for the layer that fits the tile (or
none for a tile nobody can see) saves its bandwidth and decoding, and the SFU's. A layer that
no subscriber receives is then wasted work for the publisher: the server tells it so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.objects import StreamRef
from klingel.protocol.wire import Wire, WireMessage, WireObject

__all__ = ["MAX_LAYER", "MAX_LAYER_REQUESTS", "LayerRequest", "PublishLayers", "SetLayers"]

MAX_LAYER = 3
"""Layers are numbered from 0 (the smallest); no browser sends more than four."""
MAX_LAYER_REQUESTS = 100
"""As many as a subscribe offer may carry streams."""


@dataclass(frozen=True, slots=True)
class LayerRequest(WireObject):
    """The layer of one video stream: 0 the smallest, None paused (no video at all)."""

    NAME: ClassVar[str] = "layer request"
    stream: StreamRef
    layer: Annotated[int | None, Wire(0, MAX_LAYER)]


@dataclass(frozen=True, slots=True)
class SetLayers(WireMessage):
    TYPE: ClassVar[str] = "set_layers"
    layers: Annotated[tuple[LayerRequest, ...], Wire(1, MAX_LAYER_REQUESTS)]

    def check(self) -> None:
        if len({request.stream for request in self.layers}) != len(self.layers):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "The same stream is listed twice.")


@dataclass(frozen=True, slots=True)
class PublishLayers(WireMessage):
    """To a publisher: which simulcast layers of its video stream ``stream`` anyone receives,
    ``layers[i]`` for layer ``i`` (0 the smallest; the first is always true). The publisher may
    stop encoding a layer that is false and must send it again once it is true."""

    TYPE: ClassVar[str] = "publish_layers"
    stream: StreamRef
    layers: Annotated[tuple[bool, ...], Wire(1, MAX_LAYER + 1)]

    def check(self) -> None:
        if not self.layers[0]:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "The smallest layer is always wanted.")
