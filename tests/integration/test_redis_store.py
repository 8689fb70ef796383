"""``klingel serve --redis``: the room store on a real ``redis-server`` (on a Unix socket, with a
password), and what the server does when that Redis goes away or refuses the password."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.redis_server import RedisServer, running_redis
from websockets.asyncio.client import ClientConnection, connect

from klingel.room_admin import EXIT_STORE_FAILED
from klingel_bots.server_process import ServerProcess, free_tcp_port, free_udp_port_range


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis()


def password_file(redis_server: RedisServer, directory: Path) -> Path:
    path = directory / "redis-password"
    path.write_text(redis_server.password + "\n")
    path.chmod(0o600)
    return path


async def join(server: ServerProcess, room: str, name: str, **fields: str) -> ClientConnection:
    socket = await connect(server.base_url.replace("http", "ws") + "/ws")
    await socket.send(json.dumps({"type": "join", "v": 1, "room": room, "name": name, **fields}))
    return socket


async def next_of(socket: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 15))
        if message["type"] == kind:
            return message


async def test_a_server_on_redis_keeps_its_meeting_when_redis_stops(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    extra = ("--redis", redis_server.bare_url)
    extra += ("--redis-password-file", str(password_file(redis_server, tmp_path)))
    with ServerProcess(log_path=tmp_path / "klingel.log", workers=1, extra_args=extra) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            created = (await http.post("/api/rooms", json={"name": "Gemeinderat"})).json()
            host = await join(server, created["room"], "Anna", hostSecret=created["hostSecret"])
            assert (await next_of(host, "joined"))["you"]["role"] == "host"

            redis_server.stop()
            refused = await http.post("/api/rooms", json={"name": "Bauausschuss"})
            assert (refused.status_code, refused.json()) == (503, {"error": "store_unavailable"})
            # The host's change holds in the meeting; she learns it was not saved.
            await host.send(json.dumps({"type": "room_settings", "lobby": False}))
            assert (await next_of(host, "error"))["code"] == "not_saved"
            # The room in memory goes on: a guest gets in past the lobby switched off, and
            # the host sees her.
            guest = await join(server, created["room"], "Ben")
            assert (await next_of(guest, "joined"))["you"]["role"] == "guest"
            await next_of(host, "participant_joined")
            assert (await http.get("/healthz")).json()["status"] == "ok"
            await guest.close()
            await host.close()
        assert server.is_running()
    log = (tmp_path / "klingel.log").read_text()
    assert redis_server.password not in log


def test_a_wrong_redis_password_stops_the_start_with_one_line(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-password\n")
    server = ServerProcess(
        log_path=tmp_path / "klingel.log",
        data_dir=tmp_path / "data",
        extra_args=("--redis", redis_server.bare_url, "--redis-password-file", str(wrong)),
    )
    server.port = free_tcp_port()
    server.udp_ports = free_udp_port_range(4)
    finished = subprocess.run(server.command(), capture_output=True, text=True, timeout=60)
    assert finished.returncode == EXIT_STORE_FAILED
    # One line for the operator (after the log's line about the key of the digests).
    lines = finished.stderr.strip().splitlines()
    assert "Traceback" not in finished.stderr
    assert lines[-1:] == [
        f"klingel serve: the room store at unix://{redis_server.socket_path} cannot be used"
        " (store_unavailable): Redis refused the password of the room store."
    ]
    assert "not-the-password" not in finished.stderr
