from __future__ import annotations

from typing import Any

import pytest

from klingel.ids import StreamId
from klingel.protocol.codec import decode_frame, encode_frame
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.layers import MAX_LAYER_REQUESTS, LayerRequest, PublishLayers, SetLayers
from klingel.protocol.messages import parse_client_message, parse_server_message


def set_layers(layers: Any) -> dict[str, Any]:
    return {"type": "set_layers", "layers": layers}


def refusal(data: dict[str, Any]) -> KlingelError:
    with pytest.raises(KlingelError) as caught:
        parse_client_message(data)
    return caught.value


@pytest.mark.parametrize("layer", [0, 1, 2, 3, None])
def test_layers_0_to_3_and_pause_are_accepted(layer: int | None) -> None:
    message = parse_client_message(set_layers([{"stream": "s-1", "layer": layer}]))
    assert message == SetLayers((LayerRequest(StreamId("s-1"), layer),))


@pytest.mark.parametrize(
    "request_",
    [
        {"stream": "s-1", "layer": -1},
        {"stream": "s-1", "layer": 4},
        {"stream": "s-1", "layer": 1.5},
        {"stream": "s-1", "layer": True},
        {"stream": "s-1", "layer": "1"},
        {"stream": "s-1"},
        {"layer": 0},
        {"stream": "", "layer": 0},
        {"stream": "s-" + "x" * 80, "layer": 0},
        {"stream": "s-1", "layer": 0, "mid": "0"},
        "s-1",
    ],
)
def test_bad_layer_requests_are_refused(request_: object) -> None:
    error = refusal(set_layers([request_]))
    assert error.code is ErrorCode.BAD_MESSAGE
    assert error.ref == "set_layers"


@pytest.mark.parametrize("layers", [[], {"stream": "s-1", "layer": 0}, None])
def test_layers_must_be_a_list_of_at_least_one(layers: object) -> None:
    assert refusal(set_layers(layers)).code is ErrorCode.BAD_MESSAGE


def test_at_most_100_streams_each_once() -> None:
    many = [{"stream": f"s-{index}", "layer": 0} for index in range(MAX_LAYER_REQUESTS)]
    assert len(parse_client_message(set_layers(many)).to_dict()["layers"]) == MAX_LAYER_REQUESTS
    too_many = [*many, {"stream": "s-extra", "layer": 0}]
    assert refusal(set_layers(too_many)).code is ErrorCode.BAD_MESSAGE
    twice = [{"stream": "s-1", "layer": 0}, {"stream": "s-1", "layer": None}]
    assert refusal(set_layers(twice)).code is ErrorCode.BAD_MESSAGE


def publish_layers(layers: Any, stream: Any = "s-1") -> dict[str, Any]:
    return {"type": "publish_layers", "stream": stream, "layers": layers}


def test_publish_layers_goes_out_as_compact_json_and_reads_back() -> None:
    message = PublishLayers(StreamId("s-1"), (True, False, True))
    frame = encode_frame(message.to_dict())
    assert frame == '{"type":"publish_layers","stream":"s-1","layers":[true,false,true]}'
    assert parse_server_message(decode_frame(frame)) == message


@pytest.mark.parametrize("layers", [[True], [True, False], [True, True, True, False]])
def test_one_to_four_layers_are_read(layers: list[bool]) -> None:
    message = parse_server_message(publish_layers(layers))
    assert message == PublishLayers(StreamId("s-1"), tuple(layers))


@pytest.mark.parametrize(
    "data",
    [
        publish_layers([]),
        publish_layers([True] * 5),
        publish_layers([False, True]),
        publish_layers([True, 0]),
        publish_layers([True, None]),
        publish_layers([1, 1]),
        publish_layers("true"),
        publish_layers([True], stream=""),
        publish_layers([True], stream=7),
        {"type": "publish_layers", "layers": [True]},
        {"type": "publish_layers", "stream": "s-1"},
    ],
)
def test_bad_publish_layers_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(KlingelError) as caught:
        parse_server_message(data)
    assert (caught.value.code, caught.value.ref) == (ErrorCode.BAD_MESSAGE, "publish_layers")
