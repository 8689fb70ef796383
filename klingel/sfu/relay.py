"""The programme relay between SFU workers (docs/public-viewing.md, "Scale").

A room lives on one worker; its viewers are spread over all of them. The room's worker sends
each programme packet once to every other worker that has viewers of it, which holds a
*relayed programme*: the same slots, fed from this relay instead of from publishers, fanned
out to its own viewers. Keyframe requests go the other way, and the slots' sender reports
follow their packets once a second, so that the viewers' audio and video stay in sync.

Each worker binds one Unix datagram socket, ``w<index>`` in a directory only the server's
user can enter (made by the pool, mode 0700): nothing from outside the server can reach it,
so the datagrams carry no authentication. A datagram is an 8-byte header (what it is, the
slot and layer, the relay's number, which the pool gives out) and its payload: an RTP packet
as the slot numbered it, nothing (a keyframe request) or a sender report's NTP and RTP
times. A relay between nodes (several machines) keeps this format over UDP and adds an HMAC.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = [
    "KIND_KEYFRAME",
    "KIND_RTP",
    "KIND_SENDER_REPORT",
    "RelayMux",
    "RelayPeer",
    "RelayReceiver",
    "read_sender_report",
    "socket_path",
]

logger = logging.getLogger(__name__)

KIND_RTP = 0
KIND_KEYFRAME = 1
KIND_SENDER_REPORT = 2

_HEADER = struct.Struct("!BBBxI")
_SENDER_REPORT = struct.Struct("!QI")
_RECEIVE_BUFFER = 4 * 1024 * 1024  # a burst of keyframes for a few hundred viewers
_MAX_DATAGRAM = 2048


def socket_path(directory: str, worker: int) -> str:
    return str(Path(directory) / f"w{worker}")


class RelayReceiver(Protocol):
    """What a router does with a relay's datagrams (``klingel.sfu.router.RoomRouter``)."""

    def take_relayed(
        self, relay: int, kind: int, slot: int, layer: int, payload: bytes, arrival: float
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class RelayPeer:
    """One end's way to the other end of a relay: which relay, which worker."""

    mux: RelayMux
    relay: int
    worker: int

    def rtp(self, slot: int, layer: int, packet: bytes) -> None:
        self.mux.send(self.worker, _HEADER.pack(KIND_RTP, slot, layer, self.relay) + packet)

    def keyframe(self, slot: int, layer: int) -> None:
        self.mux.send(self.worker, _HEADER.pack(KIND_KEYFRAME, slot, layer, self.relay))

    def sender_report(self, slot: int, layer: int, ntp: int, rtp: int) -> None:
        header = _HEADER.pack(KIND_SENDER_REPORT, slot, layer, self.relay)
        self.mux.send(self.worker, header + _SENDER_REPORT.pack(ntp, rtp))


def read_sender_report(payload: bytes) -> tuple[int, int] | None:
    if len(payload) != _SENDER_REPORT.size:
        return None
    ntp, rtp = _SENDER_REPORT.unpack(payload)
    return ntp, rtp


class RelayMux:
    """The worker's relay socket: sends to the other workers' sockets and hands what arrives
    to the router of its relay."""

    def __init__(
        self, directory: str, worker: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._directory = directory
        self._clock = clock
        self._receivers: dict[int, RelayReceiver] = {}
        path = socket_path(directory, worker)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # left by a worker of this index that died
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
        self._socket.bind(path)
        self._socket.setblocking(False)
        self.dropped = 0  # not sent (the other end full or gone) or not understood
        self._reading = False

    def start(self) -> None:
        asyncio.get_running_loop().add_reader(self._socket.fileno(), self._read)
        self._reading = True

    def close(self) -> None:
        if self._reading:
            asyncio.get_running_loop().remove_reader(self._socket.fileno())
            self._reading = False
        self._socket.close()

    def attach(self, relay: int, receiver: RelayReceiver) -> None:
        self._receivers[relay] = receiver

    def detach(self, relay: int) -> None:
        self._receivers.pop(relay, None)

    def send(self, worker: int, datagram: bytes) -> None:
        try:
            self._socket.sendto(datagram, socket_path(self._directory, worker))
        except OSError:
            # The other worker's buffer is full (its viewers then lose a packet and NACK it)
            # or it is being replaced: never worth stopping this worker's media for.
            self.dropped += 1

    def _read(self) -> None:
        receive = self._socket.recv
        for _ in range(256):  # then let the loop serve the publishers' socket too
            try:
                datagram = receive(_MAX_DATAGRAM)
            except BlockingIOError:
                return
            except OSError:
                return
            if len(datagram) < _HEADER.size:
                self.dropped += 1
                continue
            kind, slot, layer, relay = _HEADER.unpack_from(datagram)
            receiver = self._receivers.get(relay)
            if receiver is None:
                self.dropped += 1
                continue
            try:
                receiver.take_relayed(
                    relay, kind, slot, layer, datagram[_HEADER.size :], self._clock()
                )
            except Exception:
                self.dropped += 1
                logger.exception("a relayed datagram could not be taken")
