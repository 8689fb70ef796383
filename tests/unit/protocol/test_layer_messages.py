from __future__ import annotations

from typing import Any

import pytest

from klingel.ids import StreamId
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.layers import MAX_LAYER_REQUESTS, LayerRequest, SetLayers
from klingel.protocol.messages import parse_client_message


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
