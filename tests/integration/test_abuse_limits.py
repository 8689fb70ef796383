"""Limits against abuse, driven over real WebSockets against the app on uvicorn.

The server runs as ``klingel serve`` runs it behind a reverse proxy (``--proxy-headers``): the
client address, and so every per-address limit, is what ``X-Forwarded-For`` names. That lets
one test speak from several addresses over loopback. Every cap must refuse with its stable
code and leave everyone else untouched. The SFU is the recording stand-in of
``test_signaling.py``; no media flows.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from support.recording_client import Client
from support.signaling_server import TIMEOUT, Message, RecordingMedia, standing_rooms
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from klingel.cli import uvicorn_config
from klingel.config import Settings
from klingel.web.app import create_app
from klingel_bots.browser import wait_until

SCHOOL = "192.0.2.10"
"""One address for a whole class: the school's NAT, as the proxy reports it."""
TOWN_HALL = "192.0.2.20"
JOIN_WINDOW_SECONDS = 10.0
"""30 pupils behind one NAT must all be in within this time."""


@dataclass
class LimitedServer:
    url: str
    media: RecordingMedia
    sockets: list[ClientConnection] = field(default_factory=list)

    async def connect(self, address: str) -> Client:
        """A signaling socket from ``address`` (through the trusted local proxy)."""
        ws = await connect(
            self.url.replace("http", "ws") + "/ws",
            additional_headers={"X-Forwarded-For": address},
            max_size=None,
            max_queue=None,  # sockets a test does not read must still see the close at once
        )
        self.sockets.append(ws)
        return Client(ws)

    async def join(self, address: str, room: str, name: str) -> tuple[Client, Message]:
        """Connect and join; returns the client and the answer (``joined`` or ``error``)."""
        client = await self.connect(address)
        await client.send({"type": "join", "v": 1, "room": room, "name": name})
        return client, await client.receive()


@contextlib.asynccontextmanager
async def limited_server(**limits: float | int) -> AsyncIterator[LimitedServer]:
    settings = Settings(resume_grace_seconds=1.0, proxy_headers=True, **limits)  # type: ignore[arg-type]
    media = RecordingMedia()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    async with standing_rooms() as standing:
        runner = uvicorn.Server(uvicorn_config(create_app(settings, media, standing), settings))
        task = asyncio.create_task(runner.serve(sockets=[listener]))
        async with asyncio.timeout(TIMEOUT):
            while not runner.started:
                await asyncio.sleep(0.01)
        server = LimitedServer(url=f"http://127.0.0.1:{port}", media=media)
        try:
            yield server
        finally:
            await asyncio.gather(*(ws.close() for ws in server.sockets))
            runner.should_exit = True
            await asyncio.wait_for(task, TIMEOUT)
            listener.close()


async def read_until_closed(client: Client, limit: float = TIMEOUT) -> tuple[list[Message], int]:
    """Everything the server sends until it closes the socket, and its close code."""
    received: list[Message] = []
    async with asyncio.timeout(limit):
        try:
            while True:
                received.append(json.loads(await client.socket.recv()))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "the server did not close the socket"
            return received, closed.rcvd.code


# --- joining ------------------------------------------------------------------------------------


async def test_a_class_behind_one_address_gets_in_and_a_join_storm_does_not() -> None:
    async with limited_server(room_capacity=200, connections_per_address=200) as server:
        async with asyncio.timeout(JOIN_WINDOW_SECONDS):
            answers = await asyncio.gather(
                *(server.join(SCHOOL, "klasse-7b", f"Kind {i}") for i in range(30))
            )
        assert [answer["type"] for _, answer in answers] == ["joined"] * 30
        assert len({answer["you"]["id"] for _, answer in answers}) == 30

        # The same address goes on joining beyond the burst: the limit answers.
        joined_after_class, refusal = 0, None
        for i in range(100):
            _, answer = await server.join(SCHOOL, "klasse-7b", f"Skript {i}")
            if answer["type"] == "error":
                refusal = answer
                break
            joined_after_class += 1
        assert refusal is not None, "100 joins beyond the class were never limited"
        assert (refusal["code"], refusal["ref"]) == ("rate_limited", "join")
        assert 30 + joined_after_class >= 60  # the whole burst was there for the class

        _, elsewhere = await server.join(TOWN_HALL, "klasse-7b", "Lehrerin")
        assert elsewhere["type"] == "joined"
        pupil = answers[0][0]
        await pupil.expect("participant_joined")  # one after another, the others arrived
        while (message := await pupil.receive())["type"] == "participant_joined":
            if message["participant"]["name"] == "Lehrerin":
                break
        assert message["participant"]["name"] == "Lehrerin"
        assert await pupil.nothing_pending()


