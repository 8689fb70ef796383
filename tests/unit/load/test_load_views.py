"""Layer requests of the tile and speaker views."""

from __future__ import annotations

from klingel.load.views import View, layer_requests

CAMERAS = [f"s{i}" for i in range(8)]


def test_tile_view_shows_the_first_k_and_pauses_the_rest() -> None:
    requests = layer_requests(View("tile", visible=3, tile_layer=1), CAMERAS, None)
    assert requests == {"s0": 1, "s1": 1, "s2": 1, **{f"s{i}": None for i in range(3, 8)}}


def test_speaker_view_puts_the_speaker_on_top_and_a_filmstrip_below() -> None:
    requests = layer_requests(View("speaker", visible=2), CAMERAS, "s5")
    assert requests["s5"] == 2
    assert [s for s, layer in requests.items() if layer == 0] == ["s0", "s1"]
    assert sum(1 for layer in requests.values() if layer is None) == 5


def test_speaker_view_without_a_speaker_shows_the_first_camera_large() -> None:
    requests = layer_requests(View("speaker", visible=1, pause_hidden=False), CAMERAS, None)
    assert requests["s0"] == 2
    assert all(layer == 0 for stream, layer in requests.items() if stream != "s0")


def test_view_all_asks_for_nothing() -> None:
    assert layer_requests(View("all"), CAMERAS, "s1") == {}
