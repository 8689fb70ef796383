"""An SFU worker killed in the middle of a call: the room's pages rebuild their media by
themselves, and a room on the other worker never notices.

A server of its own (two workers), so that the killed worker disturbs no other test.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from playwright.async_api import Page

from klingel_bots.browser import PageOpener, wait_media_flowing, wait_until
from klingel_bots.client import ProtocolClient
from klingel_bots.room_page import Person, join_room, own_id, remote_participants
from klingel_bots.server_process import ServerProcess

RECOVERY_SECONDS = 15.0
"""After a worker dies, video must decode again on every page within this time."""
WATCH_WINDOW_SECONDS = 2.0


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run inside scripts/netns-run: this test kills SFU workers", pytrace=False)
    process = ServerProcess(log_path=tmp_path / "klingel.log", workers=2, metrics=True)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def rooms_per_worker(server: ServerProcess) -> dict[int, int]:
    text = server.get_text("/metrics")
    return {
        int(worker): int(rooms)
        for worker, rooms in re.findall(r'^klingel_sfu_rooms\{worker="(\d+)"\} (\d+)$', text, re.M)
    }


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def _udp_port_inodes(pid: int) -> dict[int, str]:
    """Local UDP port -> socket inode, as the process's network namespace lists them."""
    ports: dict[int, str] = {}
    for line in Path(f"/proc/{pid}/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        ports[int(fields[1].rsplit(":", 1)[1], 16)] = fields[9]
    return ports


def worker_pid(server: ServerProcess, index: int) -> int:
    """The pid of worker ``index``: the server's child process holding that worker's UDP port
    (worker i binds the i-th port of the range)."""
    port = server.udp_ports[0] + index
    for child in _children(server.pid):
        inode = _udp_port_inodes(child).get(port)
        if inode is None:
            continue
        sockets = {os.readlink(fd) for fd in Path(f"/proc/{child}/fd").iterdir()}
        if f"socket:[{inode}]" in sockets:
            return child
    raise LookupError(f"no child process of the server holds UDP port {port}")


async def peer_connections_made(page: Page) -> int:
    made: int = await page.evaluate("() => (window.__klingelPeerConnections || []).length")
    return made


async def received_packets(bot: ProtocolClient) -> int:
    return sum(counts.packets for counts in (await bot.received()).values())


async def watch_flowing(bots: list[ProtocolClient], stop: asyncio.Event) -> list[bool]:
    """Until ``stop``: for each window, whether every bot received more than before."""
    windows: list[bool] = []
    before = [await received_packets(bot) for bot in bots]
    while not stop.is_set():
        await asyncio.sleep(WATCH_WINDOW_SECONDS)
        now = [await received_packets(bot) for bot in bots]
        windows.append(all(after > then for after, then in zip(now, before, strict=True)))
        before = now
    return windows


async def test_a_killed_worker_costs_its_room_seconds_and_the_other_room_nothing(
    own_server: ServerProcess, open_page: PageOpener, room_name: str
) -> None:
    server = own_server.base_url
    people: list[Person] = []
    for name in ("Anna", "Ben", "Cem"):
        people.append(await join_room(open_page, server, room_name, name))
    for person in people:
        await wait_media_flowing(person.page, video=2, audio=2, timeout=60)
    placed = rooms_per_worker(own_server)
    assert sorted(placed.values()) == [0, 1], placed
    victim_index = next(index for index, rooms in placed.items() if rooms == 1)
    victim = worker_pid(own_server, victim_index)

    # The other room lands on the other worker: the one with fewer rooms.
    neighbours = [ProtocolClient(server, f"{room_name}-nebenan", name) for name in ("Dora", "Emil")]
    try:
        for bot in neighbours:
            await bot.join()
            await bot.publish_generated(audio=True, video=False)
        for bot in neighbours:
            await bot.wait_receiving(list(bot.others_streams()))
        assert rooms_per_worker(own_server) == {0: 1, 1: 1}
        made_before = [await peer_connections_made(person.page) for person in people]
        stop_watching = asyncio.Event()
        watcher = asyncio.create_task(watch_flowing(neighbours, stop_watching))

        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + RECOVERY_SECONDS

        def left() -> float:
            return max(0.1, deadline - time.monotonic())

        # Every page notices (the server says media_reset) and makes new connections itself.
        for person, before in zip(people, made_before, strict=True):
            await wait_until(
                partial(_more_connections, person.page, before),
                timeout=left(),
                message=f"{person.name}'s page rebuilt its media",
            )
        for person in people:
            await wait_media_flowing(person.page, video=2, audio=0, timeout=left())

        stop_watching.set()
        windows = await watcher
        assert windows and all(windows), f"the other room stalled: {windows}"
    finally:
        for bot in neighbours:
            await bot.close()

    ids = {person.id for person in people}
    for person in people:
        assert await own_id(person.page) == person.id
        assert await remote_participants(person.page) == ids - {person.id}, "no ghosts"
    await wait_until(
        lambda: victim not in _children(own_server.pid) and len(rooms_per_worker(own_server)) == 2,
        timeout=60,
        message="a new worker took the killed one's place",
    )


async def _more_connections(page: Page, before: int) -> bool:
    return await peer_connections_made(page) > before
