"""The real server in this process, with every call to its room store counted.

``CountingStore`` wraps the embedded SQLite store and forwards every call to it unchanged; it
only counts (a measuring wrapper, not a fake). ``counted_server`` runs the whole app on uvicorn
(the real SFU worker pool, ``StandingRooms``, the signaling hub) with that wrapper as its store,
so a client over a real WebSocket makes the server read and write what it would in service.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import uvicorn

from klingel.cli import uvicorn_config
from klingel.config import Settings, add_serve_arguments, settings_from_arguments
from klingel.ids import RoomId
from klingel.rooms.standing import StandingRooms
from klingel.sfu.pool import WorkerPool
from klingel.store import RoomStore, SecretDigester, SqliteRoomStore, StandingRoom
from klingel.web.app import create_app
from klingel_bots.server_process import free_tcp_port, free_udp_port_range

__all__ = ["READS", "WRITES", "CountedServer", "CountingStore", "counted_server"]

READS = frozenset({"get", "is_banned", "count"})
"""Calls that only read the store."""
WRITES = frozenset({"create", "update", "touch", "delete", "add_ban", "delete_unused"})
"""Calls that write (each one statement or transaction, and so one commit)."""

_T = TypeVar("_T")
QUIET_SECONDS = 0.3
"""A scenario's store calls are over once none is under way and none came for this long (the
server writes a join's use without waiting for it)."""


class CountingStore:
    """A ``RoomStore`` that forwards every call to ``inner`` and counts it by name."""

    def __init__(self, inner: RoomStore) -> None:
        self._inner = inner
        self.calls: list[str] = []
        self.under_way = 0

    def counts(self) -> Counter[str]:
        return Counter(self.calls)

    async def _counted(self, name: str, call: Callable[[], Awaitable[_T]]) -> _T:
        self.calls.append(name)
        self.under_way += 1
        try:
            return await call()
        finally:
            self.under_way -= 1

    async def quiet(self) -> None:
        """Wait until the calls a scenario caused are over."""
        seen = -1
        while True:
            await asyncio.sleep(QUIET_SECONDS)
            if self.under_way == 0 and len(self.calls) == seen:
                return
            seen = len(self.calls)

    async def create(self, room: StandingRoom) -> bool:
        return await self._counted("create", lambda: self._inner.create(room))

    async def get(self, room_id: RoomId) -> StandingRoom | None:
        return await self._counted("get", lambda: self._inner.get(room_id))

    async def update(self, room: StandingRoom, expected_revision: int) -> bool:
        return await self._counted("update", lambda: self._inner.update(room, expected_revision))

    async def touch(self, room_id: RoomId, now: int) -> bool:
        return await self._counted("touch", lambda: self._inner.touch(room_id, now))

    async def delete(self, room_id: RoomId) -> bool:
        return await self._counted("delete", lambda: self._inner.delete(room_id))

    async def add_ban(self, room_id: RoomId, token_digest: bytes) -> bool:
        return await self._counted("add_ban", lambda: self._inner.add_ban(room_id, token_digest))

    async def is_banned(self, room_id: RoomId, token_digest: bytes) -> bool:
        return await self._counted(
            "is_banned", lambda: self._inner.is_banned(room_id, token_digest)
        )

    async def delete_unused(self, before: int) -> int:
        return await self._counted("delete_unused", lambda: self._inner.delete_unused(before))

    async def count(self) -> int:
        return await self._counted("count", self._inner.count)

    async def close(self) -> None:
        await self._inner.close()  # not counted: it neither reads nor writes a room


@dataclass(frozen=True, slots=True)
class CountedServer:
    base_url: str
    store: CountingStore


def bench_settings(data_dir: Path, port: int) -> Settings:
    """The settings ``klingel serve`` makes of the arguments the benchmarks' servers get."""
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser, os.environ)
    first, last = free_udp_port_range(8)
    arguments = parser.parse_args(
        [
            *("--host", "127.0.0.1", "--port", str(port), "--announce-ip", "127.0.0.1"),
            *("--udp-ports", f"{first}-{last}", "--workers", "2", "--data-dir", str(data_dir)),
        ]
    )
    return settings_from_arguments(arguments)


@contextlib.asynccontextmanager
async def counted_server(
    data_dir: Path, *, later_seconds: float = 0.0, timeout: float = 30.0
) -> AsyncIterator[CountedServer]:
    """The app as ``klingel serve`` runs it, on ``data_dir``'s store, counted. Its store's
    wall clock runs ``later_seconds`` ahead (next week's meeting on the same store)."""
    settings = bench_settings(data_dir, free_tcp_port())
    store = CountingStore(await SqliteRoomStore.open(data_dir))
    standing = StandingRooms(
        store, SecretDigester.open(data_dir), wall_clock=lambda: time.time() + later_seconds
    )
    app = create_app(settings, WorkerPool(settings.sfu), standing)
    server = uvicorn.Server(uvicorn_config(app, settings))
    serving = asyncio.create_task(server.serve())
    deadline = time.monotonic() + timeout
    while not server.started:
        if serving.done() or time.monotonic() > deadline:
            server.should_exit = True
            await serving
            raise RuntimeError("the in-process server did not start")
        await asyncio.sleep(0.02)
    try:
        await store.quiet()  # the start-up's own sweep of unused rooms
        yield CountedServer(f"http://127.0.0.1:{settings.port}", store)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout)
