"""Runs of the real server on one data directory, and raw clients of each run: for the tests
of what a standing room keeps across restarts and what its hosts and the town's IT do to it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from support.recording_client import Client
from support.signaling_server import Server, running_server
from websockets.asyncio.client import connect

from klingel.config import Settings

ROOT = Path(__file__).resolve().parents[2]
Message = dict[str, Any]
SETTINGS = Settings(room_capacity=8, resume_grace_seconds=1.0, join_timeout_seconds=2.0)


class Visit:
    """The clients of one run of the server, closed when it stops."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.clients: list[Client] = []

    async def create(self, name: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.server.url) as http:
            return await http.post("/api/rooms", json={"name": name})

    async def join(self, room: str, name: str, **fields: str | None) -> tuple[Client, Message]:
        """Join (``hostSecret``, ``password``, ``resume`` as given); the first answer."""
        socket = await connect(self.server.url.replace("http", "ws") + "/ws", max_size=None)
        client = Client(socket)
        self.clients.append(client)
        message = {"type": "join", "v": 1, "room": room, "name": name}
        message.update({key: value for key, value in fields.items() if value is not None})
        await client.send(message)
        answer = await client.receive()
        if answer["type"] == "joined":
            client.id = answer["you"]["id"]
        return client, answer


async def created_with_host(run: Visit, name: str, host: str) -> tuple[Message, Client]:
    """A room made with a typed name, and its host in it (with the secrets that follow)."""
    created: Message = (await run.create(name)).json()
    client, joined = await run.join(created["room"], host, hostSecret=created["hostSecret"])
    assert joined["you"]["role"] == "host"
    await client.expect("host_secrets")
    return created, client


@contextlib.asynccontextmanager
async def visit(data_dir: Path, settings: Settings = SETTINGS) -> AsyncIterator[Visit]:
    """One run of the server on ``data_dir``."""
    async with running_server(settings, data_dir) as server:
        running = Visit(server)
        try:
            yield running
        finally:
            for client in running.clients:
                await client.socket.close()


async def klingel_command(data_dir: Path, *arguments: str) -> tuple[int, str, str]:
    """``klingel ARGUMENTS --data-dir DATA_DIR`` in a process of its own, as the town's IT
    runs it beside the server: its exit status and output."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "klingel",
        *arguments,
        "--data-dir",
        str(data_dir),
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
