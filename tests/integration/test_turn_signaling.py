"""TURN credentials over real WebSockets: the app on uvicorn on 127.0.0.1 with the recording
SFU of ``test_signaling.py`` and a TURN relay configured. Each joined participant finds
credentials of their own in ``joined`` and nowhere else; nobody waiting, nobody else and no
log line ever sees them."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from support.signaling_server import Server, running_server
from websockets.asyncio.client import ClientConnection, connect

from klingel.config import Settings
from klingel.protocol.messages import parse_server_message
from klingel.turn.credentials import CredentialIssuer, TurnSecret, password_for
from klingel.turn.ice_servers import TurnEndpoint, TurnRelay

SECRET = TurnSecret("integration-secret-" + "9" * 40)
TTL = 3 * 3600
RELAY = TurnRelay(TurnEndpoint("turn.klingel.test", 3478, 443), CredentialIssuer(SECRET, TTL))
TIMEOUT = 10.0

Message = dict[str, Any]


class Client:
    """One socket; keeps every message it received."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.messages: list[Message] = []

    async def send(self, message: Message) -> None:
        await self.socket.send(json.dumps(message))

    async def next_of(self, kind: str) -> Message:
        while True:
            frame = await asyncio.wait_for(self.socket.recv(), TIMEOUT)
            message: Message = json.loads(frame)
            parse_server_message(message)  # everything the server sends is valid protocol
            self.messages.append(message)
            if message["type"] == kind:
                return message

    async def drain(self) -> None:
        await self.send({"type": "ping"})
        await self.next_of("pong")

    def joined(self) -> list[Message]:
        return [message for message in self.messages if message["type"] == "joined"]


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    settings = Settings(room_capacity=8, resume_grace_seconds=5.0, turn=RELAY)
    async with running_server(settings) as running:
        yield running


@pytest_asyncio.fixture
async def clients(server: Server) -> AsyncIterator[list[Client]]:
    opened: list[Client] = []
    yield opened
    for client in opened:
        await client.socket.close()


async def _open(server: Server, clients: list[Client]) -> Client:
    socket = await connect(server.url.replace("http", "ws") + "/ws", max_size=None)
    client = Client(socket)
    clients.append(client)
    return client


async def _join(
    server: Server, clients: list[Client], room: str, name: str, **extra: Any
) -> tuple[Client, Message]:
    client = await _open(server, clients)
    await client.send({"type": "join", "v": 1, "room": room, "name": name, **extra})
    frame: Message = json.loads(await asyncio.wait_for(client.socket.recv(), TIMEOUT))
    parse_server_message(frame)
    client.messages.append(frame)
    return client, frame


def _credentials(joined: Message) -> tuple[str, str]:
    (server,) = joined["iceServers"]
    return str(server["username"]), str(server["credential"])


async def test_joined_carries_working_credentials_of_the_participants_own(
    server: Server, clients: list[Client]
) -> None:
    anna, joined = await _join(server, clients, "turm", "Anna")
    assert joined["type"] == "joined"
    (entry,) = joined["iceServers"]
    assert entry["urls"] == [
        "turn:turn.klingel.test:3478?transport=udp",
        "turn:turn.klingel.test:3478?transport=tcp",
        "turns:turn.klingel.test:443?transport=tcp",
    ]
    username, credential = _credentials(joined)
    expiry, _, opaque = username.partition(":")
    assert time.time() < int(expiry) <= time.time() + TTL + 1
    assert opaque and joined["you"]["id"] not in username and "Anna" not in username
    assert credential == password_for(SECRET, username)
    assert credential != password_for(TurnSecret("x" * 64), username)

    ben, ben_joined = await _join(server, clients, "turm", "Ben")
    assert _credentials(ben_joined)[0] != username
    await anna.next_of("participant_joined")
    await anna.drain()
    await ben.drain()
    assert anna.joined() == [joined]


async def test_a_resume_brings_fresh_credentials(server: Server, clients: list[Client]) -> None:
    anna, joined = await _join(server, clients, "turm", "Anna")
    await anna.socket.close()
    _, resumed = await _join(server, clients, "turm", "Anna", resume=joined["resume"])
    assert resumed["type"] == "joined" and resumed["resumed"] is True
    username, credential = _credentials(resumed)
    assert username != _credentials(joined)[0]
    assert credential == password_for(SECRET, username)


async def test_nobody_waiting_and_nobody_else_hears_credentials(
    server: Server, clients: list[Client], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient(base_url=server.url) as http:
        created = (await http.post("/api/rooms", json={"name": "Turm Warteraum"})).json()
    room = created["room"]
    host, host_joined = await _join(
        server, clients, room, "Hanna", hostSecret=created["hostSecret"]
    )
    guest, waiting = await _join(server, clients, room, "Gustav")
    assert waiting == {"type": "waiting", "v": 1, "officeHours": False}
    lobby = await host.next_of("lobby")
    await host.next_of("lobby_ring")
    await guest.drain()
    assert all("iceServers" not in json.dumps(m) for m in guest.messages)
    await host.send({"type": "admit", "id": lobby["waiting"][0]["id"]})
    admitted = await guest.next_of("joined")
    await host.next_of("participant_joined")
    await host.send({"type": "chat", "text": "Willkommen"})
    await guest.next_of("chat")
    await host.drain()
    await guest.drain()

    own = {"host": _credentials(host_joined), "guest": _credentials(admitted)}
    for name, client in (("host", host), ("guest", guest)):
        assert len(client.joined()) == 1
        for message in client.messages:
            text = json.dumps(message)
            if message["type"] != "joined":
                assert "iceServers" not in text and "credential" not in text
            for other, (username, credential) in own.items():
                if other != name:
                    assert username not in text and credential not in text
    log = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records  # the comparison below only means something with a log
    assert SECRET.value not in log
    for username, credential in own.values():
        assert username not in log and credential not in log