async def test_open_sockets_per_address_are_capped() -> None:
    async with limited_server(connections_per_address=3) as server:
        held = [await server.connect(SCHOOL) for _ in range(3)]
        with pytest.raises(InvalidStatus) as refused:
            await server.connect(SCHOOL)
        assert refused.value.response.status_code == 429
        assert json.loads(refused.value.response.body or b"{}") == {"error": "too_many_connections"}
        _, other = await server.join(TOWN_HALL, "rathaus", "Anna")
        assert other["type"] == "joined"

        await held[0].socket.close()

        async def a_slot_is_free() -> bool:
            try:
                await server.connect(SCHOOL)
            except InvalidStatus:
                return False
            return True

        await wait_until(a_slot_is_free, timeout=TIMEOUT, message="a closed socket frees its slot")
        for client in held[1:]:
            await client.send({"type": "join", "v": 1, "room": "rathaus", "name": "B"})
            assert (await client.receive())["type"] == "joined"


async def test_the_addresses_of_one_ipv6_network_share_their_limits() -> None:
    """One customer holds a whole /64: its addresses count as one, its neighbours do not."""
    async with limited_server(connections_per_address=3) as server:
        for host in ("2001:db8:5:7::1", "2001:db8:5:7::2", "2001:db8:5:7:ffff::3"):
            await server.connect(host)
        with pytest.raises(InvalidStatus) as refused:
            await server.connect("2001:db8:5:7::4")
        assert refused.value.response.status_code == 429
        _, other = await server.join("2001:db8:5:8::1", "rathaus", "Anna")
        assert other["type"] == "joined"
        # IPv4 written as IPv4-mapped IPv6 is the same IPv4 address.
        for _ in range(3):
            await server.connect(SCHOOL)
        with pytest.raises(InvalidStatus):
            await server.connect(f"::ffff:{SCHOOL}")


# --- rooms --------------------------------------------------------------------------------------


async def test_rooms_per_server_are_capped() -> None:
    async with limited_server(max_rooms=2) as server:
        anna, _ = await server.join(SCHOOL, "chor", "Anna")
        ben, _ = await server.join(TOWN_HALL, "orchester", "Ben")
        late, refused = await server.join(TOWN_HALL, "theater", "Cem")
        assert (refused["type"], refused["code"], refused["ref"]) == (
            "error",
            "server_full",
            "join",
        )
        assert await late.closed_with() == (4000, "server_full")
        async with httpx.AsyncClient(base_url=server.url) as http:
            created = await http.post("/api/rooms", json={}, headers={"X-Forwarded-For": TOWN_HALL})
        assert (created.status_code, created.json()) == (503, {"error": "busy"})

        _, into_existing = await server.join(TOWN_HALL, "chor", "Dora")
        assert into_existing["type"] == "joined"
        assert (await anna.expect("participant_joined"))["participant"]["name"] == "Dora"
        assert await ben.nothing_pending()

        await ben.send({"type": "leave"})
        assert (await ben.closed_with())[0] == 1000
        _, now_free = await server.join(TOWN_HALL, "theater", "Cem")
        assert now_free["type"] == "joined"


async def test_participants_per_room_are_capped() -> None:
    async with limited_server(room_capacity=3) as server:
        members = [(await server.join(SCHOOL, "voll", name))[0] for name in ("A", "B", "C")]
        late, refused = await server.join(TOWN_HALL, "voll", "D")
        assert (refused["code"], refused["ref"]) == ("room_full", "join")
        assert await late.closed_with() == (4000, "room_full")
        _, elsewhere = await server.join(TOWN_HALL, "frei", "D")
        assert elsewhere["type"] == "joined"
        # Those inside saw each other arrive, and nothing of the refused one.
        seen = [await members[0].expect("participant_joined") for _ in range(2)]
        assert [m["participant"]["name"] for m in seen] == ["B", "C"]
        await members[1].expect("participant_joined")
        for member in members:
            assert await member.nothing_pending()


# --- floods -------------------------------------------------------------------------------------


async def test_a_chat_flood_is_limited_then_closed_and_other_rooms_notice_nothing() -> None:
    async with limited_server(rate_limited_close_seconds=1.5) as server:
        flooder, _ = await server.join(SCHOOL, "laut", "Flut")
        bystander, _ = await server.join(TOWN_HALL, "leise", "Ruhe")

        async def flood() -> int:
            sent = 0
            with contextlib.suppress(ConnectionClosed):
                for i in range(400):  # 20 lines/s for at most 20 s
                    await flooder.send({"type": "chat", "text": f"spam {i}"})
                    sent += 1
                    await asyncio.sleep(0.05)
            return sent

        async def keep_pinging(until: asyncio.Task[tuple[list[Message], int]]) -> int:
            answered = 0
            while not until.done() and answered < 400:
                await bystander.send({"type": "ping"})
                assert (await bystander.receive())["type"] == "pong"
                answered += 1
                await asyncio.sleep(0.05)
            return answered

        flooding = asyncio.create_task(flood())
        closed = asyncio.create_task(read_until_closed(flooder, limit=30.0))
        pongs = await keep_pinging(closed)
        received, code = await closed
        sent = await flooding

        errors = [m for m in received if m["type"] == "error"]
        lines = [m for m in received if m["type"] == "chat"]
        assert errors and all((e["code"], e["ref"]) == ("rate_limited", "chat") for e in errors)
        assert lines, "lines within the limit still went out"
        assert sent < 400, "the flood was never cut off"
        assert code == 1008
        assert flooder.socket.close_reason == "rate_limited"
        assert pongs > 0
        assert await bystander.nothing_pending()


