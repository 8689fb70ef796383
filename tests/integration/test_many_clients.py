"""Many signaling clients on one real server: 200 people in 20 rooms of 10, for 15 s.

The server is ``klingel serve`` as a town runs it behind its reverse proxy (``--proxy-headers``,
the default per-address limits): the clients connect from 127.0.0.1 and name one of four
addresses in ``X-Forwarded-For``, 50 people each, like four school networks. Everyone joins
within two seconds, then pings every 2 s and chats now and then. Nobody may get an error or
lose the socket, every ping gets its pong, every chat line reaches every member of its room
(sender included), and everyone knows the nine others. No timing is judged here: that is
``bench/signaling_load.py``'s job.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from klingel.client import Disconnected, SignalingClient, SignalingError
from klingel.ids import ParticipantId
from klingel.protocol.messages import (
    Chat,
    ChatLine,
    ClientMessage,
    Error,
    Joined,
    Leave,
    ParticipantJoined,
    ParticipantLeft,
    Ping,
    Pong,
    ServerMessage,
)
from klingel_bots.server_process import ServerProcess

CLIENTS = 200
ROOMS = 20
ADDRESSES = 4
JOIN_RAMP_SECONDS = 2.0
TALK_SECONDS = 15.0
CHAT_QUIET_BEFORE_END_SECONDS = 3.0
PING_INTERVAL_SECONDS = 2.0
CHAT_INTERVAL_SECONDS = 6.0
"""Mean gap between two lines of one client: 50 people of one address stay well inside the
address's chat limit (20 lines/s, bursts of 60)."""
ANSWER_TIMEOUT = 20.0
"""Generous: the machine is shared; this bounds a wait, it judges nothing."""


