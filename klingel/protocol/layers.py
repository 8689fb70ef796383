"""Simulcast layer choice: which size of each video stream a subscriber wants (``set_layers``),
and which sizes of its own streams a publisher need encode (``publish_layers``).

A subscriber shows remote cameras at many sizes; asking for the layer that fits the tile (or
none for a tile nobody can see) saves its bandwidth and decoding, and the SFU's. A layer that
no subscriber receives is then wasted work for the publisher: the server tells it so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from klingel.ids import StreamId
from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.fields import FieldReader
from klingel.protocol.objects import MAX_ID_LENGTH

__all__ = ["MAX_LAYER", "MAX_LAYER_REQUESTS", "LayerRequest", "PublishLayers", "SetLayers"]

MAX_LAYER = 3
"""Layers are numbered from 0 (the smallest); no browser sends more than four."""
MAX_LAYER_REQUESTS = 100
"""As many as a subscribe offer may carry streams."""


@dataclass(frozen=True, slots=True)
class LayerRequest:
    """The layer of one video stream: 0 the smallest, None paused (no video at all)."""

    stream: StreamId
    layer: int | None

    _FIELDS: ClassVar[frozenset[str]] = frozenset({"stream", "layer"})

    @classmethod
    def from_dict(cls, data: object) -> Self:
        reader = FieldReader(data, "layer request", cls._FIELDS)
        layer = None if reader.value("layer") is None else reader.integer("layer", 0, MAX_LAYER)
        return cls(stream=StreamId(reader.string("stream", 1, MAX_ID_LENGTH)), layer=layer)

    def to_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "layer": self.layer}


@dataclass(frozen=True, slots=True)
class SetLayers:
    TYPE: ClassVar[str] = "set_layers"
    layers: tuple[LayerRequest, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, frozenset({"type", "layers"}))
        items = reader.array("layers", MAX_LAYER_REQUESTS)
        if not items:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "set_layers.layers must not be empty.")
        requests = tuple(LayerRequest.from_dict(item) for item in items)
        if len({request.stream for request in requests}) != len(requests):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "The same stream is listed twice.")
        return cls(layers=requests)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "layers": [request.to_dict() for request in self.layers]}


@dataclass(frozen=True, slots=True)
class PublishLayers:
    """To a publisher: which simulcast layers of its video stream ``stream`` anyone receives,
    ``layers[i]`` for layer ``i`` (0 the smallest; the first is always true). The publisher may
    stop encoding a layer that is false and must send it again once it is true."""

    TYPE: ClassVar[str] = "publish_layers"
    stream: StreamId
    layers: tuple[bool, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        reader = FieldReader(data, cls.TYPE, frozenset({"type", "stream", "layers"}))
        items = reader.array("layers", MAX_LAYER + 1)
        if not items or not all(isinstance(item, bool) for item in items):
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, "publish_layers.layers must be 1-4 true or false."
            )
        if items[0] is not True:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "The smallest layer is always wanted.")
        return cls(
            stream=StreamId(reader.string("stream", 1, MAX_ID_LENGTH)),
            layers=tuple(item is True for item in items),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.TYPE, "stream": self.stream, "layers": list(self.layers)}
