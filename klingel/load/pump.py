"""Many load peers' sockets read in batches, for crowds of receivers.

asyncio reads a datagram socket one datagram per wake-up: the selector returns, the transport
reads one datagram, and aioice then tries to parse it as STUN before it hands it on. For a
crowd of hundreds of light viewers in one process, each receiving about a hundred packets a
second, that per-datagram machinery costs more than everything the viewer does with the
packet, and the load generator, not the server, sets the limit of a benchmark.

A ``DatagramPump`` takes over reading the sockets of connected peers: every ``interval`` it
asks one epoll which of them have data and drains each with ``recvmsg``, which also brings the
kernel's receive time (``SO_TIMESTAMPNS``, socket(7)), so the transport-wide feedback still
reports when a packet reached the machine, not when the crowd's loop got to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import socket
import struct
import time
from collections.abc import Callable

__all__ = ["DEFAULT_PUMP_INTERVAL", "DatagramHandler", "DatagramPump"]

logger = logging.getLogger(__name__)

DEFAULT_PUMP_INTERVAL = 0.005
"""Seconds between two reads of every socket: short against a video frame (33-66 ms) and the
feedback interval (100 ms), long enough that a busy socket has several datagrams waiting."""

_MAX_DATAGRAM = 2048
_TIMESPEC = struct.Struct("@ll")
_ANCILLARY_SPACE = socket.CMSG_SPACE(_TIMESPEC.size)
_SCM_TIMESTAMPNS = getattr(socket, "SCM_TIMESTAMPNS", 35)
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_MAX_PER_SOCKET = 64  # datagrams read from one socket per round, so none starves the others

DatagramHandler = Callable[[bytes, float, tuple[str, int]], None]
"""Called with a datagram, its arrival (``time.monotonic()`` scale) and the sender's
address."""


class DatagramPump:
    """Reads the sockets handed to it (``add``) in rounds, on the running event loop."""

    def __init__(self, interval: float = DEFAULT_PUMP_INTERVAL) -> None:
        self.interval = interval
        self._epoll = select.epoll()
        self._sockets: dict[int, tuple[socket.socket, DatagramHandler]] = {}
        self._offset = time.time() - time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self.datagrams = 0
        self.rounds = 0

    def __len__(self) -> int:
        return len(self._sockets)

    def add(self, sock: socket.socket, handler: DatagramHandler) -> None:
        """From now on ``sock``'s datagrams go to ``handler``; whoever read it before must have
        stopped (``asyncio.DatagramTransport.pause_reading``)."""
        fd = sock.fileno()
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self._sockets[fd] = (sock, handler)
        self._epoll.register(fd, select.EPOLLIN)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pump")

    def remove(self, sock: socket.socket) -> None:
        fd = sock.fileno()
        if self._sockets.pop(fd, None) is not None:
            with contextlib.suppress(OSError, ValueError):
                self._epoll.unregister(fd)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._sockets.clear()
        self._epoll.close()

    def pump_once(self) -> int:
        """One round: every waiting datagram of every socket to its handler; how many."""
        read = 0
        sockets = self._sockets
        offset = self._offset
        for fd, _events in self._epoll.poll(0):
            entry = sockets.get(fd)
            if entry is None:
                continue
            sock, handler = entry
            for _ in range(_MAX_PER_SOCKET):
                try:
                    data, ancillary, _flags, address = sock.recvmsg(_MAX_DATAGRAM, _ANCILLARY_SPACE)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    logger.debug("socket read failed", exc_info=True)
                    self.remove(sock)
                    break
                arrival = None
                for level, kind, value in ancillary:
                    if level == socket.SOL_SOCKET and kind == _SCM_TIMESTAMPNS:
                        seconds, nanoseconds = _TIMESPEC.unpack(value[: _TIMESPEC.size])
                        arrival = seconds + nanoseconds / 1e9 - offset
                read += 1
                try:
                    handler(data, time.monotonic() if arrival is None else arrival, address)
                except Exception:
                    logger.exception("datagram handler failed")
        self.datagrams += read
        self.rounds += 1
        return read

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.pump_once()