def require_netns() -> None:
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run this test inside scripts/netns-run", pytrace=False)


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server that trusts ``X-Forwarded-For`` from the local proxy, with its default limits."""
    require_netns()
    log_path = tmp_path_factory.mktemp("many-clients") / "klingel.log"
    server = ServerProcess(log_path=log_path, workers=1, extra_args=("--proxy-headers",))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Client:
    """One participant without media; records everything it was answered."""

    room: str
    address: str
    name: str
    signaling: SignalingClient | None = None
    you: ParticipantId | None = None
    others: set[ParticipantId] = field(default_factory=set)
    others_when_chat_ended: int | None = None
    pings_in_flight: int = 0
    pings_sent: int = 0
    pongs: int = 0
    chats_sent: int = 0
    chats_received: int = 0
    errors: list[str] = field(default_factory=list)
    leaving: bool = False
    watcher: asyncio.Task[None] | None = None

    async def join(self, base_url: str) -> None:
        try:
            self.signaling = await SignalingClient.connect(
                base_url,
                self.receive,
                request_timeout=ANSWER_TIMEOUT,
                ping_every=None,  # the test pings itself, and counts every pong
                additional_headers={"X-Forwarded-For": self.address},
            )
            answer = await self.signaling.join(self.room, self.name)
        except InvalidStatus as refused:
            self.errors.append(f"handshake refused with {refused.response.status_code}")
            return
        except (OSError, TimeoutError, SignalingError) as problem:
            self.errors.append(f"join failed: {problem!r}")
            return
        if not isinstance(answer, Joined):
            self.errors.append(f"join answered with {answer}")
            return
        self.watcher = asyncio.create_task(self.watch(self.signaling))

    def receive(self, message: ServerMessage) -> None:
        match message:
            case Joined():
                self.you = message.you.id
                self.others = {p.id for p in message.participants}
            case Pong():
                self.pongs += 1
                self.pings_in_flight -= 1
            case ChatLine():
                self.chats_received += 1
            case ParticipantJoined(participant=participant):
                self.others.add(participant.id)
            case ParticipantLeft(id=participant_id):
                self.others.discard(participant_id)
            case Error(code=code):
                self.errors.append(f"error {code}")

    async def send(self, message: ClientMessage) -> None:
        assert self.signaling is not None
        try:
            await self.signaling.send(message)
        except Disconnected as closed:
            self.errors.append(f"closed while sending: {closed!r}")

    async def watch(self, signaling: SignalingClient) -> None:
        ended = await signaling.closed()
        if not self.leaving:
            self.errors.append(f"closed by the server: {ended}")

    async def talk(self, chat_until: float, end_at: float, rng: random.Random) -> None:
        next_ping = time.monotonic() + rng.uniform(0, PING_INTERVAL_SECONDS)
        next_chat = time.monotonic() + rng.expovariate(1 / CHAT_INTERVAL_SECONDS)
        while (now := time.monotonic()) < end_at:
            if now >= chat_until and self.others_when_chat_ended is None:
                self.others_when_chat_ended = len(self.others)
            if now >= next_ping:
                self.pings_in_flight += 1
                self.pings_sent += 1
                await self.send(Ping())
                next_ping += PING_INTERVAL_SECONDS
            if now >= next_chat:
                if now < chat_until:
                    self.chats_sent += 1
                    await self.send(Chat(f"{self.name}: Zeile {self.chats_sent}"))
                next_chat = now + rng.expovariate(1 / CHAT_INTERVAL_SECONDS)
            await asyncio.sleep(max(0.0, min(next_ping, next_chat, end_at) - time.monotonic()))

    async def leave(self) -> None:
        """After the last pong: ``leave``, and the server closes the socket."""
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while self.pings_in_flight > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.leaving = True
        await self.send(Leave())
        if self.signaling is not None:
            try:
                async with asyncio.timeout(ANSWER_TIMEOUT):
                    await self.signaling.closed()
            except TimeoutError:
                self.errors.append("still open after leave")


@contextlib.asynccontextmanager
async def crowd(base_url: str) -> AsyncIterator[list[Client]]:
    """Everyone, joined one after the other over the ramp; every socket is closed at the end."""
    run = uuid.uuid4().hex[:8]
    clients = [
        Client(
            room=f"viele-{run}-{i % ROOMS}",
            address=f"192.0.2.{1 + i % ADDRESSES}",
            name=f"Gast {i}",
        )
        for i in range(CLIENTS)
    ]

    async def join_later(index: int, client: Client) -> None:
        await asyncio.sleep(index * JOIN_RAMP_SECONDS / CLIENTS)
        await client.join(base_url)

    try:
        await asyncio.gather(*(join_later(i, c) for i, c in enumerate(clients)))
        yield clients
    finally:
        for client in clients:
            if client.signaling is not None:
                await client.signaling.close()
            if client.watcher is not None:
                client.watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await client.watcher


async def test_two_hundred_clients_in_twenty_rooms_get_every_answer(
    proxied_server: ServerProcess,
) -> None:
    rng = random.Random(7)
    async with crowd(proxied_server.base_url) as clients:
        joined = [c for c in clients if c.you is not None]
        assert [c.errors for c in clients if c.errors] == []
        assert len(joined) == CLIENTS
        assert len({c.you for c in joined}) == CLIENTS

        end_at = time.monotonic() + TALK_SECONDS
        chat_until = end_at - CHAT_QUIET_BEFORE_END_SECONDS
        await asyncio.gather(
            *(c.talk(chat_until, end_at, random.Random(rng.random())) for c in clients)
        )
        await asyncio.gather(*(c.leave() for c in clients))

    assert [f"{c.name}: {c.errors}" for c in clients if c.errors] == []
    assert all(c.pings_sent > 0 for c in clients)
    assert [(c.name, c.pongs, c.pings_sent) for c in clients if c.pongs != c.pings_sent] == []

    lines_per_room: dict[str, int] = {}
    for client in clients:
        lines_per_room[client.room] = lines_per_room.get(client.room, 0) + client.chats_sent
    assert sum(lines_per_room.values()) > 0
    short_of_lines = [
        (c.name, c.chats_received, lines_per_room[c.room])
        for c in clients
        if c.chats_received != lines_per_room[c.room]
    ]
    assert short_of_lines == []
    members = CLIENTS // ROOMS
    assert [c.name for c in clients if c.others_when_chat_ended != members - 1] == []

    log = Path(proxied_server.log_path).read_text(errors="replace")
    assert "Unexpected fault" not in log
    assert proxied_server.is_running()
