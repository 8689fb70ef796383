"""The signaling socket's address, built one way from a server's base URL."""

from __future__ import annotations

import pytest

from klingel.client.url import SignalingAddress


@pytest.mark.parametrize(
    ("base_url", "url", "origin"),
    [
        ("http://127.0.0.1:8080", "ws://127.0.0.1:8080/ws", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "ws://127.0.0.1:8080/ws", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080//", "ws://127.0.0.1:8080/ws", "http://127.0.0.1:8080"),
        ("https://klingel.example", "wss://klingel.example/ws", "https://klingel.example"),
        ("https://klingel.example/", "wss://klingel.example/ws", "https://klingel.example"),
        ("HTTPS://klingel.example ", "wss://klingel.example/ws", "https://klingel.example"),
        (
            "https://stadt.example/klingel/",
            "wss://stadt.example/klingel/ws",
            "https://stadt.example",
        ),
        ("http://[::1]:8080", "ws://[::1]:8080/ws", "http://[::1]:8080"),
    ],
)
def test_the_socket_is_ws_below_the_base_url_with_its_origin(
    base_url: str, url: str, origin: str
) -> None:
    assert SignalingAddress.of(base_url) == SignalingAddress(url, origin)


def test_credentials_in_a_base_url_are_never_dialled() -> None:
    address = SignalingAddress.of("https://anna:geheim@klingel.example/")
    assert address == SignalingAddress("wss://klingel.example/ws", "https://klingel.example")


@pytest.mark.parametrize(
    "base_url",
    ["ws://klingel.example", "klingel.example", "https://", "https://k.example/?room=a", ""],
)
def test_anything_but_an_http_base_url_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError):
        SignalingAddress.of(base_url)
