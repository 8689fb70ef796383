from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest

from klingel.load.pump import DatagramPump


@pytest.fixture
def sockets() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    made = []
    for _ in range(3):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        made.append(sock)
    yield made[0], made[1], made[2]
    for sock in made:
        sock.close()


async def test_every_waiting_datagram_goes_to_its_sockets_handler(
    sockets: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    sender, first, second = sockets
    pump = DatagramPump(interval=3600)  # rounds by hand only
    got: dict[str, list[tuple[bytes, float, tuple[str, int]]]] = {"first": [], "second": []}
    pump.add(first, lambda data, at, address: got["first"].append((data, at, address)))
    pump.add(second, lambda data, at, address: got["second"].append((data, at, address)))
    # Linux turns receive timestamps on for the whole system a moment after the first socket
    # asks (a deferred static key); until then recvmsg stamps a datagram when it is read.
    sender.sendto(b"warm-up", first.getsockname())
    time.sleep(0.02)
    assert pump.pump_once() == 1
    got["first"].clear()
    before = time.monotonic()
    for index in range(5):
        sender.sendto(b"a%d" % index, first.getsockname())
    sender.sendto(b"b", second.getsockname())
    time.sleep(0.05)
    assert pump.pump_once() == 6
    after = time.monotonic()
    assert [data for data, _at, _address in got["first"]] == [b"a%d" % i for i in range(5)]
    assert [data for data, _at, _address in got["second"]] == [b"b"]
    for data, at, address in got["first"] + got["second"]:
        assert address == sender.getsockname(), data
        # the kernel's receive time: before the round, not when the handler ran
        assert before - 0.01 <= at <= after, data
    assert got["first"][-1][1] <= after - 0.04
    assert pump.pump_once() == 0  # nothing left, nothing twice
    assert pump.datagrams == 7 and pump.rounds == 3
    await pump.close()


async def test_a_removed_socket_is_no_longer_read(
    sockets: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    sender, first, _second = sockets
    pump = DatagramPump(interval=3600)
    got: list[bytes] = []
    pump.add(first, lambda data, _at, _address: got.append(data))
    assert len(pump) == 1
    pump.remove(first)
    assert len(pump) == 0
    sender.sendto(b"late", first.getsockname())
    time.sleep(0.02)
    assert pump.pump_once() == 0 and got == []
    assert first.recv(100) == b"late"  # still there for whoever reads it now
    await pump.close()


async def test_a_failing_handler_does_not_stop_the_round(
    sockets: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    sender, first, second = sockets
    pump = DatagramPump(interval=3600)
    got: list[bytes] = []

    def broken(_data: bytes, _at: float, _address: tuple[str, int]) -> None:
        raise ValueError("a bug in one viewer")

    pump.add(first, broken)
    pump.add(second, lambda data, _at, _address: got.append(data))
    sender.sendto(b"x", first.getsockname())
    sender.sendto(b"y", second.getsockname())
    time.sleep(0.02)
    assert pump.pump_once() == 2
    assert got == [b"y"]
    await pump.close()


async def test_the_pump_reads_by_itself_on_the_running_loop(
    sockets: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    sender, first, _second = sockets
    pump = DatagramPump(interval=0.001)
    got: list[bytes] = []
    pump.add(first, lambda data, _at, _address: got.append(data))
    sender.sendto(b"z", first.getsockname())
    for _ in range(500):
        if got:
            break
        await asyncio.sleep(0.01)
    assert got == [b"z"]
    await pump.close()