async def test_a_message_flood_from_many_sockets_of_one_address_is_limited() -> None:
    sockets, pings = 40, 55  # each socket stays within its own burst (60, its join included)
    async with limited_server(connections_per_address=sockets) as server:
        joined = [(await server.join(SCHOOL, f"raum-{i}", "P"))[0] for i in range(sockets)]
        neighbour, _ = await server.join(TOWN_HALL, "nachbar", "N")
        for client in joined:
            for _ in range(pings):
                await client.send({"type": "ping"})
        answers = [await client.receive() for client in joined for _ in range(pings)]
        limited = [m for m in answers if m["type"] == "error"]
        assert limited and all(m["code"] == "rate_limited" for m in limited)
        # The address's own burst (600, less the joins) went through before any refusal.
        assert sum(m["type"] == "pong" for m in answers) >= 600 - sockets
        assert await neighbour.nothing_pending()


# --- slow and silent sockets ----------------------------------------------------------------------


async def _half_a_frame(port: int) -> tuple[bytes, bytes]:
    """Open a WebSocket by hand and send only half of one frame; return the handshake answer
    and everything the server sent after it until it closed the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nX-Forwarded-For: {SCHOOL}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    handshake = await reader.readuntil(b"\r\n\r\n")
    writer.write(bytes([0x81, 0x85, 0x01, 0x02]))  # a masked 5-byte text frame, cut short
    await writer.drain()
    rest = await reader.read()  # until the server closes the connection
    writer.close()
    return handshake, rest


async def test_slow_and_silent_sockets_are_closed_after_their_timeout() -> None:
    async with limited_server(
        join_timeout_seconds=1.0, idle_timeout_seconds=1.5, connections_per_address=3
    ) as server:
        port = int(server.url.rsplit(":", 1)[1])
        neighbour, _ = await server.join(TOWN_HALL, "nachbar", "N")
        heard: list[str] = []

        async def stay_alive() -> None:
            # The neighbour pings more often than its idle timeout: it stays throughout.
            while True:
                await neighbour.send({"type": "ping"})
                await asyncio.sleep(0.3)

        async def listen() -> None:
            while True:
                heard.append((await neighbour.receive())["type"])

        neighbour_tasks = [asyncio.create_task(stay_alive()), asyncio.create_task(listen())]
        silent = await server.connect(SCHOOL)
        stalling = await server.connect(SCHOOL)

        async def ping_without_joining() -> None:
            # Frames that are not ``join`` must not buy time before the deadline.
            with contextlib.suppress(ConnectionClosed):
                for _ in range(100):
                    await stalling.send({"type": "ping"})
                    await asyncio.sleep(0.2)

        pinging = asyncio.create_task(ping_without_joining())
        async with asyncio.timeout(3 * TIMEOUT):
            handshake, after = await _half_a_frame(port)
            silent_close = await silent.closed_with()
            stalled, stalled_code = await read_until_closed(stalling)
        await pinging
        assert handshake.startswith(b"HTTP/1.1 101")
        assert after[:1] == b"\x88", "the server closed the half-sent frame's socket"
        assert int.from_bytes(after[2:4], "big") == 1008 and after[4:11] == b"timeout"
        assert silent_close == (1008, "timeout")
        assert stalled and all(m["code"] == "not_joined" for m in stalled)
        assert (stalled_code, stalling.socket.close_reason) == (1008, "timeout")

        # The address holds nothing any more: three sockets fit again, and a joined one
        # that falls silent is closed too.
        quiet, answer = await server.join(SCHOOL, "nachbar", "Q")
        assert answer["type"] == "joined"
        assert await quiet.closed_with() == (1008, "timeout")
        for _ in range(2):
            await server.connect(SCHOOL)
        for task in neighbour_tasks:
            task.cancel()
        await asyncio.gather(*neighbour_tasks, return_exceptions=True)
        assert heard.count("pong") >= 5
        # Q joined and, timed out, stays for the grace period: nothing else reached N.
        assert set(heard) <= {"pong", "participant_joined", "participant_left"}
        assert await neighbour.nothing_pending()
