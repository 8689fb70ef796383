"""A plain WebSocket client that keeps every frame it was sent, for the tests of the wire.

It sends dicts, not ``klingel.protocol`` messages, so that a test can send what no typed
client would (malformed frames, unknown fields, commands a guest may not give), see each
message the server sends in order, and keep the raw frames, so that a test can prove a secret
never reached a socket. What it receives is read strictly, by the same parser as
``klingel.client``."""

from __future__ import annotations

import asyncio
import json

import pytest
from support.signaling_server import OFFER, TIMEOUT, Message
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from klingel.client import decode_server_frame


class Client:
    """One socket; remembers every frame it was sent."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.frames: list[str] = []
        self.id = ""
        self.secrets: Message | None = None
        """The ``host_secrets`` that follows a host's or co-host's ``joined``."""

    async def send(self, message: Message) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self) -> Message:
        frame = await asyncio.wait_for(self.socket.recv(), TIMEOUT)
        assert isinstance(frame, str)
        self.frames.append(frame)
        decode_server_frame(frame)  # everything the server sends is valid protocol
        message: Message = json.loads(frame)
        return message

    async def expect(self, kind: str) -> Message:
        message = await self.receive()
        assert message["type"] == kind, message
        return message

    async def next_of(self, kind: str) -> Message:
        """Skip other messages (announcements) until one of this type."""
        while (message := await self.receive())["type"] != kind:
            pass
        return message

    async def error(self, code: str) -> Message:
        message = await self.expect("error")
        assert message["code"] == code, message
        return message

    async def closed_with(self) -> tuple[int, str]:
        with pytest.raises(ConnectionClosed) as caught:
            while True:
                await self.receive()
        close = caught.value.rcvd
        assert close is not None
        return close.code, close.reason

    async def nothing_pending(self) -> bool:
        """True if the answer to a ping is the next message: nothing else was sent here."""
        await self.send({"type": "ping"})
        return bool((await self.receive())["type"] == "pong")

    async def drain(self) -> None:
        """Read everything sent so far (up to the answer of a ping)."""
        await self.send({"type": "ping"})
        while (await self.receive())["type"] != "pong":
            pass

    async def publish(self, tracks: list[Message]) -> dict[str, str]:
        """Publish and read the answer and the own stream announcements; stream id by source."""
        await self.send({"type": "publish", "sdp": OFFER, "tracks": tracks})
        answer = await self.next_of("publish_answer")
        by_mid = {track["mid"]: track["stream"] for track in answer["tracks"]}
        return {track["source"]: by_mid[track["mid"]] for track in tracks}


class Sockets:
    """The signaling sockets one test opens to a server, each a recording ``Client``; the
    test's fixture closes them all at its end."""

    def __init__(self, url: str) -> None:
        self._url = url.replace("http", "ws", 1) + "/ws"
        self.opened: list[Client] = []

    async def open(self) -> Client:
        client = Client(await connect(self._url, max_size=None))
        self.opened.append(client)
        return client

    async def join(self, room: str, name: str, **fields: object) -> tuple[Client, Message]:
        """A new socket sends ``join`` with ``fields`` (``hostSecret``, ``breakout``, ...); the
        first answer comes back as it is (``joined``, ``waiting`` or ``error``)."""
        client = await self.open()
        await client.send({"type": "join", "v": 1, "room": room, "name": name, **fields})
        answer = await client.receive()
        if answer["type"] == "joined":
            client.id = answer["you"]["id"]
        return client, answer

    async def close(self) -> None:
        for client in self.opened:
            await client.socket.close()
