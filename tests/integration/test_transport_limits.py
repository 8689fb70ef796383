"""What a client can make the web process hold at the transport level: PING floods, huge and
unfinished request heads. Against a real ``klingel serve`` on loopback; every flood is bounded
in bytes and time, and a bystander's signaling must stay responsive throughout."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
import time
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import ClientConnection, connect

from klingel.web.http_transport import HEAD_SECONDS, MAX_HEAD_BYTES
from klingel.web.websocket_transport import PING_LIMIT
from klingel_bots.server_process import ServerProcess

PING_PAYLOAD = b"p" * 125
FLOOD_BYTES = 64 * 1024 * 1024
MEMORY_BOUND_KIB = 32 * 1024
"""What the web process may grow by under a flood (before: hundreds of megabytes)."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log_path = tmp_path_factory.mktemp("transport") / "klingel.log"
    process = ServerProcess(log_path=log_path, workers=1, metrics=False)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + mask + masked


def raw_websocket(server: ServerProcess) -> socket.socket:
    """A socket after a completed handshake that reads nothing more by itself."""
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    conn.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    assert conn.recv(4096).startswith(b"HTTP/1.1 101")
    return conn


def flood_pings(conn: socket.socket, total: int) -> int:
    """Send PING frames until ``total`` bytes or until the server drops us; bytes sent."""
    frame = masked_frame(0x9, PING_PAYLOAD)
    batch = frame * 512
    sent = 0
    conn.settimeout(2.0)
    try:
        while sent < total:
            conn.sendall(batch)
            sent += len(batch)
    except OSError:
        pass  # dropped (reset, broken pipe) or the server stopped reading (timeout)
    return sent


async def bystander(server: ServerProcess) -> ClientConnection:
    ws = await connect(server.base_url.replace("http", "ws") + "/ws")
    await ws.send('{"type": "join", "v": 1, "room": "buergerbuero", "name": "Anna"}')
    assert "joined" in str(await asyncio.wait_for(ws.recv(), 10))
    return ws


async def round_trip(ws: ClientConnection) -> float:
    started = time.monotonic()
    await ws.send('{"type": "ping"}')
    while '"pong"' not in str(await asyncio.wait_for(ws.recv(), 10)):
        pass
    return time.monotonic() - started


async def test_a_ping_flood_that_never_reads_is_dropped_and_costs_no_memory(
    served: ServerProcess,
) -> None:
    anna = await bystander(served)
    before = rss_kib(served.pid)
    floods = [raw_websocket(served) for _ in range(3)]
    loop = asyncio.get_running_loop()
    sending = [loop.run_in_executor(None, flood_pings, conn, FLOOD_BYTES) for conn in floods]
    trips = []
    while not all(task.done() for task in sending):
        trips.append(await round_trip(anna))
        await asyncio.sleep(0.05)
    sent = [await task for task in sending]
    grown = rss_kib(served.pid) - before
    for conn in floods:
        conn.close()
    await anna.close()
    # Each flood was cut off long before its 64 MB, the process stayed small, Anna was served.
    assert all(count < FLOOD_BYTES for count in sent), sent
    assert grown < MEMORY_BOUND_KIB, f"the web process grew by {grown} KiB"
    assert max(trips, default=0.0) < 1.0, trips


async def test_a_reading_ping_flood_is_closed_with_1008(served: ServerProcess) -> None:
    conn = raw_websocket(served)
    conn.sendall(masked_frame(0x9, b"hallo") * int(PING_LIMIT.burst + 5))
    conn.settimeout(5.0)
    received = b""
    while b"\x88" not in received:  # a close frame
        chunk = conn.recv(65536)
        assert chunk, "closed without a close frame"
        received += chunk
    close = received[received.index(b"\x88") :]
    assert struct.unpack("!H", close[2:4])[0] == 1008
    conn.close()


async def test_occasional_pings_are_answered(served: ServerProcess) -> None:
    async with connect(served.base_url.replace("http", "ws") + "/ws") as ws:
        for _ in range(5):
            pong = await ws.ping(b"da?")
            await asyncio.wait_for(pong, 5)


def test_a_huge_request_head_gets_431_and_costs_no_memory(served: ServerProcess) -> None:
    before = rss_kib(served.pid)
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        sent = 0
        try:
            while sent < FLOOD_BYTES:
                conn.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            pass
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:60]
    assert sent < FLOOD_BYTES
    assert rss_kib(served.pid) - before < MEMORY_BOUND_KIB
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.sendall(b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 414")
    # An ordinary request with ordinary headers is served.
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        headers = "".join(f"X-Header-{n}: {'v' * 100}\r\n" for n in range(50))
        assert len(headers) < MAX_HEAD_BYTES
        conn.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode())
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")


def test_half_sent_requests_are_closed_and_others_are_served_meanwhile(
    served: ServerProcess,
) -> None:
    half_sent = []
    for index in range(300):
        conn = socket.create_connection(("127.0.0.1", served.port), timeout=10)
        conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + str(index).encode())
        half_sent.append(conn)
    silent = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
    closed = 0
    for conn in [*half_sent, silent]:
        conn.settimeout(max(0.5, started + HEAD_SECONDS + 5 - time.monotonic()))
        try:
            answer = conn.recv(4096)
        except TimeoutError:
            answer = b"still open"
        if answer in (b"",) or answer.startswith(b"HTTP/1.1 408"):
            closed += 1
        conn.close()
    assert closed == len(half_sent) + 1
