"""The whole Klingel server (web app, signaling, real SFU worker processes) on an event loop of
its own, in a thread of the test process, with a monitor of that loop's lag.

The server's loop runs apart from the test's clients, so that what the monitor sees is the
server's own work. On a shared machine the wall clock also counts the time the operating system
gives to other processes (and the GIL to the clients' thread); a stall of the server's loop is
one piece of its work holding the loop, which shows as CPU time of the loop's thread between two
ticks of the monitor. The monitor records both.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from klingel.cli import WS_MAX_SIZE
from klingel.config import Settings
from klingel.rooms.standing import StandingRooms
from klingel.sfu.api import SfuSettings, WorkerStats
from klingel.sfu.pool import WorkerPool
from klingel.web.app import create_app
from klingel_bots.server_process import free_udp_port_range

__all__ = ["LoopLag", "ThreadedServer", "running_server"]

TICK_SECONDS = 0.01
START_TIMEOUT = 30.0


@dataclass(slots=True)
class LoopLag:
    """The worst lateness of the monitor's ticks: on the wall clock, and as CPU time the loop's
    thread spent between two ticks beyond the tick itself (work that held the loop)."""

    ticks: int = 0
    worst_wall: float = 0.0
    worst_busy: float = 0.0
    _running: bool = field(default=True, repr=False)

    async def watch(self) -> None:
        wall, cpu = time.monotonic(), time.thread_time()
        while self._running:
            await asyncio.sleep(TICK_SECONDS)
            now_wall, now_cpu = time.monotonic(), time.thread_time()
            self.worst_wall = max(self.worst_wall, now_wall - wall - TICK_SECONDS)
            self.worst_busy = max(self.worst_busy, now_cpu - cpu)
            self.ticks += 1
            wall, cpu = now_wall, now_cpu

    def reset(self) -> None:
        self.ticks, self.worst_wall, self.worst_busy = 0, 0.0, 0.0

    def stop(self) -> None:
        self._running = False


class ThreadedServer:
    """Start with ``start``, stop with ``stop``; ``url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lag = LoopLag()
        self.pool = WorkerPool(settings.sfu)
        self._data_dir = tempfile.TemporaryDirectory(prefix="klingel-data-")
        # The store binds to no loop: opened on a thread of its own (the test's loop may be
        # running on this one), used on the server's loop, closed by the app's lifespan.
        with ThreadPoolExecutor(max_workers=1) as opener:
            opening = StandingRooms.open(Path(self._data_dir.name))
            self.standing = opener.submit(asyncio.run, opening).result()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, self.pool, self.standing),
                log_config=None,
                access_log=False,
                ws_max_size=WS_MAX_SIZE,
                lifespan="on",
            )
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="klingel-server", daemon=True)
        self.failure: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to the test by ``stop``
            self.failure = error

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        monitor = asyncio.create_task(self.lag.watch())
        try:
            await self._server.serve(sockets=[self._listener])
        finally:
            self.lag.stop()
            await monitor

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {self.failure!r}")
            time.sleep(0.02)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._server.should_exit

    async def worker_stats(self) -> list[WorkerStats]:
        """The SFU workers' counters, asked on the server's own loop."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._stats(), self._loop)
        return await asyncio.wait_for(asyncio.wrap_future(future), 10.0)

    async def _stats(self) -> list[WorkerStats]:
        return list(await self.pool.stats())

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30.0)
        self._listener.close()
        self._data_dir.cleanup()
        if self.failure is not None:
            raise RuntimeError("the server's loop failed") from self.failure


def fuzz_settings() -> Settings:
    first, last = free_udp_port_range(1)
    return Settings(
        metrics=True,
        join_timeout_seconds=5.0,
        sfu=SfuSettings(workers=1, port_min=first, port_max=last),
    )


@contextlib.contextmanager
def running_server(settings: Settings | None = None) -> Iterator[ThreadedServer]:
    server = ThreadedServer(settings or fuzz_settings())
    server.start()
    try:
        yield server
    finally:
        server.stop()
