"""The pure parts of passing sockets between nodes: the room a first frame names, the socket
URL of a node, and the node settings."""

from __future__ import annotations

import json

import pytest

from klingel.config import parse_serve_arguments
from klingel.protocol.broadcast import Watch
from klingel.web.forwarding import socket_url
from klingel.web.node_routing import joining_room


def test_a_join_names_its_room_and_nothing_else_names_one() -> None:
    join = {"type": "join", "v": 1, "room": "musikschule-geige", "name": "Anna", "resume": None}
    assert joining_room(json.dumps(join)) == "musikschule-geige"
    watch = joining_room(json.dumps({"type": "watch", "v": 1, "key": "x" * 22}))
    assert isinstance(watch, Watch) and watch.key == "x" * 22
    assert joining_room(json.dumps({**join, "room": "<script>"})) is None
    assert joining_room("{not json") is None
    assert joining_room(b"\xff\xfe") is None


def test_the_socket_url_of_a_node() -> None:
    assert socket_url("http://10.0.0.2:8080") == "ws://10.0.0.2:8080/ws"
    assert socket_url("https://knoten-b.intern/klingel/") == "wss://knoten-b.intern/klingel/ws"


def test_a_node_url_needs_redis_and_is_an_http_url() -> None:
    settings = parse_serve_arguments(
        [
            "--redis",
            "redis://127.0.0.1:6379/0",
            "--node-url",
            "http://10.0.0.2:8080/",
            "--node-id",
            "knoten-a",
        ],
        {},
    )
    assert settings.node_url == "http://10.0.0.2:8080" and settings.node_id == "knoten-a"
    for argv in (
        ["--node-url", "http://10.0.0.2:8080"],
        ["--redis", "redis://127.0.0.1:6379/0", "--node-url", "ftp://x"],
        ["--redis", "redis://127.0.0.1:6379/0", "--node-id", "../etc"],
    ):
        with pytest.raises(SystemExit):
            parse_serve_arguments(argv, {})
    assert parse_serve_arguments([], {}).node_url is None
